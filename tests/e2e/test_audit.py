"""The step 2 audit's commands (`rongtook audit draw/show/mark`), run as processes."""

from __future__ import annotations

from tests.audit_common import A, B, november
from tests.e2e.test_reports import run_rongtook


def test_audit_commands(services, db_url, tmp_path):
    november(services, in_a=24, in_b=3)
    services.engine.dispose()
    at = "--at=2026-12-02T09:00:00+07:00"
    done = run_rongtook(tmp_path, db_url, "audit", "draw", "--month", "2569-11", "--seed", "2569", at)
    assert done.returncode == 0, done.stderr
    assert "seed 2569" in done.stdout
    a_line = next(line for line in done.stdout.splitlines() if line.startswith(A))
    assert "drew 3 of 25" in a_line
    codes = a_line.split(": ", 1)[1].split()
    assert len(codes) == 3

    again = run_rongtook(tmp_path, db_url, "audit", "draw", "--month", "2026-11", at)
    assert again.returncode == 1 and "already drawn" in again.stderr and "Traceback" not in again.stderr

    for code, finding in zip(codes, ["consistent", "consistent", "inconsistent"], strict=True):
        done = run_rongtook(
            tmp_path, db_url, "audit", "mark", code, finding, "--note", "ตรวจแล้ว", "--by", "ผู้ตรวจ"
        )
        assert done.returncode == 0, done.stderr
    done = run_rongtook(tmp_path, db_url, "audit", "mark", "69-ZZZZZZ", "consistent")
    assert done.returncode == 1 and "was not drawn" in done.stderr

    done = run_rongtook(tmp_path, db_url, "audit", "show", "--month", "2569-11", "--items")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    a = next(line for line in lines if line.startswith(f"{A}  "))
    assert "drawn 3 of 25, marked 3, consistent 2 (66.67 %)  costs 0.05" in a
    b = next(line for line in lines if line.startswith(f"{B}  "))
    assert "marked 0, consistent 0 (0.00 %)  costs 0.05" in b
    assert sum("unmarked" in line for line in lines) == 2  # the header line and 1002's one item
    assert sum("inconsistent  ตรวจแล้ว" in line for line in lines) == 1
