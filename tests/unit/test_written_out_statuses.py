"""Conditions written out as SQL for partial indexes (a planner matches them as written, so they cannot
be bound parameters): each is held equal to the statuses the code means, and to the migration's copy."""

from __future__ import annotations

import importlib
import re

from models.complaint_lifecycle import OPEN_VALUES
from models.complaints import OPEN_SQL
from models.queues import FAILED_SQL, UNFINISHED_SQL, QueueStatus


def listed(condition: str) -> set[str]:
    return set(re.findall(r"'([a-z_]+)'", condition))


def test_the_open_statuses_are_the_lifecycles() -> None:
    assert listed(OPEN_SQL) == set(OPEN_VALUES)
    migration = importlib.import_module(
        "models.migrations.versions.0015_index_of_open_complaints_by_category_and_latitude"
    )
    assert migration.OPEN == OPEN_SQL


def test_the_queue_conditions_name_the_queue_statuses() -> None:
    assert listed(UNFINISHED_SQL) == {QueueStatus.PENDING.value, QueueStatus.PROCESSING.value}
    assert listed(FAILED_SQL) == {QueueStatus.FAILED.value}
    migration = importlib.import_module(
        "models.migrations.versions.0012_partial_indexes_of_unfinished_queue_rows"
    )
    assert (migration.UNFINISHED, migration.FAILED) == (UNFINISHED_SQL, FAILED_SQL)
