"""Public site benchmark (issue 16 "Speed"): the real web process on a million generated complaints, each
figure beside a floor measured in the same run.

Run with `make bench-public` (or `python -m bench.public_bench --help`; `--complaints 20000` for a quick
run). PostgreSQL only. It

1. makes a fresh schema in the database of `--database-url` (BENCH_DATABASE_URL, else TEST_DATABASE_URL,
   else the local test database), runs `rongtook release` (migrate, districts and their boundaries,
   sections, categories) and adds `--complaints` complaints shaped like real ones over the last `--days`
   (`bench/complaint_generator.py`: valid tracking codes, points inside their districts, event logs),
   saying how long that took; `--keep` keeps the schema, `--schema NAME` measures a kept one again;
2. starts `rongtook web` as the Procfile does (gunicorn, production settings, no tile server);
3. warms up, then measures, one request at a time, each alternated with its floor so both see the same
   database cache (the floors with psycopg directly, the bare SQL of the same figures):
   - the league table `/districts` (this fiscal year), `--requests` times; warm-up first makes every web
     worker build its cached table (rounds of concurrent requests until a round answers from the cache),
     and the slowest warm-up answer, a build without the cache, is printed too. Floor: the league's
     counts GROUP BY district over the same window (received, acknowledged and first report on time,
     resolved, open, overdue, rating), without the KPI scorer's verdict per complaint;
   - a complaint's page `/c/<code>` for `--requests` random valid codes (each answer must be 200 and
     carry its code). Floor: the complaint's row by tracking code, its district and its events;
   - the map's data `/map/data` for the viewport of one district (its boundary's bounding box, random
     districts, the map's 90 days). Floor: the count of the complaints in that box and period;
4. downloads the whole open-data CSV `/open-data/complaints.csv`, reading it as it streams, while
   sampling the web workers' resident memory (/proc): the time, the size, the rows, and how much the
   serving worker grew by each quarter of the rows and at its peak. Floor: COPY of the same columns
   (the same join, order and rows) to STDOUT as CSV;
5. prints the table, PASS/FAIL against the targets (league p95 < 200 ms, page p95 < 50 ms, map p95 <
   200 ms, the CSV in < 60 s with memory flat after its first quarter), and how the league's figures are
   kept current (`kpi.league.LeagueCache`).

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
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import psycopg
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.complaint_generator import district_boundaries, generate
from bench.open311_bench import Connection, Latency, summarise
from bench.pg_schema import schema_url
from bench.runs import DEFAULT_PG, loadavg
from bench.runs import release as release_database
from bench.webhook_bench import HOST, Server, Verdict, free_port, rongtook_command, running, wait_ready
from bench.worker_bench import start
from kpi.league import CACHE_SECONDS, read_period
from kpi.schemes import load_kpi32
from models.clock import BANGKOK, clock
from models.complaints import Complaint
from models.db import make_engine, make_session_factory, transaction

REPO = Path(__file__).resolve().parents[1]
TARGET_LEAGUE_P95_MS = 200.0
TARGET_PAGE_P95_MS = 50.0
TARGET_MAP_P95_MS = 200.0
TARGET_CSV_S = 60.0
# "Memory does not grow with the row count": the serving worker may grow while the first quarter of the
# rows fills its buffers and the driver's batch; from there to the last row, by at most this much.
FLAT_MB = 32.0
MAP_DAYS = 90  # PUBLIC_MAP_DAYS, set so for the server too
RELEASE_TIMEOUT_S = 300.0
REQUEST_TIMEOUT_S = 300.0  # the warm-up's: a league built without its cache takes seconds at a million
CSV_TIMEOUT_S = 900.0
WARM_ANSWER_S = 0.5  # a league answer slower than this was built, not read from the cache
WARM_ROUNDS_MAX = 12
SAMPLE_EVERY_S = 0.2  # the web workers' memory, while the CSV streams
CHUNK = 64 * 1024
T = TypeVar("T")


@dataclass
class Options:
    complaints: int = 1_000_000
    seed: int = 1
    days: int = 900
    requests: int = 200
    warmup: int = 20
    workers: int = int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads: int = int(os.environ.get("WEB_THREADS", "4"))
    database_url: str = (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    )
    schema: str | None = None  # a kept schema to measure again (no generation)
    db_dir: str | None = None
    keep: bool = False
    json: bool = False
    strict: bool = False


@dataclass
class Download:
    """The open-data CSV as the app streamed it, and the COPY floor."""

    status: int
    seconds: float
    megabytes: float
    rows: int
    floor_seconds: float
    floor_megabytes: float
    floor_rows: int
    rss_start_mb: float  # the serving worker's resident set before the download
    growth_by_quarter_mb: list[float]  # its growth when 1/4, 2/4, 3/4 and all of the rows had come
    peak_growth_mb: float  # its peak (VmHWM, reset before the download where the kernel allows) less start
    peak_source: str

    @property
    def flat_growth_mb(self) -> float:
        """Growth from the first quarter of the rows to the end: what would grow with the row count."""
        if not self.growth_by_quarter_mb:
            return 0.0
        return max(self.growth_by_quarter_mb) - self.growth_by_quarter_mb[0]


@dataclass
class Report:
    options: Options
    schema: str
    generation: str
    complaints: int
    league: Latency
    league_floor: Latency
    league_built_s: float  # the first request, alone: a table built without the cache
    league_rounds: int
    league_rows: int  # districts in the floor's answer
    page: Latency
    page_floor: Latency
    map: Latency
    map_floor: Latency
    map_kinds: dict[str, Latency]  # the answers of each kind (points, clusters), timed apart
    map_median_total: float  # complaints in the median answer (the floor's count)
    csv: Download
    verdicts: list[Verdict]
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


# --------------------------------------------------------------------------- the floors


class Floor:
    """The bare SQL of each figure, with psycopg directly (no ORM, no Flask, no HTTP)."""

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

    def _all(self, sql: str, args: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and rows of one statement, in a transaction of its own."""
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            names = [column.name for column in cur.description or ()]
            rows = cur.fetchall()
        self.conn.commit()  # end the read transaction, as the app's session does
        return names, rows

    def league(self, start: datetime, end: datetime) -> int:
        """The league's counts per district over the window (the scorer's window: routed in it)."""
        rows = self._all(
            "SELECT district_code, count(*), "
            "count(*) FILTER (WHERE acknowledged_at <= ack_due_at), "
            "count(*) FILTER (WHERE first_progress_at <= first_progress_due_at), "
            "count(*) FILTER (WHERE status IN ('resolved', 'rejected')), "
            "count(*) FILTER (WHERE status NOT IN ('resolved', 'rejected')), "
            "count(*) FILTER (WHERE acknowledged_at IS NULL AND ack_due_at < %s), "
            "avg(rating), count(rating) "
            "FROM complaints WHERE routed_at >= %s AND routed_at <= %s GROUP BY district_code",
            (end, start, end),
        )[1]
        return len(rows)

    def page(self, code: str) -> int:
        """What the page reads: the complaint by its code, its district, its events."""
        names, found = self._all("SELECT * FROM complaints WHERE tracking_code = %s", (code,))
        row = dict(zip(names, found[0], strict=True))
        self._all("SELECT * FROM districts WHERE code = %s", (row["district_code"],))
        _, events = self._all(
            "SELECT * FROM complaint_events WHERE complaint_id = %s ORDER BY id", (row["id"],)
        )
        return len(events)

    def bbox(self, box: tuple[float, float, float, float], since: datetime, until: datetime) -> int:
        """The count of the complaints the map would show in the box."""
        min_lon, min_lat, max_lon, max_lat = box
        _, (row,) = self._all(
            "SELECT count(*) FROM complaints WHERE created_at >= %s AND created_at < %s "
            "AND NOT public_opt_out AND latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s",
            (since, until, min_lat, max_lat, min_lon, max_lon),
        )
        return int(row[0])

    def copy_csv(self) -> tuple[float, int, int]:
        """COPY of the open data's columns (the same join, rows and order) as CSV; seconds, bytes, rows."""
        sql = (
            "COPY (SELECT c.tracking_code, c.status, c.category, c.district_code, d.name_th, d.name_en, "
            "c.section, c.channel, c.created_at, c.routed_at, c.ack_due_at, c.acknowledged_at, "
            "c.first_progress_due_at, c.first_progress_at, c.resolved_at, c.rating, c.reopen_count, "
            "c.latitude, c.longitude FROM complaints c LEFT JOIN districts d ON d.code = c.district_code "
            "WHERE NOT c.public_opt_out ORDER BY c.id) TO STDOUT WITH (FORMAT csv, HEADER)"
        )
        size = rows = 0
        started = time.perf_counter()
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for block in copy:
                size += len(block)
                rows += bytes(block).count(b"\n")
        seconds = time.perf_counter() - started
        self.conn.commit()
        return seconds, size, rows - 1  # less the header

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- measuring


def alternated(
    conn: Connection,
    asks: Sequence[T],
    path: Callable[[T], str],
    answered: Callable[[T, int, bytes], bool],
    floor: Callable[[T], object],
) -> tuple[list[int], list[float], list[float]]:
    """Each ask: the app's request, then the floor's SQL. Statuses (0: a wrong answer), both times."""
    statuses, times, floor_times = [], [], []
    for ask in asks:
        started = time.perf_counter()
        status, body = conn.request("GET", path(ask))
        times.append(time.perf_counter() - started)
        statuses.append(status if answered(ask, status, body) else 0)
        started = time.perf_counter()
        floor(ask)
        floor_times.append(time.perf_counter() - started)
    return statuses, times, floor_times


def warm_league(port: int, connections: int, log: Callable[[str], None]) -> tuple[float, int]:
    """Each gunicorn worker keeps its own table, so every one that may answer must have built it. First one
    request alone: a build without the cache, timed (the other pages were asked first, so what it times
    is the build, not the worker's first request). Then rounds of `connections` concurrent requests until
    two rounds in a row answer from the cache. The build's time and the rounds."""

    def ask(times: list[float]) -> None:
        conn = Connection(port)
        try:
            started = time.perf_counter()
            status, _ = conn.request("GET", "/districts")
            if status == 200:  # anything else leaves the round short, which stops the warm-up
                times.append(time.perf_counter() - started)
        finally:
            conn.close()

    alone: list[float] = []
    ask(alone)
    if not alone:
        raise RuntimeError("/districts did not answer 200")
    log(f"  one build alone: {alone[0]:.2f} s")
    calm, rounds = 0, 0
    while calm < 2 and rounds < WARM_ROUNDS_MAX:
        rounds += 1
        times: list[float] = []
        threads = [threading.Thread(target=ask, args=(times,), daemon=True) for _ in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(REQUEST_TIMEOUT_S)
        if len(times) != connections:
            raise RuntimeError("the league's warm-up did not finish")
        calm = calm + 1 if max(times) < WARM_ANSWER_S else 0
        log(f"  warm-up round {rounds} ({connections} at once): slowest {max(times):.2f} s")
    return alone[0], rounds


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children (the web workers), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == master:  # the field after the state: the parent
            pids.append(int(entry.name))
    return sorted(pids)


def memory_mb(pid: int, field_name: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return 0.0


def reset_peaks(pids: Sequence[int]) -> bool:
    """Set each process's VmHWM (peak resident set) back to its current one: Linux's clear_refs `5`."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def download_csv(port: int, master: int, floor: Floor, log: Callable[[str], None]) -> Download:
    """The whole CSV read as it streams, the workers' memory sampled meanwhile; then the COPY floor."""
    pids = worker_pids(master)
    before = {pid: memory_mb(pid) for pid in pids}
    peaks_reset = reset_peaks(pids)
    samples: list[tuple[int, float]] = []  # (rows so far, the most any worker had grown)

    def grown() -> float:
        return max((memory_mb(pid) - before[pid] for pid in pids), default=0.0)

    conn = http.client.HTTPConnection(HOST, port, timeout=CSV_TIMEOUT_S)
    size = rows = 0
    started = time.perf_counter()
    try:
        conn.request("GET", "/open-data/complaints.csv")
        response = conn.getresponse()
        status = response.status
        next_sample = started
        while chunk := response.read(CHUNK):
            size += len(chunk)
            rows += chunk.count(b"\n")
            if time.perf_counter() >= next_sample:
                samples.append((rows, grown()))
                next_sample = time.perf_counter() + SAMPLE_EVERY_S
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    samples.append((rows, grown()))
    rows -= 1  # the header
    growth = {pid: memory_mb(pid, "VmHWM") - before[pid] for pid in pids}
    serving = max(growth, key=lambda pid: growth[pid]) if growth else 0
    peak = max([growth.get(serving, 0.0), *(g for _, g in samples)])
    quarters = []
    for quarter in (1, 2, 3, 4):
        wanted = rows * quarter / 4
        quarters.append(next((g for r, g in samples if r >= wanted), samples[-1][1]))
    log(f"  CSV: {rows:,} rows, {size / 2**20:.1f} MB in {seconds:.1f} s; COPY floor …")
    floor_seconds, floor_size, floor_rows = floor.copy_csv()
    return Download(
        status=status,
        seconds=seconds,
        megabytes=size / 2**20,
        rows=rows,
        floor_seconds=floor_seconds,
        floor_megabytes=floor_size / 2**20,
        floor_rows=floor_rows,
        rss_start_mb=before.get(serving, 0.0),
        growth_by_quarter_mb=quarters,
        peak_growth_mb=peak,
        peak_source="VmHWM reset before the download" if peaks_reset else "sampled VmRSS (VmHWM not reset)",
    )


# --------------------------------------------------------------------------- the run


def app_env(workdir: Path, opts: Options, db_url: str) -> dict[str, str]:
    """Production settings: a LINE channel (never called: its API is a closed local port), a secret key,
    an https base URL, no tile server (the map's page as the tests see it); gunicorn's size."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        PHOTO_DIR=str(workdir / "photos"),
        LINE_CHANNEL_SECRET=secrets.token_hex(16),
        LINE_CHANNEL_ACCESS_TOKEN="bench-" + secrets.token_hex(16),
        LINE_API_BASE_URL=f"http://{HOST}:{free_port()}",
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_BASE_URL="https://rongtook.bench.invalid",
        PUBLIC_MAP_DAYS=str(MAP_DAYS),
        WEB_CONCURRENCY=str(opts.workers),
        WEB_THREADS=str(opts.threads),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    )
    for name in ("RONGTOOK_CLOCK_START", "MAP_TILE_URL"):
        env.pop(name, None)
    return env


@contextmanager
def bench_schema(opts: Options) -> Iterator[tuple[str, str]]:
    """The app's database URL and its schema: a kept one, or a fresh one dropped after (unless kept)."""
    base = opts.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if opts.schema:
        yield schema_url(base, opts.schema), opts.schema
        return
    schema = f"bench_public_{secrets.token_hex(4)}"
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


def run_benchmark(opts: Options, log: Any = None) -> Report:
    def say(msg: str) -> None:
        if log is not None:
            print(msg, file=log, flush=True)

    if make_url(opts.database_url).get_backend_name() != "postgresql":
        raise ValueError("needs PostgreSQL (--database-url, BENCH_DATABASE_URL or TEST_DATABASE_URL)")
    load_before = loadavg()
    rng = random.Random(opts.seed)
    workdir = Path(tempfile.mkdtemp(prefix="rongtook-public-", dir=opts.db_dir))
    try:
        with ExitStack() as stack:
            db_url, schema = stack.enter_context(bench_schema(opts))
            env = app_env(workdir, opts, db_url)
            engine = make_engine(db_url)
            stack.callback(engine.dispose)
            if opts.schema:
                generation = f"kept schema {schema}"
                say(f"measuring the kept schema {schema} …")
            else:
                say(f"workdir {workdir}; PostgreSQL schema {schema}; rongtook release …")
                release_database(env, workdir, RELEASE_TIMEOUT_S)
                say(f"generating {opts.complaints:,} complaints (seed {opts.seed}) …")
                generation = generate(engine, opts.complaints, opts.seed, None, opts.days, log=log).describe()
                say(generation)

            now = clock.now()
            today = now.astimezone(BANGKOK).date()
            scheme = load_kpi32()
            period = read_period("", "", today, scheme)  # what /districts shows by default
            league_start = datetime.combine(period.bounds(scheme)[0], day_time(), BANGKOK)
            map_since = datetime.combine(today - timedelta(days=MAP_DAYS - 1), day_time(), BANGKOK)
            map_until = datetime.combine(today + timedelta(days=1), day_time(), BANGKOK)
            with transaction(make_session_factory(engine)) as session:
                complaints = int(session.scalar(select(func.count(Complaint.id))) or 0)
                wanted = opts.warmup + opts.requests
                codes = list(
                    session.scalars(
                        select(Complaint.tracking_code)
                        .where(Complaint.public_opt_out.is_(False))
                        .order_by(func.random())
                        .limit(wanted)
                    )
                )
                boxes = {code: shape.bounds for code, shape in district_boundaries(session).items()}
                version = str(session.execute(text("SHOW server_version")).scalar_one())
            if not codes or not boxes:
                raise RuntimeError("no complaints or no district boundaries to measure with")
            codes = [codes[i % len(codes)] for i in range(wanted)]
            viewports = [boxes[rng.choice(sorted(boxes))] for _ in range(wanted)]

            port = free_port()
            server: Server = stack.enter_context(
                running(start("web", rongtook_command() + ["web"], env, workdir, port))
            )
            wait_ready(server)
            say(f"rongtook web ready on {HOST}:{port} ({opts.workers} workers x {opts.threads} threads) …")
            floor = Floor(db_url)
            stack.callback(floor.close)
            conn = Connection(port)
            stack.callback(conn.close)

            say(f"complaint pages /c/<code>: {opts.requests} random valid codes …")

            def page_path(code: str) -> str:
                return f"/c/{code}"

            def page_ok(code: str, status: int, body: bytes) -> bool:
                return status == 200 and code.encode() in body  # a 404 page measures nothing

            alternated(conn, codes[: opts.warmup], page_path, page_ok, floor.page)
            statuses, times, floor_times = alternated(
                conn, codes[opts.warmup :], page_path, page_ok, floor.page
            )
            page = summarise("GET /c/<code> (random valid codes)", statuses, times)
            page_floor = summarise(
                "  floor: row by code, district, events", [200] * len(floor_times), floor_times
            )

            say(f"map data /map/data: {opts.requests} viewports of one district, {MAP_DAYS} days …")
            kinds: list[str] = []  # each answer's kind, in order
            totals: list[int] = []

            def map_path(box: tuple[float, float, float, float]) -> str:
                return "/map/data?" + urlencode({"bbox": ",".join(f"{v:.6f}" for v in box)})

            def map_ok(box: tuple[float, float, float, float], status: int, body: bytes) -> bool:
                try:
                    kind = json.loads(body)["kind"] if status == 200 else None
                except (ValueError, KeyError, TypeError):
                    kind = None
                kinds.append(str(kind))
                return kind in ("points", "clusters")

            def map_floor_of(box: tuple[float, float, float, float]) -> None:
                totals.append(floor.bbox(box, map_since, map_until))

            alternated(conn, viewports[: opts.warmup], map_path, map_ok, map_floor_of)
            kinds.clear()
            totals.clear()
            statuses, times, floor_times = alternated(
                conn, viewports[opts.warmup :], map_path, map_ok, map_floor_of
            )
            map_ = summarise(f"GET /map/data (one district's box, {MAP_DAYS} days)", statuses, times)
            map_floor = summarise(
                "  floor: count(*) in the box and period", [200] * len(floor_times), floor_times
            )
            # Up to 5,000 points the answer is a list; above, counts per cell: two costs, shown apart.
            map_kinds = {
                kind: summarise(
                    f"  of which {kind}",
                    [s for s, k in zip(statuses, kinds, strict=True) if k == kind],
                    [t for t, k in zip(times, kinds, strict=True) if k == kind],
                )
                for kind in sorted(set(kinds))
            }

            say("league table /districts: every web worker builds its table (warm-up) …")
            built_s, rounds = warm_league(port, opts.workers * opts.threads, say)
            league_rows = floor.league(league_start, now)
            say(f"  {opts.requests} requests, each beside the floor's GROUP BY …")
            statuses, times, floor_times = alternated(
                conn,
                range(opts.requests),
                lambda _: "/districts",
                lambda _, status, body: status == 200 and b'data-testid="league"' in body,
                lambda _: floor.league(league_start, now),
            )
            league = summarise("GET /districts (this fiscal year)", statuses, times)
            league_floor = summarise(
                "  floor: counts GROUP BY district", [200] * len(floor_times), floor_times
            )

            say("open data: the whole CSV, streamed …")
            csv = download_csv(port, server.proc.pid, floor, say)
        league_ms, page_ms, map_ms = league.p95_ms, page.p95_ms, map_.p95_ms
        verdicts = [
            Verdict(
                f"league table p95 < {TARGET_LEAGUE_P95_MS:g} ms, no errors",
                f"p95 {league_ms:.1f} ms (floor {league_floor.p95_ms:.1f} ms), {league.errors} errors",
                league_ms < TARGET_LEAGUE_P95_MS and league.errors == 0 and league.ok > 0,
            ),
            Verdict(
                f"complaint page p95 < {TARGET_PAGE_P95_MS:g} ms, no errors",
                f"p95 {page_ms:.1f} ms (floor {page_floor.p95_ms:.1f} ms), {page.errors} errors",
                page_ms < TARGET_PAGE_P95_MS and page.errors == 0 and page.ok > 0,
            ),
            Verdict(
                f"map data of one district's viewport p95 < {TARGET_MAP_P95_MS:g} ms, no errors",
                f"p95 {map_ms:.1f} ms (floor {map_floor.p95_ms:.1f} ms), {map_.errors} errors",
                map_ms < TARGET_MAP_P95_MS and map_.errors == 0 and map_.ok > 0,
            ),
            Verdict(
                f"the whole open-data CSV in < {TARGET_CSV_S:g} s, every row, memory flat "
                f"(< {FLAT_MB:g} MB from a quarter of the rows to the end)",
                f"{csv.seconds:.1f} s (floor {csv.floor_seconds:.1f} s), "
                f"{csv.rows:,} of {csv.floor_rows:,} rows, "
                f"+{csv.flat_growth_mb:.1f} MB after the first quarter (peak +{csv.peak_growth_mb:.1f} MB)",
                csv.status == 200
                and csv.seconds < TARGET_CSV_S
                and csv.rows == csv.floor_rows
                and csv.flat_growth_mb < FLAT_MB,
            ),
        ]
        return Report(
            options=opts,
            schema=schema,
            generation=generation,
            complaints=complaints,
            league=league,
            league_floor=league_floor,
            league_built_s=built_s,
            league_rounds=rounds,
            league_rows=league_rows,
            page=page,
            page_floor=page_floor,
            map=map_,
            map_floor=map_floor,
            map_kinds=map_kinds,
            map_median_total=statistics.median(totals) if totals else 0.0,
            csv=csv,
            verdicts=verdicts,
            environment={
                "database": f"PostgreSQL {version}",
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "loadavg_1min": {"before": load_before, "after": loadavg()},
                "fiscal_year": period.fiscal_year,
                "league_window": [league_start.isoformat(), now.isoformat(timespec="seconds")],
                "map_window": [map_since.date().isoformat(), today.isoformat()],
            },
        )
    finally:
        if opts.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- output


def cache_note(report: Report) -> str:
    """How the league's figures are kept current (kpi/league.py), with what this run measured."""
    return (
        f"League figures: built in the web request by kpi.league.league_table (the KPI scorer's "
        f"score_database, district_facts and open_and_rated) and kept by kpi.league.LeagueCache per gunicorn "
        f"worker and period for at most {CACHE_SECONDS} s (aged by the app's clock); the first request "
        f"after that rebuilds them (a build, timed alone here: {report.league_built_s:.2f} s; "
        f"{report.league_rounds} concurrent warm-up rounds until every worker had its own). Two "
        "requests for the same stale period may both build it; none waits on another's lock. The page "
        "says when its figures were read."
    )


def format_report(report: Report) -> str:
    o, env, csv = report.options, report.environment, report.csv
    lines = [
        "",
        f"Public site benchmark on {env['database']}, schema {report.schema}: "
        f"{report.complaints:,} complaints",
        f"generated: {report.generation}",
        f"web: `rongtook web` (gunicorn gthread, {o.workers} workers x {o.threads} threads), production "
        f"settings, no tile server; {env['cpus']} CPUs, load average (1 min) before/after: "
        f"{env['loadavg_1min']['before']}/{env['loadavg_1min']['after']} (other work on the machine slows "
        "every figure, the floors too)",
        f"league: FY {env['fiscal_year']} so far ({report.league_rows} districts in the floor's answer); "
        f"map: {env['map_window'][0]} .. {env['map_window'][1]}, answers "
        + ", ".join(f"{k} {v.requests}" for k, v in sorted(report.map_kinds.items()))
        + f", {report.map_median_total:,.0f} complaints in the median box",
        f"warm-up: {o.warmup} requests each (the league: until every web worker answers from its cache)",
        "",
        f"{'measurement':<52} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}",
    ]
    for r in (
        report.league,
        report.league_floor,
        report.page,
        report.page_floor,
        report.map,
        *report.map_kinds.values(),
        report.map_floor,
    ):
        note = ""
        if r.errors:
            note = "  (statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items())) + ")"
        lines.append(
            f"{r.name:<52} {r.requests:>5} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.max_ms:>8.2f} {r.errors:>6}{note}"
        )
    quarters = " / ".join(f"+{g:.1f}" for g in csv.growth_by_quarter_mb)
    lines += [
        "",
        f"GET /open-data/complaints.csv (status {csv.status}): {csv.rows:,} rows, {csv.megabytes:.1f} MB in "
        f"{csv.seconds:.1f} s ({csv.rows / max(csv.seconds, 1e-9):,.0f} rows/s)",
        f"  floor: COPY of the same columns to STDOUT: {csv.floor_rows:,} rows, "
        f"{csv.floor_megabytes:.1f} MB in {csv.floor_seconds:.1f} s",
        f"  the serving web worker's memory: {csv.rss_start_mb:.0f} MB before; grown by {quarters} MB "
        f"at 1/4, 2/4, 3/4 and all of the rows; peak +{csv.peak_growth_mb:.1f} MB ({csv.peak_source})",
        "",
        cache_note(report),
        "",
    ]
    for v in report.verdicts:
        lines.append(f"{'PASS' if v.passed else 'FAIL'}  {v.name}: {v.measured}")
    return "\n".join(lines)


def report_json(report: Report) -> str:
    data = {
        "options": asdict(report.options),
        "schema": report.schema,
        "complaints": report.complaints,
        "results": [
            asdict(r)
            for r in (
                report.league,
                report.league_floor,
                report.page,
                report.page_floor,
                report.map,
                report.map_floor,
            )
        ],
        "league_built_s": report.league_built_s,
        "csv": asdict(report.csv),
        "targets": [asdict(v) for v in report.verdicts],
        "passed": report.passed,
        "environment": report.environment,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    d = Options()
    p = argparse.ArgumentParser(prog="python -m bench.public_bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--database-url",
        default=d.database_url,
        help="a PostgreSQL database to make a schema in (BENCH_DATABASE_URL, TEST_DATABASE_URL; "
        "default %(default)s)",
    )
    p.add_argument(
        "--complaints", type=int, default=d.complaints, help="complaints to generate (default %(default)s)"
    )
    p.add_argument("--seed", type=int, default=d.seed, help="the generator's seed (default %(default)s)")
    p.add_argument(
        "--days", type=int, default=d.days, help="the generated period in days (default %(default)s)"
    )
    p.add_argument(
        "--requests",
        type=int,
        default=d.requests,
        help="measured requests of each kind (default %(default)s)",
    )
    p.add_argument(
        "--warmup", type=int, default=d.warmup, help="warm-up requests of each kind (default %(default)s)"
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
    p.add_argument("--schema", help="measure a schema an earlier --keep run kept (no generation)")
    p.add_argument("--db-dir", help="directory for the temporary files (default: the system's)")
    p.add_argument("--keep", action="store_true", help="keep the schema and the server's log")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = p.parse_args(argv)
    for name in ("complaints", "days", "requests", "workers", "threads"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1")
    if a.warmup < 0:
        p.error("--warmup must be at least 0")
    return Options(
        complaints=a.complaints,
        seed=a.seed,
        days=a.days,
        requests=a.requests,
        warmup=a.warmup,
        workers=a.workers,
        threads=a.threads,
        database_url=a.database_url,
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
        print(f"public_bench: could not run: {exc}", file=sys.stderr)
        return 2
    print(format_report(report), flush=True)
    if opts.json:
        print(report_json(report), flush=True)
    return 1 if opts.strict and not report.passed else 0


if __name__ == "__main__":
    sys.exit(main())
