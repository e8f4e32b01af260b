"""The APScheduler instance that runs in the worker process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.db import transaction
from scheduler.housekeeping import checkpoint_sqlite, purge_done_inbox, queue_counts

log = logging.getLogger(__name__)
BANGKOK = ZoneInfo("Asia/Bangkok")


def build_scheduler(
    engine: Engine, sessions: sessionmaker[Session], clock: Callable[[], datetime] | None = None
) -> BackgroundScheduler:
    now = clock or (lambda: datetime.now(UTC))
    scheduler = BackgroundScheduler(timezone=BANGKOK, job_defaults={"coalesce": True, "max_instances": 1})

    def housekeeping() -> None:
        with transaction(sessions) as session:
            purged = purge_done_inbox(session, now())
            counts = queue_counts(session)
        checkpoint_sqlite(engine)
        failed = counts["outbox"].get("failed", 0) + counts["inbox"].get("failed", 0)
        log.info("queues: %s; purged %d old inbox rows", counts, purged)
        if failed:
            log.warning(
                "queues: %d rows failed for good; see last_error on inbox_events/outbox_messages", failed
            )

    scheduler.add_job(housekeeping, "cron", minute=17, id="housekeeping", replace_existing=True)
    return scheduler
