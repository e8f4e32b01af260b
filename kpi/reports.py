"""The monthly reports (RULES §8): CPL_R001, a district's backlog, and CPL_R003, its month's performance.

Both are read per district and month through indexed columns (`complaints.district_code`, then the
month's bounds) and the event log of just those complaints, never a scan of every complaint.
A complaint counts for the district that holds it now (RULES §2, reading): one transferred away
after the month leaves that district's reports, one transferred in after it is not in them.

The state of a complaint at a past moment (open or not, its status, its progress updates) is
replayed from its event log up to that moment, by the lifecycle's statuses after each event; the
deadlines are the stored columns (kept in step by every action and by holiday changes), computed from
the calendar only for rows that lack them (`models.deadlines`), and overdue means what it means there.

Each report is plain data (`Report`: Thai headers, rows of cells ready to write, plus the
structured items), written by `to_csv` (UTF-8 with a BOM, so Excel reads the Thai) or `to_xlsx`.
Its words are the `KPI` catalogue's (`texts`, "kpi.report_*", "kpi.r001_*", "kpi.r003_*", ...).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache, partial

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from kpi.submissions import be_month, first_of, month_bounds, month_end, thai_month
from kpi.wording import kpi_text
from models import ApiKey, Channel, Complaint, ComplaintEvent, ComplaintStatus, District
from models.clock import clock
from models.complaint_lifecycle import OPEN, OPEN_VALUES, STATUS_AFTER_EVENT
from models.deadlines import (
    DEFAULT_DEADLINES,
    end_of_day,
    is_overdue,
    local_date,
    month_checkpoints,
    previous_checkpoint,
    stored_ack_due,
    stored_first_progress_due,
    was_late,
)
from models.thai_dates import thai_date
from models.working_days import WorkingCalendar, load_calendar

S = ComplaintStatus
Cell = str | int | Decimal | None
Calendar = Callable[[], WorkingCalendar]  # the working calendar, read when first asked for

# The events that change what state a complaint is in (status and open/closed), and progress.
REPLAYED = ("routed", "acknowledged", "progress", "resolved", "rejected", "reopened")
STATUS_TH = {status: kpi_text(f"status_{status.value}", "th") for status in S}
CHUNK = 1000  # complaint ids per IN (...) when reading the event log of many complaints


# ---- the report, as data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    code: str  # "CPL_R001"
    name_th: str  # what the report is, in Thai
    district: str
    district_name_th: str
    month: date  # the first day of the month
    as_of: datetime  # the moment the facts were read up to
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]  # cells ready to write; Decimal cells are percentages
    items: tuple[object, ...] = ()  # the structured rows (BacklogItem, PerformanceLine)

    @property
    def title(self) -> str:
        """E.g. "CPL_R001 รายงานเรื่องร้องเรียนค้างดำเนินการ สำนักงานเขตพระนคร ประจำเดือนพฤศจิกายน 2569"."""
        return kpi_text(
            "report_title",
            "th",
            code=self.code,
            name=self.name_th,
            district=self.district_name_th,
            month=thai_month(self.month),
        )

    @property
    def subtitle(self) -> str:
        local = self.as_of.astimezone(month_bounds(self.month)[0].tzinfo)
        return kpi_text("report_as_of", "th", day=thai_date(local.date()), time=f"{local:%H:%M}")

    def file_name(self, fmt: str) -> str:
        """`CPL_R001_1001_2569-11.xlsx` (the month in BE, as Thai offices file it)."""
        return f"{self.code}_{self.district}_{be_month(self.month)}.{fmt}"


# ---- a complaint's past, replayed from its event log ----------------------------------------------------


@dataclass
class _Replay:
    """One complaint as it stood at `until`: replayed from its events from its routing on."""

    status: str
    acknowledged_at: datetime | None = None
    first_progress_at: datetime | None = None
    progress: list[datetime] = field(default_factory=list)
    changes: list[tuple[datetime, bool]] = field(default_factory=list)  # (moment, open afterwards)

    def open_at(self, moment: datetime) -> bool:
        is_open = True
        for at, opened in self.changes:
            if at > moment:
                break
            is_open = opened
        return is_open

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


def _replay(routed_at: datetime, events: Iterable[tuple[str, datetime]]) -> _Replay:
    """Events (kind, at) in order, already cut at the moment of interest."""
    state = _Replay(status=S.ROUTED.value)
    for kind, at in events:
        if at < routed_at:
            continue  # another unit's time with it, before it came here
        after = STATUS_AFTER_EVENT.get(kind)
        if after is None:
            continue
        if kind == "acknowledged" and state.acknowledged_at is None:
            state.acknowledged_at = at
        if kind == "progress":
            state.progress.append(at)
            if state.first_progress_at is None:
                state.first_progress_at = at
        was_open = state.is_open
        state.status = after.value
        if was_open != state.is_open:
            state.changes.append((at, state.is_open))
    return state


def _events_of(
    session: Session, ids: Sequence[int], until: datetime
) -> dict[int, list[tuple[str, datetime]]]:
    """The replayed events of these complaints up to `until`, in order, read in chunks by complaint id."""
    found: dict[int, list[tuple[str, datetime]]] = {i: [] for i in ids}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.kind, ComplaintEvent.at)
            .where(
                ComplaintEvent.complaint_id.in_(chunk),
                ComplaintEvent.kind.in_(REPLAYED),
                ComplaintEvent.at <= until,
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.at, ComplaintEvent.id)
        )
        for complaint_id, kind, at in rows:
            found[complaint_id].append((kind, at))
    return found


def _closed_since(moment: datetime) -> ColumnElement[bool]:
    """A filter: the complaint is open now, or was closed after `moment` (so it may have been open then).

    The stored `resolved_at` is the latest resolution: resolved at or before `moment` and still
    resolved means closed all along since. A rejection is final and has no column: its event says when.
    """
    rejected_later = exists().where(
        ComplaintEvent.complaint_id == Complaint.id,
        ComplaintEvent.kind == "rejected",
        ComplaintEvent.at > moment,
    )
    return or_(
        Complaint.status.in_(OPEN_VALUES),
        and_(Complaint.status == S.RESOLVED.value, Complaint.resolved_at > moment),
        and_(Complaint.status == S.REJECTED.value, rejected_later),
    )


def _calendar(session: Session) -> Calendar:
    """The working calendar, read once and only if a row without stored deadlines needs it."""
    return cache(partial(load_calendar, session))


def _ack_due(complaint: Complaint, calendar: Calendar) -> datetime:
    due = stored_ack_due(complaint, calendar)
    assert due is not None, "a routed complaint has an acknowledgement deadline"
    return due


def _checkpoint_days(after: date, last: date) -> Iterator[date]:
    """The 15th/30th checkpoints D with `after` < D <= `last`, in order."""
    month = after.replace(day=1)
    while month <= last:
        for day in month_checkpoints(month.year, month.month):
            if after < day <= last:
                yield day
        month = (month + timedelta(days=32)).replace(day=1)


@lru_cache(maxsize=10_000)
def _day_end(day: date) -> datetime:
    """`end_of_day`, kept per day: a backlog asks for the same checkpoints' ends thousands of times."""
    return end_of_day(day)


def _met(day: date, progress: Sequence[datetime]) -> bool:
    """A progress update after the end of the previous checkpoint and by the end of this one (RULES §3).
    `progress` is in time order (the replayed log's): the first update after `since` decides."""
    since, until = _day_end(previous_checkpoint(day)), _day_end(day)
    later = bisect_right(progress, since)
    return later < len(progress) and progress[later] <= until


def percent(part: int, whole: int) -> Decimal | None:
    """part × 100 / whole, rounded half up to 2 decimals; None when there is nothing to divide by."""
    if whole == 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _district_name(session: Session, district: str) -> str:
    row = session.get(District, district)
    if row is None:
        raise ValueError(f"no district {district}")
    return row.name_th


# ---- CPL_R001: the backlog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missed:
    """One deadline a complaint in the backlog missed, as of the report's moment."""

    kind: str  # one of MISSED_KINDS; its text is "kpi.missed_<kind>"
    due: date  # the deadline's Bangkok date (for a checkpoint: the 15th/30th itself)
    done: date | None = None  # when it was done after all (the late kinds)

    @property
    def text_th(self) -> str:
        return _missed_text(self.kind, self.due, self.done)


@lru_cache(maxsize=100_000)
def _missed_text(kind: str, due: date, done: date | None) -> str:
    """A missed deadline in words (kept: a backlog's complaints miss the same checkpoint days)."""
    return kpi_text(f"missed_{kind}", "th", due=thai_date(due), done=thai_date(done) if done else "")


MISSED_KINDS = (
    "ack_late",
    "ack_missing",
    "first_progress_late",
    "first_progress_missing",
    "checkpoint_missed",
)


@dataclass(frozen=True)
class BacklogItem:
    code: str
    category: str | None
    received: date  # the Bangkok date the district got it (routed_at)
    age_days: int  # calendar days from `received` to the report's date
    status: str  # at the report's moment
    missed: tuple[Missed, ...]


R001_COLUMNS = ("number", "code", "category", "received", "age", "status", "missed")
R001_HEADERS = tuple(kpi_text(f"r001_column_{column}", "th") for column in R001_COLUMNS)


def backlog(session: Session, district: str, at: datetime) -> list[BacklogItem]:
    """The complaints `district` held open at moment `at`, oldest first, with the deadlines they missed.

    Kept for the session (`session.info`): a month's two reports read the same backlog (CPL_R001's rows,
    CPL_R003's total), and reading it costs most of either at a million complaints. The reports only read,
    so within one session (one page, one command) the answer does not change."""
    key = ("kpi.reports.backlog", district, at)
    kept = session.info.get(key)
    if kept is None:
        kept = session.info[key] = tuple(_backlog(session, district, at))
    return list(kept)


def _backlog(session: Session, district: str, at: datetime) -> list[BacklogItem]:
    candidates = list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.district_code == district,
                Complaint.routed_at.is_not(None),
                Complaint.routed_at <= at,
                _closed_since(at),
            )
            .order_by(Complaint.routed_at, Complaint.id)
        )
    )
    events = _events_of(session, [c.id for c in candidates], at)
    calendar = _calendar(session)
    today = local_date(at)
    items = []
    for complaint in candidates:
        assert complaint.routed_at is not None
        state = _replay(complaint.routed_at, events[complaint.id])
        if not state.is_open:
            continue
        items.append(
            BacklogItem(
                code=complaint.tracking_code,
                category=complaint.category,
                received=local_date(complaint.routed_at),
                age_days=(today - local_date(complaint.routed_at)).days,
                status=state.status,
                missed=tuple(_missed(complaint, state, at, calendar)),
            )
        )
    return items


def _missed(complaint: Complaint, state: _Replay, at: datetime, calendar: Calendar) -> Iterator[Missed]:
    ack_due_at = _ack_due(complaint, calendar)
    acknowledged = state.acknowledged_at
    if acknowledged is None:
        if is_overdue(ack_due_at, at):
            yield Missed("ack_missing", local_date(ack_due_at))
        return
    if was_late(ack_due_at, acknowledged):
        yield Missed("ack_late", local_date(ack_due_at), local_date(acknowledged))
    fp_due_at = stored_first_progress_due(complaint, acknowledged, calendar)
    assert fp_due_at is not None
    first = state.first_progress_at
    if is_overdue(fp_due_at, at, first):
        yield Missed("first_progress_missing", local_date(fp_due_at))
    elif first is not None and was_late(fp_due_at, first):
        yield Missed("first_progress_late", local_date(fp_due_at), local_date(first))
    # Checkpoints whose day has fully passed by `at`, after the first-progress deadline, while open.
    last_full_day = local_date(at) if at >= end_of_day(local_date(at)) else local_date(at) - timedelta(days=1)
    for day in _checkpoint_days(local_date(fp_due_at), last_full_day):
        if state.open_at(_day_end(day)) and not _met(day, state.progress):
            yield Missed("checkpoint_missed", day)


def cpl_r001(session: Session, district: str, month: date, as_of: datetime) -> Report:
    """CPL_R001: the district's backlog at the end of `month` (or at `as_of`, if that comes first).

    Every complaint still open then: tracking code, category, the date the district received it
    (BE), its age in days, its status, and each deadline it had missed by then: acknowledgement
    late or missing, first progress late or missing, each due 15th/30th checkpoint not met.
    """
    month = first_of(month)
    name = _district_name(session, district)
    at = min(month_end(month), as_of)
    items = backlog(session, district, at)
    rows = tuple(
        (
            n,
            item.code,
            item.category or "-",
            thai_date(item.received),
            item.age_days,
            STATUS_TH[S(item.status)],
            "; ".join(m.text_th for m in item.missed) or "-",
        )
        for n, item in enumerate(items, start=1)
    )
    return Report(
        code="CPL_R001",
        name_th=kpi_text("r001_name", "th"),
        district=district,
        district_name_th=name,
        month=month,
        as_of=at,
        headers=R001_HEADERS,
        rows=rows,
        items=tuple(items),
    )


# ---- CPL_R003: the month's performance ------------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceLine:
    key: str  # received | ack_on_time | first_progress_on_time | resolved | rejected | pending | ...
    label_th: str
    count: int
    of: int | None  # the base of the percentage (None: no percentage)
    due: bool = True  # False: nothing of it has come by the report's moment (the month's checkpoints)

    @property
    def percent(self) -> Decimal | None:
        return None if self.of is None else percent(self.count, self.of)

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The report's row: label, count, of, percent; "ยังไม่ถึงกำหนด" (not yet due) instead of 0/0."""
        if not self.due:
            return (self.label_th, NOT_YET_DUE_TH, None, None)
        return (self.label_th, self.count, self.of, self.percent)


PENDING_TH = kpi_text("r003_pending", "th")
NOT_YET_DUE_TH = kpi_text("r003_not_yet_due", "th")
R003_COLUMNS = ("item", "count", "of", "percent")
R003_HEADERS = tuple(kpi_text(f"r003_column_{column}", "th") for column in R003_COLUMNS)


def _line(key: str, count: int, of: int | None, **values: object) -> PerformanceLine:
    """A line of CPL_R003, labelled by "kpi.r003_<key>"."""
    return PerformanceLine(key, kpi_text(f"r003_{key}", "th", **values), count, of)


def _working_days(days: int) -> str:
    return kpi_text("working_day" if days == 1 else "working_days", "th", days=days)


def performance(
    session: Session, district: str, month: date, as_of: datetime | None = None
) -> list[PerformanceLine]:
    """The month's figures for one district (see `cpl_r003`)."""
    month = first_of(month)
    start, end = month_bounds(month)
    last = month_end(month)
    as_of = as_of or clock.now()
    # The cohort: complaints the district received (was routed) in the month and holds now.
    cohort = list(
        session.scalars(
            select(Complaint).where(
                Complaint.district_code == district, Complaint.routed_at >= start, Complaint.routed_at < end
            )
        )
    )
    received = len(cohort)
    calendar = _calendar(session)
    ack_on_time = fp_on_time = 0
    for c in cohort:
        ack = c.acknowledged_at
        if ack is None or ack > as_of:
            continue
        ack_on_time += not was_late(_ack_due(c, calendar), ack)
        first = c.first_progress_at
        if first is not None and first <= as_of:
            fp_on_time += not was_late(stored_first_progress_due(c, ack, calendar), first)
    events = _events_of(session, [c.id for c in cohort], last)
    at_end = [_replay(c.routed_at, events[c.id]).status for c in cohort if c.routed_at is not None]
    resolved = at_end.count(S.RESOLVED.value)
    rejected = at_end.count(S.REJECTED.value)
    met, due, come = _checkpoints_in_month(session, district, month, as_of)
    backlog_total = len(backlog(session, district, last))
    settings = DEFAULT_DEADLINES  # the deadlines' own settings (`ack_due`, `first_progress_due`)
    return [
        _line("received", received, None),
        *_by_channel(session, cohort),
        _line("ack_on_time", ack_on_time, received, working_days=_working_days(settings.ack_working_days)),
        _line(
            "first_progress_on_time",
            fp_on_time,
            received,
            working_days=_working_days(settings.first_progress_working_days),
        ),
        _line("resolved", resolved, received),
        _line("rejected", rejected, received),
        _line("pending", received - resolved - rejected, received),
        _checkpoints_line(met, due, come, month),
        _line("backlog", backlog_total, None),
    ]


def _by_channel(session: Session, cohort: Sequence[Complaint]) -> list[PerformanceLine]:
    """The month's complaints by the way they came (every channel counts the same for the KPI):
    LINE, phone, walk-in, letter, web, then each API client by its key's name; channels with none
    are left out."""
    counts = Counter((c.channel, c.api_key_id if c.channel == Channel.API else None) for c in cohort)
    keys = {k for _, k in counts if k is not None}
    rows = session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(keys))) if keys else []
    names = {key_id: name for key_id, name in rows}
    order = {channel.value: i for i, channel in enumerate(Channel)}
    lines = []
    for (channel, key), count in sorted(
        counts.items(), key=lambda item: (order.get(item[0][0], 99), str(item[0][1]))
    ):
        via = kpi_text(f"channel_{channel}", "th")
        if key is not None:
            via = f"{via}: {names.get(key, key)}"
        lines.append(
            PerformanceLine(
                f"received_via_{channel}",
                kpi_text("r003_received_via", "th", channel=via),
                count,
                len(cohort),
            )
        )
    return lines


def _checkpoints_line(met: int, due: int, come: Sequence[date], month: date) -> PerformanceLine:
    """The checkpoints line: both checkpoints; the 15th only, the other said not yet due; or not yet due."""
    if len(come) == 1:
        second = month_checkpoints(month.year, month.month)[1]
        label = kpi_text("r003_checkpoints_met_first_only", "th", day=second.day)
        return PerformanceLine("checkpoints_met", label, met, due)
    line = _line("checkpoints_met", met, due)
    return line if come else replace(line, due=False)


def _checkpoints_in_month(
    session: Session, district: str, month: date, as_of: datetime
) -> tuple[int, int, tuple[date, ...]]:
    """(met, due, come): the month's 15th and 30th checkpoints that have come by `as_of` (their day is
    over; `come`, in order), over the complaints the district holds. The others are not yet due."""
    come = tuple(day for day in month_checkpoints(month.year, month.month) if end_of_day(day) <= as_of)
    if not come:
        return 0, 0, ()
    first, last = come[0], come[-1]
    last_end = end_of_day(last)
    # Due on the last at the latest: first-progress deadline before that day, open at the end of the first.
    rows = list(
        session.scalars(
            select(Complaint).where(
                Complaint.district_code == district,
                Complaint.routed_at <= last_end,
                Complaint.first_progress_due_at < datetime.combine(last, time(0), tzinfo=last_end.tzinfo),
                _closed_since(end_of_day(first)),
            )
        )
    )
    events = _events_of(session, [c.id for c in rows], last_end)
    met = due = 0
    for complaint in rows:
        assert complaint.routed_at is not None and complaint.first_progress_due_at is not None
        state = _replay(complaint.routed_at, events[complaint.id])
        after = local_date(complaint.first_progress_due_at)
        for day in come:
            if day > after and state.open_at(_day_end(day)):
                due += 1
                met += _met(day, state.progress)
    return met, due, come


def cpl_r003(session: Session, district: str, month: date, as_of: datetime | None = None) -> Report:
    """CPL_R003: the district's performance for `month`, as counts with percentages.

    Of the complaints the district received in the month (routed to it then, and held by it now):
    how many it acknowledged on time and reported first progress on time (as known at `as_of`,
    default now: a deadline just after the month end counts once it is known), and how many were
    resolved, rejected or still pending at the month's end. Then the month's 15th and 30th
    checkpoints met over every complaint due for them (a checkpoint whose day is not over at `as_of`
    is "not yet due", ยังไม่ถึงกำหนด, not 0 of 0), and the district's whole backlog at the end.
    """
    month = first_of(month)
    name = _district_name(session, district)
    as_of = as_of or clock.now()
    lines = performance(session, district, month, as_of)
    rows = tuple(line.cells for line in lines)
    return Report(
        code="CPL_R003",
        name_th=kpi_text("r003_name", "th"),
        district=district,
        district_name_th=name,
        month=month,
        as_of=as_of,
        headers=R003_HEADERS,
        rows=rows,
        items=tuple(lines),
    )


# ---- writers --------------------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return f"{cell:.2f}" if isinstance(cell, Decimal) else str(cell)


def to_csv(report: Report) -> bytes:
    """The headers and rows as CSV, UTF-8 with a BOM (Excel then reads Thai right); percentages `80.00`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(report.headers)
    for row in report.rows:
        writer.writerow([_text(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def display_width(text: str) -> int:
    """Columns a text takes: Thai vowel and tone marks above or below a letter take none."""
    return sum(0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn" else 1 for ch in text)


def to_xlsx(report: Report) -> bytes:
    """One sheet: title (district, month in BE), as-of line, bold Thai headers (frozen), BE dates as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.code
    book.properties.title = report.title
    columns = len(report.headers)
    sheet.cell(row=1, column=1, value=report.title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    sheet.cell(row=2, column=1, value=report.subtitle).font = Font(italic=True)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)
    header_row = 4
    thin = Side(style="thin", color="999999")
    for col, header in enumerate(report.headers, start=1):
        cell = sheet.cell(row=header_row, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for r, row in enumerate(report.rows, start=header_row + 1):
        for col, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=col)
            if isinstance(value, Decimal):
                cell.value = float(value)
                cell.number_format = "0.00"
            else:
                cell.value = value  # dates are already Thai text ("8 ธ.ค. 2569"), never Excel dates
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str))
    if not report.rows:
        sheet.cell(row=header_row + 1, column=1, value=kpi_text("report_no_rows", "th"))
    for col in range(1, columns + 1):
        texts = [report.headers[col - 1]] + [_text(row[col - 1]) for row in report.rows]
        width = max(display_width(t) for t in texts) + 2
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width, 8), 60)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WRITERS = {"csv": to_csv, "xlsx": to_xlsx}
