"""Settings from the environment (12-factor); a `.env` file in the working directory is read if present."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from models.clock import START_ENV as CLOCK_START_ENV
from models.clock import parse_start as parse_clock_start

INSTANCE_DIR = Path("instance")
# The project's shared material sits beside the repository (../shared); never copied in.
DEFAULT_BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "bangkok_districts.geojson"
DEFAULT_TRAINING_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "traffy_sample.csv"
SANDBOX_SECRET = "rongtook-sandbox-channel-secret"
SANDBOX_TOKEN = "rongtook-sandbox-access-token"
SANDBOX_API_PATH = "/sandbox/line"


class ConfigError(Exception):
    """A setting is wrong. The message names the setting and says what is expected."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"setting {setting}: {problem}")
        self.setting = setting


@dataclass(frozen=True)
class Settings:
    database_url: str
    line_channel_secret: str
    line_channel_access_token: str
    line_api_base_url: str | None  # None: the SDK's own hosts (api.line.me, api-data.line.me)
    secret_key: str
    public_base_url: str | None  # where LINE fetches photos shown in cards; None: cards go without
    photo_dir: Path
    districts_geojson: Path | None
    sandbox: bool
    port: int
    inbox_lease_s: float
    max_attempts: int
    # Chats the worker serves at once: each waits on LINE (100-200 ms a call from Bangkok), not the CPU.
    worker_threads: int = 32
    # The day the districts started using Rongtook: no monthly KPI summary (step 3) is due for a month
    # before it. A district's own date (admin settings) wins. None: every month of the window counts.
    kpi_start_date: date | None = None
    # Hosts an Open311 client's media_url may be fetched from (OPEN311_MEDIA_HOSTS); empty: never fetched.
    open311_media_hosts: frozenset[str] = frozenset()
    # The intake page's map tiles, a Leaflet URL template (https://…/{z}/{x}/{y}.png) and the credit the
    # tile server asks for. None: the map shows only the district boundaries, on a plain background.
    map_tile_url: str | None = None
    map_tile_attribution: str = ""
    # The LINE account's add-friend link (LINE_ADD_FRIEND_URL, e.g. https://line.me/R/ti/p/@rongtook): the
    # home page shows it as a link and a QR code. None: the home page says to search for the account.
    line_add_friend_url: str | None = None
    # The licence the open data is published under (OPEN_DATA_LICENCE), named on /open-data and in each file.
    open_data_licence: str = "CC BY 4.0"
    # Categories whose place could point at the complainant's home (PUBLIC_COARSE_CATEGORIES, comma-
    # separated Thai names): shown publicly only to about 500 m.
    public_coarse_categories: frozenset[str] = frozenset({"เสียงรบกวน"})
    # The public map shows the complaints received in this many days up to today (PUBLIC_MAP_DAYS).
    public_map_days: int = 90
    # Personal data of a citizen with no open complaint and no activity for this many days, and the contact
    # of a reporter without LINE on a complaint closed as long, is erased by the housekeeping job
    # (RETENTION_DAYS, scheduler/retention.py).
    retention_days: int = 730
    # Who answers questions and requests about personal data (DATA_PROTECTION_CONTACT: an office, an e-mail,
    # a phone number, as one line), shown in the privacy notice at /privacy. Empty: the notice names the
    # district office and the 1555 hotline.
    data_protection_contact: str = ""
    # The category model learned from Traffy's texts (CATEGORY_MODEL_PATH; `rongtook category train` writes
    # it, the sandbox trains it at set-up when missing). No file: the category keywords alone.
    category_model_path: Path = INSTANCE_DIR.resolve() / "category_model.pkl"
    # The labelled texts it learns from (CATEGORY_TRAINING_CSV: Traffy's columns `type` and `comment`).
    category_training_csv: Path = DEFAULT_TRAINING_CSV
    # The sandbox's stand-in for LINE counts pushes against this monthly quota (SANDBOX_PUSH_QUOTA) and,
    # past it, refuses them as LINE does (429), so the dashboard's quota and held messages can be tried.
    # 0: no limit. LINE's own plans: 300 free messages a month in Thailand, more when paid.
    sandbox_push_quota: int = 0
    # A read-only replica of the database (DATABASE_REPLICA_URL) for the public pages and APIs, the open
    # data and the KPI reads; None: they read the primary. A replica may be a few seconds behind.
    database_replica_url: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_env(cwd: Path | None = None) -> dict[str, str]:
    """The process environment over the `.env` file (the environment wins)."""
    env_file = (cwd or Path.cwd()) / ".env"
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file.exists() else {}
    values.update(os.environ)
    return values


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    env = load_env() if env is None else env

    def get(name: str) -> str:
        return env.get(name, "").strip()

    database_url = _database_url(
        "DATABASE_URL", get("DATABASE_URL") or f"sqlite:///{(INSTANCE_DIR / 'rongtook.sqlite3').resolve()}"
    )
    # A read-only copy for the public pages and the KPI reads (docs/operator-guide.md, "Scaling out"):
    # a streaming replica of the same database, so of the same backend.
    replica_url = _database_url("DATABASE_REPLICA_URL", get("DATABASE_REPLICA_URL")) or None
    if replica_url is not None and _backend(replica_url) != _backend(database_url):
        raise ConfigError(
            "DATABASE_REPLICA_URL",
            f"is {_backend(replica_url)} but DATABASE_URL is {_backend(database_url)}; "
            "a replica is a copy of the same database",
        )

    if get(CLOCK_START_ENV):
        try:
            parse_clock_start(get(CLOCK_START_ENV))
        except ValueError:
            raise ConfigError(CLOCK_START_ENV, "is not an ISO time such as 2027-04-14T09:00") from None

    secret, token = get("LINE_CHANNEL_SECRET"), get("LINE_CHANNEL_ACCESS_TOKEN")
    sandbox = not secret
    if sandbox and token:
        raise ConfigError(
            "LINE_CHANNEL_SECRET", "is empty but LINE_CHANNEL_ACCESS_TOKEN is set; set both or neither"
        )
    if not sandbox and not token:
        raise ConfigError("LINE_CHANNEL_ACCESS_TOKEN", "is required when LINE_CHANNEL_SECRET is set")

    port_text = get("PORT") or "8000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError("PORT", f"'{port_text}' is not a TCP port number")
    port = int(port_text)

    base_url = get("LINE_API_BASE_URL").rstrip("/") or None
    if base_url is not None:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError("LINE_API_BASE_URL", f"'{base_url}' is not an http(s) URL")
    elif sandbox:
        base_url = f"http://127.0.0.1:{port}{SANDBOX_API_PATH}"

    secret_key = get("SECRET_KEY")
    if not secret_key:
        if not sandbox:
            raise ConfigError("SECRET_KEY", "is required with a real LINE channel (a long random string)")
        secret_key = "sandbox-only-secret-key"
    elif not sandbox and len(secret_key) < 16:
        raise ConfigError("SECRET_KEY", "is too short; use at least 16 random characters")

    public_base_url = get("PUBLIC_BASE_URL").rstrip("/") or None
    if public_base_url is not None:
        parsed = urlparse(public_base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError("PUBLIC_BASE_URL", f"'{public_base_url}' is not an http(s) URL")
        if not sandbox and parsed.scheme != "https":
            raise ConfigError("PUBLIC_BASE_URL", "must be https: LINE shows images only from https URLs")
    elif sandbox:
        public_base_url = f"http://127.0.0.1:{port}"

    photo_dir = Path(get("PHOTO_DIR") or INSTANCE_DIR / "photos").resolve()
    try:
        photo_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("PHOTO_DIR", f"cannot create {photo_dir} ({exc.strerror})") from None
    if not os.access(photo_dir, os.W_OK):
        raise ConfigError("PHOTO_DIR", f"{photo_dir} is not writable")

    geojson_text = get("DISTRICTS_GEOJSON")
    if geojson_text:
        districts_geojson: Path | None = Path(geojson_text).resolve()
        if not districts_geojson.is_file():
            raise ConfigError("DISTRICTS_GEOJSON", f"no such file: {districts_geojson}")
    else:
        districts_geojson = DEFAULT_BOUNDARIES if DEFAULT_BOUNDARIES.is_file() else None

    return Settings(
        database_url=database_url,
        database_replica_url=replica_url,
        line_channel_secret=secret or SANDBOX_SECRET,
        line_channel_access_token=token or SANDBOX_TOKEN,
        line_api_base_url=base_url,
        secret_key=secret_key,
        public_base_url=public_base_url,
        photo_dir=photo_dir,
        districts_geojson=districts_geojson,
        sandbox=sandbox,
        port=port,
        inbox_lease_s=_positive_float(env, "INBOX_LEASE_SECONDS", 60.0),
        max_attempts=int(_positive_float(env, "MAX_ATTEMPTS", 8)),
        worker_threads=_whole_number(env, "WORKER_THREADS", 32, 1, 256),
        kpi_start_date=_start_date(env, "KPI_START_DATE"),
        open311_media_hosts=_host_list(env, "OPEN311_MEDIA_HOSTS"),
        map_tile_url=_tile_url(env, "MAP_TILE_URL"),
        map_tile_attribution=get("MAP_TILE_ATTRIBUTION")[:300],
        open_data_licence=get("OPEN_DATA_LICENCE")[:200] or "CC BY 4.0",
        line_add_friend_url=_https_url(env, "LINE_ADD_FRIEND_URL"),
        public_coarse_categories=_name_list(env, "PUBLIC_COARSE_CATEGORIES", frozenset({"เสียงรบกวน"})),
        public_map_days=_whole_number(env, "PUBLIC_MAP_DAYS", 90, 1, 3660),
        retention_days=_whole_number(env, "RETENTION_DAYS", 730, 30, 36600),
        data_protection_contact=" ".join(get("DATA_PROTECTION_CONTACT").split())[:300],
        category_model_path=_category_model_path(env, "CATEGORY_MODEL_PATH"),
        category_training_csv=Path(get("CATEGORY_TRAINING_CSV") or DEFAULT_TRAINING_CSV).resolve(),
        sandbox_push_quota=_whole_number(env, "SANDBOX_PUSH_QUOTA", 0, 0, 10_000_000),
    )


def _database_url(name: str, text: str) -> str:
    """A SQLAlchemy URL for sqlite or postgresql (psycopg named as the driver); "" stays "" (unset)."""
    if not text:
        return ""
    if text.startswith("postgres://"):  # Heroku-style URLs; SQLAlchemy wants the driver named
        text = "postgresql+psycopg://" + text.removeprefix("postgres://")
    elif text.startswith("postgresql://"):
        text = "postgresql+psycopg://" + text.removeprefix("postgresql://")
    try:
        backend = _backend(text)
    except ArgumentError:
        raise ConfigError(name, "not a database URL (expected sqlite:///… or postgresql://…)") from None
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(name, f"'{backend}' is not supported; use sqlite or postgresql")
    return text


def _backend(url: str) -> str:
    return str(make_url(url).get_backend_name())


def _category_model_path(env: Mapping[str, str], name: str) -> Path:
    """A file path (it need not exist yet: `rongtook category train` writes it); not a folder."""
    path = Path(env.get(name, "").strip() or INSTANCE_DIR / "category_model.pkl").resolve()
    if path.is_dir():
        raise ConfigError(name, f"{path} is a folder; give a file path such as {path / 'category_model.pkl'}")
    return path


def _https_url(env: Mapping[str, str], name: str) -> str | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    parsed = urlparse(text)
    if parsed.scheme != "https" or not parsed.netloc:
        raise ConfigError(name, f"'{text}' is not an https:// URL")
    return text


def _name_list(env: Mapping[str, str], name: str, default: frozenset[str]) -> frozenset[str]:
    """Comma-separated names; unset means the default, an empty value means none."""
    if name not in env:
        return default
    return frozenset(part.strip() for part in env[name].split(",") if part.strip())


def _tile_url(env: Mapping[str, str], name: str) -> str | None:
    """A tile server's URL template for Leaflet: http(s), with the {z}, {x} and {y} it fills in."""
    text = env.get(name, "").strip()
    if not text:
        return None
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(name, f"'{text}' is not an http(s) URL")
    if not all(part in text for part in ("{z}", "{x}", "{y}")):
        raise ConfigError(
            name, f"'{text}' lacks {{z}}, {{x}} or {{y}} (e.g. https://tile.example/{{z}}/{{x}}/{{y}}.png)"
        )
    return text


def _start_date(env: Mapping[str, str], name: str) -> date | None:
    """An ISO date in the Christian Era (a Buddhist-Era year such as 2570 is refused as one)."""
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(name, f"'{text}' is not a date such as 2027-03-01 (YYYY-MM-DD)") from None
    if not 2000 <= day.year <= 2200:
        raise ConfigError(name, f"'{text}' is not a date such as 2027-03-01 (a CE year, 2000 to 2200)")
    return day


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(name, f"'{text}' is not a number") from None
    if value <= 0:
        raise ConfigError(name, "must be greater than zero")
    return value


def _whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(name, f"'{text}' is not a whole number from {low} to {high}")
    return int(text)


def _host_list(env: Mapping[str, str], name: str) -> frozenset[str]:
    """Comma-separated host names or IP addresses (no scheme, port or path), compared in lower case."""
    hosts = set()
    for raw in env.get(name, "").split(","):
        host = raw.strip().lower().removeprefix("[").removesuffix("]")  # [::1] as ::1
        if not host:
            continue
        if not re.fullmatch(r"[a-z0-9.:-]{1,253}", host) or host.startswith((".", "-")):
            raise ConfigError(
                name, f"'{raw.strip()}' is not a host name or IP address (e.g. images.example.org)"
            )
        hosts.add(host)
    return frozenset(hosts)
