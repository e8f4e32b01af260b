"""SQLite's writers take turns: the webhook's writes (urgent: LINE waits) go before the worker's."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from models.db import _WriterQueue


def _writer(queue: _WriterQueue, urgent: bool = False) -> dict[str, Any]:
    record = SimpleNamespace(info={})
    queue.open(record)
    if urgent:
        record.info["write_urgent"] = True
    return record.info


def _take_turn(queue: _WriterQueue, info: dict[str, Any], name: str, order: list[str]) -> None:
    queue.acquire(info)
    order.append(name)
    time.sleep(0.05)
    queue.release(info)


def test_an_urgent_writer_goes_before_the_writers_already_waiting(tmp_path: Path) -> None:
    queue = _WriterQueue(tmp_path / "db.sqlite3.writelock")
    holder, workers, webhook = _writer(queue), [_writer(queue) for _ in range(3)], _writer(queue, urgent=True)
    queue.acquire(holder)
    order: list[str] = []
    waiting = [
        threading.Thread(target=_take_turn, args=(queue, info, f"worker{i}", order))
        for i, info in enumerate(workers)
    ]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)  # the worker's writers are queued for the lock
    urgent = threading.Thread(target=_take_turn, args=(queue, webhook, "webhook", order))
    urgent.start()
    time.sleep(0.2)  # ... and the webhook's behind them
    queue.release(holder)
    for thread in [*waiting, urgent]:
        thread.join(10)
    assert order[0] == "webhook"
    assert sorted(order[1:]) == ["worker0", "worker1", "worker2"]  # every one had its turn


def test_writers_without_an_urgent_one_each_get_the_lock_alone(tmp_path: Path) -> None:
    queue = _WriterQueue(tmp_path / "db.sqlite3.writelock")
    inside = 0
    most = 0
    lock = threading.Lock()

    def write(info: dict[str, Any]) -> None:
        nonlocal inside, most
        for _ in range(20):
            queue.acquire(info)
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.001)
            with lock:
                inside -= 1
            queue.release(info)

    threads = [threading.Thread(target=write, args=(_writer(queue, urgent=i == 0),)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most == 1
