"""The districts' public league table (issue 16 point 3) and one district's own figures, made of the KPI
scorer's own parts, so the public sees what the admin's KPI page shows and no second scorer can drift:

- the KPI 3.2 score: `kpi.database_scoring.score_database`, called as the admin's KPI page calls it (one
  process, the default view, the deployment's start date), for the fiscal year of the period, as of now;
- acknowledged within 1 working day, first report within 3, and KPI step 1 (both): the scorer's verdict
  on each complaint (`ComplaintEvaluator.evaluate`), read off its reasons. A deadline still ahead is left
  out of its percentage (the scorer's "pending"), until the fiscal year has closed, when the scorer's
  verdicts are final and so are these (reading: an acknowledgement never given also means a first report
  that was not on time);
- resolved: seed 001's percent handled (`kpi.other_schemes.percent_handled`) of the period's complaints,
  resolved (or rejected) by today or by the end of the fiscal year's window, whichever comes first: the
  admin's percent-handled table;
- the median of working days from routing to resolution (the working calendar), over those resolved so far;
- still open and overdue now, and the average rating: `models.district_figures`.

Which complaints: those whose current routing lies in the period, as the scorer counts (`kpi.source`).
Everything here is read in a web request and cached (`LeagueCache`): at a million complaints a table
takes seconds to build, and the figures are public at most `CACHE_SECONDS` old.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kpi.database_scoring import score_database, window
from kpi.facts import DistrictFacts
from kpi.other_schemes import HandledRow, percent_handled
from kpi.schemes import Kpi32Scheme, PercentHandledScheme, round_decimal
from kpi.scoring import (
    ACK_LATE,
    ACK_MISSING,
    ACK_PENDING,
    FIRST_PROGRESS_LATE,
    FIRST_PROGRESS_MISSING,
    FIRST_PROGRESS_PENDING,
    ComplaintEvaluator,
    UnitScore,
    moments_of,
    only_pending,
)
from kpi.source import district_facts
from models.db import transaction
from models.district_figures import NOTHING, open_and_rated
from models.districts import District
from models.thai_dates import ce_year
from models.working_days import load_calendar

CACHE_SECONDS = 300  # the public figures are at most five minutes old
CACHE_ENTRIES = 128  # periods (and districts) kept; the oldest goes first
STALE_SECONDS = 3600  # figures served while another request rebuilds them, at most this old
FY_RANGE = (2500, 2700)  # as the admin's KPI page accepts
MONTH = re.compile(r"(\d{4})-(\d{1,2})")
YEAR = re.compile(r"\d{4}")

# --- the period -------------------------------------------------------------------------------------------


class BadPeriod(ValueError):
    """A period that cannot be read; `key` names the public text that says why, `value` what was given."""

    def __init__(self, key: str, value: str) -> None:
        super().__init__(key)
        self.key, self.value = key, value[:40]


@dataclass(frozen=True)
class LeaguePeriod:
    """A Thai fiscal year (BE), or one month of it (`month`: its first day)."""

    fiscal_year: int
    month: date | None = None

    @property
    def key(self) -> tuple[int, date | None]:
        return (self.fiscal_year, self.month)

    def query(self) -> dict[str, str]:
        """The query string that asks for this period again (months as CE `YYYY-MM`, as `<input
        type=month>` sends them)."""
        if self.month is not None:
            return {"month": f"{self.month:%Y-%m}"}
        return {"fy": str(self.fiscal_year)}

    def bounds(self, scheme: Kpi32Scheme) -> tuple[date, date]:
        """The first and last Bangkok day: the month's, or the scheme's window of the fiscal year."""
        if self.month is None:
            return scheme.window_bounds(self.fiscal_year)
        following = date(self.month.year + self.month.month // 12, self.month.month % 12 + 1, 1)
        return self.month, following - timedelta(days=1)


def read_period(fy_text: str, month_text: str, today: date, scheme: Kpi32Scheme) -> LeaguePeriod:
    """`fy` (BE, e.g. 2570) or `month` (YYYY-MM, the year BE or CE) from a query string; neither: this
    fiscal year. BadPeriod for anything unreadable, a period not begun yet, or a month outside `fy`."""
    fy_text, month_text = fy_text.strip(), month_text.strip()
    fiscal_year = scheme.fiscal_year.of(today)
    if fy_text:
        if not YEAR.fullmatch(fy_text) or not FY_RANGE[0] <= int(fy_text) <= FY_RANGE[1]:
            raise BadPeriod("league_bad_fy", fy_text)
        fiscal_year = int(fy_text)
    if not month_text:
        if scheme.fiscal_year.bounds(fiscal_year)[0] > today:
            raise BadPeriod("league_bad_future", fy_text)
        return LeaguePeriod(fiscal_year)
    found = MONTH.fullmatch(month_text)
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise BadPeriod("league_bad_month", month_text)
    month = date(ce_year(int(found.group(1))), int(found.group(2)), 1)  # a year from 2400 on is BE
    month_year = scheme.fiscal_year.of(month)
    if not FY_RANGE[0] <= month_year <= FY_RANGE[1]:
        raise BadPeriod("league_bad_month", month_text)
    if fy_text and month_year != fiscal_year:
        raise BadPeriod("league_bad_month_of_fy", month_text)
    if month > today:
        raise BadPeriod("league_bad_future", month_text)
    return LeaguePeriod(month_year, month)


def months_of(scheme: Kpi32Scheme, fiscal_year: int, today: date) -> list[date]:
    """The first days of the fiscal year's months that have begun by `today`."""
    first, last = scheme.fiscal_year.bounds(fiscal_year)
    months, month = [], first.replace(day=1)
    while month <= min(last, today):
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


# --- one district's complaints, by the scorer's verdicts --------------------------------------------------


@dataclass(frozen=True)
class Share:
    """`part` of `whole`, with the percentage as the scorer rounds it (2 decimals, half-up)."""

    part: int
    whole: int

    @property
    def exact(self) -> Fraction | None:
        return Fraction(self.part * 100, self.whole) if self.whole else None

    @property
    def percent(self) -> Decimal | None:
        exact = self.exact
        return None if exact is None else round_decimal(exact, 2)


@dataclass(frozen=True)
class Tally:
    """What the scorer's verdicts say of one district's complaints in one window."""

    ack: Share  # acknowledged by the deadline, of those whose deadline has come (or that were done)
    first_progress: Share  # first report by its deadline, likewise
    intake: Share  # KPI step 1 correct (both), of those decided: the scorer's step 1 `correct / of`
    resolution_days: dict[int, int]  # working days from routing to resolution -> complaints
    categories: dict[str, int]  # category -> complaints received (rejected ones too)

    @property
    def median_days(self) -> Decimal | None:
        """The median working days from routing to resolution (halfway between the middle two)."""
        count = sum(self.resolution_days.values())
        if not count:
            return None
        middle = sorted(_expanded(self.resolution_days, (count - 1) // 2, count // 2))
        return (Decimal(middle[0]) + Decimal(middle[1])) / 2


def _expanded(counts: dict[int, int], *positions: int) -> Iterator[int]:
    """The values at `positions` (0-based) of the sorted values `counts` stands for."""
    wanted = sorted(positions)
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            wanted.pop(0)
            yield value


ACK_NOT_ON_TIME = frozenset({ACK_LATE, ACK_MISSING})
# A first report cannot be on time without the acknowledgement that starts its clock (reading).
FIRST_PROGRESS_NOT_ON_TIME = frozenset({FIRST_PROGRESS_LATE, FIRST_PROGRESS_MISSING, ACK_MISSING})


def tally(facts: DistrictFacts, ev: ComplaintEvaluator, final: bool) -> Tally:
    """One pass over `facts.complaints` (routed to the district by `ev.as_of`). `final`: the window has
    closed, so a verdict still pending counts as not correct, as the scorer then counts it."""
    ack, first, intake = [0, 0], [0, 0], [0, 0]  # [on time, decided]
    days: Counter[int] = Counter()
    categories: Counter[str] = Counter()
    for m in moments_of(facts.complaints):
        if m.district != facts.district or m.routed > ev.as_of_micros:
            continue
        categories[m.category or ""] += 1
        if not ev.counted(m):
            continue  # rejected: not in the scorer's N either
        r1, _, _, resolved_day = ev.evaluate(m)
        rules = frozenset(r.rule for r in r1) if r1 else frozenset()
        _judge(ack, rules & ACK_NOT_ON_TIME, ACK_PENDING in rules, final)
        _judge(
            first,
            rules & FIRST_PROGRESS_NOT_ON_TIME,
            bool(rules & {FIRST_PROGRESS_PENDING, ACK_PENDING}),
            final,
        )
        _judge(intake, r1 is not None and not only_pending(r1), r1 is not None, final)
        if resolved_day is not None:
            routed_day = date.fromordinal(ev.local_ordinal(m.routed))
            days[ev.late_days(routed_day, date.fromordinal(resolved_day))] += 1
    return Tally(Share(*ack), Share(*first), Share(*intake), dict(days), dict(categories.most_common()))


def _judge(counts: list[int], failed: object, pending: bool, final: bool) -> None:
    if failed or (pending and final):
        counts[1] += 1
    elif not pending:
        counts[0] += 1
        counts[1] += 1


# --- the table --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeagueRow:
    district: str
    name_th: str
    name_en: str
    resolved: HandledRow  # seed 001: received in the period, resolved by `League.resolved_until`
    tally: Tally
    open_now: int
    overdue_now: int
    rating_average: Decimal | None
    ratings: int
    score: UnitScore  # KPI 3.2 of the fiscal year, as of `League.as_of`

    @property
    def code(self) -> str:
        """The district's code (as `District.code`, so rows sort with `models.districts.sorted_districts`)."""
        return self.district

    @property
    def received(self) -> int:
        return self.resolved.received


@dataclass(frozen=True)
class League:
    period: LeaguePeriod
    as_of: datetime  # when the figures were read (aware)
    resolved_until: date  # the cut-off day of "resolved"
    maximum: Decimal  # the KPI 3.2 maximum
    view: str  # the scorer's view: "pending" before the fiscal year's window closed, then "final"
    rows: tuple[LeagueRow, ...]  # by district code


@dataclass(frozen=True)
class Schemes:
    """The settings the figures are made with (the admin's KPI page uses the same files)."""

    kpi32: Kpi32Scheme
    handled: PercentHandledScheme
    kpi_start_on: date | None = None  # the deployment's KPI_START_DATE; a district's own date wins


def league_table(
    sessions: sessionmaker[Session],
    period: LeaguePeriod,
    now: datetime,
    schemes: Schemes,
    districts: Sequence[str] | None = None,
) -> League:
    """Every district's row (or the given ones'), by district code."""
    scheme = schemes.kpi32
    units = score_database(
        sessions,
        scheme,
        period.fiscal_year,
        now,
        districts,
        max_failures=0,  # counts only: no explanation is shown publicly
        workers=1,  # never processes from a web request
        kpi_start_on=schemes.kpi_start_on,
    )
    scores = {u.district: u for u in units}
    start, end = _window(scheme, period, now)
    until = _resolved_until(schemes, period.fiscal_year, now)
    with transaction(sessions) as session:
        names = _names(session)
        ev = ComplaintEvaluator(scheme, load_calendar(session), now)
        final = _closed(scheme, period.fiscal_year, ev)
        others = open_and_rated(session, start, end, now, districts)
        rows = []
        for facts in district_facts(session, start, end, districts):
            code = facts.district
            extra = others.get(code, NOTHING)
            rows.append(
                LeagueRow(
                    district=code,
                    name_th=names[code][0],
                    name_en=names[code][1],
                    resolved=_handled(facts, schemes.handled, period.fiscal_year, until),
                    tally=tally(facts, ev, final),
                    open_now=extra.open_now,
                    overdue_now=extra.overdue_now,
                    rating_average=extra.rating_average,
                    ratings=extra.ratings,
                    score=scores[code],
                )
            )
    view = units[0].view if units else ("final" if final else "pending")
    return League(period, now, until, scheme.points.maximum, view, tuple(rows))


@dataclass(frozen=True)
class MonthTrend:
    month: date  # its first day
    received: int
    resolved: int  # of those received, resolved by `League.resolved_until`
    on_time: Share  # acknowledged and first report on time (KPI step 1), of those decided


@dataclass(frozen=True)
class DistrictReport:
    league: League  # of this district alone
    months: tuple[MonthTrend, ...]  # the fiscal year's months begun so far

    @property
    def row(self) -> LeagueRow:
        return self.league.rows[0]


def district_report(
    sessions: sessionmaker[Session], period: LeaguePeriod, now: datetime, schemes: Schemes, code: str
) -> DistrictReport:
    """One district's row for the period, and each month of the period's fiscal year. ValueError for a
    district code that is not in the table."""
    league = league_table(sessions, period, now, schemes, [code])
    scheme = schemes.kpi32
    today = now.astimezone(scheme.deadlines.zone).date()
    months = []
    with transaction(sessions) as session:
        ev = ComplaintEvaluator(scheme, load_calendar(session), now)
        final = _closed(scheme, period.fiscal_year, ev)
        for month in months_of(scheme, period.fiscal_year, today):
            start, end = _window(scheme, LeaguePeriod(period.fiscal_year, month), now)
            (facts,) = district_facts(session, start, end, [code])
            handled = _handled(facts, schemes.handled, period.fiscal_year, league.resolved_until)
            on_time = tally(facts, ev, final).intake
            months.append(MonthTrend(month, handled.received, handled.resolved, on_time))
    return DistrictReport(league, tuple(months))


def _window(scheme: Kpi32Scheme, period: LeaguePeriod, now: datetime) -> tuple[datetime, datetime]:
    """The period's moments passed by `now`, as the scorer bounds its window (start <= end)."""
    if period.month is None:
        return window(scheme, period.fiscal_year, now)
    first, last = period.bounds(scheme)
    zone = scheme.deadlines.zone
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last, scheme.deadlines.end_of_day, tzinfo=zone).astimezone(UTC)
    return start, max(start, min(end, now.astimezone(UTC)))


def _resolved_until(schemes: Schemes, fiscal_year: int, now: datetime) -> date:
    """Today, or the last day of the fiscal year's percent-handled window once it has passed."""
    last = schemes.handled.window_bounds(fiscal_year)[1]
    return min(last, now.astimezone(schemes.kpi32.deadlines.zone).date())


def _closed(scheme: Kpi32Scheme, fiscal_year: int, ev: ComplaintEvaluator) -> bool:
    """The scorer's "final" view: scored at or after the end of the window's last day."""
    return ev.as_of >= ev.eod(scheme.window_bounds(fiscal_year)[1])


def _handled(facts: DistrictFacts, scheme: PercentHandledScheme, fiscal_year: int, until: date) -> HandledRow:
    (row,) = percent_handled(facts, scheme, fiscal_year, cutoffs=[until])
    return row


def _names(session: Session) -> dict[str, tuple[str, str]]:
    rows = session.execute(select(District.code, District.name_th, District.name_en))
    return {code: (th, en) for code, th, en in rows}


# --- the cache --------------------------------------------------------------------------------------------

T = TypeVar("T")


class LeagueCache:
    """Figures kept per key (a period, a district) for `seconds`, aged by the app's clock (`now`), so a
    test that moves the clock moves their age too. At most `entries` keys: the oldest goes first.

    A build takes seconds on a large database, so one key is built by one request at a time: requests
    that find nothing kept wait for that build instead of starting their own (eight visitors of a cold
    worker would otherwise build eight times over, each slower for the others), and requests that find
    the figures stale while another request rebuilds them get the stale figures at once (at most
    `stale_seconds` old). A build that fails leaves the key to the next request.
    """

    def __init__(
        self,
        seconds: float = CACHE_SECONDS,
        entries: int = CACHE_ENTRIES,
        stale_seconds: float = STALE_SECONDS,
    ) -> None:
        self._lock = threading.Lock()
        self._kept: dict[Hashable, tuple[datetime, object]] = {}
        self._building: dict[Hashable, threading.Event] = {}
        self.seconds, self.entries, self.stale_seconds = seconds, entries, stale_seconds

    def get(self, key: Hashable, now: datetime, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                kept = self._kept.get(key)
                age = now - kept[0] if kept is not None else None
                if age is not None and timedelta(0) <= age < timedelta(seconds=self.seconds):
                    return kept[1]  # type: ignore[index, return-value]
                building = self._building.get(key)
                if building is None:
                    building = self._building[key] = threading.Event()
                    break  # this request builds
                if age is not None and timedelta(0) <= age < timedelta(seconds=self.stale_seconds):
                    return kept[1]  # type: ignore[index, return-value]  # another request is rebuilding
            building.wait()  # then look again: its figures, or the key free to build if it failed
        try:
            value = compute()
            with self._lock:
                self._kept.pop(key, None)
                self._kept[key] = (now, value)
                while len(self._kept) > self.entries:
                    del self._kept[next(iter(self._kept))]  # the dict keeps insertion order: the oldest
            return value
        finally:
            with self._lock:
                del self._building[key]
            building.set()
