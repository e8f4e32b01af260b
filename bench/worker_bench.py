"""Worker benchmark: the Procfile's web + worker against a LINE stand-in that takes 150 ms a call.

Run with `make bench-worker` (or `python -m bench.worker_bench --help`). For SQLite, then PostgreSQL
(`--database` picks one), it

1. makes a fresh database, runs `rongtook release`, and starts `rongtook web` and `rongtook worker` as
   the Procfile does, with a real-looking LINE channel whose API is `bench/line_standin.py` (reply
   tokens good once for a minute, retry keys, `--line-delay-ms` per call);
2. rehearses the script with one user, waiting for each answer, to learn the buttons the bot gives
   (postback data is signed per user: the bench signs the same buttons for each of its users);
3. sends the burst as fast as the webhook takes it: `--users` users, each a follow, three whole
   complaint dialogs (text, photos, location, category, confirm) and a status look-up after each,
   each user's events in order on one connection;
4. waits until every event is handled and every answer is sent, then reads the stand-in's record
   and the database: events handled per second, webhook → LINE call p50/p99, replies vs pushes,
   lost / doubled / out of order, complaints filed, and the worker's peak RSS;
5. the floor: the same LINE calls made by a bare client over as many connections as the worker
   has threads, in the same run.

Everything talks only to 127.0.0.1; every process started is stopped at the end, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.line_standin import reply_token
from bench.runs import add_run_options, database_urls, run_each
from bench.runs import release as release_database
from bench.webhook_bench import (
    HOST,
    Client,
    Prepared,
    Server,
    Verdict,
    bench_database,
    free_port,
    percentile,
    rongtook_command,
    running,
    wait_ready,
)
from bot.sandbox import events as ev
from handlers.signing import Postback, decode_postback, encode_postback

REPO = Path(__file__).resolve().parents[1]

TARGET_EVENTS_PER_S = 150.0
TARGET_REPLY_SHARE = 0.95
TARGET_P99_S = 5.0
TARGET_RSS_MB = 200.0

RELEASE_TIMEOUT_S = 180.0
ANSWER_TIMEOUT_S = 30.0  # one rehearsal step
DRAIN_TIMEOUT_S = 300.0  # the whole burst handled and answered

TRACK = "ติดตามเรื่อง"
CONFIRM = "ยืนยันส่งเรื่อง"


@dataclass(frozen=True)
class Step:
    kind: str  # follow | text | photo | location | tap
    value: str = ""  # the text, or the label of the button to tap


# One user's part of the burst: 20 events, three complaints.
SCRIPT: tuple[Step, ...] = (
    Step("follow"),
    Step("text", "ไฟส่องสว่างในซอยดับมาสามวันแล้วค่ะ มืดมาก"),
    Step("photo"),
    Step("location"),
    Step("tap", "แสงสว่าง"),
    Step("tap", CONFIRM),
    Step("text", TRACK),
    Step("photo"),
    Step("text", "ถนนหน้าบ้านเป็นหลุมใหญ่ รถจักรยานยนต์ล้มไปสองคันแล้ว"),
    Step("location"),
    Step("tap", "ถนน"),
    Step("tap", CONFIRM),
    Step("text", TRACK),
    Step("text", "มีขยะกองริมคลองไม่มีใครมาเก็บ ส่งกลิ่นเหม็นมาก"),
    Step("photo"),
    Step("photo"),
    Step("location"),
    Step("tap", "ความสะอาด"),
    Step("tap", CONFIRM),
    Step("text", TRACK),
)
COMPLAINTS_PER_USER = sum(1 for s in SCRIPT if s == Step("tap", CONFIRM))


@dataclass
class Options:
    users: int = 50
    rounds: int = 1  # how many times each user goes through the script (20 events a round)
    line_delay_ms: float = 150.0
    threads: int = 32  # WORKER_THREADS
    processes: int = os.cpu_count() or 1  # worker processes: the Procfile's `worker` scaled to one per CPU
    web_workers: int = 2
    web_threads: int = 4
    senders: int = 10  # webhook connections; a user's events always go on the same one
    database_url: str | None = None  # None: SQLite in the temporary directory
    db_dir: str | None = None
    keep: bool = False
    json: bool = False
    strict: bool = False

    @property
    def events(self) -> int:
        return self.users * self.rounds * len(SCRIPT)


@dataclass
class Report:
    database: str
    options: Options
    events: int
    accepted: int  # webhook 200s
    send_s: float  # the burst's webhook time
    webhook_p99_ms: float  # each webhook POST's answer time during the burst
    handled_s: float  # first webhook POST → last answer's LINE call
    events_per_s: float
    p50_s: float
    p99_s: float
    max_s: float
    replies: int
    pushes: int
    lost: int
    doubled: int
    out_of_order: int
    failed_rows: int
    complaints: int
    complaints_expected: int
    rss_peak_mb: float
    worker_cpu_s: float
    others_cpu: CpuUse
    floor_events_per_s: float
    floor_calls: int
    floor_s: float
    calls_per_event: float
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


# --------------------------------------------------------------------------- processes


def app_env(
    workdir: Path, opts: Options, db_url: str, standin_port: int, secret: str, key: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        PHOTO_DIR=str(workdir / "photos"),
        LINE_CHANNEL_SECRET=secret,
        LINE_CHANNEL_ACCESS_TOKEN="bench-" + secrets.token_hex(16),
        LINE_API_BASE_URL=f"http://{HOST}:{standin_port}",
        SECRET_KEY=key,
        PUBLIC_BASE_URL="https://rongtook.bench.invalid",
        WORKER_THREADS=str(opts.threads),
        WEB_CONCURRENCY=str(opts.web_workers),
        WEB_THREADS=str(opts.web_threads),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    )
    env.pop("RONGTOOK_CLOCK_START", None)
    return env


def start(name: str, command: list[str], env: dict[str, str], workdir: Path, port: int | None) -> Server:
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            env={**env, "PORT": str(port)} if port else env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # one process group to stop, children included
        )
    return Server(name, port or 0, proc, log_path)


def wait_standin(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the LINE stand-in exited:\n{server.log_tail()}")
        try:
            standin(server.port, "POST", "/__standin/reset")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the LINE stand-in did not start:\n{server.log_tail()}")


def standin(port: int, method: str, path: str) -> Any:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int | None = None, name: str | None = None) -> float:
    """CPU time used so far by the live processes of a process group (gunicorn's master and workers),
    or of every process with a command name (the local PostgreSQL server's)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        command, _, rest = text.partition(" (")[2].rpartition(")")
        fields = rest.split()
        if (pgid is not None and int(fields[2]) == pgid) or (name is not None and command == name):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class CpuUse:
    """CPU seconds each part used during the burst: what shared the machine's CPUs with the worker."""

    web: float = 0.0
    line_standin: float = 0.0
    load_generator: float = 0.0
    postgresql: float = 0.0  # every local postgres process (0 on SQLite: it runs inside the others)

    @classmethod
    def sample(cls, web: Server, line: Server, postgresql: bool) -> CpuUse:
        return cls(
            group_cpu_seconds(web.proc.pid),
            cpu_seconds(line.proc.pid),
            time.process_time(),
            group_cpu_seconds(name="postgres") if postgresql else 0.0,
        )

    def since(self, before: CpuUse) -> CpuUse:
        return CpuUse(
            self.web - before.web,
            self.line_standin - before.line_standin,
            self.load_generator - before.load_generator,
            self.postgresql - before.postgresql,
        )


def rss_peak_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), in MB; None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --------------------------------------------------------------------------- events


class Cast:
    """The users of the run, where each stands, and how their events are made."""

    def __init__(self, opts: Options, secret: str, key: str) -> None:
        self.secret, self.key = secret.encode(), key.encode()
        self.secret_text = secret
        self.users = [ev.new_user_id() for _ in range(opts.users)]
        self.places = bangkok_points(opts.users * COMPLAINTS_PER_USER * opts.rounds + 1)
        self.taps: dict[int, tuple[str, Postback | str]] = {}  # script step → button, learnt in rehearsal

    def event(self, user: str, index: int, step: Step, place: tuple[float, float]) -> dict[str, Any]:
        token = {"replyToken": reply_token()}
        if step.kind == "follow":
            event = ev.follow_event(user)
        elif step.kind == "text":
            event = ev.text_event(user, step.value)
        elif step.kind == "photo":
            event = ev.image_event(user, ev.new_id(18))
        elif step.kind == "location":
            event = ev.location_event(user, *place)
        else:
            kind, button = self.taps[index % len(SCRIPT)]
            if kind == "postback":
                assert isinstance(button, Postback)
                event = ev.postback_event(user, encode_postback(self.key, user, button))
            else:
                event = ev.text_event(user, str(button))
        event.update(token)
        return event

    def prepared(self, event: dict[str, Any]) -> Prepared:
        body = ev.webhook_body([event])
        return Prepared(body.encode(), ev.sign_body(self.secret_text, body))


def bangkok_points(count: int) -> list[tuple[float, float]]:
    """`count` points inside Bangkok's districts, 400 m or more apart (so no complaint is a duplicate)."""
    from bot.settings import DEFAULT_BOUNDARIES
    from models.districts import DistrictLocator, read_boundaries

    locator = DistrictLocator([(b.code, b.geometry) for b in read_boundaries(DEFAULT_BOUNDARIES)])
    points: list[tuple[float, float]] = []
    lat = 13.70
    while len(points) < count and lat < 13.90:
        lon = 100.46
        while len(points) < count and lon < 100.66:
            if locator.locate(lat, lon) is not None:
                points.append((round(lat, 5), round(lon, 5)))
            lon += 0.004
        lat += 0.004
    if len(points) < count:
        raise RuntimeError(f"only {len(points)} points found in Bangkok for {count} complaints")
    return points


def answers_to(calls: list[dict[str, Any]], user: str, token: str, since: float) -> list[dict[str, Any]]:
    return [
        c
        for c in calls
        if c["status"] == 200
        and c["t"] >= since
        and c["path"].endswith(("/reply", "/push"))
        and (c.get("token") == token or c.get("to") == user)
    ]


def rehearse(cast: Cast, web_port: int, standin_port: int, workers: list[Server], log: Any) -> None:
    """One user through the script, waiting for each answer: learns the buttons every user taps."""
    user = ev.new_user_id()
    client = Client(web_port)
    last: list[dict[str, Any]] = []
    try:
        for index, step in enumerate(SCRIPT):
            if step.kind == "tap":
                cast.taps[index] = find_button(last, step.value, user, cast.key)
            event = cast.event(user, index, step, cast.places[-1])
            since = time.monotonic()
            status = client.post(cast.prepared(event))
            if status != 200:
                raise RuntimeError(f"rehearsal: the webhook answered {status} to step {index} ({step})")
            last = wait_answer(standin_port, user, event["replyToken"], since, workers)
            print(f"  rehearsal {index:2d} {step.kind:<8} {step.value[:20]:<20} → {summary(last)}", file=log)
    finally:
        client.close()


def wait_answer(
    standin_port: int, user: str, token: str, since: float, workers: list[Server]
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while time.monotonic() < deadline:
        check_alive(workers)
        found = answers_to(standin(standin_port, "GET", "/__standin/calls"), user, token, since)
        if found:
            time.sleep(0.3)  # a long answer is several requests
            found = answers_to(standin(standin_port, "GET", "/__standin/calls"), user, token, since)
            return [m for c in found for m in c["messages"]]
        time.sleep(0.05)
    raise RuntimeError(f"rehearsal: no answer within {ANSWER_TIMEOUT_S:.0f} s (see worker.log)")


def find_button(
    messages: list[dict[str, Any]], label: str, user: str, key: bytes
) -> tuple[str, Postback | str]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("label") == label:
                found.append(action)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(messages)
    if not found:
        raise RuntimeError(f"rehearsal: no button {label!r} in the bot's answer: {summary(messages)}")
    action = found[0]
    if action["type"] == "postback":
        return "postback", decode_postback(key, user, action["data"])
    return "text", str(action.get("text", label))


def summary(messages: list[dict[str, Any]]) -> str:
    texts = [m.get("text") or m.get("altText") or m.get("type", "?") for m in messages]
    return " | ".join(str(t).replace("\n", " ")[:40] for t in texts)


# --------------------------------------------------------------------------- the burst


@dataclass
class Sent:
    user: str
    token: str
    at: float  # monotonic, just before the webhook POST
    status: int
    took: float = 0.0  # until the webhook's answer


def burst(cast: Cast, opts: Options, web_port: int) -> tuple[list[Sent], float]:
    """Every user's events, as fast as the webhook takes them; a user's events in order on one connection."""
    lanes: list[list[str]] = [cast.users[i :: opts.senders] for i in range(opts.senders)]
    sent: list[Sent] = []
    lock = threading.Lock()
    go = threading.Event()

    def sender(users: list[str], first_place: int) -> None:
        client = Client(web_port)
        mine: list[Sent] = []
        place = first_place
        try:
            go.wait()
            for _round in range(opts.rounds):
                for index, step in enumerate(SCRIPT):
                    for user in users:
                        event = cast.event(user, index, step, cast.places[place % len(cast.places)])
                        if step.kind == "location":
                            place += 1
                        item = cast.prepared(event)
                        at = time.monotonic()
                        status = client.post(item)
                        mine.append(Sent(user, event["replyToken"], at, status, time.monotonic() - at))
        finally:
            client.close()
            with lock:
                sent.extend(mine)

    per_lane = COMPLAINTS_PER_USER * opts.rounds * (opts.users // opts.senders + 1)
    threads = [
        threading.Thread(target=sender, args=(lane, i * per_lane), daemon=True)
        for i, lane in enumerate(lanes)
    ]
    for t in threads:
        t.start()
    started = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    return sent, time.monotonic() - started


def check_alive(workers: list[Server]) -> None:
    for worker in workers:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"{worker.name} exited with {worker.proc.returncode}:\n{worker.log_tail()}")


def wait_drained(
    db_url: str, expected: int, workers: list[Server], timeout: float = DRAIN_TIMEOUT_S
) -> float:
    """Until every event is handled and every message sent; returns a worker's highest peak RSS seen (MB)."""
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(db_url)
    peak = 0.0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            peak = max([peak] + [rss_peak_mb(w.proc.pid) or 0.0 for w in workers])
            check_alive(workers)
            with engine.connect() as conn:
                done = conn.execute(
                    text("SELECT count(*) FROM inbox_events WHERE status IN ('done', 'failed')")
                ).scalar_one()
                busy = conn.execute(
                    text("SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'processing')")
                ).scalar_one()
            if done >= expected and busy == 0:
                return peak
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise RuntimeError(f"not drained after {timeout:.0f} s:\n{workers[0].log_tail()}")


# --------------------------------------------------------------------------- the floor


def floor(calls: list[dict[str, Any]], standin_port: int, connections: int) -> tuple[float, int]:
    """The burst's LINE calls made again by a bare client over `connections` connections: seconds, calls."""
    work = [c for c in calls if c["status"] in (200, 202)]
    standin(standin_port, "POST", "/__standin/reset")
    lock = threading.Lock()

    def next_call() -> dict[str, Any] | None:
        with lock:
            return work.pop() if work else None

    def run() -> None:
        conn = http.client.HTTPConnection(HOST, standin_port, timeout=30)
        try:
            while (call := next_call()) is not None:
                method, body, headers = "GET", None, {"Authorization": "Bearer bench"}
                if call["path"].endswith(("/reply", "/push", "/loading/start")):
                    method, headers["Content-Type"] = "POST", "application/json"
                    payload: dict[str, Any] = {"messages": call.get("messages")}
                    if call["path"].endswith("/reply"):
                        payload["replyToken"] = reply_token()
                    elif call["path"].endswith("/push"):
                        payload["to"] = call.get("to")
                        headers["X-Line-Retry-Key"] = secrets.token_hex(16)
                    else:
                        payload = {"chatId": call.get("chat"), "loadingSeconds": 20}
                    body = json.dumps(payload, ensure_ascii=False).encode()
                conn.request(method, call["path"], body=body, headers=headers)
                conn.getresponse().read()
        finally:
            conn.close()

    total = len(work)
    threads = [threading.Thread(target=run, daemon=True) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started, total


# --------------------------------------------------------------------------- figures


def measure(
    sent: list[Sent], calls: list[dict[str, Any]], db_url: str, cast: Cast, opts: Options
) -> dict[str, Any]:
    """Answers matched to events through the database (reply token / retry key → outbox row → event)."""
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT o.id, o.chat_key, o.reply_token, o.retry_key, o.status, i.payload "
                    "FROM outbox_messages o LEFT JOIN inbox_events i ON i.id = o.inbox_event_id"
                )
            ).all()
            failed = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM inbox_events WHERE status = 'failed') + "
                    "(SELECT count(*) FROM outbox_messages WHERE status = 'failed')"
                )
            ).scalar_one()
            complaints = conn.execute(text("SELECT count(*) FROM complaints")).scalar_one()
    finally:
        engine.dispose()
    ours = set(cast.users)
    by_token = {s.token: s for s in sent}
    row_of_key = {r.retry_key: r for r in rows}
    row_of_token = {r.reply_token: r for r in rows if r.reply_token}
    event_token_of_row = {r.id: json.loads(r.payload).get("replyToken") if r.payload else None for r in rows}

    deliveries: dict[int, list[tuple[float, str]]] = defaultdict(list)  # outbox row → (time, how)
    for c in calls:
        if c["status"] != 200 or not c["path"].endswith(("/reply", "/push")):
            continue
        row = (
            row_of_token.get(c.get("token"))
            if c["path"].endswith("/reply")
            else row_of_key.get(c.get("retry_key"))
        )
        if row is not None and row.chat_key in ours:
            deliveries[row.id].append((c["t"], "reply" if c["path"].endswith("/reply") else "push"))

    first_answer: dict[str, float] = {}  # event's reply token → first answer's arrival at LINE
    for row_id, got in deliveries.items():
        token = event_token_of_row.get(row_id)
        if token in by_token:
            first_answer[token] = min(first_answer.get(token, float("inf")), min(t for t, _ in got))
    latencies = sorted(first_answer[s.token] - s.at for s in sent if s.token in first_answer)
    hows = [how for got in deliveries.values() for _, how in got]

    out_of_order = 0
    per_chat: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for r in rows:
        if r.chat_key in ours and deliveries.get(r.id):
            per_chat[r.chat_key].append((min(t for t, _ in deliveries[r.id]), r.id))
    for got in per_chat.values():
        ids = [row_id for _, row_id in sorted(got)]
        out_of_order += sum(1 for a, b in zip(ids, ids[1:], strict=False) if b < a)

    accepted = [s for s in sent if s.status == 200]
    ours_rows = [r for r in rows if r.chat_key in ours]
    lost = sum(1 for s in accepted if s.token not in first_answer) + sum(
        1 for r in ours_rows if not deliveries.get(r.id)
    )
    first = min(s.at for s in sent)
    last = max(first_answer.values(), default=first)
    return {
        "accepted": len(accepted),
        "handled_s": last - first,
        "latencies": latencies,
        "replies": hows.count("reply"),
        "pushes": hows.count("push"),
        "lost": lost,
        "doubled": sum(1 for got in deliveries.values() if len(got) > 1),
        "out_of_order": out_of_order,
        "failed_rows": int(failed),
        "complaints": int(complaints),
    }


def verdicts(r: Report) -> list[Verdict]:
    answers = r.replies + r.pushes
    share = r.replies / answers if answers else 0.0
    return [
        Verdict(
            f"events handled >= {TARGET_EVENTS_PER_S:g}/s",
            f"{r.events_per_s:.0f}/s (floor {r.floor_events_per_s:.0f}/s)",
            r.events_per_s >= TARGET_EVENTS_PER_S,
        ),
        Verdict(
            f"answers sent as replies >= {TARGET_REPLY_SHARE:.0%}",
            f"{share:.1%} ({r.replies} replies, {r.pushes} pushes)",
            share >= TARGET_REPLY_SHARE,
        ),
        Verdict(f"p99 webhook → LINE call < {TARGET_P99_S:g} s", f"{r.p99_s:.2f} s", r.p99_s < TARGET_P99_S),
        Verdict(
            f"worker RSS < {TARGET_RSS_MB:g} MB",
            f"peak {r.rss_peak_mb:.0f} MB",
            r.rss_peak_mb < TARGET_RSS_MB,
        ),
        Verdict(
            "0 lost, 0 doubled, 0 out of order, 0 failed",
            f"{r.lost} lost, {r.doubled} doubled, {r.out_of_order} out of order, {r.failed_rows} failed",
            r.lost == r.doubled == r.out_of_order == r.failed_rows == 0 and r.accepted == r.events,
        ),
        Verdict(
            "every dialog filed its complaint",
            f"{r.complaints} of {r.complaints_expected}",
            r.complaints == r.complaints_expected,
        ),
    ]


# --------------------------------------------------------------------------- the run


def run_benchmark(opts: Options, log: Any = sys.stderr) -> Report:
    """One run on one database (`opts.database_url`); progress goes to `log` (None: nowhere)."""
    log = log if log is not None else io.StringIO()
    database = "PostgreSQL" if opts.database_url else "SQLite"
    workdir = Path(tempfile.mkdtemp(prefix="rongtook-bench-worker-", dir=opts.db_dir))
    secret, key = secrets.token_hex(16), secrets.token_hex(24)
    try:
        with ExitStack() as stack:
            db_url = stack.enter_context(bench_database(opts, workdir))  # type: ignore[arg-type]
            line = stack.enter_context(
                running(
                    start(
                        "line-standin",
                        [
                            sys.executable,
                            "-m",
                            "bench.line_standin",
                            "--delay-ms",
                            str(opts.line_delay_ms),
                            "--port",
                            str(standin_port := free_port()),
                        ],
                        app_env(workdir, opts, "", 0, secret, key),
                        workdir,
                        standin_port,
                    )
                )
            )
            wait_standin(line)
            env = app_env(workdir, opts, db_url, line.port, secret, key)
            print(f"workdir {workdir}; {database}; rongtook release …", file=log, flush=True)
            release_database(env, workdir, RELEASE_TIMEOUT_S)
            web = stack.enter_context(
                running(start("web", rongtook_command() + ["web"], env, workdir, free_port()))
            )
            workers = [
                stack.enter_context(
                    running(start(f"worker-{i + 1}", rongtook_command() + ["worker"], env, workdir, None))
                )
                for i in range(opts.processes)
            ]
            wait_ready(web)
            cast = Cast(opts, secret, key)
            print(
                f"web, {opts.processes} worker(s) ({opts.threads} threads each) and LINE stand-in "
                f"({opts.line_delay_ms:g} ms) up; "
                "rehearsing the script …",
                file=log,
                flush=True,
            )
            rehearse(cast, web.port, line.port, workers, log)
            standin(line.port, "POST", "/__standin/reset")
            print(f"burst: {opts.events} events from {opts.users} users …", file=log, flush=True)
            cpu_before = sum(cpu_seconds(w.proc.pid) for w in workers)
            others_before = CpuUse.sample(web, line, bool(opts.database_url))
            sent, send_s = burst(cast, opts, web.port)
            rss = wait_drained(db_url, opts.events + len(SCRIPT), workers)
            rss = max([rss] + [rss_peak_mb(w.proc.pid) or 0.0 for w in workers])
            worker_cpu_s = sum(cpu_seconds(w.proc.pid) for w in workers) - cpu_before
            others = CpuUse.sample(web, line, bool(opts.database_url)).since(others_before)
            calls = standin(line.port, "GET", "/__standin/calls")
            figures = measure(sent, calls, db_url, cast, opts)
            print("floor: the same LINE calls from a bare client …", file=log, flush=True)
            floor_s, floor_calls = floor(calls, line.port, opts.threads * opts.processes)
        latencies = figures.pop("latencies")
        report = Report(
            database=database,
            options=opts,
            events=opts.events,
            send_s=send_s,
            webhook_p99_ms=1000 * percentile(sorted(x.took for x in sent), 99),
            events_per_s=opts.events / figures["handled_s"] if figures["handled_s"] > 0 else 0.0,
            p50_s=percentile(latencies, 50),
            p99_s=percentile(latencies, 99),
            max_s=latencies[-1] if latencies else 0.0,
            complaints_expected=(opts.users * opts.rounds + 1) * COMPLAINTS_PER_USER,
            rss_peak_mb=rss,
            worker_cpu_s=worker_cpu_s,
            others_cpu=others,
            floor_events_per_s=opts.events / floor_s if floor_s > 0 else 0.0,
            floor_calls=floor_calls,
            floor_s=floor_s,
            calls_per_event=floor_calls / opts.events,
            **figures,
        )
        report.verdicts = verdicts(report)
        if database == "SQLite":
            report.notes.append(
                "SQLite takes one writer at a time: every handler's transaction and every queue update "
                "waits its turn for the file's write lock, so the worker's threads overlap only their calls "
                "to LINE"
            )
        return report
    finally:
        if opts.keep:
            print(f"kept {workdir}", file=log)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def format_report(r: Report) -> str:
    o = r.options
    answers = r.replies + r.pushes
    lines = [
        "",
        f"Worker benchmark on {r.database}: web ({o.web_workers} x {o.web_threads}) + worker "
        f"({o.processes} process(es) x {o.threads} threads), LINE stand-in {o.line_delay_ms:g} ms a call, "
        f"{os.cpu_count()} CPUs",
        f"{r.events} events from {o.users} users ({len(SCRIPT)} each per round, {o.rounds} round(s)): "
        f"webhook took them in {r.send_s:.2f} s ({r.accepted} answered 200, "
        f"p99 {r.webhook_p99_ms:.0f} ms a request)",
        "",
        f"{'':<34} {'rongtook':>12} {'floor':>12}",
        f"{'events handled per second':<34} {r.events_per_s:>12.1f} {r.floor_events_per_s:>12.1f}",
        f"{'first webhook → last answer (s)':<34} {r.handled_s:>12.2f} {r.floor_s:>12.2f}",
        f"{'LINE calls':<34} {r.floor_calls:>12} {r.floor_calls:>12}   ({r.calls_per_event:.2f} per event)",
        f"{'webhook → LINE call p50 (s)':<34} {r.p50_s:>12.3f}",
        f"{'webhook → LINE call p99 / max (s)':<34} {r.p99_s:>7.3f} / {r.max_s:.3f}",
        f"{'answers: replies / pushes':<34} {r.replies:>6} / {r.pushes:<5} "
        f"({(r.replies / answers if answers else 0):.1%} replies)",
        f"{'lost / doubled / out of order':<34} {r.lost} / {r.doubled} / {r.out_of_order}  "
        f"(failed rows {r.failed_rows})",
        f"{'complaints filed':<34} {r.complaints} of {r.complaints_expected} (rehearsal included)",
        f"{'worker peak RSS (per process)':<34} {r.rss_peak_mb:>9.0f} MB",
        f"{'worker CPU during the burst':<34} {r.worker_cpu_s:>9.2f} s "
        f"({1000 * r.worker_cpu_s / r.events:.1f} ms per event)",
        f"{'CPU beside it (same CPUs)':<34} web {r.others_cpu.web:.2f} s, LINE stand-in "
        f"{r.others_cpu.line_standin:.2f} s, load generator {r.others_cpu.load_generator:.2f} s"
        + (f", PostgreSQL {r.others_cpu.postgresql:.2f} s" if r.options.database_url else ""),
        f"ratio rongtook/floor: {r.events_per_s / r.floor_events_per_s if r.floor_events_per_s else 0:.2f}",
        "",
    ]
    lines += [f"{'PASS' if v.passed else 'FAIL'}  {v.name}: {v.measured}" for v in r.verdicts]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, list[str | None]]:
    """The options, and the database of each run (None: SQLite)."""
    d = Options()
    p = argparse.ArgumentParser(prog="python -m bench.worker_bench", description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=d.users, help="users in the burst (default %(default)s)")
    p.add_argument(
        "--rounds",
        type=int,
        default=d.rounds,
        help=f"times each user goes through the {len(SCRIPT)}-event script (default %(default)s)",
    )
    p.add_argument(
        "--line-delay-ms",
        type=float,
        default=d.line_delay_ms,
        help="the stand-in's time per call (default %(default)s)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("WORKER_THREADS", d.threads)),
        help="WORKER_THREADS (default %(default)s)",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=d.processes,
        help="worker processes, each with --threads (default %(default)s)",
    )
    p.add_argument(
        "--web-workers", type=int, default=d.web_workers, help="WEB_CONCURRENCY (default %(default)s)"
    )
    p.add_argument("--web-threads", type=int, default=d.web_threads, help="WEB_THREADS (default %(default)s)")
    p.add_argument("--senders", type=int, default=d.senders, help="webhook connections (default %(default)s)")
    add_run_options(p)
    a = p.parse_args(argv)
    for name in ("users", "rounds", "threads", "processes", "web_workers", "web_threads", "senders"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.line_delay_ms < 0:
        p.error("--line-delay-ms cannot be negative")
    opts = Options(
        users=a.users,
        rounds=a.rounds,
        line_delay_ms=a.line_delay_ms,
        threads=a.threads,
        processes=a.processes,
        web_workers=a.web_workers,
        web_threads=a.web_threads,
        senders=min(a.senders, a.users),
        db_dir=a.db_dir,
        keep=a.keep,
        json=a.json,
        strict=a.strict,
    )
    return opts, database_urls(a)


def report_json(report: Report) -> str:
    return json.dumps(asdict(report) | {"passed": report.passed}, ensure_ascii=False, separators=(",", ":"))


def main(argv: Sequence[str] | None = None) -> int:
    opts, urls = parse_args(argv)
    return run_each(
        urls,
        lambda url: run_benchmark(replace(opts, database_url=url)),
        show=format_report,
        as_json=report_json if opts.json else None,
        passed=lambda report: report.passed,
        strict=opts.strict,
    )


if __name__ == "__main__":
    sys.exit(main())
