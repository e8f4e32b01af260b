"""Settings from the environment: sandbox or real channel, database URLs, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SANDBOX_SECRET, ConfigError, settings_from_env


def base(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "PHOTO_DIR": str(tmp_path / "photos")}
    env.update(values)
    return env


def test_no_line_secret_means_sandbox_mode_with_the_local_fake_api(tmp_path):
    settings = settings_from_env(base(tmp_path, PORT="8123"))
    assert settings.sandbox
    assert settings.line_channel_secret == SANDBOX_SECRET
    assert settings.line_api_base_url == "http://127.0.0.1:8123/sandbox/line"


def test_real_channel_keeps_the_sdk_hosts_unless_a_base_url_is_set(tmp_path):
    env = base(tmp_path, LINE_CHANNEL_SECRET="s" * 32, LINE_CHANNEL_ACCESS_TOKEN="t", SECRET_KEY="k" * 32)
    settings = settings_from_env(env)
    assert not settings.sandbox
    assert settings.line_api_base_url is None  # content must go to api-data.line.me, not api.line.me
    settings = settings_from_env(dict(env, LINE_API_BASE_URL="http://127.0.0.1:4010/"))
    assert settings.line_api_base_url == "http://127.0.0.1:4010"


def test_heroku_style_postgres_url_gets_the_psycopg_driver(tmp_path):
    settings = settings_from_env(base(tmp_path, DATABASE_URL="postgres://u:p@db:5432/app"))
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/app"


def test_default_database_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = settings_from_env({"PHOTO_DIR": str(tmp_path / "p")})
    assert settings.database_url == f"sqlite:///{tmp_path}/instance/rongtook.sqlite3"


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"LINE_CHANNEL_SECRET": "abc"}, "LINE_CHANNEL_ACCESS_TOKEN"),
        ({"LINE_CHANNEL_ACCESS_TOKEN": "abc"}, "LINE_CHANNEL_SECRET"),
        ({"LINE_CHANNEL_SECRET": "a", "LINE_CHANNEL_ACCESS_TOKEN": "b"}, "SECRET_KEY"),
        ({"LINE_CHANNEL_SECRET": "a", "LINE_CHANNEL_ACCESS_TOKEN": "b", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"LINE_API_BASE_URL": "ftp://x"}, "LINE_API_BASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DISTRICTS_GEOJSON": "/no/such/file.geojson"}, "DISTRICTS_GEOJSON"),
        ({"PHOTO_DIR": "/proc/no-photos-here"}, "PHOTO_DIR"),
        ({"INBOX_LEASE_SECONDS": "-1"}, "INBOX_LEASE_SECONDS"),
    ],
)
def test_bad_setting_names_the_setting(tmp_path, values, setting):
    with pytest.raises(ConfigError) as info:
        settings_from_env(base(tmp_path, **values))
    assert info.value.setting == setting
    assert str(info.value).startswith(f"setting {setting}:")
