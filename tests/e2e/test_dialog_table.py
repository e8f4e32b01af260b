"""The category → section table through the `rongtook categories` command, run as a process."""

from __future__ import annotations

from tests.e2e.test_settings import run_cli


def test_categories_command_lists_and_changes_the_table(db_url, tmp_path):
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(tmp_path / "p")}
    changed = run_cli(tmp_path, "categories", "set", "ป้าย", "ฝ่ายโยธา", **env)
    assert changed.returncode == 0, changed.stderr
    listed = run_cli(tmp_path, "categories", "list", **env)
    assert "ป้าย  ฝ่ายโยธา" in listed.stdout
    assert "อื่น ๆ  ฝ่ายปกครอง  (default)" in listed.stdout
    refused = run_cli(tmp_path, "categories", "remove", "*", **env)
    assert refused.returncode == 1 and "default section cannot be removed" in refused.stderr
