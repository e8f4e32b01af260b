"""Serving a Flask app with gunicorn, configured from the environment (used by `rongtook web`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from bot.heap import freeze_startup_objects


def _freeze_after_loading(_worker: Any) -> None:
    freeze_startup_objects()


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gthread workers: the webhook waits on the database, so threads, not processes, carry concurrency."""

    def __init__(self, load_app: Callable[[], Flask], bind: str) -> None:
        self._load_app = load_app
        self._bind = bind
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": self._bind,
            "workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
            "worker_class": "gthread",
            "threads": int(os.environ.get("WEB_THREADS", "4")),
            "timeout": 30,
            "accesslog": "-",
            # After the app is loaded in each worker process: see bot/heap.py.
            "post_worker_init": _freeze_after_loading,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._load_app()
