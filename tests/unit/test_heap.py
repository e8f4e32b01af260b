"""Start-up objects kept out of the collector's walks (bot/heap.py), in the web and worker processes."""

from __future__ import annotations

import gc

from flask import Flask

from bot.heap import freeze_startup_objects
from bot.web_server import GunicornServer


def test_objects_alive_at_start_up_are_frozen_and_garbage_is_collected_first() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    Cycle()  # unreachable: collected, not frozen
    survivor = Cycle()
    try:
        frozen = freeze_startup_objects()
        # The test process's modules at least. Other tests' threads run on meanwhile: a frozen object they
        # drop leaves the frozen generation, so the count afterwards is about, not exactly, the same.
        assert frozen > 1000
        assert abs(gc.get_freeze_count() - frozen) < frozen // 100
        assert not any(type(o) is Cycle and o is not survivor for o in gc.get_objects(generation=None))
    finally:
        gc.unfreeze()


def test_each_gunicorn_worker_freezes_after_loading_the_app() -> None:
    server = GunicornServer(lambda: Flask("t"), "127.0.0.1:0")
    hook = server.cfg.post_worker_init
    before = gc.get_freeze_count()
    try:
        hook(object())
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
