"""Scaling out (issue 19, docs/operator-guide.md "Scaling out"): two `rongtook web` and two `rongtook worker`
processes, as the Procfile runs them, on one PostgreSQL and one LINE. LINE's events, posted in turn to
both webs, are each handled once and answered once; the reminders due are each sent once, though both
workers run the scheduler.

PostgreSQL only (several machines share a PostgreSQL, never a SQLite file): without TEST_DATABASE_URL the
test is skipped on a developer's machine and fails in CI. LINE is tests/line_stub.py, which records every
call. The processes run on the app clock (RONGTOOK_CLOCK_START) from 09:00 on the day the complaints'
acknowledgement falls due; the worker's scheduler sweeps for reminders a minute after it starts.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.sandbox import events as ev
from handlers.reminder_notices import sweep
from models import Citizen, District, InboxEvent, MonthlyReport, Officer, OutboxMessage, ReminderSent
from models.clock import Clock
from models.complaint_operations import file_complaint
from models.db import make_engine, transaction
from models.deadlines import ack_due, local_date
from models.leases import Lease
from models.working_days import load_calendar
from scheduler.reminders import SweepReport
from tests.line_stub import LineStub

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
BANGKOK = ZoneInfo("Asia/Bangkok")
SECRET = "scale-out-test-channel-secret"
TOKEN = "scale-out-token"
ROUTED = datetime(2026, 12, 15, 10, 0, tzinfo=BANGKOK)  # a Tuesday: acknowledgement due the next working day
OFFICERS = (("1030", "officer"), ("1030", "officer"), ("1030", "head"), ("1001", "officer"))
COMPLAINTS = {"1030": 3, "1001": 2}
USERS = 8
# APScheduler's line for a run of the worker's reminder job (bot/jobs.py), whatever it found to do.
SWEPT = re.compile(r'Job "build_scheduler\.<locals>\.reminders \(.*\)" executed successfully')
TEXTS = ("สวัสดีค่ะ", "ถนนหน้าบ้านเป็นหลุมใหญ่ รถตกบ่อยมาก")


def procfile() -> dict[str, str]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], until: float, what: str, logs: Path) -> None:
    while not condition():
        if time.monotonic() > until:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(logs.glob("*.log")))
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.1)


def seed(sessions: sessionmaker[Session]) -> tuple[datetime, dict[str, str]]:
    """Officers on LINE and complaints routed at ROUTED, none acknowledged; returns the moment their
    acknowledgement's "due" reminder goes out (09:00 on the due day) and the officers' LINE ids."""
    officers: dict[str, str] = {}
    with transaction(sessions) as session:
        calendar = load_calendar(session)
        for n, (district, role) in enumerate(OFFICERS):
            line_id = ev.new_user_id()
            session.add(
                Officer(
                    district_code=district,
                    name=f"{role} {n}",
                    role=role,
                    line_user_id=line_id,
                    created_at=ROUTED,
                )
            )
            officers[line_id] = district
        citizen = Citizen(line_user_id=ev.new_user_id(), created_at=ROUTED, updated_at=ROUTED)
        session.add(citizen)
        session.flush()
        for district, count in COMPLAINTS.items():
            for _ in range(count):
                file_complaint(
                    session, citizen, description="ถนนชำรุด", category="ถนน", district_code=district,
                    latitude=None, longitude=None, photos=[], at=ROUTED, calendar=calendar,
                )  # fmt: skip
        due_day = local_date(ack_due(ROUTED, calendar))
        # Every district has sent last month's report: the sweep owes the deadlines' reminders only.
        last_month = f"{due_day.replace(day=1) - timedelta(days=1):%Y-%m}"
        for code in session.scalars(select(District.code)):
            session.add(MonthlyReport(district_code=code, month=last_month, submitted_at=ROUTED))
    return datetime.combine(due_day, day_time(9, 0), tzinfo=BANGKOK), officers


def planned(sessions: sessionmaker[Session], at: datetime) -> SweepReport:
    """What one sweep at `at` sends (a dry run: nothing written)."""
    with transaction(sessions) as session:
        return sweep(session, at, load_calendar(session), dry_run=True)


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def test_two_webs_and_two_workers_handle_each_event_once_and_send_each_reminder_once(
    pg_url: str, engine: Engine, tmp_path: Path, app_clock: Clock
) -> None:
    sessions = sessionmaker(engine)
    start, officers = seed(sessions)
    expected = planned(sessions, start + timedelta(minutes=1))
    # The sweep owes each complaint its "due" reminder, one push to each officer of its district.
    assert Counter(item.kind for item in expected.sent) == {"ack_due": sum(COMPLAINTS.values())}
    assert {push.to for push in expected.pushes} == {
        line_id for line_id, (_, role) in zip(officers, OFFICERS, strict=True) if role == "officer"
    }

    stub = LineStub()
    commands = procfile()
    ports = [free_port(), free_port()]
    outside = ("LINE_", "DATABASE_", "SECRET_KEY", "WEB_", "WORKER_", "RONGTOOK_", "PORT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(outside)}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=pg_url,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        LINE_API_BASE_URL=stub.url,
        SECRET_KEY="a-long-enough-secret-key-for-tests",
        PHOTO_DIR=str(tmp_path / "photos"),  # one folder for all: the shared storage of several machines
        RONGTOOK_CLOCK_START=start.isoformat(),
        WEB_CONCURRENCY="1",  # the machine running the tests has few cores; two webs are the point here
        WORKER_THREADS="4",
    )

    def run(name: str, line: str, **extra: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(
            shlex.split(line),
            cwd=tmp_path,
            env={**env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    app_clock.start_at(start)  # the events' times, on the processes' clock
    began = time.monotonic()
    workers = [run(f"worker{i}", commands["worker"]) for i in (1, 2)]
    webs = [run(f"web{i}", commands["web"], PORT=str(port)) for i, port in enumerate(ports, 1)]
    processes = workers + webs
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            wait_for(lambda base=base: healthy(base), began + 60, f"{base}/healthz", tmp_path)
        for i in (1, 2):  # both workers claim from the start
            wait_for(
                lambda i=i: " started (" in log(tmp_path, f"worker{i}"), began + 60, f"worker{i}", tmp_path
            )

        # Several users follow, then write twice: each event a webhook call of its own, to the two webs
        # in turn, all users' at once as LINE sends them. LINE answers slowly enough that one worker's
        # threads are busy while the other worker's poll comes round: both take part.
        stub.delay_s["/message/reply"] = 0.3
        users = [ev.new_user_id() for _ in range(USERS)]
        sent: list[dict[str, object]] = []
        with ThreadPoolExecutor(USERS) as pool:
            for round_ in range(1 + len(TEXTS)):
                events = [
                    ev.follow_event(user) if round_ == 0 else ev.text_event(user, TEXTS[round_ - 1])
                    for user in users
                ]
                answers = pool.map(post, [bases[i % 2] for i in range(len(events))], events)
                assert list(answers) == [200] * len(events)  # stored: the next round comes after
                sent.extend(events)
        tokens = [str(event["replyToken"]) for event in sent]

        def inbox() -> Counter[str]:
            with transaction(sessions) as session:
                return Counter(session.scalars(select(InboxEvent.status)))

        wait_for(lambda: inbox() == {"done": len(sent)}, began + 90, "every event handled", tmp_path)
        wait_for(lambda: len(replies(stub)) >= len(sent), began + 90, "every event answered", tmp_path)

        # The scheduler's first sweep, in each worker a minute after it started.
        def reminder_pushes() -> list[str]:
            return [r.body["to"] for r in stub.calls("/message/push") if r.body["to"] in officers]

        wait_for(
            lambda: len(reminder_pushes()) >= len(expected.pushes), began + 150, "the reminders", tmp_path
        )
        # Both workers ran the job; the one without the lease sent nothing.
        for i in (1, 2):
            wait_for(
                lambda i=i: bool(SWEPT.search(log(tmp_path, f"worker{i}"))), began + 150, "sweeps", tmp_path
            )
        time.sleep(2)  # a second sweep's or a second worker's duplicate would arrive now
    finally:
        for proc in processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        stub.stop()
    assert [w.returncode for w in workers] == [0, 0], "SIGTERM stops each worker cleanly"

    # Each event: stored once, handled once, answered once with its own reply token.
    with transaction(sessions) as session:
        assert session.scalar(select(func.count(InboxEvent.id))) == len(sent)
        per_event = Counter(
            session.scalars(
                select(OutboxMessage.inbox_event_id).where(OutboxMessage.inbox_event_id.is_not(None))
            )
        )
        handlers = {claimed.split(":")[1] for claimed in session.scalars(select(InboxEvent.claimed_by))}
    assert len(per_event) == len(sent) and set(per_event.values()) == {1}
    assert Counter(replies(stub)) == Counter(tokens), "each event's reply token used once, none other"
    assert not [r for r in stub.calls("/message/push") if r.body["to"] in users], "no answer pushed besides"
    assert handlers == {str(w.pid) for w in workers}, f"both workers took part: {handlers}"

    # Each reminder: recorded once, pushed once to each officer it concerns, by the lease holder.
    with transaction(sessions) as session:
        recorded = Counter((r.kind, r.subject, r.due_on) for r in session.scalars(select(ReminderSent)))
        holder = session.scalar(select(Lease.holder).where(Lease.name == "scheduler"))
    assert recorded == Counter(item.key for item in expected.sent)
    assert Counter(reminder_pushes()) == Counter(push.to for push in expected.pushes)
    assert holder is not None and holder.split(":")[1] in {str(w.pid) for w in workers}


def log(folder: Path, name: str) -> str:
    return (folder / f"{name}.log").read_text(errors="replace")


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:  # refused, reset or slow while gunicorn boots
        return False


def post(base: str, event: dict[str, object]) -> int:
    body = ev.webhook_body([event])
    request = urllib.request.Request(
        f"{base}/callback", data=body.encode(), headers={"X-Line-Signature": ev.sign_body(SECRET, body)}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def replies(stub: LineStub) -> list[str]:
    return [str(r.body["replyToken"]) for r in stub.calls("/message/reply")]
