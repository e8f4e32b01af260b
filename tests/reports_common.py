"""The reports tests' November complaints (tests/unit, tests/integration and tests/e2e test_reports.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Citizen, Complaint, ComplaintEvent
from models.db import transaction
from models.deadlines import ack_due, first_progress_due, next_due_checkpoint
from models.tracking_codes import ALPHABET
from models.working_days import load_calendar

BKK = ZoneInfo("Asia/Bangkok")
NOV = date(2026, 11, 1)
A, B = "1001", "1002"
STATUS_AFTER = {
    "acknowledged": "acknowledged",
    "progress": "in_progress",
    "resolved": "resolved",
    "rejected": "rejected",
    "reopened": "in_progress",
}


def bkk(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=BKK)


def code_for(n: int) -> str:
    """A tracking code of the real shape, `69-` and six letters of the code alphabet."""
    letters = []
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        letters.append(ALPHABET[r])
    return "69-" + "".join(reversed(letters))


def citizen(session) -> Citizen:  # type: ignore[no-untyped-def]
    row = session.scalar(select(Citizen).where(Citizen.line_user_id == "Ureports"))
    if row is None:
        row = Citizen(line_user_id="Ureports", created_at=bkk(2026, 10, 1), updated_at=bkk(2026, 10, 1))
        session.add(row)
        session.flush()
    return row


def add_complaint(
    session,  # type: ignore[no-untyped-def]
    n: int,
    district: str,
    routed: datetime,
    events: Sequence[tuple[str, datetime]] = (),
    category: str | None = "ถนน/ทางเท้า",
) -> Complaint:
    """Routed at `routed`, then `events` (kind, at) in order; the columns set as the actions set them."""
    cal = load_calendar(session)
    c = Complaint(
        tracking_code=code_for(n),
        citizen_id=citizen(session).id,
        district_code=district,
        category=category,
        description="ทดสอบ",
        status="routed",
        created_at=routed,
        routed_at=routed,
        ack_due_at=ack_due(routed, cal),
    )
    session.add(c)
    session.flush()
    log = [("filed", routed), ("routed", routed), *events]
    for kind, at in log:
        session.add(
            ComplaintEvent(
                complaint_id=c.id, kind=kind, at=at, actor_kind="officer", district_code=district, text="x"
            )
        )
        if kind == "acknowledged":
            c.acknowledged_at = at
            c.first_progress_due_at = first_progress_due(at, cal)
            c.next_checkpoint_on = next_due_checkpoint(c.first_progress_due_at, None)
        elif kind == "progress":
            c.first_progress_at = c.first_progress_at or at
            c.last_progress_at = at
        elif kind == "resolved":
            c.resolved_at = at
        elif kind == "reopened":
            c.resolved_at = None
        c.status = STATUS_AFTER.get(kind, c.status)
    session.flush()
    return c


def november(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The scripted district 1001 (and a little of 1002) for November 2026; returns name → tracking code."""
    with transaction(services.sessions) as s:
        made = {
            # ack late (due Tue 3), first progress late (due Tue 10, came Fri 20): 15th missed, 30th met
            "A": add_complaint(
                s,
                1,
                A,
                bkk(2026, 11, 2),
                [("acknowledged", bkk(2026, 11, 5)), ("progress", bkk(2026, 11, 20))],
            ),
            # all on time, resolved on the 12th: not in the backlog
            "B": add_complaint(
                s,
                2,
                A,
                bkk(2026, 11, 2),
                [
                    ("acknowledged", bkk(2026, 11, 3)),
                    ("progress", bkk(2026, 11, 4)),
                    ("resolved", bkk(2026, 11, 12)),
                ],
            ),
            # never acknowledged (due Thu 26)
            "C": add_complaint(s, 3, A, bkk(2026, 11, 25), category=None),
            # all on time; the 30th met by the update of the 23rd
            "D": add_complaint(
                s,
                4,
                A,
                bkk(2026, 11, 20),
                [("acknowledged", bkk(2026, 11, 20)), ("progress", bkk(2026, 11, 23))],
            ),
            # the 15th met (update of the 11th), the 30th missed; resolved in December: open at November's end
            "E": add_complaint(
                s,
                5,
                A,
                bkk(2026, 11, 10),
                [
                    ("acknowledged", bkk(2026, 11, 10)),
                    ("progress", bkk(2026, 11, 11)),
                    ("resolved", bkk(2026, 12, 3)),
                ],
            ),
            # routed Fri 27, ack due Mon 30 (not passed at the month's end), rejected in December
            "H": add_complaint(s, 6, A, bkk(2026, 11, 27), [("rejected", bkk(2026, 12, 2))]),
            # resolved on the 20th, reopened in December: closed at November's end
            "I": add_complaint(
                s,
                7,
                A,
                bkk(2026, 11, 16),
                [
                    ("acknowledged", bkk(2026, 11, 16)),
                    ("progress", bkk(2026, 11, 17)),
                    ("resolved", bkk(2026, 11, 20)),
                    ("reopened", bkk(2026, 12, 2)),
                ],
            ),
            # from October: the 15th met (update of the 14th), the 30th missed
            "J": add_complaint(
                s,
                8,
                A,
                bkk(2026, 10, 28),
                [
                    ("acknowledged", bkk(2026, 10, 28)),
                    ("progress", bkk(2026, 10, 29)),
                    ("progress", bkk(2026, 11, 14)),
                ],
            ),
            # another district's, and one routed in December
            "F": add_complaint(s, 9, B, bkk(2026, 11, 2)),
            "G": add_complaint(s, 10, A, bkk(2026, 12, 1)),
        }
        return {name: c.tracking_code for name, c in made.items()}
