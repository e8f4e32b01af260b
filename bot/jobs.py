"""The APScheduler instance that runs in the worker process."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cli_reminders import LEASE_NAME, LEASE_TTL, sweep_job
from bot.line_gateway import LineCallError, Quota
from handlers.citizen_dialog import expire_idle_drafts
from models.clock import BANGKOK
from models.clock import clock as app_clock
from models.db import transaction
from models.outbox import enqueue
from models.push_quota import DRAFT_EXPIRED, WARN_PERCENT, record_reading, release_held
from scheduler.housekeeping import (
    checkpoint_sqlite,
    delete_photo_files,
    purge_done_inbox,
    purge_unattached_photos,
    queue_counts,
)
from scheduler.leader import hold_lease
from scheduler.retention import DEFAULT_DAYS as DEFAULT_RETENTION_DAYS
from scheduler.retention import RetentionRun, erase_in_batches

log = logging.getLogger(__name__)
RETENTION_BATCH, RETENTION_MOST = 100, 1000
QUOTA_READ_EVERY_MIN = 30  # LINE's meter: read often enough that the dashboard and the held messages follow


class QuotaSource(Protocol):
    def get_quota(self) -> Quota: ...


def build_scheduler(
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime] | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    photo_dir: Path | None = None,  # None: photos are not purged (no files to reach)
    line: QuotaSource | None = None,  # None: LINE's push meter is not read
) -> BackgroundScheduler:
    now = clock or app_clock.now
    scheduler = BackgroundScheduler(timezone=BANGKOK, job_defaults={"coalesce": True, "max_instances": 1})
    holder = f"{socket.gethostname()}:{os.getpid()}"

    def housekeeping() -> None:
        with transaction(sessions) as session:
            purged = purge_done_inbox(session, now())
            counts = queue_counts(session)
            unused = purge_unattached_photos(session, now()) if photo_dir is not None else []
        if photo_dir is not None and unused:  # the rows are gone for good: now their files
            log.info(
                "photos: %d files of photos attached to no complaint removed",
                delete_photo_files(photo_dir, unused),
            )
        checkpoint_sqlite(engine)
        failed = counts["outbox"].get("failed", 0) + counts["inbox"].get("failed", 0)
        log.info("queues: %s; purged %d old inbox rows", counts, purged)
        if failed:
            log.warning(
                "queues: %d rows failed for good; see last_error on inbox_events/outbox_messages", failed
            )
        # Last: a failure here leaves the rest done. Only the scheduler's lease holder erases, so that
        # workers on several machines do not erase the same people at once and log them twice.
        if hold_lease(sessions, LEASE_NAME, holder, now(), LEASE_TTL):
            retention_once(sessions, now(), retention_days)

    def expire_drafts() -> None:
        expire_drafts_once(sessions, now())

    scheduler.add_job(housekeeping, "cron", minute=17, id="housekeeping", replace_existing=True)
    scheduler.add_job(expire_drafts, "interval", minutes=1, id="expire_drafts", replace_existing=True)

    def reminders() -> None:
        sweep_job(sessions, now, holder)  # only the holder of the "scheduler" lease sweeps

    scheduler.add_job(reminders, "interval", minutes=1, id="reminders", replace_existing=True)

    def push_quota() -> None:
        push_quota_once(sessions, line, now())

    scheduler.add_job(
        push_quota, "interval", minutes=QUOTA_READ_EVERY_MIN, id="push_quota", replace_existing=True
    )
    return scheduler


def push_quota_once(sessions: sessionmaker[Session], line: QuotaSource | None, now: datetime) -> int:
    """Read LINE's push meter for the dashboard, warn once a month at WARN_PERCENT and at 100 %, and send
    held messages again once LINE has room (a new month, a bigger plan). Returns how many went back."""
    quota: Quota | None = None
    if line is not None:
        try:
            quota = line.get_quota()
        except LineCallError as exc:  # the figures stay as last read; held messages wait for the month
            log.warning("push quota: LINE's meter not read (%s)", exc)
    with transaction(sessions) as session:
        crossed = record_reading(session, now, quota.type, quota.limit, quota.used) if quota else None
        released = release_held(session, now)
    if crossed is not None and quota is not None:
        what = "spent: LINE refuses pushes" if crossed >= 100 else f"past {WARN_PERCENT} %"
        log.warning("push quota %s (%d of %s this month)", what, quota.used, quota.limit)
    if released:
        log.info("push quota: %d held messages queued again as pushes", released)
    return released


def retention_once(sessions: sessionmaker[Session], now: datetime, days: int) -> RetentionRun:
    """Erase the personal data kept past RETENTION_DAYS (scheduler/retention.py), with the counts logged:
    at most RETENTION_MOST of each kind an hour (a first run on years of data catches up over hours), in
    transactions of RETENTION_BATCH, each short."""
    result = erase_in_batches(sessions, now, days, batch=RETENTION_BATCH, most=RETENTION_MOST)
    log.info(
        "retention (%d days): erased %d citizens and the contact of %d reporters",
        days,
        result.citizens_erased,
        result.reporters_erased,
    )
    return result


def expire_drafts_once(sessions: sessionmaker[Session], now: datetime) -> int:
    """Cancel complaint drafts idle for 30 minutes and tell each citizen (one push each)."""
    with transaction(sessions) as session:
        pushes = expire_idle_drafts(session, now)
        for user_id, messages in pushes:
            enqueue(session, user_id, messages, now=now, kind=DRAFT_EXPIRED)
    if pushes:
        log.info("expired %d idle complaint drafts", len(pushes))
    return len(pushes)
