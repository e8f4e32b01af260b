"""The worker tests' clock and worker (tests/integration/test_worker.py, tests/e2e/test_worker.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.line_gateway import LineGateway
from bot.worker import Worker
from models.clock import clock as app_clock
from tests.line_stub import LineStub


class Clock:
    """The app's clock plus whatever the test has skipped ahead."""

    def __init__(self) -> None:
        self.skipped = timedelta()

    def __call__(self) -> datetime:
        return app_clock.now() + self.skipped

    def advance(self, seconds: float) -> None:
        self.skipped += timedelta(seconds=seconds)


def make_worker(services, stub: LineStub, clock: Clock, name: str = "w1") -> Worker:  # type: ignore[no-untyped-def]
    return Worker(services, LineGateway("token", stub.url, check_messages=True), clock=clock, name=name)
