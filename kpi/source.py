"""The database adapter of the scorer: the event log aggregated in SQL into `kpi.facts`, streamed.

`district_facts(session, start, end)` yields one `DistrictFacts` per district (all of them, by code,
when `districts` is None). Its `complaints` is lazy: nothing is read until it is iterated; then one
query per district streams one row per complaint, `FETCH_ROWS` at a time, each turned into a
`ComplaintFacts` as it is taken. A year of a million complaints is never a list in Python, nor a
million lists of event objects: the events are grouped by complaint in SQL. Memory is bounded by a
few batches of rows, whatever the size of the year.

Which complaints: those whose *current* routing (RULES §2: a transfer restarts the clocks for the unit
that receives it) lies in the window: `Complaint.district_code` is the district and
`start <= Complaint.routed_at <= end` (both ends included, as the scorer's window: pass the last
moment of the last day). Which events count for it: those recorded for that district
(`ComplaintEvent.district_code`) at or after its `routed_at`, so the unit that gave a complaint away
is not credited with the receiver's work, nor the other way round:

- `acknowledged_at`: the first acknowledgement;
- `progress_at`: every progress update, in order; `first_progress_at`: the first of them at or after
  the acknowledgement (the first of them at all when it was never acknowledged);
- `resolved_at`: the last resolution, unless the citizen reopened the complaint after it (then None);
  `result_text`: that resolution's text is not blank;
- `rejected_at`: the first rejection.

The aggregate is one GROUP BY complaint over the district's events with conditional aggregates
(`min(at) FILTER (WHERE kind = 'acknowledged')`, ...). The scorer reads `ComplaintStream.moments()`:
each complaint as `kpi.facts.Moments`, integers that PostgreSQL sends packed in one bytea of binary
timestamps per row (`timestamptz_send`), unpacked in one `struct` call, so no datetime is made for a
million complaints; iterating the stream itself gives `ComplaintFacts` with datetimes. SQLite sends
its moments as text, packed the same way in Python. A complaint routed to the same district twice
(sent away and back) is recomputed from its events (`facts_from_events`), which also serves as the
reference the aggregate is tested against. Whether a result text is blank needs the texts, which the
covering index does not hold: one query per call lists the (rare) blank resolutions, from an index of
their own (`BLANK_RESOLUTION`).

On PostgreSQL (psycopg) the rows come from a server-side cursor in the caller's transaction, the next
batch fetched by a thread while the caller works on the current one (`_prefetched_rows`). At the
scale of a large city the per-district queries want the two covering indexes in `SUGGESTED_INDEXES`
(each district's rows are then two contiguous index ranges, read without visiting the tables);
without them the answers are the same, only much slower.

The session must stay open while the complaints are iterated; iterating a `complaints` stream again
runs its query again. Close (or finish) an iterator you abandon early.
"""

from __future__ import annotations

import functools
import itertools
import queue
import struct
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    LargeBinary,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from kpi.facts import (
    AuditResult,
    ComplaintFacts,
    DistrictFacts,
    Moments,
    MonthlySubmission,
    from_micros,
    to_micros,
)
from kpi.schemes import shipped_kpi32
from models import kpi_facts
from models.base import UtcDateTime
from models.clock import BANGKOK
from models.complaints import BLANK_RESOLUTION, Complaint, ComplaintEvent
from models.districts import District
from models.monthly_reports import MonthlyReport

FETCH_ROWS = 2000  # rows per fetch from the server-side cursor (yield_per)
# The event kinds the facts are made of; the others (filed, routed, transferred, rated) are not read.
KINDS = kpi_facts.KINDS

# What the per-district queries read on PostgreSQL, as index ranges (not in a migration: see the module
# docstring). The first serves the aggregate, the second the complaints of one district in a window.
# Declared on the models and created by migration 0007; kept here as SQL for the benchmark.
SUGGESTED_INDEXES = (
    "CREATE INDEX ix_complaint_events_district_complaint_at "
    "ON complaint_events (district_code, complaint_id, at) INCLUDE (kind)",
    "CREATE INDEX ix_complaints_district_id_cover "
    "ON complaints (district_code, id) INCLUDE (routed_at, tracking_code, category)",
)


# ---- districts ---------------------------------------------------------------------------------------


def district_facts(
    session: Session,
    window_start: datetime,
    window_end: datetime,
    districts: Sequence[str] | str | None = None,
    *,
    kpi_start_on: date | None = None,
) -> Iterator[DistrictFacts]:
    """One `DistrictFacts` per district (all, by code, when None; else in the order given).

    `complaints` is a lazy `ComplaintStream` (see the module docstring); `submissions` lists every
    month the window touches (`submissions`); `audits` are `kpi.audit.audit_results` for those months
    when that module is there, else empty. `kpi_start_on` is the district's own start date
    (`District.kpi_start_on`) or else the deployment's (`kpi_start_on`, the KPI_START_DATE setting).
    Unknown district codes raise ValueError before anything is yielded.
    """
    _check_window(window_start, window_end)
    names = _district_names(session, districts)
    codes = list(names)
    starts = start_dates(session, kpi_start_on)
    by_district: dict[str, list[MonthlySubmission]] = {code: [] for code in codes}
    for s in submissions(session, window_start, window_end, codes):
        by_district[s.district].append(s)
    audits = _audits(session, window_start, window_end, codes)
    kept = kpi_facts.is_complete(session)
    blanks = None if kept else _BlankResults(session, window_start, window_end, codes)
    for code in codes:
        yield DistrictFacts(
            district=code,
            name_th=names[code],
            complaints=ComplaintStream(session, code, window_start, window_end, blanks, kept=kept),  # type: ignore[arg-type]
            submissions=tuple(by_district[code]),
            audits=tuple(audits.get(code, ())),
            kpi_start_on=starts.get(code, kpi_start_on),
        )


def start_dates(session: Session, default: date | None = None) -> dict[str, date | None]:
    """Each district's KPI start date: its own (`District.kpi_start_on`), else `default`."""
    rows = session.execute(select(District.code, District.kpi_start_on)).all()
    return {code: default if own is None else own for code, own in rows}


def _check_window(start: datetime, end: datetime) -> None:
    for moment in (start, end):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"a timezone-aware window is required, got {moment!r}")
    if end < start:
        raise ValueError(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")


def _district_names(session: Session, districts: Sequence[str] | str | None) -> dict[str, str]:
    if isinstance(districts, str):
        districts = [districts]
    rows = session.execute(select(District.code, District.name_th).order_by(District.code)).all()
    names = {code: name for code, name in rows}
    if districts is None:
        return names
    unknown = [d for d in districts if d not in names]
    if unknown:
        raise ValueError(f"unknown district code(s): {', '.join(unknown)}")
    return {d: names[d] for d in dict.fromkeys(districts)}


# ---- complaints ----------------------------------------------------------------------------------------


class ComplaintStream(Iterable[ComplaintFacts]):
    """The complaints of one district in one window, read when iterated (each time: a new query).

    Iterating gives `ComplaintFacts`; `moments()` gives the same complaints as `Moments`, the
    scorer's integer form, without making a datetime of any of them.
    """

    def __init__(
        self,
        session: Session,
        district: str,
        window_start: datetime,
        window_end: datetime,
        blanks: _BlankResults | None = None,
        *,
        kept: bool = False,
    ) -> None:
        self.session = session
        self.district = district
        self.window = (window_start, window_end)
        self.blanks = blanks
        self.kept = kept  # read the kept facts (`models.kpi_facts`), not the event log

    def __repr__(self) -> str:
        start, end = self.window
        return f"<ComplaintStream {self.district} {start.isoformat()}..{end.isoformat()}>"

    def __iter__(self) -> Iterator[ComplaintFacts]:
        return stream_complaints(
            self.session, self.district, *self.window, blanks=self.blanks, kept=self.kept
        )

    def moments(self) -> Iterator[Moments]:
        if self.kept:
            return stream_kept_moments(self.session, self.district, *self.window)
        return stream_moments(self.session, self.district, *self.window, blanks=self.blanks)


def stream_complaints(
    session: Session,
    district: str,
    window_start: datetime,
    window_end: datetime,
    *,
    blanks: _BlankResults | None = None,
    kept: bool = False,
) -> Iterator[ComplaintFacts]:
    """A generator of the district's `ComplaintFacts` by complaint id, fetched `FETCH_ROWS` rows at a time."""
    if kept:
        moments = stream_kept_moments(session, district, window_start, window_end)
    else:
        moments = stream_moments(session, district, window_start, window_end, blanks=blanks)
    try:
        for m in moments:
            yield m.facts()
    finally:
        moments.close()


def stream_moments(
    session: Session,
    district: str,
    window_start: datetime,
    window_end: datetime,
    *,
    blanks: _BlankResults | None = None,
) -> Generator[Moments, None, None]:
    """A generator of the district's `Moments` by complaint id, fetched `FETCH_ROWS` rows at a time.

    The loop below runs once per complaint of a year: it is kept flat on purpose (no calls but the
    unpacking of the packed moments).
    """
    _check_window(window_start, window_end)
    dialect = session.get_bind().dialect
    postgres = dialect.name == "postgresql"
    blank = (blanks or _BlankResults(session, window_start, window_end, [district])).pairs()
    stmt = complaints_query(postgres)
    params = {"district": district, "window_start": window_start, "window_end": window_end}
    rows: Iterator[Sequence[Any]]
    if postgres and dialect.driver == "psycopg":
        rows = _prefetched_rows(session, stmt, params)
    else:
        rows = _streamed_rows(session, stmt, params)
    if not postgres:
        rows = map(_packed_sqlite_row, rows)
    formats = _formats
    null = _NULL
    new = _new_tuple
    try:
        for cid, code, category, routings, packed in rows:
            count = len(packed) >> 3
            unpack = formats.get(count) or _format(count)
            values = unpack(packed)
            routed, ack, resolved, rejected = values[:4]
            if routings is not None and routings > 1:
                # Routed to this district more than once (sent away and back): only the events of the
                # current stint count, which the aggregate over all of the district's events cannot tell.
                yield _one_complaint(session, cid, code, category, district, from_micros(routed)).moments()
                continue
            if ack == null:
                ack = None
            if rejected == null:
                rejected = None
            has_text = False
            if resolved == null:
                resolved = None
            else:
                has_text = not blank or (cid, resolved) not in blank
            first = None
            if count > 4:
                progress = values[4:]
                if count > 5:
                    progress = tuple(sorted(progress))
                if ack is None:
                    first = progress[0]
                else:
                    for t in progress:
                        if t >= ack:
                            first = t
                            break
            else:
                progress = ()
            yield new(
                Moments,
                (code, district, routed, ack, first, resolved, has_text, rejected, progress, category),
            )
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def stream_kept_moments(
    session: Session, district: str, window_start: datetime, window_end: datetime
) -> Generator[Moments, None, None]:
    """The district's `Moments` by complaint id from the kept facts (`models.kpi_facts`): one row each,
    nothing grouped (the scorer's loop, when explanations are asked for)."""
    _check_window(window_start, window_end)
    dialect = session.get_bind().dialect
    stmt = kept_query()
    params = {"district": district, "window_start": window_start, "window_end": window_end}
    rows: Iterator[Sequence[Any]]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        rows = _prefetched_rows(session, stmt, params)
    else:
        rows = _streamed_rows(session, stmt, params)
    formats = _formats
    null = _NULL
    new = _new_tuple
    try:
        for code, category, has_text, packed in rows:
            count = len(packed) >> 3
            unpack = formats.get(count) or _format(count)
            values = unpack(packed)
            routed, ack, resolved, rejected = values[:4]
            if ack == null:
                ack = None
            if rejected == null:
                rejected = None
            if resolved == null:
                resolved, has_text = None, False
            progress = values[4:]  # in time order already
            first = next((t for t in progress if ack is None or t >= ack), None)
            yield new(
                Moments,
                (code, district, routed, ack, first, resolved, bool(has_text), rejected, progress, category),
            )
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


@functools.cache
def kept_query() -> Select[Any]:
    """The kept facts of `district`'s complaints routed in [`window_start`, `window_end`], by id."""
    f = kpi_facts.ComplaintKpiFacts.__table__
    return (
        select(f.c.tracking_code, f.c.category, f.c.result_text, f.c.moments)
        .where(
            f.c.district_code == bindparam("district"),
            f.c.routed_at >= bindparam("window_start"),
            f.c.routed_at <= bindparam("window_end"),
        )
        .order_by(f.c.complaint_id)
    )


_new_tuple = tuple.__new__
# PostgreSQL's binary timestamp: a big-endian int64 of microseconds since 2000-01-01 UTC, the epoch of
# `Moments`. A row's moments come packed: routed, acknowledged, resolved (NULL when reopened after
# it), rejected, then every progress update. NULL travels as the smallest int64 (-infinity, which no
# event has).
_NULL = -(2**63)
_NULL_BYTES = _NULL.to_bytes(8, "big", signed=True)
_formats: dict[int, Callable[[bytes], tuple[int, ...]]] = {}


def _format(count: int) -> Callable[[bytes], tuple[int, ...]]:
    unpack = _formats[count] = struct.Struct(f">{count}q").unpack
    return unpack


def _packed_sqlite_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """A SQLite row in the packed form PostgreSQL sends (SQLite has no binary timestamps to send).

    SQLite's moments come as datetimes and its progress times as comma-separated text; packing them
    lets one decoding loop serve both databases.
    """
    cid, code, category, routings, routed, ack, resolved, rejected, progress = row
    moments = [routed, ack, resolved, rejected]
    if progress:
        moments.extend(_sqlite_moment(v) for v in progress.split(","))
    values = [_NULL if m is None else to_micros(m) for m in moments]
    return cid, code, category, routings, struct.pack(f">{len(values)}q", *values)


def _streamed_rows(session: Session, stmt: Select[Any], params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    """Rows through SQLAlchemy, `FETCH_ROWS` at a time (a server-side cursor where the driver has one)."""
    result = session.execute(
        stmt, params, execution_options={"stream_results": True, "yield_per": FETCH_ROWS}
    )
    try:
        yield from result
    finally:
        result.close()


_cursor_numbers = itertools.count(1)


def _prefetched_rows(session: Session, stmt: Select[Any], params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    """Rows of a psycopg server-side cursor in the session's transaction, the next batch fetched ahead.

    PostgreSQL computes a cursor's rows only when they are fetched, so fetching batch k+1 in a
    thread while the caller works on batch k lets the server's aggregation and the Python scoring run
    side by side (two CPUs) instead of one after the other. Each FETCH takes the connection's lock for
    its own duration only, so the session stays usable between batches; at most three batches are in
    memory. Rows are plain tuples (no SQLAlchemy row objects on the hot path).
    """
    connection = session.connection()
    driver = connection.connection.driver_connection
    compiled = stmt.compile(dialect=connection.dialect)
    # Binary rows: the packed moments come as bytes, the rest without text to print and parse.
    cursor = driver.cursor(name=f"kpi_facts_{next(_cursor_numbers)}", binary=True)  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), compiled.construct_params(params))
        fetcher = _Prefetcher(cursor, FETCH_ROWS)
        try:
            yield from fetcher
        finally:
            fetcher.stop()
    finally:
        cursor.close()


class _Prefetcher:
    """A thread fetching `size` rows at a time from `cursor` into a queue two batches deep."""

    def __init__(self, cursor: Any, size: int) -> None:
        self.cursor, self.size = cursor, size
        self.batches: queue.Queue[Any] = queue.Queue(maxsize=2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kpi-facts-prefetch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stopping.is_set():
                batch = self.cursor.fetchmany(self.size)
                self._put(batch)
                if not batch:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def _put(self, item: Any) -> None:
        while not self.stopping.is_set():
            try:
                self.batches.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Sequence[Any]]:
        while True:
            batch = self.batches.get()
            if isinstance(batch, BaseException):
                raise batch
            if not batch:
                return
            yield from batch

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()


def _sqlite_moment(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


@functools.cache
def complaints_query(postgres: bool) -> Select[Any]:
    """One row per complaint of `district` routed there in [start, end], its events grouped in SQL.

    Built once per database kind, with the district and the window as bound parameters (`district`,
    `window_start`, `window_end`): building it is costly (a page scoring 50 districts built it 50 times).

    Columns: id, tracking code, category, the number of times it was routed there, then its moments:
    routed_at and, over the events recorded for the district, the first acknowledgement, the last
    resolution (NULL when a reopening came at or after it), the first rejection and the progress
    times (unordered). On PostgreSQL the moments come packed in one bytea of binary timestamps (see
    `_NULL`), which Python unpacks in one call; on SQLite as four moments and comma-separated text.
    The events are read as one range of the district's events between the window's first and last
    complaint id (`SUGGESTED_INDEXES`), grouped in index order.
    """
    c = Complaint.__table__.alias("c")
    e = ComplaintEvent.__table__.alias("e")

    def when(kind: str) -> ColumnElement[bool]:
        return e.c.kind == kind

    def first(kind: str) -> Any:
        return func.min(e.c.at).filter(when(kind))

    def last(kind: str) -> Any:
        return func.max(e.c.at).filter(when(kind))

    # Reopened after its last resolution: open again.
    resolved = case((last("reopened") >= last("resolved"), null()), else_=last("resolved"))
    if postgres:
        empty = literal(b"", LargeBinary())
        none = literal(_NULL_BYTES, LargeBinary())
        packed: Any = None
        for moment in (first("acknowledged"), resolved, first("rejected")):
            part = func.coalesce(func.timestamptz_send(moment), none)
            packed = part if packed is None else packed.op("||")(part)
        progress = func.string_agg(func.timestamptz_send(e.c.at), empty).filter(when("progress"))
        moments: list[Any] = [packed.op("||")(func.coalesce(progress, empty)).label("packed")]
    else:
        moments = [
            type_coerce(first("acknowledged"), UtcDateTime()).label("ack"),
            type_coerce(resolved, UtcDateTime()).label("resolved"),
            type_coerce(first("rejected"), UtcDateTime()).label("rejected"),
            type_coerce(
                func.group_concat(e.c.at, literal_column("','")).filter(when("progress")), String()
            ).label("progress"),
        ]
    district, window_start, window_end = (
        bindparam("district"),
        bindparam("window_start"),
        bindparam("window_end"),
    )
    in_window = and_(
        c.c.district_code == district, c.c.routed_at >= window_start, c.c.routed_at <= window_end
    )
    ids = Complaint.__table__.alias("ids")
    id_window = and_(
        ids.c.district_code == district, ids.c.routed_at >= window_start, ids.c.routed_at <= window_end
    )
    lowest = select(func.min(ids.c.id)).where(id_window).scalar_subquery()
    highest = select(func.max(ids.c.id)).where(id_window).scalar_subquery()
    grouped = (
        select(e.c.complaint_id.label("cid"), func.count().filter(when("routed")).label("routings"), *moments)
        .where(e.c.district_code == district, e.c.complaint_id.between(lowest, highest))
        .group_by(e.c.complaint_id)
        .subquery("a")
    )
    if postgres:
        # A complaint without any event of the district: no acknowledgement, resolution, rejection.
        nothing = literal(_NULL_BYTES * 3, LargeBinary())
        packed_row = func.timestamptz_send(c.c.routed_at).op("||")(func.coalesce(grouped.c.packed, nothing))
        columns: list[Any] = [type_coerce(packed_row, LargeBinary()).label("moments")]
    else:
        columns = [
            type_coerce(c.c.routed_at, UtcDateTime()),
            *(grouped.c[name] for name in ("ack", "resolved", "rejected", "progress")),
        ]
    return (
        select(c.c.id, c.c.tracking_code, c.c.category, grouped.c.routings, *columns)
        .select_from(c)
        .outerjoin(grouped, grouped.c.cid == c.c.id)
        .where(in_window)
        .order_by(c.c.id)
    )


def _one_complaint(
    session: Session, cid: int, code: str, category: str | None, district: str, routed_at: datetime
) -> ComplaintFacts:
    """The facts of one complaint from its events, in Python (complaints routed to a district twice)."""
    e = ComplaintEvent.__table__
    rows = session.execute(
        select(e.c.kind, e.c.at, e.c.text)
        .where(
            e.c.complaint_id == cid,
            e.c.district_code == district,
            e.c.at >= routed_at,
            e.c.kind.in_(KINDS),
        )
        .order_by(e.c.at, e.c.id)
    ).all()
    return facts_from_events(code, district, routed_at.astimezone(UTC), rows, category)


def facts_from_events(
    code: str,
    district: str,
    routed_at: datetime,
    events: Iterable[tuple[str, datetime, str | None]],
    category: str | None = None,
) -> ComplaintFacts:
    """The same facts as the SQL aggregate, from (kind, at, text) events of the unit holding it.

    The reference the aggregate and the kept facts are tested against, and the path for the rare
    complaint the aggregate cannot tell apart (routed to the same district twice).
    """
    k = kpi_facts.moments_from_events(routed_at.astimezone(UTC), events)
    return ComplaintFacts(
        code,
        district,
        routed_at.astimezone(UTC),
        k.acknowledged,
        k.first_progress,
        k.resolved,
        k.result_text,
        k.rejected,
        k.progress,
        category,
    )


class _BlankResults:
    """The (complaint id, moment in micros) of resolutions without a result text, read once when first asked.

    The bot refuses a resolution without a text, so this is normally empty; texts are not in the
    covering index, and one query for the exceptions costs less than reading every event row.
    """

    def __init__(self, session: Session, start: datetime, end: datetime, districts: Sequence[str]) -> None:
        self.session, self.start, self.end, self.districts = session, start, end, list(districts)
        self._pairs: set[tuple[int, int]] | None = None

    def pairs(self) -> set[tuple[int, int]]:
        if self._pairs is None:
            self._pairs = self._read()
        return self._pairs

    def _read(self) -> set[tuple[int, int]]:
        e = ComplaintEvent.__table__
        stmt = select(e.c.complaint_id, type_coerce(e.c.at, UtcDateTime())).where(
            text(BLANK_RESOLUTION),  # as ix_complaint_events_blank_resolutions: read from that index
            e.c.at >= self.start,
            e.c.district_code.in_(self.districts),
        )
        return {(cid, to_micros(at)) for cid, at in self.session.execute(stmt)}


# ---- monthly submissions and audits --------------------------------------------------------------------


def window_months(window_start: datetime, window_end: datetime) -> list[date]:
    """The first days of the Bangkok months that overlap the window [start, end]."""
    start = window_start.astimezone(BANGKOK)
    end = window_end.astimezone(BANGKOK)
    month = date(start.year, start.month, 1)
    months = []
    while datetime.combine(month, time(0), tzinfo=BANGKOK) <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def submissions(
    session: Session,
    window_start: datetime,
    window_end: datetime,
    districts: Sequence[str] | None = None,
) -> list[MonthlySubmission]:
    """One `MonthlySubmission` per district and month the window touches (by district, then month).

    `submitted_at` is None for a month never submitted; whether it was due yet is the scorer's call.
    """
    _check_window(window_start, window_end)
    codes = list(_district_names(session, districts))
    months = window_months(window_start, window_end)
    if not months or not codes:
        return []
    stmt = select(MonthlyReport.district_code, MonthlyReport.month, MonthlyReport.submitted_at).where(
        MonthlyReport.month.in_([month_key(m) for m in months])
    )
    if districts is not None:
        stmt = stmt.where(MonthlyReport.district_code.in_(codes))
    found = {(d, m): at for d, m, at in session.execute(stmt)}
    return [
        MonthlySubmission(district=d, month=m, submitted_at=found.get((d, month_key(m))))
        for d in codes
        for m in months
    ]


def fiscal_year_of(month: date) -> int:
    """The Thai fiscal year (BE) of a month: October 2026 .. September 2027 is 2570 (the KPI scheme's
    [fiscal_year])."""
    return shipped_kpi32().fiscal_year.of(month)


def _audits(
    session: Session, window_start: datetime, window_end: datetime, districts: Sequence[str]
) -> dict[str, list[AuditResult]]:
    """`kpi.audit.audit_results` of the months the window touches, by district (empty without kpi.audit)."""
    try:
        from kpi.audit import audit_results
    except ImportError:
        return {}
    months = window_months(window_start, window_end)
    wanted, in_window = set(districts), set(months)
    found: dict[str, list[AuditResult]] = {}
    for fy in sorted({fiscal_year_of(m) for m in months}):
        for result in audit_results(session, fy):
            if result.district in wanted and result.month in in_window:
                found.setdefault(result.district, []).append(result)
    for results in found.values():
        results.sort(key=lambda r: r.month)
    return found
