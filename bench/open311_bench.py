"""Open311 benchmark: the real web process on a million generated complaints, against hand-written SQL.

Run with `make bench-open311` (or `python -m bench.open311_bench --help`). It

1. makes a fresh database (a schema of its own in the PostgreSQL of `--postgres-url`, or with
   `--database sqlite` a file in a temporary directory), runs `rongtook release` (migrate, districts
   and their boundaries, sections, categories) and adds `--count` complaints shaped like real ones
   (`bench/complaint_generator.py`, default 1,000,000 on PostgreSQL), saying how long that took;
   `--keep` keeps the schema and `--schema NAME` measures a kept one again without generating;
2. issues an API key with a raised limit (100,000 POSTs a minute) and starts `rongtook web` as the
   Procfile does, with production settings (a LINE channel set, no sandbox; nothing leaves 127.0.0.1);
3. POST /open311/v2/requests.json at `--rate` requests/s (default 50) for `--seconds` (default 30),
   open loop over `--senders` keep-alive connections (latency from each request's scheduled time, so a
   stalled server cannot hide its queue): a point inside a random district, a category, a Thai
   description and a reporter's contact, as another city system would send them;
4. GET /open311/v2/requests.json for a 90-day window of one district (`district=`, the Rongtook
   extension), one page (the server's default size, or `--page-size`), `--gets` times (default 200)
   with random districts and windows over the generated period, one request at a time;
5. the floors, in the same run, with the driver directly (psycopg; sqlite3 for SQLite): for the GET,
   the same two queries the answer needs (the page of complaints, newest first, and their events),
   alternated with the app's requests so both see the same cache; for the POST, what a filing must
   write at least: the key by its hash, its complaints of the last minute, the complaint and its
   "filed" and "routed" events, one transaction each, one after another;
6. prints the table, PASS/FAIL against the targets (POST p99 < 50 ms at 50/s; GET p95 < 200 ms), and
   checks that every 2xx answer to a POST stored one complaint under the benchmark's key.

Everything talks only to 127.0.0.1; the server's process group is stopped at the end, also on Ctrl+C,
and the schema dropped (unless kept). Exit status 0; 1 with `--strict` when a target is missed; 2 when
the run could not be made.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.complaint_generator import (
    FIRST_NAMES,
    LAST_NAMES,
    MAIL_DOMAINS,
    SAMPLE,
    Summary,
    district_boundaries,
    district_points,
    generate,
    load_corpus,
)
from bench.pg_schema import schema_url
from bench.runs import DEFAULT_PG, loadavg
from bench.runs import release as release_database
from bench.webhook_bench import (
    HOST,
    Server,
    Verdict,
    free_port,
    percentile,
    rongtook_command,
    running,
    wait_ready,
)
from bench.worker_bench import start
from bot.open311.inputs import DEFAULT_PAGE_SIZE
from models.api_keys import ApiKey, hash_key, issue_key
from models.categories import SEED
from models.clock import BANGKOK, clock
from models.complaints import Complaint
from models.db import make_engine, make_session_factory, transaction
from models.deadlines import ack_due
from models.districts import BANGKOK_DISTRICTS
from models.sections import DEFAULT_KEY, DEFAULT_SECTIONS
from models.tracking_codes import CODE_PATTERN, new_tracking_code
from models.working_days import WorkingCalendar, load_calendar

REPO = Path(__file__).resolve().parents[1]
TARGET_POST_P99_MS = 50.0
TARGET_GET_P95_MS = 200.0
WINDOW = timedelta(days=90)
KEY_LIMIT = 100_000  # POSTs a minute for the benchmark's key: far above 50/s
RELEASE_TIMEOUT_S = 300.0
REQUEST_TIMEOUT_S = 30.0
GRACE_S = 30.0  # a POST not sent this long after its scheduled time is counted as an error
WARMUP = 10
WARMUP_PER_SENDER = 5  # POSTs per connection before measuring: every web worker and thread warmed
PATH = "/open311/v2/requests.json"
DISTRICT_CODES = tuple(code for code, _, _ in BANGKOK_DISTRICTS)


@dataclass
class Options:
    count: int | None = None  # None: 1,000,000 on PostgreSQL, 50,000 on SQLite
    seed: int = 1
    days: int = 900
    rate: float = 50.0
    seconds: float = 30.0
    senders: int = 8
    gets: int = 200
    page_size: int | None = None  # None: the server's default page
    floor_posts: int = 300
    workers: int = int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads: int = int(os.environ.get("WEB_THREADS", "4"))
    database_url: str | None = None  # None: SQLite in the temporary directory
    schema: str | None = None  # a kept PostgreSQL schema to measure again (no generation)
    db_dir: str | None = None
    keep: bool = False
    json: bool = False
    strict: bool = False

    @property
    def complaints(self) -> int:
        return self.count if self.count is not None else (1_000_000 if self.database_url else 50_000)


@dataclass
class Latency:
    name: str
    requests: int
    ok: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rate: float = 0.0  # answers per second (the POST run)
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class Report:
    database: str
    options: Options
    generation: dict[str, Any]  # the generator's summary (or the kept schema's counts)
    complaints: int
    post: Latency
    post_floor: Latency
    get: Latency
    get_floor: Latency
    rows_per_page: float  # median rows in the app's answers
    page_size: int
    stored: int  # complaints under the benchmark's key
    posted_ok: int  # 2xx answers to POSTs, warm-up included
    verdicts: list[Verdict]
    environment: dict[str, Any]

    @property
    def stored_matches(self) -> bool:
        return self.stored == self.posted_ok

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts) and self.stored_matches


def summarise(name: str, statuses: list[int], latencies_s: list[float], duration_s: float = 0.0) -> Latency:
    lat = sorted(x * 1000 for x in latencies_s)
    ok = sum(1 for s in statuses if 200 <= s < 300)
    counts: dict[str, int] = {}
    for s in statuses:
        key = "unsent" if s < 0 else "failed" if s == 0 else str(s)
        counts[key] = counts.get(key, 0) + 1
    return Latency(
        name=name,
        requests=len(statuses),
        ok=ok,
        errors=len(statuses) - ok,
        p50_ms=percentile(lat, 50),
        p95_ms=percentile(lat, 95),
        p99_ms=percentile(lat, 99),
        max_ms=lat[-1] if lat else 0.0,
        rate=ok / duration_s if duration_s > 0 else 0.0,
        statuses=counts,
    )


# --------------------------------------------------------------------------- HTTP


class Connection:
    """One keep-alive HTTP/1.1 connection to the app, reopened when the server closed it."""

    RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """The status and body; status 0 when the connection failed."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT_S)
                self.used = False
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except self.RETRYABLE:
                # An idle kept-alive connection the server closed: the request never reached the app.
                retry = self.used and attempt == 0
                self.close()
                if retry:
                    continue
                return 0, b""
            except (OSError, http.client.HTTPException):
                self.close()
                return 0, b""
            self.used = True
            if resp.will_close:
                self.close()
            return resp.status, data
        return 0, b""

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def filed_code(status: int, body: bytes) -> str | None:
    """The tracking code a POST answered with, if it answered as the spec says."""
    if not 200 <= status < 300:
        return None
    try:
        answer = json.loads(body)
        code = answer[0]["service_request_id"]
    except (ValueError, LookupError, TypeError):
        return None
    return code if isinstance(code, str) and CODE_PATTERN.match(code) else None


# --------------------------------------------------------------------------- what is sent


@dataclass(frozen=True)
class Filing:
    """One POST's fields, and what the floor writes for it."""

    form: dict[str, str]
    district: str
    category: str  # Thai name
    latitude: float
    longitude: float


def filings(n: int, seed: int, shapes: dict[str, Any]) -> list[Filing]:
    """`n` requests as another city system would file them: a point in a district, a category, a Thai
    description from the same texts as the generated complaints, and a contact (each part optional)."""
    rng = np.random.default_rng([seed, 50])
    corpus = load_corpus(SAMPLE)
    districts = rng.integers(0, len(DISTRICT_CODES), n)
    lat, lon = district_points(rng, districts, DISTRICT_CODES, shapes)
    out = []
    for i in range(n):
        seed_row = SEED[int(rng.integers(len(SEED)))]
        texts = corpus.texts[seed_row.name_th]
        first, roman = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        form = {
            "service_code": seed_row.code,
            "lat": f"{lat[i]:.6f}",
            "long": f"{lon[i]:.6f}",
            "description": texts[int(rng.integers(len(texts)))],
        }
        if rng.random() < 0.7:
            form["first_name"] = first
            form["last_name"] = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        if rng.random() < 0.6:
            form["phone"] = f"08{int(rng.integers(10**8)):08d}"
        if rng.random() < 0.4:
            form["email"] = f"{roman}.{int(rng.integers(10**4))}@{MAIL_DOMAINS[int(rng.integers(3))]}"
        out.append(Filing(form, DISTRICT_CODES[districts[i]], seed_row.name_th, float(lat[i]), float(lon[i])))
    return out


def windows(n: int, seed: int, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """`n` (district, window start, window end): 90 days ending anywhere in the generated period."""
    rng = np.random.default_rng([seed, 90])
    earliest = start + WINDOW
    span = max(1.0, (end - earliest).total_seconds())
    out = []
    for _ in range(n):
        until = (earliest + timedelta(seconds=float(rng.uniform(0, span)))).replace(microsecond=0)
        out.append((DISTRICT_CODES[int(rng.integers(len(DISTRICT_CODES)))], until - WINDOW, until))
    return out


def w3(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_path(district: str, since: datetime, until: datetime, page_size: int | None) -> str:
    query = {"start_date": w3(since), "end_date": w3(until), "district": district}
    if page_size:
        query["page_size"] = str(page_size)
    return f"{PATH}?{urlencode(query)}"


# --------------------------------------------------------------------------- the floors


class FloorDb:
    """The same queries by hand, with the driver directly (psycopg, or sqlite3 for a SQLite file)."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.pg = parsed.get_backend_name() == "postgresql"
        self.mark = "%s" if self.pg else "?"
        if self.pg:
            import psycopg

            options = str(parsed.query.get("options", "") or "")
            self.conn: Any = psycopg.connect(
                host=parsed.host or "",
                port=parsed.port or 5432,
                user=parsed.username or "",
                password=parsed.password or "",
                dbname=parsed.database or "",
                options=options,
            )
        else:
            self.conn = sqlite3.connect(str(parsed.database), isolation_level=None, timeout=15)

    def stamp(self, moment: datetime) -> Any:
        """A moment as the column holds it (SQLite: SQLAlchemy's naive UTC text)."""
        if self.pg:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def sql(self, statement: str) -> str:
        return statement if self.pg else statement.replace("%s", "?")

    def page(self, district: str, since: datetime, until: datetime, size: int) -> int:
        """The answer's two queries: the page, newest first (as bot/open311/routes.py orders it), and the
        events of its complaints. The row count."""
        cur = self.conn.cursor()
        cur.execute(
            self.sql(
                "SELECT * FROM complaints WHERE created_at >= %s AND created_at < %s AND district_code = %s "
                "ORDER BY created_at DESC, id DESC LIMIT %s"
            ),
            (self.stamp(since), self.stamp(until), district, size),
        )
        rows = cur.fetchall()
        ids = [r[0] for r in rows]
        if ids:
            if self.pg:
                cur.execute(
                    "SELECT * FROM complaint_events WHERE complaint_id = ANY(%s) ORDER BY complaint_id, id",
                    (ids,),
                )
            else:
                marks = ", ".join("?" * len(ids))
                cur.execute(
                    f"SELECT * FROM complaint_events WHERE complaint_id IN ({marks}) "
                    "ORDER BY complaint_id, id",
                    ids,
                )
            cur.fetchall()
        if self.pg:
            self.conn.commit()  # end the read transaction, as the app's session does
        cur.close()
        return len(rows)

    def file(self, secret: str, filing: Filing, section: str, cal: WorkingCalendar) -> None:
        """What a POST must write at least, in one transaction."""
        now = clock.now()
        cur = self.conn.cursor()
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(self.sql("SELECT * FROM api_keys WHERE key_hash = %s"), (hash_key(secret),))
        key = cur.fetchone()
        cur.execute(
            self.sql("SELECT count(*) FROM complaints WHERE api_key_id = %s AND created_at > %s"),
            (key[0], self.stamp(now - timedelta(minutes=1))),
        )
        cur.fetchone()
        form = filing.form
        name = " ".join(x for x in (form.get("first_name"), form.get("last_name")) if x) or None
        # A code already taken (a million codes are) is drawn again, as the app does.
        for _ in range(5):
            cur.execute(
                self.sql(
                    "INSERT INTO complaints (tracking_code, channel, api_key_id, reporter_name, "
                    "reporter_phone, reporter_email, district_code, category, description, latitude, "
                    "longitude, status, created_at, routed_at, section, ack_due_at, reopen_count) "
                    "VALUES (%s, 'api', %s, %s, %s, %s, %s, %s, %s, %s, %s, 'routed', %s, %s, %s, %s, 0) "
                    "ON CONFLICT (tracking_code) DO NOTHING RETURNING id"
                ),
                (
                    new_tracking_code(now.astimezone(BANGKOK).date()),
                    key[0],
                    name,
                    form.get("phone"),
                    form.get("email"),
                    filing.district,
                    filing.category,
                    form["description"],
                    filing.latitude,
                    filing.longitude,
                    self.stamp(now),
                    self.stamp(now),
                    section,
                    self.stamp(ack_due(now, cal)),
                ),
            )
            row = cur.fetchone()
            if row is not None:
                break
        complaint_id = row[0]
        data = json.dumps({"category": filing.category, "latitude": filing.latitude, "channel": "api"})
        cur.execute(
            self.sql(
                "INSERT INTO complaint_events (complaint_id, kind, at, actor_kind, actor_id, actor_name, "
                "district_code, text, data) VALUES (%s, 'filed', %s, 'api', %s, %s, NULL, %s, %s), "
                "(%s, 'routed', %s, 'system', NULL, NULL, %s, NULL, %s)"
            ),
            (
                complaint_id,
                self.stamp(now),
                key[0],
                key[1],
                form["description"],
                data,
                complaint_id,
                self.stamp(now),
                filing.district,
                json.dumps({"how": "location", "section": section}),
            ),
        )
        if self.pg:
            self.conn.commit()
        else:
            cur.execute("COMMIT")
        cur.close()

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- the runs


def post_open_loop(port: int, bodies: Sequence[bytes], rate: float, senders: int) -> tuple[Latency, int]:
    """Request i is due at start + i/rate whatever happened to the others; latency from that due time.
    Also the number of answers that carried a tracking code."""
    n = len(bodies)
    statuses = [-1] * n  # -1: never sent (past the grace time)
    latencies: list[float | None] = [None] * n
    codes = [False] * n
    lock = threading.Lock()
    next_index = 0
    stop = threading.Event()
    start = time.perf_counter() + 0.05
    give_up = start + n / rate + GRACE_S
    last_end = start

    def sender() -> None:
        nonlocal next_index, last_end
        conn = Connection(port)
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
                    continue
                status, body = conn.request("POST", PATH, bodies[i])
                end = time.perf_counter()
                code = filed_code(status, body)
                statuses[i] = status if code or not 200 <= status < 300 else 0  # 2xx without a code: failed
                codes[i] = code is not None
                if status:
                    latencies[i] = end - due
                with lock:
                    last_end = max(last_end, end)
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, daemon=True, name=f"post-{k}") for k in range(senders)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except BaseException:
        stop.set()
        raise
    result = summarise(
        f"POST {PATH}, {rate:g}/s open loop, {senders} conn",
        statuses,
        [x for x in latencies if x is not None],
        max(last_end - start, 1e-9),
    )
    return result, sum(codes)


def app_env(workdir: Path, opts: Options, db_url: str) -> dict[str, str]:
    """Production settings: a LINE channel (never called: its API is a closed local port), a secret key,
    an https base URL; WEB_CONCURRENCY and WEB_THREADS for gunicorn."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        PHOTO_DIR=str(workdir / "photos"),
        LINE_CHANNEL_SECRET=secrets.token_hex(16),
        LINE_CHANNEL_ACCESS_TOKEN="bench-" + secrets.token_hex(16),
        LINE_API_BASE_URL=f"http://{HOST}:{free_port()}",
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_BASE_URL="https://rongtook.bench.invalid",
        WEB_CONCURRENCY=str(opts.workers),
        WEB_THREADS=str(opts.threads),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    )
    env.pop("RONGTOOK_CLOCK_START", None)
    return env


@contextmanager
def bench_database(opts: Options, workdir: Path) -> Iterator[tuple[str, str | None]]:
    """The app's database URL and the schema's name: a kept schema, a fresh one (dropped after unless
    kept), or a SQLite file in `workdir`."""
    if not opts.database_url:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}", None
        return
    base = opts.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if opts.schema:
        yield schema_url(base, opts.schema), opts.schema
        return
    schema = f"bench_open311_{secrets.token_hex(4)}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema_url(base, schema), schema
    finally:
        if opts.keep:
            print(
                f"kept PostgreSQL schema {schema} (measure it again with --schema {schema})", file=sys.stderr
            )
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def release(env: dict[str, str], workdir: Path) -> None:
    release_database(env, workdir, RELEASE_TIMEOUT_S)


def run_benchmark(opts: Options, log: Any = None) -> Report:
    def say(msg: str) -> None:
        if log is not None:
            print(msg, file=log, flush=True)

    load_before = loadavg()
    workdir = Path(tempfile.mkdtemp(prefix="rongtook-open311-", dir=opts.db_dir))
    try:
        with ExitStack() as stack:
            db_url, schema = stack.enter_context(bench_database(opts, workdir))
            env = app_env(workdir, opts, db_url)
            engine = make_engine(db_url)
            stack.callback(engine.dispose)
            sessions = make_session_factory(engine)
            database = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
            if opts.schema:
                generation: dict[str, Any] = {"kept_schema": opts.schema}
                say(f"measuring the kept schema {opts.schema} …")
            else:
                where = f"{database} schema {schema}" if schema else database
                say(f"workdir {workdir}; {where}; rongtook release …")
                release(env, workdir)
                say(f"generating {opts.complaints:,} complaints (seed {opts.seed}) …")
                summary: Summary = generate(engine, opts.complaints, opts.seed, None, opts.days, log=log)
                say(summary.describe())
                generation = asdict(summary)
                generation["period"] = [m.isoformat() for m in summary.period]
                generation["describe"] = summary.describe()
            now = clock.now()
            with transaction(sessions) as session:
                complaints = int(session.scalar(select(func.count(Complaint.id))) or 0)
                oldest = session.scalar(select(func.min(Complaint.created_at))) or now - timedelta(
                    days=opts.days
                )
                key, secret = issue_key(session, f"bench-open311-{secrets.token_hex(3)}", now, KEY_LIMIT)
                key_id = key.id
                shapes = district_boundaries(session)
                calendar = load_calendar(session)

            n_posts = max(1, round(opts.rate * opts.seconds))
            warm_posts = WARMUP + WARMUP_PER_SENDER * opts.senders
            posts = filings(warm_posts + n_posts + opts.floor_posts, opts.seed, shapes)
            bodies = [urlencode({"api_key": secret, **f.form}).encode() for f in posts]
            asks = windows(WARMUP + opts.gets, opts.seed, oldest, now)
            size = opts.page_size or DEFAULT_PAGE_SIZE

            port = free_port()
            server: Server = stack.enter_context(
                running(start("web", rongtook_command() + ["web"], env, workdir, port))
            )
            wait_ready(server)
            say(f"rongtook web ready on {HOST}:{port} ({opts.workers} workers x {opts.threads} threads) …")
            floor = FloorDb(db_url)
            stack.callback(floor.close)

            # Warm-up: the processes' imports, caches and connections, both ways.
            conn = Connection(port)
            stack.callback(conn.close)
            warm_ok = 0
            for body in bodies[:WARMUP]:
                warm_ok += filed_code(*conn.request("POST", PATH, body)) is not None
            # Then as the measured run sends them, so each connection (and so each web worker and
            # thread that serves one) has its database connection and caches before it is timed.
            warm_ok += post_open_loop(port, bodies[WARMUP:warm_posts], opts.rate, opts.senders)[1]
            for district, since, until in asks[:WARMUP]:
                conn.request("GET", list_path(district, since, until, opts.page_size))
                floor.page(district, since, until, size)

            say(f"POST: {opts.rate:g}/s for {opts.seconds:g} s over {opts.senders} connections …")
            post, post_codes = post_open_loop(
                port, bodies[warm_posts : warm_posts + n_posts], opts.rate, opts.senders
            )

            say(f"GET: {opts.gets} pages (90 days, one district), each beside the floor's queries …")
            statuses, times, floor_times, rows = [], [], [], []
            for district, since, until in asks[WARMUP:]:
                t0 = time.perf_counter()
                status, body = conn.request("GET", list_path(district, since, until, opts.page_size))
                times.append(time.perf_counter() - t0)
                try:
                    answered = json.loads(body) if status == 200 else None
                except ValueError:
                    answered = None
                ok = isinstance(answered, list)
                statuses.append(status if ok else 0)
                rows.append(len(answered) if isinstance(answered, list) else 0)
                t0 = time.perf_counter()
                floor.page(district, since, until, size)
                floor_times.append(time.perf_counter() - t0)
            get = summarise(f"GET {PATH}, 90 days, 1 district, 1 page", statuses, times)
            get_floor = summarise(
                "  floor: the page's SELECT + its events' (by hand)", [200] * len(floor_times), floor_times
            )

            say(f"POST floor: {opts.floor_posts} filings by hand, one after another …")
            floor_post_times = []
            sections = {**DEFAULT_SECTIONS}
            for filing in posts[warm_posts + n_posts :]:
                section = sections.get(filing.category) or sections[DEFAULT_KEY]
                t0 = time.perf_counter()
                floor.file(secret, filing, section, calendar)
                floor_post_times.append(time.perf_counter() - t0)
            post_floor = summarise(
                "  floor: key, rate count, INSERT complaint + 2 events",
                [200] * len(floor_post_times),
                floor_post_times,
            )
            with transaction(sessions) as session:
                stored = int(
                    session.scalar(select(func.count(Complaint.id)).where(Complaint.api_key_id == key_id))
                    or 0
                )
                assert session.get(ApiKey, key_id) is not None
            stored -= len(floor_post_times)  # the floor's rows are under the same key
            if engine.dialect.name == "postgresql":
                with engine.connect() as c:
                    version = str(c.scalar(text("SHOW server_version")))
            else:
                version = sqlite3.sqlite_version
        verdicts = [
            Verdict(
                f"POST p99 < {TARGET_POST_P99_MS:g} ms at {opts.rate:g} requests/s, no errors",
                f"p99 {post.p99_ms:.1f} ms (floor {post_floor.p99_ms:.1f} ms), {post.errors} errors",
                post.p99_ms < TARGET_POST_P99_MS and post.errors == 0 and post.ok > 0,
            ),
            Verdict(
                f"GET p95 < {TARGET_GET_P95_MS:g} ms (90 days, one district, one page), no errors",
                f"p95 {get.p95_ms:.1f} ms (floor {get_floor.p95_ms:.1f} ms), {get.errors} errors",
                get.p95_ms < TARGET_GET_P95_MS and get.errors == 0 and get.ok > 0,
            ),
        ]
        environment = {
            "database": f"{database} {version}",
            "schema": schema,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_1min": {"before": load_before, "after": loadavg()},
        }
        return Report(
            database=database,
            options=opts,
            generation=generation,
            complaints=complaints,
            post=post,
            post_floor=post_floor,
            get=get,
            get_floor=get_floor,
            rows_per_page=statistics.median(rows) if rows else 0.0,
            page_size=size,
            stored=stored,
            posted_ok=warm_ok + post_codes,
            verdicts=verdicts,
            environment=environment,
        )
    finally:
        if opts.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- output


def format_report(report: Report) -> str:
    o, env = report.options, report.environment
    generated = report.generation.get("describe") or f"kept schema {report.generation.get('kept_schema')}"
    lines = [
        "",
        f"Open311 benchmark on {env['database']}"
        + (f", schema {env['schema']}" if env.get("schema") else "")
        + f": {report.complaints:,} complaints at the start",
        f"generated: {generated}",
        f"web: `rongtook web` (gunicorn gthread, {o.workers} workers x {o.threads} threads), production "
        f"settings; {env['cpus']} CPUs, load average (1 min) before/after: "
        f"{env['loadavg_1min']['before']}/{env['loadavg_1min']['after']}",
        f"GET pages: {report.page_size} requests a page at most, "
        f"{report.rows_per_page:g} in the median answer",
        "",
        f"{'measurement':<56} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}",
    ]
    for r in (report.post, report.post_floor, report.get, report.get_floor):
        note = ""
        if r.errors:
            note = "  (statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items())) + ")"
        if r is report.post:
            note = f"  ({r.rate:.1f} answers/s){note}"
        lines.append(
            f"{r.name:<56} {r.requests:>6} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.max_ms:>8.2f} {r.errors:>6}{note}"
        )
    lines.append("")
    for v in report.verdicts:
        lines.append(f"{'PASS' if v.passed else 'FAIL'}  {v.name}: {v.measured}")
    lines.append(
        f"{'OK  ' if report.stored_matches else 'FAIL'}  stored under the benchmark's key: {report.stored} "
        f"complaints; POSTs answered with a tracking code: {report.posted_ok} (warm-up included)"
    )
    return "\n".join(lines)


def report_json(report: Report) -> str:
    data = {
        "database": report.environment["database"],
        "options": asdict(report.options),
        "complaints": report.complaints,
        "generation": {k: v for k, v in report.generation.items() if k != "describe"},
        "results": [asdict(r) for r in (report.post, report.post_floor, report.get, report.get_floor)],
        "rows_per_page": report.rows_per_page,
        "targets": [asdict(v) for v in report.verdicts],
        "stored": report.stored,
        "posted_ok": report.posted_ok,
        "passed": report.passed,
        "environment": report.environment,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    d = Options()
    p = argparse.ArgumentParser(prog="python -m bench.open311_bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--database",
        choices=["postgresql", "sqlite"],
        default="postgresql",
        help="the app's database (default %(default)s)",
    )
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG,
        help="a PostgreSQL database to make a schema in (BENCH_DATABASE_URL; default %(default)s)",
    )
    p.add_argument("--count", type=int, help="complaints to generate (default 1,000,000; 50,000 on SQLite)")
    p.add_argument("--seed", type=int, default=d.seed, help="the generator's seed (default %(default)s)")
    p.add_argument(
        "--days", type=int, default=d.days, help="the generated period in days (default %(default)s)"
    )
    p.add_argument("--rate", type=float, default=d.rate, help="POSTs per second (default %(default)s)")
    p.add_argument("--seconds", type=float, default=d.seconds, help="POST duration (default %(default)s)")
    p.add_argument("--senders", type=int, default=d.senders, help="POST connections (default %(default)s)")
    p.add_argument("--gets", type=int, default=d.gets, help="GET requests (default %(default)s)")
    p.add_argument(
        "--page-size", type=int, help=f"page_size to ask for (default: the server's, {DEFAULT_PAGE_SIZE})"
    )
    p.add_argument(
        "--floor-posts",
        type=int,
        default=d.floor_posts,
        help="filings by hand for the floor (default %(default)s)",
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
    p.add_argument("--schema", help="measure a PostgreSQL schema an earlier --keep run kept (no generation)")
    p.add_argument("--db-dir", help="directory for the temporary files (default: the system's)")
    p.add_argument("--keep", action="store_true", help="keep the schema (or SQLite file) and the logs")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = p.parse_args(argv)
    for name in ("rate", "seconds"):
        if getattr(a, name) <= 0:
            p.error(f"--{name} must be greater than zero")
    for name in ("senders", "gets", "floor_posts", "workers", "threads", "days"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.count is not None and a.count < 1:
        p.error("--count must be at least 1")
    if a.schema and a.database != "postgresql":
        p.error("--schema is a PostgreSQL schema")
    return Options(
        count=a.count,
        seed=a.seed,
        days=a.days,
        rate=a.rate,
        seconds=a.seconds,
        senders=a.senders,
        gets=a.gets,
        page_size=a.page_size,
        floor_posts=a.floor_posts,
        workers=a.workers,
        threads=a.threads,
        database_url=a.postgres_url if a.database == "postgresql" else None,
        schema=a.schema,
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
        print(f"open311_bench: could not run: {exc}", file=sys.stderr)
        return 2
    print(format_report(report), flush=True)
    if opts.json:
        print(report_json(report), flush=True)
    return 1 if opts.strict and not report.passed else 0


if __name__ == "__main__":
    sys.exit(main())
