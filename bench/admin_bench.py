"""Staff pages benchmark (issue 19 point 3): every staff page at a million complaints, signed in, warm, each
beside its SQL floor measured in the same run.

Run with `make bench-admin` (or `python -m bench.admin_bench --help`; `--count 20000` for a quick run).
PostgreSQL only. It

1. makes a fresh schema in the database of `--database-url` (BENCH_DATABASE_URL, else TEST_DATABASE_URL,
   else the local test database), runs `rongtook release` (migrate, districts, sections, categories) and
   adds `--count` complaints shaped like real ones over the last `--days` (`bench/complaint_generator.py`:
   tracking codes in the app's format, Thai descriptions from the Traffy sample, event logs), saying how
   long that took (and builds the KPI facts the app keeps per complaint, where it has them: the generator
   writes past the app). `--keep` keeps the schema; `--reuse SCHEMA` measures a kept one again (its migrations
   brought up to date by `rongtook release`, no generation: filling a million takes minutes);
2. adds an admin staff account and starts `rongtook web` as the Procfile does (gunicorn, `--workers` x
   `--threads`, production settings), then signs in through the real login form (its CSRF token);
3. for each page: `--warmup` requests (the first one's time printed: a cold worker, a cache built), then
   `--requests` requests, one at a time on one kept-alive connection, each followed by its floor, the bare
   SQL the page at least needs, with psycopg directly (no ORM, no Flask, no HTTP), so both see the same
   database cache. Pages: the dashboard; the complaint list with no filter, by district, status, category,
   dates, overdue, a Thai word, a tracking code, and its page 500; a complaint's page; the KPI overview and
   one district's drill-down; the monthly reports page of one district and its CPL_R001 XLSX;
4. exports of the district nearest 20,000 complaints, CSV and XLSX, timed to the last byte
   (`--export-requests` each), beside COPY of the same columns and rows; then one CSV and one XLSX of
   about `--export-rows` complaints (the newest days), sampling the web workers' memory (/proc): flat
   means the serving worker's peak grew by less than `FLAT_MB`;
5. prints the table and PASS/FAIL against the targets (each page p95 < 300 ms; the district's export
   < 1 s as CSV, < 2 s as XLSX; memory flat).

Everything talks only to 127.0.0.1; the server's process group is stopped at the end, also on Ctrl+C,
and the schema dropped (unless kept or reused). Exit status 0; 1 with `--strict` when a target is
missed; 2 when the run could not be made.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.complaint_generator import generate
from bench.open311_bench import Latency, summarise
from bench.pg_schema import schema_url
from bench.public_bench import Options as PublicOptions
from bench.public_bench import app_env, memory_mb, reset_peaks, worker_pids
from bench.runs import DEFAULT_PG, loadavg
from bench.runs import release as release_database
from bench.webhook_bench import HOST, Server, Verdict, free_port, rongtook_command, running, wait_ready
from bench.worker_bench import start
from kpi.submissions import be_month
from models.clock import BANGKOK, clock
from models.complaints import Complaint
from models.db import make_engine, make_session_factory, transaction
from models.staff import StaffUser, add_user, set_password

REPO = Path(__file__).resolve().parents[1]
TARGET_PAGE_P95_MS = 300.0
TARGET_CSV_S = 1.0
TARGET_XLSX_S = 2.0
FLAT_MB = 30.0  # an export's serving worker may grow by less than this at its peak
EXPORT_ROWS_AIM = 20_000  # the district whose complaints are nearest this is exported
PAGE_SIZE = 50  # admin.views.PAGE_SIZE
DEEP_PAGE = 500
SEARCH_COUNT_CAP = 1_000  # admin.views.SEARCH_COUNT_CAP: a word search is counted this far
OPEN_SQL = "status IN ('routed', 'acknowledged', 'in_progress')"
ORDER = "ORDER BY created_at DESC, id DESC"
# Words a staff member searches the descriptions for; the first that the complaints hold is used.
WORDS = ("ขยะ", "น้ำท่วม", "ไฟฟ้า", "ถนน", "ทางเท้า")
USERNAME = "bench-admin"
RELEASE_TIMEOUT_S = 900.0  # a reused million may get a new migration's indexes built
REQUEST_TIMEOUT_S = 600.0
SAMPLE_EVERY_S = 0.1
CHUNK = 64 * 1024
EXPORT_COLUMNS = (
    "c.tracking_code, c.created_at, d.name_th, c.category, c.channel, c.status, c.description, "
    "c.ack_due_at, c.acknowledged_at, c.first_progress_due_at, c.resolved_at, c.rating"
)
PAGES = (
    "dashboard",
    "list",
    "list_district",
    "list_status",
    "list_category",
    "list_dates",
    "list_overdue",
    "list_word",
    "list_code",
    "list_page500",
    "complaint",
    "kpi",
    "kpi_district",
    "reports",
    "report_xlsx",
)


@dataclass
class Options:
    count: int = 1_000_000
    seed: int = 1
    days: int = 900
    requests: int = 20
    warmup: int = 3
    export_requests: int = 5
    export_rows: int = 100_000
    workers: int = int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads: int = int(os.environ.get("WEB_THREADS", "4"))
    database_url: str = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    )
    reuse: str | None = None  # a kept schema to measure again (no generation)
    pages: tuple[str, ...] = PAGES
    exports: bool = True
    db_dir: str | None = None
    keep: bool = False
    json: bool = False
    strict: bool = False


@dataclass
class PageResult:
    """One page: its answers and their floor."""

    key: str
    path: str  # the first request's path (for the printout)
    first_ms: float  # the first warm-up request: a cold worker, or a cache built
    page: Latency
    floor: Latency
    floor_name: str


@dataclass
class ExportResult:
    """One format's export of the district nearest EXPORT_ROWS_AIM complaints, to the last byte."""

    fmt: str
    rows: int
    megabytes: float
    time: Latency
    floor: Latency  # COPY of the same columns and rows as CSV


@dataclass
class MemoryResult:
    """One export of about `export_rows` complaints while the web workers' memory was sampled."""

    fmt: str
    status: int
    rows: int  # the rows the query gives (the floor's count)
    megabytes: float
    seconds: float
    rss_start_mb: float  # the serving worker's resident set before the export
    rss_end_mb: float
    peak_growth_mb: float  # its peak (VmHWM, reset first where the kernel allows) less the start
    peak_source: str

    @property
    def growth_mb(self) -> float:
        return self.rss_end_mb - self.rss_start_mb


@dataclass
class Report:
    options: Options
    schema: str
    generation: str
    complaints: int
    pages: list[PageResult]
    exports: list[ExportResult]
    memory: list[MemoryResult]
    verdicts: list[Verdict]
    choices: dict[str, Any] = field(default_factory=dict)  # the district, category, word ... measured
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


# --------------------------------------------------------------------------- HTTP, signed in


class Client:
    """One kept-alive connection to the app, with the session cookie it was given (one user's browser)."""

    RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = dict(cookies or {})
        self.conn: http.client.HTTPConnection | None = None
        self.location: str | None = None  # the last answer's Location header

    def _headers(self, body: bytes | None) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers

    def _keep(self, response: http.client.HTTPResponse) -> None:
        self.location = response.getheader("Location")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()

    def request(
        self, method: str, path: str, body: bytes | None = None, sink: Callable[[bytes], None] | None = None
    ) -> tuple[int, bytes]:
        """The status and body (with `sink`, each piece is given to it as it comes and the body is empty);
        status 0 when the connection failed."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT_S)
            try:
                self.conn.request(method, path, body=body, headers=self._headers(body))
                response = self.conn.getresponse()
                self._keep(response)
                if sink is None:
                    data = response.read()
                else:
                    data = b""
                    while piece := response.read(CHUNK):
                        sink(piece)
            except self.RETRYABLE:
                self.close()
                if attempt == 0:  # an idle kept-alive connection the server closed
                    continue
                return 0, b""
            except (OSError, http.client.HTTPException):
                self.close()
                return 0, b""
            if response.will_close:
                self.close()
            return response.status, data
        return 0, b""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


def sign_in(port: int, username: str, password: str) -> Client:
    """Through the login form, as a browser: its page (and CSRF token), then the form posted."""
    client = Client(port)
    status, page = client.request("GET", "/admin/login")
    found = CSRF.search(page)
    if status != 200 or found is None:
        raise RuntimeError(f"the login page answered {status} without a CSRF token")
    form = urlencode({"username": username, "password": password, "csrf_token": found.group(1).decode()})
    status, _ = client.request("POST", "/admin/login", body=form.encode())
    if status != 302 or client.location is None or "/login" in client.location:
        raise RuntimeError(f"signing in answered {status} ({client.location}), not a redirect onwards")
    return client


# --------------------------------------------------------------------------- the floors


class Floor:
    """The bare SQL of each page, with psycopg directly (no ORM, no Flask, no HTTP)."""

    def __init__(self, db_url: str) -> None:
        parsed = make_url(db_url)
        self.conn = psycopg.connect(
            host=parsed.host or "",
            port=parsed.port or 5432,
            user=parsed.username or "",
            password=parsed.password or "",
            dbname=parsed.database or "",
            options=str(parsed.query.get("options", "") or ""),
        )

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one statement, in a transaction of its own (as the app's session)."""
        with self.conn.cursor() as cur:
            cur.execute(sql, args)  # type: ignore[arg-type]
            rows = cur.fetchall() if cur.description else []
        self.conn.commit()
        return rows

    def list_page(self, where: str, args: Sequence[Any], offset: int = 0, capped: bool = False) -> None:
        """The list's minimum: the count of the matching rows and one page of them, newest first."""
        if capped:  # a word search is counted up to the cap, as the page counts it
            self.all(
                f"SELECT count(*) FROM (SELECT 1 FROM complaints WHERE {where} "
                f"LIMIT {SEARCH_COUNT_CAP + 1}) m",
                args,
            )
        else:
            self.all(f"SELECT count(*) FROM complaints WHERE {where}", args)
        self.all(f"SELECT * FROM complaints WHERE {where} {ORDER} LIMIT {PAGE_SIZE} OFFSET {offset}", args)

    def complaint(self, code: str) -> None:
        """The complaint by its code, its district and its events."""
        (row,) = self.all("SELECT id, district_code FROM complaints WHERE tracking_code = %s", (code,))
        self.all("SELECT * FROM complaints WHERE id = %s", (row[0],))
        self.all("SELECT code, name_th FROM districts WHERE code = %s", (row[1],))
        self.all("SELECT * FROM complaint_events WHERE complaint_id = %s ORDER BY at, id", (row[0],))

    def kpi_counts(self, start: datetime, end: datetime, district: str | None = None) -> None:
        """The KPI's counts per district over the fiscal year so far (received, acknowledged and first
        report on time, closed), without the scorer's verdict per complaint."""
        where = "routed_at >= %s AND routed_at <= %s" + (" AND district_code = %s" if district else "")
        args: tuple[Any, ...] = (start, end, district) if district else (start, end)
        self.all(
            "SELECT district_code, count(*), count(*) FILTER (WHERE acknowledged_at <= ack_due_at), "
            "count(*) FILTER (WHERE first_progress_at <= first_progress_due_at), "
            "count(*) FILTER (WHERE status IN ('resolved', 'rejected')) "
            f"FROM complaints WHERE {where} GROUP BY district_code",
            args,
        )

    def month_report(self, district: str, start: datetime, end: datetime) -> None:
        """A month's report at least reads the month's complaints of the district and its open backlog at
        the month's end with their replayed events (here: just the rows)."""
        self.all(
            "SELECT id, routed_at, status, channel, acknowledged_at, ack_due_at, first_progress_at, "
            "first_progress_due_at FROM complaints WHERE district_code = %s AND routed_at >= %s "
            "AND routed_at < %s",
            (district, start, end),
        )
        self.backlog(district, end)

    def backlog(self, district: str, end: datetime) -> None:
        """CPL_R001's minimum: the district's complaints open at the month's end, oldest first."""
        self.all(
            "SELECT id, tracking_code, category, routed_at, status FROM complaints WHERE district_code = %s "
            f"AND routed_at < %s AND ({OPEN_SQL} OR resolved_at >= %s) ORDER BY routed_at, id",
            (district, end, end),
        )

    def copy_csv(self, where: str, args: Sequence[Any]) -> tuple[int, int]:
        """COPY of the export's columns (the same join, rows and order) as CSV: bytes, rows."""
        sql = (
            f"COPY (SELECT {EXPORT_COLUMNS} FROM complaints c "
            "LEFT JOIN districts d ON d.code = c.district_code "
            f"WHERE {where} ORDER BY c.created_at DESC, c.id DESC) TO STDOUT WITH (FORMAT csv, HEADER)"
        )
        size = rows = 0
        with self.conn.cursor() as cur, cur.copy(sql, args) as copy:  # type: ignore[arg-type]
            for block in copy:
                size += len(block)
                rows += bytes(block).count(b"\n")
        self.conn.commit()
        return size, rows - 1

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- the pages


@dataclass
class Ask:
    """One page to measure: its paths (one per request, cycled), how a right answer looks, its floor."""

    key: str
    title: str
    paths: Callable[[int], str]  # the i-th request's path
    floor: Callable[[int], None]  # the i-th request's floor
    floor_name: str
    answered: Callable[[int, int, bytes], bool] = lambda _i, status, _body: status == 200


def measure(client: Client, ask: Ask, warmup: int, requests: int, say: Callable[[str], None]) -> PageResult:
    """Warm-up requests (the first timed), then each measured request followed by its floor."""
    first_ms = 0.0
    for i in range(warmup):
        started = time.perf_counter()
        status, _ = client.request("GET", ask.paths(i))
        if i == 0:
            first_ms = (time.perf_counter() - started) * 1000
            if status != 200:
                say(f"  {ask.title}: the first answer was {status}")
        ask.floor(i)
    statuses, times, floor_times = [], [], []
    for n in range(requests):
        i = warmup + n
        started = time.perf_counter()
        status, body = client.request("GET", ask.paths(i))
        times.append(time.perf_counter() - started)
        statuses.append(status if ask.answered(i, status, body) else 0)
        started = time.perf_counter()
        ask.floor(i)
        floor_times.append(time.perf_counter() - started)
    page = summarise(ask.title, statuses, times)
    floor = summarise("  floor: " + ask.floor_name, [200] * len(floor_times), floor_times)
    say(
        f"  {ask.title}: p50 {page.p50_ms:.0f} ms, p95 {page.p95_ms:.0f} ms (floor p95 {floor.p95_ms:.0f} ms)"
    )
    return PageResult(ask.key, ask.paths(warmup), first_ms, page, floor, ask.floor_name)


def export_once(client: Client, path: str) -> tuple[int, float, int, int]:
    """One export read to its last byte as it streams: status, seconds, bytes, lines."""
    size = lines = 0

    def sink(piece: bytes) -> None:
        nonlocal size, lines
        size += len(piece)
        lines += piece.count(b"\n")

    started = time.perf_counter()
    status, _ = client.request("GET", path, sink=sink)
    return status, time.perf_counter() - started, size, lines


def measure_export(
    client: Client,
    fmt: str,
    query: dict[str, str],
    where: str,
    args: Sequence[Any],
    floor: Floor,
    opts: Options,
) -> ExportResult:
    path = f"/admin/complaints/export.{fmt}?" + urlencode(query)
    export_once(client, path)  # warm-up
    statuses, times, floor_times = [], [], []
    size = 0
    rows = 0
    for _ in range(opts.export_requests):
        status, seconds, size, _ = export_once(client, path)
        statuses.append(status)
        times.append(seconds)
        started = time.perf_counter()
        _, rows = floor.copy_csv(where, args)
        floor_times.append(time.perf_counter() - started)
    name = f"GET export.{fmt} of one district ({rows:,} rows)"
    return ExportResult(
        fmt=fmt,
        rows=rows,  # the floor's count (a description may hold a line break: CSV lines are not rows)
        megabytes=size / 2**20,
        time=summarise(name, statuses, times),
        floor=summarise("  floor: COPY of the same columns and rows", [200] * len(floor_times), floor_times),
    )


def measure_memory(
    port: int, cookies: dict[str, str], master: int, fmt: str, path: str, rows: int
) -> MemoryResult:
    """One export on a connection of its own, the web workers' memory sampled meanwhile (/proc)."""
    pids = worker_pids(master)
    before = {pid: memory_mb(pid) for pid in pids}
    peaks_reset = reset_peaks(pids)
    sampled = {pid: before[pid] for pid in pids}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in pids:
                sampled[pid] = max(sampled[pid], memory_mb(pid))
            done.wait(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    client = Client(port, cookies)
    try:
        status, seconds, size, _ = export_once(client, path)
    finally:
        client.close()
        done.set()
        sampler.join()
    after = {pid: memory_mb(pid) for pid in pids}
    peaks = {pid: memory_mb(pid, "VmHWM") for pid in pids} if peaks_reset else sampled
    growth = {pid: peaks[pid] - before[pid] for pid in pids}
    serving = max(growth, key=lambda pid: growth[pid]) if growth else 0
    return MemoryResult(
        fmt=fmt,
        status=status,
        rows=rows,
        megabytes=size / 2**20,
        seconds=seconds,
        rss_start_mb=before.get(serving, 0.0),
        rss_end_mb=after.get(serving, 0.0),
        peak_growth_mb=growth.get(serving, 0.0),
        peak_source="VmHWM reset before the export" if peaks_reset else "sampled VmRSS (VmHWM not reset)",
    )


# --------------------------------------------------------------------------- the run


@contextmanager
def bench_schema(opts: Options) -> Iterator[tuple[str, str]]:
    """The app's database URL and its schema: a reused one, or a fresh one dropped after (unless kept)."""
    base = opts.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if opts.reuse:
        yield schema_url(base, opts.reuse), opts.reuse
        return
    schema = f"bench_admin_{secrets.token_hex(4)}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema_url(base, schema), schema
    finally:
        if opts.keep:
            print(
                f"kept PostgreSQL schema {schema} (measure it again with --reuse {schema})", file=sys.stderr
            )
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def keep_kpi_facts(env: dict[str, str], workdir: Path) -> str:
    """The generator writes rows by COPY, past the app: where the app keeps KPI facts per complaint
    (`rongtook kpi rebuild-facts`), they are built from the generated event log, as a deployment has them.
    What it said ("" when this version of the app has no such command)."""
    done = subprocess.run(
        [*rongtook_command(), "kpi", "rebuild-facts"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=RELEASE_TIMEOUT_S * 4,
        check=False,
    )
    if done.returncode != 0:
        if "invalid choice" in done.stderr:
            return ""
        # Not this benchmark's to judge: the pages are measured all the same, the failure said.
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"rongtook kpi rebuild-facts failed ({done.returncode}): {last}"
    return done.stdout.strip()


def admin_account(session_factory: Any, now: datetime) -> str:
    """The benchmark's admin account (made, or its password set anew on a reused schema): its password."""
    password = secrets.token_urlsafe(18)
    with transaction(session_factory) as s:
        user = s.scalar(select(StaffUser).where(StaffUser.username == USERNAME))
        if user is None:
            add_user(s, USERNAME, password, "admin", None, now)
        else:
            user.active = True
            set_password(s, user, password)
    return password


def previous_month(today: date) -> date:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    following = (month + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(month, day_time(), BANGKOK),
        datetime.combine(following, day_time(), BANGKOK),
    )


def fiscal_year_start(today: date) -> datetime:
    """1 October of the Thai fiscal year `today` falls in, Bangkok."""
    year = today.year if today.month >= 10 else today.year - 1
    return datetime.combine(date(year, 10, 1), day_time(), BANGKOK)


def pick(floor: Floor, opts: Options, rng: random.Random, today: date) -> dict[str, Any]:
    """What the pages are asked for: the district nearest 20,000 complaints, the commonest category, a word
    the descriptions hold, random tracking codes, a date range of about `export_rows` complaints."""
    by_district = floor.all(
        "SELECT district_code, count(*) FROM complaints WHERE district_code IS NOT NULL GROUP BY 1"
    )
    if not by_district:
        raise RuntimeError("no complaints to measure with")
    district, district_rows = min(by_district, key=lambda r: (abs(r[1] - EXPORT_ROWS_AIM), r[0]))
    (category, category_rows), *_ = floor.all(
        "SELECT category, count(*) FROM complaints WHERE category IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    sample = [r[0] for r in floor.all("SELECT description FROM complaints ORDER BY id DESC LIMIT 2000")]
    word = next((w for w in WORDS if any(w in d for d in sample)), WORDS[0])
    wanted = opts.warmup + opts.requests
    codes = [
        r[0] for r in floor.all("SELECT tracking_code FROM complaints ORDER BY random() LIMIT %s", (wanted,))
    ]
    codes = [codes[i % len(codes)] for i in range(wanted)]
    (total,) = floor.all("SELECT count(*) FROM complaints")[0]
    found = floor.all(
        "SELECT created_at FROM complaints ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
        (max(0, min(opts.export_rows, total) - 1),),
    )
    since = found[0][0].astimezone(BANGKOK).date() if found else today
    rng.shuffle(codes)
    return {
        "district": district,
        "district_rows": int(district_rows),
        "category": category,
        "category_rows": int(category_rows),
        "word": word,
        "codes": codes,
        "total": int(total),
        "memory_since": since,
    }


def pages_to_ask(floor: Floor, chosen: dict[str, Any], today: date, now: datetime) -> dict[str, Ask]:
    district, category, word, codes = chosen["district"], chosen["category"], chosen["word"], chosen["codes"]
    dates_from = today - timedelta(days=29)
    day_start = datetime.combine(dates_from, day_time(), BANGKOK)
    day_end = datetime.combine(today + timedelta(days=1), day_time(), BANGKOK)
    deep = min(DEEP_PAGE, max(1, -(-chosen["total"] // PAGE_SIZE)))
    month = previous_month(today)
    m_start, m_end = month_bounds(month)
    fy_start = fiscal_year_start(today)

    def fixed(path: str) -> Callable[[int], str]:
        return lambda _i: path

    def listing(query: dict[str, str]) -> Callable[[int], str]:
        return fixed("/admin/complaints?" + urlencode(query) if query else "/admin/complaints")

    def listed(_i: int, status: int, body: bytes) -> bool:
        return status == 200 and b'data-testid="total"' in body

    def code_listed(i: int, status: int, body: bytes) -> bool:
        return listed(i, status, body) and codes[i % len(codes)].encode() in body

    def complaint_shown(i: int, status: int, body: bytes) -> bool:
        return status == 200 and codes[i % len(codes)].encode() in body

    def xlsx(_i: int, status: int, body: bytes) -> bool:
        return status == 200 and body[:2] == b"PK"

    like = "%" + word + "%"
    open_routed = "status = 'routed' AND ack_due_at < %s"
    asks = [
        Ask("dashboard", "GET /admin/ (dashboard)", fixed("/admin/"),
            lambda _i: floor.all("SELECT status, count(*) FROM complaints GROUP BY status"),
            "count by status"),
        Ask("list", "GET /admin/complaints (no filter)", listing({}),
            lambda _i: floor.list_page("TRUE", ()), "count + 50 newest rows", listed),
        Ask("list_district", f"  … district={district}", listing({"district": district}),
            lambda _i: floor.list_page("district_code = %s", (district,)), "count + 50 rows of the district",
            listed),
        Ask("list_status", "  … status=in_progress", listing({"status": "in_progress"}),
            lambda _i: floor.list_page("status = %s", ("in_progress",)), "count + 50 rows of the status",
            listed),
        Ask("list_category", "  … category (the commonest)", listing({"category": category}),
            lambda _i: floor.list_page("category = %s", (category,)), "count + 50 rows of the category",
            listed),
        Ask("list_dates", "  … from/to (the last 30 days)",
            listing({"from": dates_from.isoformat(), "to": today.isoformat()}),
            lambda _i: floor.list_page("created_at >= %s AND created_at < %s", (day_start, day_end)),
            "count + 50 rows of the dates", listed),
        Ask("list_overdue", "  … overdue=ack", listing({"overdue": "ack"}),
            lambda _i: floor.list_page(open_routed, (now,)), "count + 50 overdue rows", listed),
        Ask("list_word", f"  … q={word} (a Thai word)", listing({"q": word}),
            lambda _i: floor.list_page("description ILIKE %s", (like,), capped=True),
            f"count (to {SEARCH_COUNT_CAP:,}) + 50 rows with the word", listed),
        Ask("list_code", "  … q=<tracking code> (random)",
            lambda i: "/admin/complaints?" + urlencode({"q": codes[i % len(codes)]}),
            lambda i: floor.list_page("tracking_code = %s", (codes[i % len(codes)],)), "the row by its code",
            code_listed),
        Ask("list_page500", f"  … page={deep}", listing({"page": str(deep)}),
            lambda _i: floor.list_page("TRUE", (), offset=(deep - 1) * PAGE_SIZE),
            f"count + 50 rows at page {deep}",
            listed),
        Ask("complaint", "GET /admin/complaints/<code> (random)",
            lambda i: f"/admin/complaints/{codes[i % len(codes)]}",
            lambda i: floor.complaint(codes[i % len(codes)]),
            "row by code, district, events", complaint_shown),
        Ask("kpi", "GET /admin/kpi (KPI overview)", fixed("/admin/kpi"),
            lambda _i: floor.kpi_counts(fy_start, now), "KPI counts GROUP BY district (FY so far)"),
        Ask("kpi_district", f"GET /admin/kpi/{district} (drill-down)", fixed(f"/admin/kpi/{district}"),
            lambda _i: floor.kpi_counts(fy_start, now, district), "the district's KPI counts"),
        Ask("reports", f"GET /admin/reports ({district}, {be_month(month)})",
            fixed("/admin/reports?" + urlencode({"district": district, "month": be_month(month)})),
            lambda _i: floor.month_report(district, m_start, m_end),
            "the month's rows and the backlog's rows"),
        Ask("report_xlsx", "  … its CPL_R001 XLSX",
            fixed(f"/admin/reports/{district}/{be_month(month)}/cpl-r001.xlsx"),
            lambda _i: floor.backlog(district, m_end), "the backlog's rows at the month's end", xlsx),
    ]  # fmt: skip
    return {a.key: a for a in asks}


def run_benchmark(opts: Options, log: Any = None) -> Report:
    def say(msg: str) -> None:
        if log is not None:
            print(msg, file=log, flush=True)

    if make_url(opts.database_url).get_backend_name() != "postgresql":
        raise ValueError("needs PostgreSQL (--database-url, BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    load_before = loadavg()
    rng = random.Random(opts.seed)
    workdir = Path(tempfile.mkdtemp(prefix="rongtook-admin-", dir=opts.db_dir))
    try:
        with ExitStack() as stack:
            db_url, schema = stack.enter_context(bench_schema(opts))
            env = app_env(workdir, _public_options(opts), db_url)
            engine = make_engine(db_url)
            stack.callback(engine.dispose)
            say(f"workdir {workdir}; PostgreSQL schema {schema}; rongtook release …")
            started = time.perf_counter()
            release_database(env, workdir, RELEASE_TIMEOUT_S)
            say(f"  released in {time.perf_counter() - started:.1f} s")
            if opts.reuse:
                generation = f"reused schema {schema}"
            else:
                say(f"generating {opts.count:,} complaints (seed {opts.seed}) …")
                generation = generate(engine, opts.count, opts.seed, None, opts.days, log=log).describe()
                say(generation)
                kept = keep_kpi_facts(env, workdir)
                if kept:
                    say(kept)
                    generation += f"; {kept}"
            now = clock.now()
            today = now.astimezone(BANGKOK).date()
            sessions = make_session_factory(engine)
            password = admin_account(sessions, now)
            with transaction(sessions) as session:
                complaints = int(session.scalar(select(func.count(Complaint.id))) or 0)
                version = str(session.execute(text("SHOW server_version")).scalar_one())
            floor = Floor(db_url)
            stack.callback(floor.close)
            chosen = pick(floor, opts, rng, today)
            say(
                f"district {chosen['district']} ({chosen['district_rows']:,} complaints), category "
                f"{chosen['category']} ({chosen['category_rows']:,}), word {chosen['word']}"
            )

            port = free_port()
            server: Server = stack.enter_context(
                running(start("web", rongtook_command() + ["web"], env, workdir, port))
            )
            wait_ready(server)
            say(f"rongtook web ready on {HOST}:{port} ({opts.workers} workers x {opts.threads} threads) …")
            client = sign_in(port, USERNAME, password)
            stack.callback(client.close)
            say(f"signed in as {USERNAME} (admin) through the login form")

            asks = pages_to_ask(floor, chosen, today, now)
            results = []
            for key in opts.pages:
                results.append(measure(client, asks[key], opts.warmup, opts.requests, say))

            exports: list[ExportResult] = []
            memory: list[MemoryResult] = []
            if opts.exports:
                district = chosen["district"]
                say(f"exports of district {district} …")
                for fmt in ("csv", "xlsx"):
                    exports.append(
                        measure_export(
                            client,
                            fmt,
                            {"district": district},
                            "c.district_code = %s",
                            (district,),
                            floor,
                            opts,
                        )
                    )
                    say(
                        f"  {fmt}: p95 {exports[-1].time.p95_ms:.0f} ms "
                        f"(COPY p95 {exports[-1].floor.p95_ms:.0f} ms)"
                    )
                since = chosen["memory_since"]
                start_at = datetime.combine(since, day_time(), BANGKOK)
                end_at = datetime.combine(today + timedelta(days=1), day_time(), BANGKOK)
                (rows,) = floor.all(
                    "SELECT count(*) FROM complaints WHERE created_at >= %s AND created_at < %s",
                    (start_at, end_at),
                )[0]
                query = urlencode({"from": since.isoformat(), "to": today.isoformat()})
                for fmt in ("csv", "xlsx"):
                    say(f"  memory: export.{fmt} of {rows:,} complaints (from {since}) …")
                    memory.append(
                        measure_memory(
                            port,
                            client.cookies,
                            server.proc.pid,
                            fmt,
                            f"/admin/complaints/export.{fmt}?{query}",
                            rows,
                        )
                    )
        verdicts = [
            Verdict(
                f"{r.page.name.strip()} p95 < {TARGET_PAGE_P95_MS:g} ms, no errors",
                f"p95 {r.page.p95_ms:.0f} ms (floor {r.floor.p95_ms:.0f} ms), {r.page.errors} errors",
                r.page.p95_ms < TARGET_PAGE_P95_MS and r.page.errors == 0 and r.page.ok > 0,
            )
            for r in results
        ]
        for e in exports:
            target = TARGET_CSV_S if e.fmt == "csv" else TARGET_XLSX_S
            verdicts.append(
                Verdict(
                    f"export.{e.fmt} of one district ({e.rows:,} rows) p95 < {target:g} s, no errors",
                    f"p95 {e.time.p95_ms / 1000:.2f} s (COPY {e.floor.p95_ms / 1000:.2f} s), "
                    f"{e.time.errors} errors",
                    e.time.p95_ms < target * 1000 and e.time.errors == 0 and e.time.ok > 0,
                )
            )
        for m in memory:
            verdicts.append(
                Verdict(
                    f"export.{m.fmt} of {m.rows:,} rows: memory flat (peak growth < {FLAT_MB:g} MB)",
                    f"peak +{m.peak_growth_mb:.1f} MB, +{m.growth_mb:.1f} MB after, in {m.seconds:.1f} s, "
                    f"status {m.status}",
                    m.status == 200 and m.peak_growth_mb < FLAT_MB,
                )
            )
        choices = {k: v for k, v in chosen.items() if k != "codes"}
        choices["memory_since"] = str(chosen["memory_since"])
        return Report(
            options=opts,
            schema=schema,
            generation=generation,
            complaints=complaints,
            pages=results,
            exports=exports,
            memory=memory,
            verdicts=verdicts,
            choices=choices,
            environment={
                "database": f"PostgreSQL {version}",
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "loadavg_1min": {"before": load_before, "after": loadavg()},
            },
        )
    finally:
        if opts.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _public_options(opts: Options) -> PublicOptions:
    """bench.public_bench.app_env's options: the server's size (the rest it does not read)."""
    return PublicOptions(workers=opts.workers, threads=opts.threads)


# --------------------------------------------------------------------------- output


def format_report(report: Report) -> str:
    o, env, c = report.options, report.environment, report.choices
    lines = [
        "",
        f"Staff pages benchmark on {env['database']}, schema {report.schema}: "
        f"{report.complaints:,} complaints",
        f"generated: {report.generation}",
        f"web: `rongtook web` (gunicorn gthread, {o.workers} workers x {o.threads} threads), production "
        f"settings, signed in as an admin through the login form; {env['cpus']} CPUs, load average (1 min) "
        f"before/after: {env['loadavg_1min']['before']}/{env['loadavg_1min']['after']} (other work on the "
        "machine slows every figure, the floors too)",
        f"asked: district {c['district']} ({c['district_rows']:,} complaints), category {c['category']} "
        f"({c['category_rows']:,}), word {c['word']}; {o.warmup} warm-up requests per page "
        "(the first timed), "
        f"then {o.requests}, each followed by its floor (psycopg, the bare SQL)",
        "",
        f"{'page':<46} {'n':>4} {'first':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'err':>4}"
        f"   {'floor p50':>9} {'floor p95':>9}  floor",
    ]
    for r in report.pages:
        p, f = r.page, r.floor
        note = ""
        if p.errors:
            note = "  (statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(p.statuses.items())) + ")"
        lines.append(
            f"{p.name:<46} {p.requests:>4} {r.first_ms:>7.0f} {p.p50_ms:>8.1f} {p.p95_ms:>8.1f} "
            f"{p.max_ms:>8.1f} "
            f"{p.errors:>4}   {f.p50_ms:>9.1f} {f.p95_ms:>9.1f}  {r.floor_name}{note}"
        )
    if report.exports:
        lines += ["", "exports (time to the last byte):"]
        for e in report.exports:
            t, f = e.time, e.floor
            lines.append(
                f"{t.name:<46} {t.requests:>4} {'':>7} {t.p50_ms:>8.1f} {t.p95_ms:>8.1f} {t.max_ms:>8.1f} "
                f"{t.errors:>4}   {f.p50_ms:>9.1f} {f.p95_ms:>9.1f}  COPY of the same rows as CSV "
                f"({e.megabytes:.1f} MB)"
            )
    if report.memory:
        lines += ["", "memory of the serving web worker during one export (flat: peak growth < "
                  f"{FLAT_MB:g} MB):"]  # fmt: skip
        for m in report.memory:
            lines.append(
                f"  export.{m.fmt} of {m.rows:,} rows ({m.megabytes:.1f} MB in {m.seconds:.1f} s, "
                f"status {m.status}): {m.rss_start_mb:.0f} MB before, {m.rss_end_mb:.0f} MB after, "
                f"peak +{m.peak_growth_mb:.1f} MB "
                f"({m.peak_source})"
            )
    lines.append("")
    for v in report.verdicts:
        lines.append(f"{'PASS' if v.passed else 'FAIL'}  {v.name}: {v.measured}")
    return "\n".join(lines)


def report_json(report: Report) -> str:
    data = {
        "options": asdict(report.options),
        "schema": report.schema,
        "complaints": report.complaints,
        "pages": [asdict(r) for r in report.pages],
        "exports": [asdict(e) for e in report.exports],
        "memory": [asdict(m) | {"growth_mb": m.growth_mb} for m in report.memory],
        "choices": report.choices,
        "targets": [asdict(v) for v in report.verdicts],
        "passed": report.passed,
        "environment": report.environment,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    d = Options()
    p = argparse.ArgumentParser(prog="python -m bench.admin_bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--database-url",
        default=d.database_url,
        help="a PostgreSQL database to make a schema in (BENCH_DATABASE_URL, TEST_DATABASE_URL; "
        "default %(default)s)",
    )
    p.add_argument("--count", type=int, default=d.count, help="complaints to generate (default %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="the generator's seed (default %(default)s)")
    p.add_argument(
        "--days", type=int, default=d.days, help="the generated period in days (default %(default)s)"
    )
    p.add_argument(
        "--requests", type=int, default=d.requests, help="measured requests per page (default %(default)s)"
    )
    p.add_argument(
        "--warmup", type=int, default=d.warmup, help="warm-up requests per page (default %(default)s)"
    )
    p.add_argument(
        "--export-requests",
        type=int,
        default=d.export_requests,
        help="timed exports per format (default %(default)s)",
    )
    p.add_argument(
        "--export-rows",
        type=int,
        default=d.export_rows,
        help="about how many complaints the memory run exports (default %(default)s)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=d.workers,
        help="gunicorn workers (WEB_CONCURRENCY; default %(default)s)",
    )
    p.add_argument(
        "--threads", type=int, default=d.threads, help="threads per worker (WEB_THREADS; default %(default)s)"
    )
    p.add_argument(
        "--reuse",
        "--schema",
        dest="reuse",
        help="measure a schema an earlier --keep run kept (no generation)",
    )
    p.add_argument(
        "--pages", default=",".join(PAGES), help="the pages to measure, comma-separated (default: all)"
    )
    p.add_argument("--no-exports", action="store_true", help="leave out the exports and the memory run")
    p.add_argument("--db-dir", help="directory for the temporary files (default: the system's)")
    p.add_argument("--keep", action="store_true", help="keep the schema and the server's log")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = p.parse_args(argv)
    for name in ("count", "days", "requests", "export_requests", "export_rows", "workers", "threads"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.warmup < 1:
        p.error("--warmup must be at least 1 (the first request is timed apart)")
    pages = tuple(x.strip() for x in a.pages.split(",") if x.strip())
    unknown = [x for x in pages if x not in PAGES]
    if unknown:
        p.error(f"unknown pages {', '.join(unknown)}; the pages are {', '.join(PAGES)}")
    return Options(
        count=a.count,
        seed=a.seed,
        days=a.days,
        requests=a.requests,
        warmup=a.warmup,
        export_requests=a.export_requests,
        export_rows=a.export_rows,
        workers=a.workers,
        threads=a.threads,
        database_url=a.database_url,
        reuse=a.reuse,
        pages=pages,
        exports=not a.no_exports,
        db_dir=a.db_dir,
        keep=a.keep,
        json=a.json,
        strict=a.strict,
    )


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)

    def on_term(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)  # stop the server and drop the schema on the way out
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report = run_benchmark(opts, log=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; processes stopped", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"admin_bench: could not run: {exc}", file=sys.stderr)
        return 2
    print(format_report(report), flush=True)
    if opts.json:
        print(report_json(report), flush=True)
    return 1 if opts.strict and not report.passed else 0


if __name__ == "__main__":
    sys.exit(main())
