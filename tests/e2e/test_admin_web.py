"""The first admin account is made with the `rongtook users` command, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.services import Services
from models.db import transaction
from models.staff import StaffUser
from tests.admin_web import PASSWORD
from tests.e2e.test_settings import REPO


def test_the_first_admin_is_made_from_a_script(db_url: str, tmp_path: Path, services: Services) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=db_url, PHOTO_DIR=str(tmp_path / "p"))

    def users(*args: str, password: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot.cli", "users", *args]
        return subprocess.run(command, input=password + "\n", env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)  # fmt: skip

    made = users("create-admin", "somchai", "--password-stdin", password=PASSWORD)
    assert made.returncode == 0, made.stderr
    head = users("add", "malee", "--role", "head", "--district", "1030", "--password-stdin",
                 password=PASSWORD)  # fmt: skip
    assert head.returncode == 0 and "head of 1030" in head.stdout
    short = users("add", "dang", "--role", "viewer", "--password-stdin", password="short")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    with transaction(services.sessions) as session:
        rows = {u.username: (u.role, u.district_code) for u in session.scalars(select(StaffUser))}
    assert rows == {"somchai": ("admin", None), "malee": ("head", "1030")}
