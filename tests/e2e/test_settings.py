"""The command stops with one clear line (no traceback) on a bad setting; a .env file is read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL", "SECRET_KEY"))}
    clean.update(PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_command_stops_with_one_clear_line_and_no_traceback(tmp_path):
    result = run_cli(tmp_path, "release", DATABASE_URL="mysql://x/y")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "rongtook: setting DATABASE_URL: 'mysql' is not supported; use sqlite or postgresql"
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = run_cli(tmp_path, "release", DATABASE_URL="postgresql://nobody@127.0.0.1:1/x?connect_timeout=1")
    assert result.returncode == 3
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("rongtook: cannot reach the database (DATABASE_URL):")
    assert "Traceback" not in result.stderr


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("DATABASE_URL=mysql://from-dotenv/x\n")
    result = run_cli(tmp_path, "release")
    assert "'mysql' is not supported" in result.stderr
    result = run_cli(
        tmp_path, "release", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3", PHOTO_DIR=str(tmp_path / "p")
    )
    assert result.returncode == 0, result.stderr
