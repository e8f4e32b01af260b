"""Keeping the garbage collector off what lives as long as the process.

A web or worker process holds ~280,000 objects from start-up (modules, SQLAlchemy's compiled statements,
the district map, the holiday tables) that never die. Python's full collection walks every one of them
(150–165 ms on this 2-CPU machine) and holds the GIL meanwhile, so every thread of the process stalls:
a webhook or Open311 POST that should take 15 ms takes 170. `gc.freeze()` moves the objects alive at
that moment into a generation the collector never walks; what requests make is collected as before.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_objects() -> int:
    """Collect once, then keep everything alive now out of later collections; returns how many."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%d start-up objects kept out of the garbage collector's walks", frozen)
    return frozen
