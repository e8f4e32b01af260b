"""Webhook benchmark: the real app (`rongtook web`, SQLite or PostgreSQL inbox) against a Flask floor.

Run with `make bench-webhook` (or `python -m bench.webhook_bench --help`). It

1. creates a fresh database (a SQLite file in a temporary directory, or a schema of its own in the
   PostgreSQL of `--postgres-url`; `--database both`, the default, runs SQLite then PostgreSQL), runs
   `rongtook release` (migrate, districts),
   then starts `rongtook web` (gunicorn, gthread) in sandbox mode. The worker is not started: what is
   measured is the webhook accepting a signed body and storing its events durably in the inbox;
2. starts the floor (`bench/floor_app.py`: signature check with the SDK, answer 200) with the same
   gunicorn settings;
3. drives both with keep-alive HTTP connections from a pool of threads, in two modes:
   fixed rate (open loop; latency counted from each request's scheduled time, so a stalled server
   cannot hide its queue) and maximum throughput (closed loop, N clients);
4. prints a table, the ratios and PASS/FAIL against the targets, and checks in the database that
   the inbox holds one row per 200 answer from the app.

Everything is bounded in time and count, talks only to 127.0.0.1, and both server process groups are
killed at the end, including on Ctrl+C or an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.runs import add_run_options, database_urls, loadavg, rongtook_command, run_each
from bench.runs import release as release_database
from bot.sandbox.events import new_id, new_user_id, sign_body, text_event, webhook_body
from bot.settings import SANDBOX_SECRET
from models.clock import clock

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"

# Targets (see the brief): p99 < 50 ms at 200 events/s on SQLite with the durable inbox,
# and maximum throughput at least half of the floor's.
TARGET_P99_MS = 50.0
TARGET_THROUGHPUT_RATIO = 0.5

USERS = 50
THAI_TEXTS = (
    "ถนนหน้าบ้านมีหลุมใหญ่ รถจักรยานยนต์ล้มไปสองคันแล้วครับ",
    "ไฟส่องสว่างในซอยดับมาสามวันแล้วค่ะ มืดมาก อันตราย",
    "มีขยะกองอยู่ริมคลองไม่มีใครมาเก็บ ส่งกลิ่นเหม็น",
    "ท่อระบายน้ำอุดตัน ฝนตกนิดเดียวน้ำก็ท่วมซอย",
    "ทางเท้าชำรุด กระเบื้องแตก คนแก่เดินสะดุดล้ม",
    "มีรถจอดขวางทางเข้าออกซอยทุกวันตอนเช้า",
    "เสียงดังจากไซต์ก่อสร้างตอนตีสอง นอนไม่ได้เลยครับ",
    "ต้นไม้ล้มขวางถนน ช่วยมาตัดด้วยค่ะ",
    "สวัสดีครับ",
    "แจ้งเรื่องร้องเรียน",
)

READY_TIMEOUT_S = 60.0
RELEASE_TIMEOUT_S = 180.0
REQUEST_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
FIXED_GRACE_S = 30.0  # a fixed-rate run gives up sending this long after its last scheduled time
MAX_BODIES_PER_SECOND = 6000  # body pool for the max-throughput mode, per server and second
WARMUP_REQUESTS = 200


# --------------------------------------------------------------------------- options and results


@dataclass
class Options:
    seconds: float = 10.0  # fixed-rate duration
    rate: float = 200.0  # events (= requests) per second in the fixed-rate mode
    clients: int = 8  # closed-loop clients in the max-throughput mode
    max_seconds: float = 5.0  # max-throughput duration
    workers: int = 2  # WEB_CONCURRENCY for both servers
    threads: int = 4  # WEB_THREADS for both servers
    senders: int = 32  # sender threads (= keep-alive connections) in the fixed-rate mode
    warmup: int = WARMUP_REQUESTS
    db_dir: str | None = None  # where the temporary directory goes (default: the system's, e.g. /tmp)
    keep: bool = False  # keep the temporary directory (database, server logs)
    json: bool = False
    strict: bool = False
    # None: a SQLite file in the temporary directory; a PostgreSQL URL: a fresh schema in that database.
    database_url: str | None = None


@dataclass
class PhaseResult:
    server: str
    mode: str  # "fixed" or "max"
    requests: int  # requests sent (answered or failed)
    ok: int  # 200 answers
    errors: int  # non-200 answers, failed connections, requests never sent in time
    duration_s: float
    rate: float  # 200 answers per second
    p50_ms: float
    p99_ms: float
    max_ms: float
    target_rate: float | None = None
    clients: int = 0
    retries: int = 0  # requests resent once because a kept-alive connection had been closed
    exhausted: bool = False  # the max-throughput body pool ran out before the time was up
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class Verdict:
    name: str
    measured: str
    passed: bool


@dataclass
class Report:
    options: Options
    results: list[PhaseResult]
    warmup_ok: dict[str, int]
    rongtook_ok_total: int  # every 200 from the app, warm-up included
    inbox_rows: int
    throughput_ratio: float
    fixed_rate_ratio: float
    verdicts: list[Verdict]
    environment: dict[str, Any]

    def result(self, server: str, mode: str) -> PhaseResult:
        return next(r for r in self.results if r.server == server and r.mode == mode)

    @property
    def stored_matches(self) -> bool:
        return self.inbox_rows == self.rongtook_ok_total

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts) and self.stored_matches


# --------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class Prepared:
    body: bytes
    signature: str


def build_bodies(count: int, secret: str = SANDBOX_SECRET, users: int = USERS) -> list[Prepared]:
    """`count` signed webhook bodies, one text event each, unique webhookEventIds, over `users` users.

    Each user/text pair is built once with `text_event`; the bodies copy it with fresh ids (generating
    LINE-style random ids costs ~0.1 ms each, too slow for tens of thousands of bodies).
    """
    user_ids = [new_user_id() for _ in range(users)]
    templates = [text_event(u, THAI_TEXTS[i % len(THAI_TEXTS)]) for i, u in enumerate(user_ids)]
    prefix = new_id(8)  # the ids are unique per pool, and pools differ by prefix
    now_ms = int(clock.now().timestamp() * 1000)
    out: list[Prepared] = []
    for i in range(count):
        tpl = templates[i % users]
        serial = f"{i:018d}"
        event = {
            **tpl,
            "timestamp": now_ms + i,
            "webhookEventId": prefix + serial,
            "replyToken": secrets.token_hex(16),
            "message": {**tpl["message"], "id": serial, "quoteToken": prefix + serial},
        }
        body = webhook_body([event])
        out.append(Prepared(body.encode("utf-8"), sign_body(secret, body)))
    return out


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_env(workdir: Path, opts: Options, db_url: str, port: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        PHOTO_DIR=str(workdir / "photos"),
        # Empty LINE settings (they override a .env file too): sandbox mode, secret = SANDBOX_SECRET.
        LINE_CHANNEL_SECRET="",
        LINE_CHANNEL_ACCESS_TOKEN="",
        LINE_API_BASE_URL="",
        SECRET_KEY="",
        WEB_CONCURRENCY=str(opts.workers),
        WEB_THREADS=str(opts.threads),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    )
    if port is not None:
        env["PORT"] = str(port)
    return env


def release(workdir: Path, opts: Options, db_url: str) -> str:
    """`rongtook release` on the fresh database: migrate and load the districts."""
    return release_database(server_env(workdir, opts, db_url), workdir, RELEASE_TIMEOUT_S)


def start_server(name: str, command: list[str], workdir: Path, opts: Options, db_url: str) -> Server:
    port = free_port()
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log:
        # A session of its own: the gunicorn master and its workers form one process group to kill.
        proc = subprocess.Popen(
            command,
            env=server_env(workdir, opts, db_url, port),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Server(name, port, proc, log_path)


def wait_ready(server: Server, timeout: float = READY_TIMEOUT_S) -> None:
    """Until GET /healthz answers 200 (the port is bound and a worker has booted), within `timeout`."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}:\n{server.log_tail()}")
        conn = http.client.HTTPConnection(HOST, server.port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return
            last = f"HTTP {resp.status}"
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        time.sleep(0.1)
    raise RuntimeError(
        f"{server.name} not ready on {HOST}:{server.port} after {timeout:.0f} s ({last}):\n"
        f"{server.log_tail()}"
    )


def stop_server(server: Server) -> None:
    """SIGTERM to the whole process group, then SIGKILL if it is still there after a while."""
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(server.proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            continue
        # The master is gone; its workers may linger for a moment: make sure of them too.
        with suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGKILL)
        break


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        stop_server(server)


# --------------------------------------------------------------------------- load generator

RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Client:
    """One keep-alive connection to 127.0.0.1:port, reopened when the server closed it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.reused = False
        self.retries = 0

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.reused = False

    def post(self, item: Prepared) -> int:
        """POST /callback; the HTTP status, or 0 when the connection failed."""
        headers = {"Content-Type": "application/json", "X-Line-Signature": item.signature}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT_S)
            reused = self.reused
            try:
                self.conn.request("POST", "/callback", body=item.body, headers=headers)
                resp = self.conn.getresponse()
                resp.read()
            except RETRYABLE:
                # An idle kept-alive connection the server closed: the request never reached the app,
                # so sending it once more on a fresh connection is safe (and LINE-like: it redelivers).
                self._drop()
                if reused and attempt == 0:
                    self.retries += 1
                    continue
                return 0
            except (OSError, http.client.HTTPException):
                self._drop()
                return 0
            self.reused = True
            if resp.will_close:
                self._drop()
            return resp.status
        return 0

    def close(self) -> None:
        self._drop()


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _summarise(
    server: str, mode: str, statuses: list[int], latencies_s: list[float], duration_s: float, **extra: Any
) -> PhaseResult:
    lat = sorted(x * 1000 for x in latencies_s)
    ok = sum(1 for s in statuses if s == 200)
    counts: dict[str, int] = {}
    for s in statuses:
        key = "unsent" if s < 0 else "failed" if s == 0 else str(s)
        counts[key] = counts.get(key, 0) + 1
    return PhaseResult(
        server=server,
        mode=mode,
        requests=sum(1 for s in statuses if s >= 0),
        ok=ok,
        errors=len(statuses) - ok,
        duration_s=duration_s,
        rate=ok / duration_s if duration_s > 0 else 0.0,
        p50_ms=percentile(lat, 50),
        p99_ms=percentile(lat, 99),
        max_ms=lat[-1] if lat else 0.0,
        statuses=counts,
        **extra,
    )


def _run_threads(count: int, target: Any, name: str, stop: threading.Event) -> None:
    """Run `count` threads to completion; on Ctrl+C (or any error here) tell them to stop, then re-raise."""
    threads = [threading.Thread(target=target, name=f"{name}-{i}", daemon=True) for i in range(count)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except BaseException:
        stop.set()
        for t in threads:
            if t.is_alive():
                t.join(timeout=1.0)
        raise


def run_fixed_rate(
    server: str, port: int, bodies: Sequence[Prepared], rate: float, seconds: float, senders: int
) -> PhaseResult:
    """Open loop: request i is due at start + i/rate, whatever happened to the earlier ones.

    Latency runs from the due time to the end of the answer, so a request that waited for a free
    sender (because the server was slow) counts its wait: no coordinated omission.
    """
    n = min(len(bodies), max(1, int(rate * seconds)))
    statuses = [-1] * n  # -1: never sent (past the grace deadline)
    latencies: list[float | None] = [None] * n
    finished = [0.0] * n
    lock = threading.Lock()
    next_index = 0
    retries = 0
    stop = threading.Event()
    start = time.perf_counter() + 0.05
    give_up = start + n / rate + FIXED_GRACE_S

    def sender() -> None:
        nonlocal next_index, retries
        client = Client(port)
        try:
            while not stop.is_set():
                with lock:
                    i = next_index
                    if i >= n:
                        return
                    next_index += 1
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0 and stop.wait(delay):
                    return
                if time.perf_counter() > give_up:
                    continue  # stays -1: counted as an error, not as a latency
                status = client.post(bodies[i])
                end = time.perf_counter()
                statuses[i], finished[i] = status, end
                if status:
                    latencies[i] = end - due
        finally:
            with lock:
                retries += client.retries
            client.close()

    _run_threads(senders, sender, f"{server}-fixed", stop)
    last = max(finished) if any(finished) else start
    return _summarise(
        server,
        "fixed",
        statuses,
        [x for x in latencies if x is not None],
        max(last - start, 1e-9),
        target_rate=rate,
        clients=senders,
        retries=retries,
    )


def run_max(
    server: str, port: int, bodies: Sequence[Prepared], clients: int, seconds: float, mode: str = "max"
) -> PhaseResult:
    """Closed loop: `clients` connections each send the next body as soon as the last was answered."""
    lock = threading.Lock()
    next_index = 0
    exhausted = False
    statuses: list[int] = []
    latencies: list[float] = []
    last_end = 0.0
    retries = 0
    stop = threading.Event()
    start = time.perf_counter()
    stop_at = start + seconds

    def loop() -> None:
        nonlocal next_index, exhausted, last_end, retries
        client = Client(port)
        mine: list[int] = []
        times: list[float] = []
        end = start
        try:
            while time.perf_counter() < stop_at and not stop.is_set():
                with lock:
                    i = next_index
                    if i >= len(bodies):
                        exhausted = True
                        break
                    next_index += 1
                sent = time.perf_counter()
                status = client.post(bodies[i])
                end = time.perf_counter()
                mine.append(status)
                if status:
                    times.append(end - sent)
        finally:
            client.close()
            with lock:
                statuses.extend(mine)
                latencies.extend(times)
                last_end = max(last_end, end)
                retries += client.retries

    _run_threads(clients, loop, f"{server}-{mode}", stop)
    return _summarise(
        server,
        mode,
        statuses,
        latencies,
        max(last_end - start, 1e-9),
        clients=clients,
        retries=retries,
        exhausted=exhausted,
    )


def count_inbox(db_url: str) -> int:
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM inbox_events")).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def bench_database(opts: Options, workdir: Path) -> Iterator[str]:
    """The app's database: a SQLite file in `workdir`, or a fresh PostgreSQL schema (dropped after)."""
    if not opts.database_url:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    base = opts.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"bench_{secrets.token_hex(5)}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        if getattr(opts, "keep", False):
            print(f"kept PostgreSQL schema {schema}", file=sys.stderr)
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def backend_of(opts: Options) -> str:
    return "PostgreSQL" if opts.database_url else "SQLite"


# --------------------------------------------------------------------------- the run


def run_benchmark(opts: Options, log: Any = None) -> Report:
    """Start both servers, run both modes against both, stop them; the figures and the verdicts."""

    def say(msg: str) -> None:
        if log is not None:
            print(msg, file=log, flush=True)

    load_before = loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="rongtook-bench-", dir=opts.db_dir))
    try:
        with ExitStack() as stack:
            db_url = stack.enter_context(bench_database(opts, workdir))
            say(f"workdir {workdir}; {backend_of(opts)}; rongtook release …")
            say("  " + release(workdir, opts, db_url).replace("\n", "\n  "))
            app_command = rongtook_command() + ["web"]
            floor_command = [sys.executable, "-m", "bench.floor_app"]
            app = stack.enter_context(running(start_server("rongtook", app_command, workdir, opts, db_url)))
            floor = stack.enter_context(running(start_server("floor", floor_command, workdir, opts, db_url)))
            for server in (app, floor):
                wait_ready(server)
            say(
                f"servers ready: rongtook on {HOST}:{app.port}, floor on {HOST}:{floor.port} "
                f"({opts.workers} workers x {opts.threads} threads, gthread)"
            )

            n_fixed = max(1, int(opts.rate * opts.seconds))
            n_max = max(1000, int(MAX_BODIES_PER_SECOND * opts.max_seconds))
            say(f"building {2 * (opts.warmup + n_fixed + n_max)} signed bodies …")
            pools = {
                s.name: (build_bodies(opts.warmup), build_bodies(n_fixed), build_bodies(n_max))
                for s in (app, floor)
            }

            warmup_ok: dict[str, int] = {}
            for server in (app, floor):
                if opts.warmup:
                    warm = run_max(
                        server.name, server.port, pools[server.name][0], opts.clients, 10.0, mode="warmup"
                    )
                    warmup_ok[server.name] = warm.ok
            results: list[PhaseResult] = []
            for server in (app, floor):
                say(f"fixed rate: {server.name}, {opts.rate:g}/s for {opts.seconds:g} s …")
                results.append(
                    run_fixed_rate(
                        server.name, server.port, pools[server.name][1], opts.rate, opts.seconds, opts.senders
                    )
                )
                time.sleep(0.5)
            for server in (app, floor):
                say(f"max throughput: {server.name}, {opts.clients} clients for {opts.max_seconds:g} s …")
                results.append(
                    run_max(server.name, server.port, pools[server.name][2], opts.clients, opts.max_seconds)
                )
                time.sleep(0.5)
            rongtook_ok = warmup_ok.get("rongtook", 0) + sum(r.ok for r in results if r.server == "rongtook")
            inbox_rows = count_inbox(db_url)
        report = _report(opts, results, warmup_ok, rongtook_ok, inbox_rows)
        # Other work on the machine skews the figures: say how busy it was.
        report.environment["loadavg_1min"] = {"before": load_before, "after": loadavg()}
        return report
    finally:
        if opts.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _report(
    opts: Options, results: list[PhaseResult], warmup_ok: dict[str, int], rongtook_ok: int, inbox_rows: int
) -> Report:
    by = {(r.server, r.mode): r for r in results}
    app_fixed, floor_fixed = by["rongtook", "fixed"], by["floor", "fixed"]
    app_max, floor_max = by["rongtook", "max"], by["floor", "max"]
    throughput_ratio = app_max.rate / floor_max.rate if floor_max.rate else 0.0
    fixed_ratio = app_fixed.rate / floor_fixed.rate if floor_fixed.rate else 0.0
    verdicts = [
        Verdict(
            f"rongtook p99 < {TARGET_P99_MS:g} ms at {opts.rate:g} events/s "
            f"({backend_of(opts)}, durable inbox), no errors",
            f"p99 {app_fixed.p99_ms:.1f} ms, {app_fixed.errors} errors",
            app_fixed.p99_ms < TARGET_P99_MS and app_fixed.errors == 0 and app_fixed.ok > 0,
        ),
        Verdict(
            f"rongtook throughput >= {TARGET_THROUGHPUT_RATIO:.0%} of the floor's",
            f"{app_max.rate:.0f}/s vs {floor_max.rate:.0f}/s = {throughput_ratio:.0%}",
            throughput_ratio >= TARGET_THROUGHPUT_RATIO,
        ),
    ]
    environment = {
        "python": platform.python_version(),
        "database": backend_of(opts),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    return Report(
        opts,
        results,
        warmup_ok,
        rongtook_ok,
        inbox_rows,
        throughput_ratio,
        fixed_ratio,
        verdicts,
        environment,
    )


def format_report(report: Report) -> str:
    o = report.options
    lines = [
        "",
        f"Webhook benchmark on {report.environment['database']}: {o.workers} gunicorn workers x "
        f"{o.threads} threads (gthread), loopback, "
        f"{report.environment['cpus']} CPUs, Python {report.environment['python']}, "
        f"SQLite {report.environment['sqlite']}; load average (1 min) before/after: "
        f"{report.environment.get('loadavg_1min', {}).get('before')}/"
        f"{report.environment.get('loadavg_1min', {}).get('after')}",
        f"fixed rate: {o.rate:g} events/s for {o.seconds:g} s, open loop over {o.senders} connections "
        "(latency from the scheduled send time); max: "
        f"{o.clients} closed-loop clients for {o.max_seconds:g} s",
        "",
        f"{'server':<9} {'mode':<12} {'requests':>8} {'rate/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'errors':>6}",
    ]
    for r in report.results:
        mode = f"fixed {r.target_rate:g}/s" if r.mode == "fixed" else f"max {r.clients}c"
        note = []
        if r.retries:
            note.append(f"{r.retries} resent on a fresh connection")
        if r.exhausted:
            note.append("body pool ran out")
        if r.errors:
            note.append("statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items())))
        lines.append(
            f"{r.server:<9} {mode:<12} {r.requests:>8} {r.rate:>8.1f} {r.p50_ms:>8.2f} "
            f"{r.p99_ms:>8.2f} {r.max_ms:>8.2f} {r.errors:>6}" + (f"  ({'; '.join(note)})" if note else "")
        )
    app_fixed, floor_fixed = report.result("rongtook", "fixed"), report.result("floor", "fixed")
    lines += [
        "",
        f"ratio rongtook/floor, max throughput: {report.throughput_ratio:.2f}",
        f"ratio rongtook/floor, fixed-rate achieved rate: {report.fixed_rate_ratio:.2f}; "
        f"p99 {app_fixed.p99_ms:.2f} ms vs {floor_fixed.p99_ms:.2f} ms",
        "",
    ]
    for v in report.verdicts:
        lines.append(f"{'PASS' if v.passed else 'FAIL'}  {v.name}: {v.measured}")
    lines.append(
        f"{'OK  ' if report.stored_matches else 'FAIL'}  stored in the inbox: "
        f"{report.inbox_rows} rows; 200 answers from rongtook: {report.rongtook_ok_total} "
        "(warm-up included)"
    )
    return "\n".join(lines)


def report_json(report: Report) -> str:
    data = {
        "options": asdict(report.options),
        "results": [asdict(r) for r in report.results],
        "warmup_ok": report.warmup_ok,
        "throughput_ratio": round(report.throughput_ratio, 4),
        "fixed_rate_ratio": round(report.fixed_rate_ratio, 4),
        "targets": [asdict(v) for v in report.verdicts],
        "inbox_rows": report.inbox_rows,
        "rongtook_ok_total": report.rongtook_ok_total,
        "stored_matches": report.stored_matches,
        "passed": report.passed,
        "environment": report.environment,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, list[str | None]]:
    """The options, and the database of each run (None: SQLite)."""
    d = Options()
    p = argparse.ArgumentParser(prog="python -m bench.webhook_bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--seconds", type=float, default=d.seconds, help="fixed-rate duration (default %(default)s)"
    )
    p.add_argument("--rate", type=float, default=d.rate, help="fixed rate, events/s (default %(default)s)")
    p.add_argument(
        "--clients",
        type=int,
        default=d.clients,
        help="closed-loop clients in the max-throughput mode (default %(default)s)",
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=d.max_seconds,
        help="max-throughput duration (default %(default)s)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", d.workers)),
        help="gunicorn workers for both servers (WEB_CONCURRENCY; default %(default)s)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("WEB_THREADS", d.threads)),
        help="gunicorn threads per worker for both servers (WEB_THREADS; default %(default)s)",
    )
    p.add_argument(
        "--senders",
        type=int,
        default=d.senders,
        help="connections for the fixed-rate mode (default %(default)s)",
    )
    p.add_argument(
        "--warmup", type=int, default=d.warmup, help="warm-up requests per server (default %(default)s)"
    )
    add_run_options(p)
    a = p.parse_args(argv)
    for name in ("seconds", "rate", "max_seconds"):
        if getattr(a, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be greater than zero")
    for name in ("clients", "workers", "threads", "senders"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1")
    return Options(
        seconds=a.seconds,
        rate=a.rate,
        clients=a.clients,
        max_seconds=a.max_seconds,
        workers=a.workers,
        threads=a.threads,
        senders=a.senders,
        warmup=max(0, a.warmup),
        db_dir=a.db_dir,
        keep=a.keep,
        json=a.json,
        strict=a.strict,
    ), database_urls(a)


def main(argv: Sequence[str] | None = None) -> int:
    opts, urls = parse_args(argv)
    return run_each(
        urls,
        lambda url: run_benchmark(replace(opts, database_url=url), log=sys.stderr),
        show=format_report,
        as_json=report_json if opts.json else None,
        passed=lambda report: report.passed,
        strict=opts.strict,
    )


if __name__ == "__main__":
    sys.exit(main())
