"""The Flask application factory."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, current_app, jsonify, send_file
from flask.typing import ResponseReturnValue
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from bot.services import Services
from bot.settings import Settings, settings_from_env
from models.db import database_reachable

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 12 * 1024 * 1024  # a webhook is small; sandbox photo uploads are up to LINE's 10 MB


class SharedCompiledTemplates(BytecodeCache):
    """Compiled templates kept for every app of the process, not per app.

    A server makes one app, but the tests make one per test, and compiling the admin's templates
    anew each time cost a tenth of the suite. Jinja checks each template's source before reuse.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = SharedCompiledTemplates()


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    if services is None:
        services = Services.from_settings(settings or settings_from_env())
    app = Flask(__name__)
    app.config.update(SECRET_KEY=services.settings.secret_key, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.extensions["rongtook"] = services
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES

    from bot.my_data import bp as my_data_bp
    from bot.open311 import bp as open311_bp
    from bot.open_data import bp as open_data_bp
    from bot.photo_links import bp as photo_links_bp
    from bot.public_api import bp as public_api_bp
    from bot.public_league import bp as public_league_bp
    from bot.public_map import bp as public_map_bp
    from bot.public_pages import bp as public_pages_bp
    from bot.webhook import bp as webhook_bp

    app.register_blueprint(webhook_bp)
    app.register_blueprint(public_api_bp)
    app.register_blueprint(public_pages_bp)
    app.register_blueprint(open_data_bp)
    app.register_blueprint(public_league_bp)
    app.register_blueprint(public_map_bp)
    app.register_blueprint(photo_links_bp)
    app.register_blueprint(my_data_bp)
    app.register_blueprint(open311_bp)
    from admin import init_admin

    # Over https (production) the session cookie never travels in clear; the sandbox is plain http.
    init_admin(app, secure_cookies=(services.settings.public_base_url or "").startswith("https://"))
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/favicon.ico", "favicon", favicon)  # browsers ask every page for it
    if services.settings.sandbox:
        from bot.sandbox import register_sandbox

        register_sandbox(app)
    return app


def healthz() -> ResponseReturnValue:
    services: Services = current_app.extensions["rongtook"]
    mode = "sandbox" if services.settings.sandbox else "line"
    if database_reachable(services.engine):
        return jsonify(status="ok", database="ok", mode=mode), 200
    return jsonify(status="unavailable", database="unreachable", mode=mode), 503


FAVICON = Path(__file__).parent / "sandbox" / "static" / "favicon.svg"


def favicon() -> ResponseReturnValue:
    """The app's icon (the sandbox's SVG) for every page: without it, each page load logs a 404."""
    return send_file(FAVICON, mimetype="image/svg+xml", max_age=86400)
