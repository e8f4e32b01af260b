"""The `rongtook` command: release, web, worker, run (all in one, for the sandbox), districts."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from bot import (
    cli_admin,
    cli_apikeys,
    cli_category,
    cli_groups,
    cli_inbox,
    cli_kpi,
    cli_personal_data,
    cli_photos,
    cli_reminders,
    cli_reports,
    cli_users,
)
from bot.settings import ConfigError, Settings, settings_from_env
from models.clock import clock

log = logging.getLogger("rongtook")
SANDBOX_ADMIN = "sandbox-admin"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rongtook", description="Rongtook (ร้องทุกข์) LINE complaint service")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="set up and start web + worker in one process (sandbox without LINE settings)"
    )
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    sub.add_parser(
        "release", help="migrate the database, load the districts, upload the rich menus (safe to run again)"
    )
    sub.add_parser("web", help="serve the web app with gunicorn on $PORT")
    sub.add_parser("worker", help="process the inbox, send the outbox, run the scheduler")
    sub.add_parser("queues", help="inbox/outbox counts, and pushes sent this month (the LINE quota)")
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade"])
    districts = sub.add_parser("districts", help="district boundaries")
    districts_sub = districts.add_subparsers(dest="action", required=True)
    imp = districts_sub.add_parser(
        "import", help="load boundaries from a GeoJSON file (code, name_th, name_en)"
    )
    imp.add_argument("file", type=Path)
    districts_sub.add_parser("list", help="list the districts and whether each has a boundary")
    categories = sub.add_parser("categories", help="which section (ฝ่าย) answers which complaint category")
    categories_sub = categories.add_subparsers(dest="action", required=True)
    categories_sub.add_parser("list", help="every category and its section ('*' is the default)")
    set_section = categories_sub.add_parser("set", help="route a category ('*' for the default) to a section")
    set_section.add_argument("category")
    set_section.add_argument("section")
    remove_section = categories_sub.add_parser("remove", help="send a category to the default section again")
    remove_section.add_argument("category")
    cli_admin.add_parsers(sub)
    cli_reminders.add_parser(sub)
    cli_reports.add_parsers(sub)
    cli_kpi.add_parser(sub)
    cli_users.add_parser(sub)
    cli_inbox.add_parser(sub)
    cli_apikeys.add_parser(sub)
    cli_groups.add_parser(sub)
    cli_personal_data.add_parser(sub)
    cli_photos.add_parser(sub)
    cli_category.add_parser(sub)
    dialogs = sub.add_parser("dialogs", help="the declared dialog tables")
    dialogs.add_argument("action", choices=["diagram"], help="print a dialog table as a Mermaid diagram")
    dialogs.add_argument("--kind", choices=["citizen", "officer"], default="citizen")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = settings_from_env()
        return COMMANDS[args.command](settings, args)
    except ConfigError as exc:
        print(f"rongtook: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(
            f"rongtook: cannot reach the database (DATABASE_URL): {str(exc.orig).splitlines()[0]}",
            file=sys.stderr,
        )
        return 3


def announce(settings: Settings) -> None:
    if settings.sandbox:
        log.info(
            "SANDBOX MODE: no LINE_CHANNEL_SECRET set; LINE is simulated at %s", settings.line_api_base_url
        )
    else:
        log.info("LINE mode: Messaging API at %s", settings.line_api_base_url or "LINE's own hosts")


def cmd_release(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from bot.setup import release

    report = release(Services.from_settings(settings))
    print(
        f"database migrated; districts added: {report.districts_added}, boundaries loaded: "
        f"{report.boundaries_loaded}"
    )
    for outcome in report.rich_menus:  # a failed menu is said here (and logged); the deployment goes on
        print(outcome.line())
    return 0


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from models.db import make_engine
    from models.migrate import upgrade

    upgrade(make_engine(settings.database_url))
    print("database migrated")
    return 0


def cmd_districts(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models.db import transaction
    from models.districts import BoundaryFileError, ensure_districts, import_boundaries, read_boundaries

    services = Services.from_settings(settings)
    if args.action == "import":
        try:
            boundaries = read_boundaries(args.file)
        except BoundaryFileError as exc:
            print(f"rongtook: {exc}", file=sys.stderr)
            return 1
        with transaction(services.sessions) as session:
            ensure_districts(session)
            count = import_boundaries(session, boundaries)
        print(f"loaded {count} district boundaries from {args.file}")
        return 0
    from sqlalchemy import select

    from models import District

    with transaction(services.sessions) as session:
        for d in session.scalars(select(District).order_by(District.code)):
            print(f"{d.code}  {d.name_th}  {d.name_en}  {'boundary' if d.boundary else '-'}")
    return 0


def cmd_categories(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models.categories import all_categories
    from models.db import transaction
    from models.sections import DEFAULT_KEY, all_sections, remove_section, set_section

    with transaction(Services.from_settings(settings).sessions) as session:
        if args.action == "set":
            row = set_section(session, args.category, args.section, clock.now())
            print(f"{row.category} → {row.section}")
            return 0
        if args.action == "remove":
            try:
                removed = remove_section(session, args.category)
            except ValueError as exc:
                print(f"rongtook: {exc}", file=sys.stderr)
                return 1
            print(f"{args.category}: {'now the default section' if removed else 'had no section of its own'}")
            return 0
        table = {row.category: row.section for row in all_sections(session)}
        known = [c.name_th for c in all_categories(session)]
    default = table.get(DEFAULT_KEY, "-")
    print(f"{DEFAULT_KEY}  {default}  (anything without a row)")
    labels = known + sorted(set(table) - set(known) - {DEFAULT_KEY})
    for label in labels:
        print(f"{label}  {table.get(label, default)}{'' if label in table else '  (default)'}")
    return 0


def cmd_dialogs(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.citizen_dialog import CITIZEN_DIALOG
    from handlers.officer_dialog import OFFICER_DIALOG

    print((CITIZEN_DIALOG if args.kind == "citizen" else OFFICER_DIALOG).mermaid(), end="")
    return 0


def cmd_queues(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models.clock import BANGKOK
    from models.db import transaction
    from scheduler.housekeeping import pushes_since, queue_counts

    month_start = clock.now().astimezone(BANGKOK).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with transaction(Services.from_settings(settings).sessions) as session:
        counts = queue_counts(session)
        pushes = pushes_since(session, month_start)
    for name, by_status in counts.items():
        line = ", ".join(f"{status} {n}" for status, n in sorted(by_status.items())) or "empty"
        print(f"{name}: {line}")
    print(f"pushes sent since {month_start:%Y-%m-%d}: {pushes}")
    return 0


def line_gateway(settings: Settings) -> Any:
    """The worker's way to LINE: one kept-alive connection for each chat thread."""
    from bot.line_gateway import LineGateway

    return LineGateway(
        settings.line_channel_access_token, settings.line_api_base_url, connections=settings.worker_threads
    )


M_ARENA_MAX = -8  # glibc's mallopt parameter


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives threads that allocate at the same moment heaps of their own ("arenas"), up to 8 per
    core, each keeping what it once held; a pool of threads that mostly wait on LINE needs two."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to tune
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.heap import freeze_startup_objects
    from bot.jobs import build_scheduler
    from bot.services import Services
    from bot.worker import Worker

    announce(settings)
    fewer_malloc_arenas()
    # A connection for each chat thread, the loop that claims rows and the scheduler.
    services = Services.from_settings(settings, connections=settings.worker_threads + 2)
    stop = threading.Event()
    _stop_on_signals(stop)
    gateway = line_gateway(settings)
    scheduler = build_scheduler(
        services.engine,
        services.sessions,
        retention_days=settings.retention_days,
        photo_dir=settings.photo_dir,
        line=gateway,
    )
    scheduler.start()
    worker = Worker(services, gateway)
    freeze_startup_objects()  # bot/heap.py: full collections no longer stall the chat threads
    try:
        worker.run(stop)
    finally:
        scheduler.shutdown(wait=False)
    return 0


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import create_app
    from bot.web_server import GunicornServer

    announce(settings)
    GunicornServer(
        lambda: create_app(settings), bind=f"{os.environ.get('HOST', '0.0.0.0')}:{settings.port}"
    ).run()
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from bot.app import create_app
    from bot.jobs import build_scheduler
    from bot.services import Services
    from bot.setup import release
    from bot.worker import Worker, run_worker_until

    announce(settings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the chat page polls; keep the console readable
    services = Services.from_settings(settings, connections=settings.worker_threads + 8)
    release(services)
    if settings.sandbox:  # the category model, learned from the Traffy sample in seconds when missing
        cli_category.ensure_model(settings)
    app = create_app(services=services)
    server = make_server(args.host, settings.port, app, threaded=True)
    stop = threading.Event()
    _stop_on_signals(stop, server.shutdown)
    gateway = line_gateway(settings)
    worker = Worker(services, gateway)
    thread = run_worker_until(stop, worker)
    scheduler = build_scheduler(
        services.engine,
        services.sessions,
        retention_days=settings.retention_days,
        photo_dir=settings.photo_dir,
        line=gateway,
    )
    scheduler.start()
    where = f"http://{args.host}:{settings.port}"
    print(
        f"\n  Rongtook is running: {where}/sandbox  (health: {where}/healthz; Ctrl+C to stop)\n"
        if settings.sandbox
        else f"\n  Rongtook is running: {where}  (webhook: {where}/callback)\n",
        flush=True,
    )
    if settings.sandbox:
        print(sandbox_officer_notice(services), flush=True)
        password = _sandbox_admin_password(services)
        print(f"  Admin web: {where}/admin/  (user {SANDBOX_ADMIN}, password {password})\n", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        thread.join(timeout=5)
    return 0


def sandbox_officer_notice(services: Any) -> str:
    """In the sandbox, a demo officer to link, so the whole flow can be tried at once: where she serves."""
    from bot.sandbox.demo import DEMO_DISTRICT, SANDBOX_OFFICER, demo_district, demo_officer, startup_message
    from models.db import transaction
    from models.officer_links import add_officer, new_link_code

    now = clock.now()
    with transaction(services.sessions) as session:
        demo = demo_officer(session)
        if demo is None:
            demo = add_officer(session, DEMO_DISTRICT, SANDBOX_OFFICER, "head", now)
        code = None if demo.line_user_id else new_link_code(session, demo, now).code  # None: linked already
        return startup_message(demo_district(session), code)


def _sandbox_admin_password(services: Any) -> str:
    """In the sandbox, an admin account for the staff web, with a new random password each run."""
    import secrets

    from sqlalchemy import select

    from models.db import transaction
    from models.staff import StaffUser, add_user, set_password

    password = secrets.token_urlsafe(12)
    with transaction(services.sessions) as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == SANDBOX_ADMIN))
        if user is None:
            add_user(session, SANDBOX_ADMIN, password, "admin", None, clock.now())
        else:
            set_password(session, user, password)
    return password


def _stop_on_signals(stop: threading.Event, also: Any = None) -> None:
    def handler(signum: int, _frame: Any) -> None:
        stop.set()
        if also is not None:
            threading.Thread(target=also, daemon=True).start()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


COMMANDS = {
    "run": cmd_run,
    "release": cmd_release,
    "web": cmd_web,
    "worker": cmd_worker,
    "db": cmd_db,
    "queues": cmd_queues,
    "districts": cmd_districts,
    "categories": cmd_categories,
    "dialogs": cmd_dialogs,
    "officers": cli_admin.cmd_officers,
    "holidays": cli_admin.cmd_holidays,
    "reminders": cli_reminders.cmd_reminders,
    "report": cli_reports.cmd_report,
    "audit": cli_reports.cmd_audit,
    "kpi": cli_kpi.cmd_kpi,
    "users": cli_users.cmd_users,
    "inbox": cli_inbox.cmd_inbox,
    "apikeys": cli_apikeys.cmd_apikeys,
    "groups": cli_groups.cmd_groups,
    "personal-data": cli_personal_data.cmd_personal_data,
    "photos": cli_photos.cmd_photos,
    "category": cli_category.cmd_category,
}

if __name__ == "__main__":
    sys.exit(main())
