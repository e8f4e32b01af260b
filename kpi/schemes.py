"""Scheme settings: one TOML file per scheme in `kpi/schemes/`, read into frozen dataclasses.

Every number and every **(reading)** of RULES.md §6–7 lives in the TOML, so a new fiscal year's weights
or thresholds are a settings change, not a code change. Numbers are read as `Decimal` (TOML floats are
parsed from their text, so `0.05` stays exactly 0.05). Unknown keys are refused: a typo in a settings
file must not silently fall back to a default.

`load_scheme("kpi32")` reads `kpi/schemes/kpi32.toml`; `load_scheme("/some/where/x.toml")` reads that
file. The file's `kind` says which dataclass it becomes.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from models.deadlines import DeadlineSettings
from models.thai_dates import BE_OFFSET

SCHEMES_DIR = Path(__file__).resolve().with_name("schemes")

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


class SchemeError(ValueError):
    """A scheme file that cannot be read as settings (unknown key, bad value, unknown kind)."""


MonthDay = tuple[int, int]


def parse_month_day(text: str) -> MonthDay:
    """`"08-31"` → (8, 31)."""
    try:
        month_text, day_text = str(text).split("-")
        month, day = int(month_text), int(day_text)
        date(2000, month, day)  # a leap year, so 02-29 passes
    except ValueError as exc:
        raise SchemeError(f"a month-day like '09-30' is required, got {text!r}") from exc
    return month, day


def on_or_after(month_day: MonthDay, start: date) -> date:
    """The first date with this month and day on or after `start` (29 Feb falls back to 28 Feb)."""
    month, day = month_day
    for year in (start.year, start.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = date(year, month, 28)
        if candidate >= start:
            return candidate
    raise AssertionError("unreachable: a month-day recurs within a year")


def to_decimal(value: Any, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        raise SchemeError(f"{key}: a number is required, got {value!r}")
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise SchemeError(f"{key}: a number is required, got {value!r}") from exc


def round_decimal(value: Fraction | Decimal | int, places: int, mode: str = "half_up") -> Decimal:
    """Round an exact value to `places` decimals (half-up by default, as Thai offices round)."""
    quantum = Decimal(1).scaleb(-places)
    if isinstance(value, Fraction):
        # Exact: scale, then round the rational number itself (no binary float on the way).
        scaled = value * 10**places
        floor = scaled.numerator // scaled.denominator
        rest = scaled - floor
        if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and (mode == "half_up" or floor % 2 == 1)):
            floor += 1
        return (Decimal(floor) * quantum).quantize(quantum)
    return Decimal(value).quantize(quantum, rounding=ROUNDING_MODES[mode])


class _Table:
    """One TOML table, read key by key; whatever is left over at the end is an unknown key."""

    def __init__(self, data: Mapping[str, Any] | None, where: str) -> None:
        if data is not None and not isinstance(data, Mapping):
            raise SchemeError(f"[{where}] must be a table")
        self.data = dict(data or {})
        self.where = where

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def raw(self, key: str, default: Any) -> Any:
        return self.data.pop(key, default)

    def table(self, key: str) -> _Table:
        return _Table(self.data.pop(key, None), self._key(key))

    def text(self, key: str, default: str) -> str:
        value = self.data.pop(key, default)
        if not isinstance(value, str):
            raise SchemeError(f"{self._key(key)}: a string is required, got {value!r}")
        return value

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise SchemeError(f"{self._key(key)}: one of {', '.join(allowed)} is required, got {value!r}")
        return value

    def integer(self, key: str, default: int) -> int:
        value = self.data.pop(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemeError(f"{self._key(key)}: an integer is required, got {value!r}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.pop(key, default)
        if not isinstance(value, bool):
            raise SchemeError(f"{self._key(key)}: true or false is required, got {value!r}")
        return value

    def number(self, key: str, default: Decimal | int | str) -> Decimal:
        return to_decimal(self.data.pop(key, default), self._key(key))

    def numbers(self, key: str, default: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        value = self.data.pop(key, default)
        if not isinstance(value, list | tuple):
            raise SchemeError(f"{self._key(key)}: a list of numbers is required, got {value!r}")
        return tuple(to_decimal(v, self._key(key)) for v in value)

    def month_day(self, key: str, default: str | None) -> MonthDay | None:
        value = self.data.pop(key, default)
        return None if value is None else parse_month_day(value)

    def month_days(self, key: str, default: tuple[str, ...]) -> tuple[MonthDay, ...]:
        value = self.data.pop(key, default)
        if not isinstance(value, list | tuple):
            raise SchemeError(f"{self._key(key)}: a list of month-days is required, got {value!r}")
        return tuple(parse_month_day(v) for v in value)

    def done(self) -> None:
        if self.data:
            unknown = ", ".join(self._key(k) for k in sorted(self.data))
            raise SchemeError(f"unknown setting(s): {unknown}")


# --- the fiscal year and the measured window (shared by every scheme) ---


@dataclass(frozen=True)
class FiscalYearSettings:
    """Thai fiscal year N (BE) runs from 1 October of CE N-544 to 30 September of CE N-543."""

    start: MonthDay = (10, 1)
    buddhist_era_offset: int = BE_OFFSET

    def bounds(self, fiscal_year: int) -> tuple[date, date]:
        """First and last day of fiscal year `fiscal_year` (BE), named for the year it ends in."""
        ce = fiscal_year - self.buddhist_era_offset
        first = date(ce - 1, *self.start) if self.start != (1, 1) else date(ce, 1, 1)
        following = date(first.year + 1, *self.start)
        return first, following - timedelta(days=1)

    def of(self, day: date) -> int:
        """The fiscal year (BE) `day` falls in: 1 October 2026 .. 30 September 2027 is 2570."""
        later = self.start != (1, 1) and (day.month, day.day) >= self.start
        return day.year + self.buddhist_era_offset + (1 if later else 0)

    @classmethod
    def read(cls, t: _Table) -> FiscalYearSettings:
        value = cls(
            start=t.month_day("start", "10-01") or (10, 1),
            buddhist_era_offset=t.integer("buddhist_era_offset", BE_OFFSET),
        )
        t.done()
        return value


@dataclass(frozen=True)
class WindowSettings:
    """The measured window inside a fiscal year, as month-days (None: the fiscal year's own bound).

    `start` is the first such date on or after the fiscal year's start; `end` the first on or after
    the window's start (seed 001 measured 1 Oct – 31 Aug: `end = "08-31"`).
    """

    start: MonthDay | None = None
    end: MonthDay | None = None

    def bounds(self, fiscal_year: int, fy: FiscalYearSettings) -> tuple[date, date]:
        fy_first, fy_last = fy.bounds(fiscal_year)
        first = fy_first if self.start is None else on_or_after(self.start, fy_first)
        last = fy_last if self.end is None else on_or_after(self.end, first)
        return first, last

    @classmethod
    def read(cls, t: _Table) -> WindowSettings:
        value = cls(start=t.month_day("start", None), end=t.month_day("end", None))
        t.done()
        return value


@dataclass(frozen=True)
class SchemeBase:
    name: str
    kind: str
    title_th: str = ""
    title_en: str = ""
    source: str = ""
    fiscal_year: FiscalYearSettings = FiscalYearSettings()
    window: WindowSettings = WindowSettings()

    def window_bounds(self, fiscal_year: int) -> tuple[date, date]:
        """First and last Bangkok date of the measured window of fiscal year `fiscal_year` (BE)."""
        return self.window.bounds(fiscal_year, self.fiscal_year)


def _base(t: _Table, name: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "title_th": t.text("title_th", ""),
        "title_en": t.text("title_en", ""),
        "source": t.text("source", ""),
        "fiscal_year": FiscalYearSettings.read(t.table("fiscal_year")),
        "window": WindowSettings.read(t.table("window")),
    }


# --- KPI 3.2 (seed 000, RULES §6) ---


@dataclass(frozen=True)
class PointsSettings:
    full: tuple[Decimal, Decimal, Decimal] = (Decimal(1), Decimal(2), Decimal(2))  # (reading)
    full_points_at_percent: Decimal = Decimal(95)
    empty: str = "full"  # N = 0: "full" or "zero" (reading)
    percent_decimals: int = 2
    points_decimals: int = 4
    rounding: str = "half_up"

    @property
    def maximum(self) -> Decimal:
        return sum(self.full, Decimal(0))

    @classmethod
    def read(cls, t: _Table) -> PointsSettings:
        full = t.numbers("full", (Decimal(1), Decimal(2), Decimal(2)))
        if len(full) != 3 or any(f < 0 for f in full):
            raise SchemeError("points.full: three non-negative numbers (steps 1, 2, 3) are required")
        value = cls(
            full=(full[0], full[1], full[2]),
            full_points_at_percent=t.number("full_points_at_percent", 95),
            empty=t.choice("empty", "full", ("full", "zero")),
            percent_decimals=t.integer("percent_decimals", 2),
            points_decimals=t.integer("points_decimals", 4),
            rounding=t.choice("rounding", "half_up", tuple(ROUNDING_MODES)),
        )
        if not 0 < value.full_points_at_percent <= 100:
            raise SchemeError("points.full_points_at_percent: a percentage in (0, 100] is required")
        t.done()
        return value


@dataclass(frozen=True)
class IntakeSettings:
    """Step 1 readings besides the deadlines themselves."""

    # A step not done and not yet due at as_of: "not_correct" (pending before the window closes, unless
    # scored literally: kpi.scoring) | "correct".
    not_yet_due: str = "not_correct"
    # The first-progress clock of a complaint never acknowledged: from its ack deadline ("ack_due"), or
    # none at all ("none": then no 15th/30th checkpoint is due for it either).
    first_progress_without_ack: str = "ack_due"
    # A resolution (with its result report) made before any progress update is the first progress report.
    resolution_counts_as_first_progress: bool = True

    @classmethod
    def read(cls, t: _Table) -> IntakeSettings:
        value = cls(
            not_yet_due=t.choice("not_yet_due", "not_correct", ("not_correct", "correct")),
            first_progress_without_ack=t.choice("first_progress_without_ack", "ack_due", ("ack_due", "none")),
            resolution_counts_as_first_progress=t.boolean("resolution_counts_as_first_progress", True),
        )
        return value


@dataclass(frozen=True)
class CheckpointSettings:
    """The 15th/30th readings of RULES §3."""

    # "since_previous_checkpoint": an update after the end of the previous checkpoint day and no later
    # than the end of D; "on_the_day": an update on the day D itself.
    met: str = "since_previous_checkpoint"
    # "after_first_progress_due": D later than the first-progress due date; "on_first_progress_due": D on
    # or after it.
    due_from: str = "after_first_progress_due"
    # "end_of_day": due when not resolved at the end of D; "start_of_day": when not resolved before D.
    open_at: str = "end_of_day"

    @classmethod
    def read(cls, t: _Table) -> CheckpointSettings:
        value = cls(
            met=t.choice("met", "since_previous_checkpoint", ("since_previous_checkpoint", "on_the_day")),
            due_from=t.choice(
                "due_from", "after_first_progress_due", ("after_first_progress_due", "on_first_progress_due")
            ),
            open_at=t.choice("open_at", "end_of_day", ("end_of_day", "start_of_day")),
        )
        t.done()
        return value


@dataclass(frozen=True)
class AuditSettings:
    sample_percent: Decimal = Decimal(10)
    sample_rounding: str = "up"  # "up" | "half_up" | "down"
    pass_percent: Decimal = Decimal(80)
    deduction: Decimal = Decimal("0.05")
    step: int = 2

    def sample_size(self, resolved: int) -> int:
        """How many of a month's `resolved` complaints are drawn (10 % rounded up by default)."""
        exact = Fraction(resolved) * Fraction(self.sample_percent) / 100
        if self.sample_rounding == "up":
            return math.ceil(exact)
        if self.sample_rounding == "down":
            return math.floor(exact)
        return int(round_decimal(exact, 0, "half_up"))

    def passed(self, drawn: int, consistent: int) -> bool:
        """A month with nothing drawn passes (there was nothing to check)."""
        return drawn <= 0 or Fraction(consistent * 100, drawn) >= Fraction(self.pass_percent)

    @property
    def consistent_percent(self) -> Decimal:
        """`pass_percent`, by the name the audit page and `rongtook audit show` read."""
        return self.pass_percent

    @classmethod
    def read(cls, t: _Table) -> AuditSettings:
        value = cls(
            sample_percent=t.number("sample_percent", 10),
            sample_rounding=t.choice("sample_rounding", "up", ("up", "half_up", "down")),
            pass_percent=t.number("pass_percent", 80),
            deduction=t.number("deduction", "0.05"),
            step=t.integer("step", 2),
        )
        t.done()
        return value


@dataclass(frozen=True)
class ReportingSettings:
    due_day: int = 10  # the monthly summary for month M is due by the end of this day of month M+1
    deduction: Decimal = Decimal("0.1")
    floor: Decimal = Decimal(0)
    step: int = 3

    @classmethod
    def read(cls, t: _Table) -> ReportingSettings:
        value = cls(
            due_day=t.integer("due_day", 10),
            deduction=t.number("deduction", "0.1"),
            floor=t.number("floor", 0),
            step=t.integer("step", 3),
        )
        if not 1 <= value.due_day <= 28:
            raise SchemeError("reporting.due_day: a day 1..28 is required")
        t.done()
        return value


@dataclass(frozen=True)
class Kpi32Scheme(SchemeBase):
    points: PointsSettings = PointsSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    intake: IntakeSettings = IntakeSettings()
    checkpoints: CheckpointSettings = CheckpointSettings()
    audit: AuditSettings = AuditSettings()
    reporting: ReportingSettings = ReportingSettings()
    # A rejected complaint (not the city's, or a duplicate): "exclude" it from N (reading), or count it
    # "as_resolved" (the rejection reason is the answer to the citizen).
    rejected: str = "exclude"


def _read_deadlines(t: _Table) -> tuple[DeadlineSettings, IntakeSettings]:
    eod_text = t.text("end_of_day", "23:59:59.999999")
    try:
        eod = time.fromisoformat(eod_text)
    except ValueError as exc:
        raise SchemeError(f"deadlines.end_of_day: a time like 23:59:59, not {eod_text!r}") from exc
    settings = DeadlineSettings(
        ack_working_days=t.integer("ack_working_days", 1),
        first_progress_working_days=t.integer("first_progress_working_days", 3),
        end_of_day=eod,
        timezone=t.text("timezone", "Asia/Bangkok"),
    )
    try:
        settings.zone  # noqa: B018 - fails early on an unknown zone
    except Exception as exc:  # zoneinfo raises several kinds
        raise SchemeError(f"deadlines.timezone: unknown zone {settings.timezone!r}") from exc
    intake = IntakeSettings.read(t)
    t.done()
    return settings, intake


def _read_kpi32(t: _Table, name: str) -> Kpi32Scheme:
    base = _base(t, name, "kpi32")
    deadlines, intake = _read_deadlines(t.table("deadlines"))
    resolution = t.table("resolution")
    rejected = resolution.choice("rejected", "exclude", ("exclude", "as_resolved"))
    resolution.done()
    return Kpi32Scheme(
        **base,
        points=PointsSettings.read(t.table("points")),
        deadlines=deadlines,
        intake=intake,
        checkpoints=CheckpointSettings.read(t.table("checkpoints")),
        audit=AuditSettings.read(t.table("audit")),
        reporting=ReportingSettings.read(t.table("reporting")),
        rejected=rejected,
    )


# --- the other schemes (seeds 001–004, RULES §7) ---


@dataclass(frozen=True)
class PercentHandledScheme(SchemeBase):
    """Seed 001: resolved × 100 / received, cumulative from the window start, at each cut-off."""

    cutoffs: tuple[MonthDay, ...] = ((12, 31), (3, 31), (6, 30), (9, 30))  # quarter ends
    target_percent: Decimal = Decimal(90)
    decimals: int = 2
    rounding: str = "half_up"
    rejected_counts_as_handled: bool = True  # (reading) a rejection closes the matter
    timezone: str = "Asia/Bangkok"


def _read_percent_handled(t: _Table, name: str) -> PercentHandledScheme:
    base = _base(t, name, "percent_handled")
    return PercentHandledScheme(
        **base,
        cutoffs=t.month_days("cutoffs", ("12-31", "03-31", "06-30", "09-30")),
        target_percent=t.number("target_percent", 90),
        decimals=t.integer("decimals", 2),
        rounding=t.choice("rounding", "half_up", tuple(ROUNDING_MODES)),
        rejected_counts_as_handled=t.boolean("rejected_counts_as_handled", True),
        timezone=t.text("timezone", "Asia/Bangkok"),
    )


@dataclass(frozen=True)
class FiveLevelScheme(SchemeBase):
    """Seed 004: a percentage mapped to 1..5 by linear interpolation between the level thresholds."""

    thresholds: tuple[Decimal, ...] = tuple(Decimal(v) for v in (80, 85, 90, 95, 100))
    below_first: Decimal = Decimal(0)  # (reading) the score below the level-1 threshold
    decimals: int = 2
    rounding: str = "half_up"


def _read_five_level(t: _Table, name: str) -> FiveLevelScheme:
    base = _base(t, name, "five_level")
    thresholds = t.numbers("thresholds", tuple(Decimal(v) for v in (80, 85, 90, 95, 100)))
    if len(thresholds) < 2:
        raise SchemeError("thresholds: at least two levels are required")
    steps = [b - a for a, b in zip(thresholds, thresholds[1:], strict=False)]
    if not (all(s > 0 for s in steps) or all(s < 0 for s in steps)):
        raise SchemeError("thresholds: strictly increasing (or strictly decreasing) values are required")
    return FiveLevelScheme(
        **base,
        thresholds=thresholds,
        below_first=t.number("below_first", 0),
        decimals=t.integer("decimals", 2),
        rounding=t.choice("rounding", "half_up", tuple(ROUNDING_MODES)),
    )


@dataclass(frozen=True)
class UnitStandardScheme(SchemeBase):
    """Seed 002: four weighted dimensions; "standard" and "best practice" levels."""

    weights: tuple[tuple[str, Decimal], ...] = (
        ("effectiveness", Decimal(15)),
        ("service_quality", Decimal(35)),
        ("efficiency", Decimal(30)),
        ("development", Decimal(20)),
    )
    dimension_names_th: tuple[tuple[str, str], ...] = ()
    standard_min: Decimal = Decimal("3.00")
    best_min: Decimal = Decimal("4.00")
    best_average: Decimal = Decimal("4.50")
    decimals: int = 2
    rounding: str = "half_up"
    report_rounds: tuple[int, ...] = (6, 9, 12)  # months after the fiscal-year start
    report_due_day: int = 10

    def weight(self, dimension: str) -> Decimal:
        for key, w in self.weights:
            if key == dimension:
                return w
        raise SchemeError(f"unknown dimension {dimension!r}; known: {', '.join(k for k, _ in self.weights)}")


def _read_unit_standard(t: _Table, name: str) -> UnitStandardScheme:
    base = _base(t, name, "unit_standard")
    weights_table = t.table("weights")
    weights = tuple((k, to_decimal(v, f"weights.{k}")) for k, v in weights_table.data.items())
    weights_table.data.clear()
    names_table = t.table("dimension_names_th")
    names = tuple((k, str(v)) for k, v in names_table.data.items())
    names_table.data.clear()
    rounds = t.raw("report_rounds", [6, 9, 12])
    if not isinstance(rounds, list) or not all(isinstance(r, int) for r in rounds):
        raise SchemeError("report_rounds: a list of month counts is required")
    scheme = UnitStandardScheme(
        **base,
        weights=weights or UnitStandardScheme.weights,
        dimension_names_th=names,
        standard_min=t.number("standard_min", "3.00"),
        best_min=t.number("best_min", "4.00"),
        best_average=t.number("best_average", "4.50"),
        decimals=t.integer("decimals", 2),
        rounding=t.choice("rounding", "half_up", tuple(ROUNDING_MODES)),
        report_rounds=tuple(rounds),
        report_due_day=t.integer("report_due_day", 10),
    )
    if any(w < 0 for _, w in scheme.weights) or sum(w for _, w in scheme.weights) <= 0:
        raise SchemeError("weights: non-negative numbers with a positive sum are required")
    return scheme


@dataclass(frozen=True)
class QuarterlyTargetsScheme(SchemeBase):
    """Seed 003: cumulative targets per quarter, compared with what was achieved."""

    targets: tuple[Decimal, ...] = tuple(Decimal(v) for v in (30, 60, 75, 100))
    decimals: int = 2
    rounding: str = "half_up"


def _read_quarterly_targets(t: _Table, name: str) -> QuarterlyTargetsScheme:
    base = _base(t, name, "quarterly_targets")
    targets = t.numbers("targets", tuple(Decimal(v) for v in (30, 60, 75, 100)))
    if any(b < a for a, b in zip(targets, targets[1:], strict=False)):
        raise SchemeError("targets: cumulative targets never decrease")
    return QuarterlyTargetsScheme(
        **base,
        targets=targets,
        decimals=t.integer("decimals", 2),
        rounding=t.choice("rounding", "half_up", tuple(ROUNDING_MODES)),
    )


Scheme = Kpi32Scheme | PercentHandledScheme | FiveLevelScheme | UnitStandardScheme | QuarterlyTargetsScheme

_READERS = {
    "kpi32": _read_kpi32,
    "percent_handled": _read_percent_handled,
    "five_level": _read_five_level,
    "unit_standard": _read_unit_standard,
    "quarterly_targets": _read_quarterly_targets,
}


def scheme_path(name_or_path: str | Path) -> Path:
    """`kpi32` → `kpi/schemes/kpi32.toml`; anything that looks like a path is taken as one."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(name_or_path)
    return SCHEMES_DIR / f"{text}.toml"


def available_schemes() -> list[str]:
    return sorted(p.stem for p in SCHEMES_DIR.glob("*.toml"))


def parse_scheme(data: Mapping[str, Any], name: str) -> Scheme:
    """Settings from an already-parsed TOML document (numbers as Decimal or int)."""
    t = _Table(data, "")
    kind = t.text("kind", "")
    reader = _READERS.get(kind)
    if reader is None:
        raise SchemeError(f"kind: one of {', '.join(_READERS)} is required, got {kind!r}")
    t.text("name", name)  # an optional name inside the file is informative only
    scheme = reader(t, str(data.get("name", name)))
    t.done()
    return scheme


def load_scheme(name_or_path: str | Path) -> Scheme:
    path = scheme_path(name_or_path)
    if not path.is_file():
        known = ", ".join(available_schemes())
        raise SchemeError(f"no scheme file {path} (known schemes: {known})")
    with path.open("rb") as f:
        try:
            data = tomllib.load(f, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            raise SchemeError(f"{path}: {exc}") from exc
    try:
        return parse_scheme(data, path.stem)
    except SchemeError as exc:
        raise SchemeError(f"{path}: {exc}") from exc


def load_kpi32(name_or_path: str | Path = "kpi32") -> Kpi32Scheme:
    scheme = load_scheme(name_or_path)
    if not isinstance(scheme, Kpi32Scheme):
        raise SchemeError(f"{name_or_path}: a kpi32 scheme is required, got kind {scheme.kind!r}")
    return scheme


@cache
def shipped_kpi32() -> Kpi32Scheme:
    """The shipped kpi/schemes/kpi32.toml, read once: for code that takes a setting from the scheme outside
    a scoring run (the audit draw and marks, the monthly summaries' due day)."""
    return load_kpi32()
