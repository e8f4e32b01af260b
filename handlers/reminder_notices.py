"""Reminders to district officers (RULES §4), as sent: one push per officer listing all their items.

What is due comes from `scheduler.reminders.plan`; each item is recorded there (once, by its key)
in the same transaction as the outbox rows that carry it. The words are in `texts`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.replies import text as text_message
from models.district_groups import groups_of_districts
from models.districts import District
from models.outbox import enqueue
from models.people import Officer
from models.push_quota import REMINDER
from models.thai_dates import THAI_MONTHS_SHORT, buddhist_year, thai_date
from models.working_days import WorkingCalendar
from scheduler.reminders import (
    CHECKPOINT,
    DEFAULT_REMINDERS,
    MONTHLY_REPORT,
    Due,
    DueComplaint,
    Push,
    ReminderSettings,
    SweepReport,
    kind_rank,
    plan,
    recipients,
    record,
)
from texts import say

log = logging.getLogger(__name__)
GROUP_ROLE = "group"  # a `Push` to a district's LINE group rather than to an officer


def sweep(
    session: Session,
    at: datetime,
    cal: WorkingCalendar,
    *,
    dry_run: bool = False,
    settings: ReminderSettings = DEFAULT_REMINDERS,
    now: datetime | None = None,
) -> SweepReport:
    """Send what is due at `at` through the outbox, in the caller's transaction.

    `now` is when the pushes are queued and the reminders recorded (default `at`; an operator
    replaying a past moment passes the clock). With `dry_run` nothing is written.
    """
    return send(session, at, plan(session, at, cal, settings), dry_run=dry_run, settings=settings, now=now)


def send(
    session: Session,
    at: datetime,
    items: Sequence[Due],
    *,
    dry_run: bool = False,
    settings: ReminderSettings = DEFAULT_REMINDERS,
    now: datetime | None = None,
) -> SweepReport:
    """Record each item (insert-or-ignore on its key) and queue one push per officer for those recorded."""

    now = now or at
    report = SweepReport(at=at, dry_run=dry_run, planned=list(items))
    districts = sorted({i.district_code for i in items})
    if not districts:
        return report
    officers: dict[str, list[Officer]] = defaultdict(list)
    for officer in session.scalars(
        select(Officer)
        .where(
            Officer.district_code.in_(districts),
            Officer.active.is_(True),
            Officer.line_user_id.is_not(None),
        )
        .order_by(Officer.id)
    ):
        officers[officer.district_code].append(officer)
    recorded = {i.key for i in items} if dry_run else record(session, items, officers, now)
    bundles: dict[int, tuple[Officer, list[Due]]] = {}
    # A district with a linked LINE group gets one digest there, with every item (heads' too),
    # instead of one push per officer (issue 18 point 2).
    groups = groups_of_districts(session, districts)
    group_bundles: dict[str, list[Due]] = defaultdict(list)
    for item in items:
        if item.key not in recorded:
            report.taken.append(item)
            continue
        report.sent.append(item)
        if item.district_code in groups:
            group_bundles[item.district_code].append(item)
            continue
        to = recipients(officers, item)
        if not to:
            report.unreachable.append(item)
        for officer in to:
            bundles.setdefault(officer.id, (officer, []))[1].append(item)
    names = dict(
        session.execute(select(District.code, District.name_th).where(District.code.in_(districts))).all()
    )
    for officer, bundle in bundles.values():
        body = compose(bundle, names.get(officer.district_code, officer.district_code), settings)
        assert officer.line_user_id is not None
        if not dry_run:
            enqueue(session, officer.line_user_id, [text_message(body)], now=now, kind=REMINDER)
        counts: dict[str, int] = defaultdict(int)
        for item in bundle:
            counts[item.kind] += item.count
        report.pushes.append(
            Push(
                to=officer.line_user_id,
                officer_id=officer.id,
                officer_name=officer.name,
                district_code=officer.district_code,
                role=officer.role,
                counts=dict(counts),
                text=body,
            )
        )
    for district_code, bundle in group_bundles.items():
        body = compose(bundle, names.get(district_code, district_code), settings)
        group_id = groups[district_code]
        if not dry_run:
            enqueue(session, group_id, [text_message(body)], now=now, kind=REMINDER)
        counts = defaultdict(int)
        for item in bundle:
            counts[item.kind] += item.count
        report.pushes.append(
            Push(
                to=group_id,
                officer_id=0,  # not an officer: the district's group
                officer_name="LINE group",  # as `rongtook reminders` prints it
                district_code=district_code,
                role=GROUP_ROLE,
                counts=dict(counts),
                text=body,
            )
        )
    if report.unreachable:
        lonely = sorted({i.district_code for i in report.unreachable})
        log.warning(
            "reminders: no active officer with a LINE account for %d items in districts %s; %s",
            len(report.unreachable),
            ", ".join(lonely),
            "they would be recorded as sent to nobody" if dry_run else "recorded as sent to nobody",
        )
    if report.sent or report.taken:
        log.info(
            "reminders at %s: %d items%s, %d pushes, %d already taken by another sweep",
            at.isoformat(),
            len(report.sent),
            " (dry run)" if dry_run else "",
            len(report.pushes),
            len(report.taken),
        )
    return report


# ---- the text ------------------------------------------------------------------------------


def format_date(day: date, lang: str) -> str:
    return thai_date(day) if lang == "th" else f"{day.day} {day:%b} {day.year}"


def format_month(first: date, lang: str) -> str:
    return (
        f"{THAI_MONTHS_SHORT[first.month - 1]} {buddhist_year(first)}" if lang == "th" else f"{first:%B %Y}"
    )


def _sections(
    items: Sequence[Due], settings: ReminderSettings
) -> Iterator[tuple[str, int, list[DueComplaint]]]:
    """(header, complaints concerned, lines) in order of urgency; one section per kind (per day for lists)."""
    lang = settings.language
    grouped: dict[str, list[Due]] = defaultdict(list)
    for item in items:
        grouped[item.kind].append(item)
    for kind in sorted(grouped, key=lambda k: (kind_rank(k), k)):
        bundle = grouped[kind]
        if kind.startswith(MONTHLY_REPORT):
            for item in bundle:
                month = item.due_on
                due = (month.replace(day=28) + timedelta(days=4)).replace(day=settings.report_due_day)
                header = say(
                    f"reminder.{MONTHLY_REPORT}",
                    lang,
                    month=format_month(month, lang),
                    date=format_date(due, lang),
                )
                yield header, 0, []
        elif kind.startswith(CHECKPOINT):
            for item in bundle:
                header = say(f"reminder.{kind}", lang, count=item.count, date=format_date(item.due_on, lang))
                yield header, item.count, list(item.complaints)
        else:
            lines = [c for item in bundle for c in item.complaints]
            yield say(f"reminder.{kind}", lang, count=len(lines)), len(lines), lines


def compose(items: Sequence[Due], district_name: str, settings: ReminderSettings = DEFAULT_REMINDERS) -> str:
    """One officer's push: a title, then each kind's header and complaints, within LINE's limits."""
    lang = settings.language
    parts = [say("reminder.title", lang, district=district_name)]
    length = len(parts[0])
    budget = settings.max_items_per_message
    reserve = 40  # room for the "and N more" line
    for header, total, lines in _sections(items, settings):
        parts += ["", header]
        length += len(header) + 2
        shown = 0
        for c in lines:
            line = say(
                "reminder.item",
                lang,
                code=c.tracking_code,
                category=c.category or say("reminder.no_category", lang),
                date=format_date(c.deadline, lang),
            )
            if budget <= 0 or length + len(line) + 1 + reserve > settings.max_chars:
                break
            parts.append(line)
            length += len(line) + 1
            shown += 1
            budget -= 1
        if total > shown and lines:
            more = say("reminder.and_more", lang, count=total - shown)
            parts.append(more)
            length += len(more) + 1
    return "\n".join(parts)[: settings.max_chars]
