"""The app's one clock: every "now" of the webhook, the worker, the scheduler, the web and the CLI.

Production reads the system clock. Tests (and demos) set it: `freeze` stops it at a moment,
`start_at` lets it run on from a moment at the real pace (what a live server with a browser or a
worker needs, since leases and retries must come due), `advance` moves it either way, `reset`
gives the real clock back. A process started with RONGTOOK_CLOCK_START=<ISO time> runs from that
moment, so a demo or a subprocess can be put on any day.

Nothing else in the code reads the system's date: ruff's banned-api rule (TID251) holds it.
Durations (timeouts, caches) use `time.monotonic`, which is no date and stays allowed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

START_ENV = "RONGTOOK_CLOCK_START"
BANGKOK = ZoneInfo("Asia/Bangkok")  # every local time in the app is Bangkok's


def _system_now() -> datetime:
    return datetime.now(UTC)  # noqa: TID251 - the one place that reads the system clock


class Clock:
    """A settable clock; the process has one, `clock` below, that every part of the app asks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current moment, time-zone aware, in UTC."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return _system_now() + self._offset

    def freeze(self, at: datetime) -> None:
        """Stop the clock at `at` (aware) until moved or reset."""
        with self._lock:
            self._frozen = _aware(at).astimezone(UTC)
            self._offset = timedelta(0)

    def start_at(self, at: datetime) -> None:
        """Let the clock run on from `at` at the real pace."""
        with self._lock:
            self._frozen = None
            self._offset = _aware(at).astimezone(UTC) - _system_now()

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        """Back to the system clock (and RONGTOOK_CLOCK_START, when the process was given one)."""
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)
        start = os.environ.get(START_ENV, "").strip()
        if start:
            with contextlib.suppress(ValueError):  # the settings refuse it at start-up, with its name
                self.start_at(parse_start(start))

    @property
    def is_real(self) -> bool:
        return self._frozen is None and self._offset == timedelta(0)


def parse_start(raw: str) -> datetime:
    """An ISO time; one without a zone is Bangkok time (UTC+7), as everyone here reads a clock."""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        example = "2027-04-14T09:00+07:00"
        raise ValueError(f"{START_ENV} must be an ISO time such as {example}, not {raw!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=BANGKOK)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    return at


clock = Clock()
clock.reset()
