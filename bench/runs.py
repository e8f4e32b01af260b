"""What the benchmarks that run on SQLite, then PostgreSQL, share: their database options and main loop."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

Report = TypeVar("Report")


def rongtook_command() -> list[str]:
    """`<venv>/bin/rongtook`, the console script beside this interpreter; `python -m bot.cli` if absent."""
    script = Path(sys.executable).parent / "rongtook"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def release(env: dict[str, str], workdir: Path, timeout_s: float = 300.0) -> str:
    """`rongtook release` on the fresh database (migrate, load the districts); what it printed."""
    done = subprocess.run(
        rongtook_command() + ["release"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rongtook release failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


def loadavg() -> float | None:
    """The machine's 1-minute load average, printed beside the figures (other work skews them)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def add_run_options(p: argparse.ArgumentParser) -> None:
    """--database, --postgres-url, --db-dir, --keep, --json and --strict."""
    p.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="the app's database; PostgreSQL from --postgres-url (default %(default)s)",
    )
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG,
        help="a PostgreSQL database to make a schema in (BENCH_DATABASE_URL; default %(default)s)",
    )
    p.add_argument("--db-dir", default=None, help="directory for the temporary files (default: the system's)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")


def database_urls(a: argparse.Namespace) -> list[str | None]:
    """The runs `--database` asks for, in order: None for SQLite, the PostgreSQL URL for PostgreSQL."""
    databases = ["sqlite", "postgresql"] if a.database == "both" else [a.database]
    return [a.postgres_url if db == "postgresql" else None for db in databases]


def run_each(
    urls: list[str | None],
    run: Callable[[str | None], Report],
    *,
    show: Callable[[Report], str],
    as_json: Callable[[Report], str] | None,
    passed: Callable[[Report], bool],
    strict: bool,
) -> int:
    """One run per database, each printed as it ends. Exit 2 when a run could not be made (PostgreSQL not
    there, say: the other still runs), 1 with `strict` when a target was missed, 130 on Ctrl+C or SIGTERM
    (whose processes `run` stops on the way out)."""

    def on_term(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    all_passed, could_not_run = True, False
    for url in urls:
        try:
            report = run(url)
        except KeyboardInterrupt:
            print("interrupted; processes stopped", file=sys.stderr)
            return 130
        except Exception as exc:
            name = "PostgreSQL" if url else "SQLite"
            print(f"{name}: could not run: {exc}", file=sys.stderr)  # with the log's tail, where there is one
            could_not_run = True
            continue
        print(show(report), flush=True)
        if as_json is not None:
            print(as_json(report), flush=True)
        all_passed = all_passed and passed(report)
    if could_not_run:
        return 2
    return 1 if strict and not all_passed else 0
