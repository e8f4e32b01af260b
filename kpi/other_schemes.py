"""The other schemes the scorer computes (RULES.md §7, seeds 001–004), pure, settings from TOML.

- percent handled (seed 001): resolved × 100 / received, cumulative from the window start, at each
  cut-off date, with the count still pending; `percent_handled` reads complaints once.
- five-level scale (seed 004): a percentage → 0 or 1..5 by linear interpolation between thresholds.
- unit standard (seed 002): weighted KPI scores → "best practice", "standard" or "below standard".
- quarterly targets (seed 003): cumulative targets per quarter against what was achieved.

Percentages are computed exactly and rounded once, half-up by default (`Decimal`), as the published
figures are: 914 / 915 → 99.89, 1 pending → 0.11. The pending percentage is rounded on its own (not
taken as 100 minus the handled one).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from kpi.facts import ComplaintFacts, DistrictFacts
from kpi.schemes import (
    FiveLevelScheme,
    PercentHandledScheme,
    QuarterlyTargetsScheme,
    UnitStandardScheme,
    on_or_after,
    round_decimal,
    to_decimal,
)
from kpi.wording import day_text, kpi_text, said_in

Number = Decimal | int | float | str | Fraction


def _exact(value: Number, what: str = "value") -> Fraction:
    if isinstance(value, Fraction):
        return value
    return Fraction(to_decimal(value, what))


def percent_text(value: Decimal) -> str:
    """`99.89 %`: the number as rounded, a space, the percent sign."""
    return f"{value} %"


# --- percent handled (seed 001) ---


@dataclass(frozen=True)
class HandledRow:
    """One cut-off of the cumulative table: received and resolved from `start` to the end of `until`,
    with the scheme's rounding and target (`handled_row`)."""

    start: date
    until: date
    received: int
    resolved: int
    decimals: int
    rounding: str
    target_percent: Decimal

    @property
    def pending(self) -> int:
        return self.received - self.resolved

    @property
    def percent_exact(self) -> Fraction | None:
        return Fraction(self.resolved * 100, self.received) if self.received else None

    @property
    def percent(self) -> Decimal | None:
        exact = self.percent_exact
        return None if exact is None else round_decimal(exact, self.decimals, self.rounding)

    @property
    def pending_percent(self) -> Decimal | None:
        if not self.received:
            return None
        return round_decimal(Fraction(self.pending * 100, self.received), self.decimals, self.rounding)

    @property
    def met_target(self) -> bool | None:
        exact = self.percent_exact
        return None if exact is None else exact >= Fraction(self.target_percent)

    @property
    def percent_text(self) -> str:
        return "-" if self.percent is None else percent_text(self.percent)

    @property
    def pending_text(self) -> str:
        """`34 (2.55 %)`."""
        if self.pending_percent is None:
            return f"{self.pending:,}"
        return f"{self.pending:,} ({percent_text(self.pending_percent)})"

    def line(self, lang: str) -> str:
        """The row as a sentence (`handled_line`; `handled_line_empty` when nothing was received)."""
        return kpi_text(
            "handled_line" if self.received else "handled_line_empty",
            lang,
            start=day_text(self.start, lang),
            until=day_text(self.until, lang),
            received=f"{self.received:,}",
            resolved=f"{self.resolved:,}",
            pending=f"{self.pending:,}",
            percent=self.percent,
            pending_percent=self.pending_percent,
        )

    line_en = said_in("en", "line")
    line_th = said_in("th", "line")

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "until": self.until.isoformat(),
            "received": self.received,
            "resolved": self.resolved,
            "pending": self.pending,
            "percent": None if self.percent is None else float(self.percent),
            "pending_percent": None if self.pending_percent is None else float(self.pending_percent),
            "target_percent": float(self.target_percent),
            "met_target": self.met_target,
        }


def handled_row(
    received: int, resolved: int, scheme: PercentHandledScheme, start: date, until: date
) -> HandledRow:
    """A row from counts already made (e.g. by SQL)."""
    if not 0 <= resolved <= received:
        raise ValueError(f"0 <= resolved <= received is required, got {resolved} / {received}")
    return HandledRow(
        start, until, received, resolved, scheme.decimals, scheme.rounding, scheme.target_percent
    )


def handled_cutoffs(
    scheme: PercentHandledScheme, fiscal_year: int, as_of: date | None = None
) -> tuple[date, list[date]]:
    """(window start, cut-off days): the scheme's month-days inside the window, clipped to its end,
    then cut at `as_of` (kept as the last row when it falls between cut-offs)."""
    first, last = scheme.window_bounds(fiscal_year)
    days = {min(on_or_after(md, first), last) for md in scheme.cutoffs}
    if as_of is not None:
        days = {d for d in days if d <= as_of}
        if first <= as_of <= last:
            days.add(as_of)
    return first, sorted(days)


def percent_handled(
    complaints: DistrictFacts | Iterable[ComplaintFacts],
    scheme: PercentHandledScheme,
    fiscal_year: int,
    cutoffs: Sequence[date] | None = None,
    as_of: date | None = None,
) -> list[HandledRow]:
    """The cumulative table at each cut-off day (default: the scheme's quarter ends), one pass.

    Received by day t: routed (Bangkok date) from the window start to t. Resolved by t: of those, resolved
    (or rejected, when the scheme counts that as handled) on or before t.
    """
    district = None
    if isinstance(complaints, DistrictFacts):
        district = complaints.district
        complaints = complaints.complaints
    first, default_days = handled_cutoffs(scheme, fiscal_year, as_of)
    days = sorted(set(cutoffs)) if cutoffs is not None else default_days
    if not days:
        return []
    zone = ZoneInfo(scheme.timezone)
    last = days[-1]
    k = len(days)
    received = [0] * (k + 1)
    resolved = [0] * (k + 1)
    with_rejected = scheme.rejected_counts_as_handled
    for c in complaints:
        if district is not None and c.district != district:
            continue
        routed_day = c.routed_at.astimezone(zone).date()
        if routed_day < first or routed_day > last:
            continue
        i = bisect_left(days, routed_day)
        received[i] += 1
        closed: datetime | None = c.resolved_at
        if closed is None and with_rejected:
            closed = c.rejected_at
        if closed is not None:
            closed_day = max(closed.astimezone(zone).date(), routed_day)
            if closed_day <= last:
                resolved[bisect_left(days, closed_day)] += 1
    rows = []
    got = done = 0
    for i, day in enumerate(days):
        got += received[i]
        done += resolved[i]
        rows.append(handled_row(got, done, scheme, first, day))
    return rows


def handled_table(rows: Sequence[HandledRow], lang: str = "en") -> str:
    return "\n".join(r.line("th" if lang == "th" else "en") for r in rows)


# --- five-level scale (seed 004) ---


def five_level_exact(percent: Number, scheme: FiveLevelScheme) -> Fraction:
    """0 (reading: `below_first`) below the level-1 threshold, levels 1..k by linear interpolation
    between thresholds, k at or beyond the last. Decreasing thresholds mean lower is better."""
    p = _exact(percent, "percent")
    t = [Fraction(x) for x in scheme.thresholds]
    sign = 1 if t[1] > t[0] else -1
    p, t = p * sign, [x * sign for x in t]
    if p < t[0]:
        return Fraction(scheme.below_first)
    if p >= t[-1]:
        return Fraction(len(t))
    for level in range(1, len(t)):
        low, high = t[level - 1], t[level]
        if p < high:
            return level + (p - low) / (high - low)
    raise AssertionError("unreachable")


def five_level_score(percent: Number, scheme: FiveLevelScheme) -> Decimal:
    return round_decimal(five_level_exact(percent, scheme), scheme.decimals, scheme.rounding)


# --- unit standard (seed 002) ---

BEST_PRACTICE = "best_practice"
STANDARD = "standard"
BELOW_STANDARD = "below_standard"
LEVEL_NAMES_TH = {
    level: kpi_text(f"level_{level}", "th") for level in (BEST_PRACTICE, STANDARD, BELOW_STANDARD)
}


@dataclass(frozen=True)
class KpiScore:
    name: str
    dimension: str  # a key of the scheme's [weights]
    score: Number  # 0..5
    weight: Number | None = None  # None: the dimension's weight shared equally by its KPIs (reading)


@dataclass(frozen=True)
class UnitStandardResult:
    level: str  # best_practice | standard | below_standard
    weighted_average_exact: Fraction
    weighted_average: Decimal
    lowest: Decimal
    below_standard: tuple[str, ...]  # KPIs under the standard minimum
    below_best: tuple[str, ...]  # KPIs under the best-practice minimum
    weights: tuple[tuple[str, Fraction], ...]  # per KPI, as used

    @property
    def level_th(self) -> str:
        return LEVEL_NAMES_TH[self.level]

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "level_th": self.level_th,
            "weighted_average": float(self.weighted_average),
            "lowest": float(self.lowest),
            "below_standard": list(self.below_standard),
            "below_best": list(self.below_best),
        }


def classify_unit(kpis: Iterable[KpiScore], scheme: UnitStandardScheme) -> UnitStandardResult:
    """ "standard": every KPI ≥ standard_min; "best practice": every KPI ≥ best_min and the weighted
    average ≥ best_average. Dimensions without KPIs drop out of the average (the weights renormalise)."""
    items = list(kpis)
    if not items:
        raise ValueError("at least one KPI score is required")
    per_dimension: dict[str, int] = {}
    for k in items:
        scheme.weight(k.dimension)  # refuses an unknown dimension
        if k.weight is None:
            per_dimension[k.dimension] = per_dimension.get(k.dimension, 0) + 1
    weights: list[tuple[str, Fraction]] = []
    scores: list[Fraction] = []
    for k in items:
        w = (
            Fraction(scheme.weight(k.dimension)) / per_dimension[k.dimension]
            if k.weight is None
            else _exact(k.weight, f"{k.name}.weight")
        )
        weights.append((k.name, w))
        scores.append(_exact(k.score, f"{k.name}.score"))
    total_weight = sum((w for _, w in weights), Fraction(0))
    if total_weight <= 0:
        raise ValueError("the KPI weights add up to zero")
    average = sum((w * s for (_, w), s in zip(weights, scores, strict=True)), Fraction(0)) / total_weight
    standard_min, best_min = Fraction(scheme.standard_min), Fraction(scheme.best_min)
    below_standard = tuple(k.name for k, s in zip(items, scores, strict=True) if s < standard_min)
    below_best = tuple(k.name for k, s in zip(items, scores, strict=True) if s < best_min)
    if not below_best and average >= Fraction(scheme.best_average):
        level = BEST_PRACTICE
    elif not below_standard:
        level = STANDARD
    else:
        level = BELOW_STANDARD
    return UnitStandardResult(
        level=level,
        weighted_average_exact=average,
        weighted_average=round_decimal(average, scheme.decimals, scheme.rounding),
        lowest=round_decimal(min(scores), scheme.decimals, scheme.rounding),
        below_standard=below_standard,
        below_best=below_best,
        weights=tuple(weights),
    )


def report_rounds(scheme: UnitStandardScheme, fiscal_year: int) -> list[tuple[int, date, date]]:
    """(months, last day of the round, report due day) for the 6-, 9- and 12-month rounds."""
    first, _ = scheme.fiscal_year.bounds(fiscal_year)
    rounds = []
    for months in scheme.report_rounds:
        y, m = divmod(first.month - 1 + months, 12)
        next_start = date(first.year + y, m + 1, 1)
        end = date.fromordinal(next_start.toordinal() - 1)
        rounds.append((months, end, next_start.replace(day=scheme.report_due_day)))
    return rounds


# --- quarterly targets (seed 003) ---


@dataclass(frozen=True)
class QuarterResult:
    quarter: int
    target: Decimal  # cumulative
    achieved: Decimal | None  # cumulative; None: not reported yet
    met: bool | None
    percent_of_target: Decimal | None  # achieved × 100 / target, rounded
    gap: Decimal | None  # achieved − target

    def as_dict(self) -> dict[str, Any]:
        def f(v: Decimal | None) -> float | None:
            return None if v is None else float(v)

        return {
            "quarter": self.quarter,
            "target": float(self.target),
            "achieved": f(self.achieved),
            "met": self.met,
            "percent_of_target": f(self.percent_of_target),
            "gap": f(self.gap),
        }


def quarterly_targets(
    achieved: Sequence[Number | None], scheme: QuarterlyTargetsScheme
) -> list[QuarterResult]:
    """Compare cumulative achievement per quarter (None: not reported yet) with the scheme's targets."""
    if len(achieved) > len(scheme.targets):
        raise ValueError(f"at most {len(scheme.targets)} quarters, got {len(achieved)}")
    results = []
    for i, target in enumerate(scheme.targets):
        value = achieved[i] if i < len(achieved) else None
        if value is None:
            results.append(QuarterResult(i + 1, target, None, None, None, None))
            continue
        got = _exact(value, f"quarter {i + 1}")
        t = Fraction(target)
        results.append(
            QuarterResult(
                quarter=i + 1,
                target=target,
                achieved=round_decimal(got, scheme.decimals, scheme.rounding),
                met=got >= t,
                percent_of_target=round_decimal(got * 100 / t, scheme.decimals, scheme.rounding)
                if t
                else None,
                gap=round_decimal(got - t, scheme.decimals, scheme.rounding),
            )
        )
    return results
