"""Citizens following another's complaint ("me too") instead of filing a duplicate (issue 18 point 4).

When the duplicate hint finds an open complaint of the same category within 50 m, a LINE citizen may
follow that one rather than file their own. A follower gets the complaint's citizen notices in their own
language (`handlers.notices`) and may rate it after resolution; "เลิกติดตาม" ends the follow.

One row per follow: `since`, and `until` once it ended (kept, so a later follow of the same complaint is a
new row and the history says when). At most one active row per complaint and citizen (a partial unique
index: two taps at once cannot both follow).

What a follower says after resolution is theirs, kept on their row and nowhere else:
- their rating (`rating`, `rated_at`) never touches `complaints.rating`, which is the reporter's: the KPI,
  the league table and the open data count the reporter's rating only;
- their "not fixed" (`not_fixed_at`) is recorded, and does not reopen the complaint: RULES §5 gives
  reopening to the complainant; staff see how many followers said so.

Follows are not events of the complaint: the event log is the district's record of the complaint itself.
A citizen's erasure (models.personal_data) deletes their follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Select, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.complaint_lifecycle import OPEN_VALUES
from models.complaint_operations import ActionRefused
from models.complaints import Complaint, ComplaintStatus
from models.people import Citizen

ACTIVE_SQL = "until IS NULL"  # written out for the partial index (a planner matches it as written)

# Stable reasons a follow, an unfollow or a follower's verdict is refused (the doors word them).
OWN_COMPLAINT = "own_complaint"
CLOSED = "closed"
ALREADY_FOLLOWING = "already_following"
NOT_FOLLOWING = "not_following"
NOT_RESOLVED = "not_resolved"
BAD_RATING = "bad_rating"


class ComplaintFollower(Base):
    __tablename__ = "complaint_followers"
    __table_args__ = (
        # At most one active follow per complaint and citizen; ended ones stay as history.
        Index(
            "uq_complaint_followers_active",
            "complaint_id",
            "citizen_id",
            unique=True,
            postgresql_where=text(ACTIVE_SQL),
            sqlite_where=text(ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    # The LINE citizen following (their language is on the citizen row: notices use it).
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)  # None while following
    rating: Mapped[int | None] = mapped_column(Integer, default=None)  # the follower's own 1-5
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    not_fixed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    @property
    def active(self) -> bool:
        return self.until is None


@dataclass(frozen=True)
class Followed:
    """A complaint a citizen follows, with their follow."""

    complaint: Complaint
    follow: ComplaintFollower


def _active(complaint_id: int, citizen_id: int) -> Select[tuple[ComplaintFollower]]:
    return select(ComplaintFollower).where(
        ComplaintFollower.complaint_id == complaint_id,
        ComplaintFollower.citizen_id == citizen_id,
        ComplaintFollower.until.is_(None),
    )


def active_follow(session: Session, complaint: Complaint, citizen: Citizen) -> ComplaintFollower | None:
    return session.scalar(_active(complaint.id, citizen.id))


def follow(session: Session, complaint: Complaint, citizen: Citizen, at: datetime) -> ComplaintFollower:
    """Start following `complaint`; refused (ActionRefused with a stable reason) when it is the citizen's
    own, no longer open, or already followed by them."""
    if complaint.citizen_id == citizen.id:
        raise ActionRefused(OWN_COMPLAINT)
    if complaint.status not in OPEN_VALUES:
        raise ActionRefused(CLOSED, complaint.status)
    if active_follow(session, complaint, citizen) is not None:
        raise ActionRefused(ALREADY_FOLLOWING)
    row = ComplaintFollower(complaint_id=complaint.id, citizen_id=citizen.id, since=at)
    try:
        with session.begin_nested():  # two taps at once: the unique index lets one through
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ActionRefused(ALREADY_FOLLOWING) from None
    return row


def unfollow(session: Session, complaint: Complaint, citizen: Citizen, at: datetime) -> ComplaintFollower:
    """Stop following; refused with `not_following` when the citizen does not follow it (any more)."""
    row = active_follow(session, complaint, citizen)
    if row is None:
        raise ActionRefused(NOT_FOLLOWING)
    row.until = at
    session.flush()
    return row


def rate_as_follower(
    session: Session, complaint: Complaint, citizen: Citizen, at: datetime, stars: int
) -> ComplaintFollower:
    """A follower's own rating of the resolved complaint (the reporter's stays as it is); a new rating
    replaces the follower's earlier one."""
    row = _verdict_row(session, complaint, citizen)
    if not 1 <= stars <= 5:
        raise ActionRefused(BAD_RATING)
    row.rating, row.rated_at = stars, at
    session.flush()
    return row


def not_fixed_as_follower(
    session: Session, complaint: Complaint, citizen: Citizen, at: datetime
) -> ComplaintFollower:
    """A follower says it is not fixed: recorded on their follow; the complaint is not reopened."""
    row = _verdict_row(session, complaint, citizen)
    row.not_fixed_at = at
    session.flush()
    return row


def _verdict_row(session: Session, complaint: Complaint, citizen: Citizen) -> ComplaintFollower:
    row = active_follow(session, complaint, citizen)
    if row is None:
        raise ActionRefused(NOT_FOLLOWING)
    if complaint.status != ComplaintStatus.RESOLVED:
        raise ActionRefused(NOT_RESOLVED, complaint.status)
    return row


def followers(session: Session, complaint: Complaint) -> list[tuple[Citizen, ComplaintFollower]]:
    """The complaint's active followers, first come first, with their follows."""
    rows = session.execute(
        select(Citizen, ComplaintFollower)
        .join(ComplaintFollower, ComplaintFollower.citizen_id == Citizen.id)
        .where(ComplaintFollower.complaint_id == complaint.id, ComplaintFollower.until.is_(None))
        .order_by(ComplaintFollower.id)
    )
    return [(citizen, row) for citizen, row in rows]


def follower_count(session: Session, complaint_id: int) -> int:
    return follower_counts(session, [complaint_id]).get(complaint_id, 0)


def follower_counts(session: Session, complaint_ids: Iterable[int]) -> dict[int, int]:
    """How many follow each complaint now (complaints nobody follows are left out)."""
    ids = list(complaint_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ComplaintFollower.complaint_id, func.count())
        .where(ComplaintFollower.complaint_id.in_(ids), ComplaintFollower.until.is_(None))
        .group_by(ComplaintFollower.complaint_id)
    )
    return {complaint_id: int(count) for complaint_id, count in rows}


@dataclass(frozen=True)
class FollowerVerdicts:
    """What the followers of one complaint said after resolution (for staff)."""

    following: int
    ratings: int
    rating_average: float | None
    not_fixed: int


def follower_verdicts(session: Session, complaint_id: int) -> FollowerVerdicts:
    active = ComplaintFollower.until.is_(None)
    following, ratings, average, not_fixed = session.execute(
        select(
            func.count(),
            func.count(ComplaintFollower.rating),
            func.avg(ComplaintFollower.rating),
            func.count(ComplaintFollower.not_fixed_at),
        ).where(ComplaintFollower.complaint_id == complaint_id, active)
    ).one()
    return FollowerVerdicts(
        int(following), int(ratings), float(average) if average is not None else None, int(not_fixed)
    )


def followed_by(session: Session, citizen: Citizen, limit: int | None = None) -> list[Followed]:
    """The complaints the citizen follows now, newest follow first."""
    query = (
        select(Complaint, ComplaintFollower)
        .join(ComplaintFollower, ComplaintFollower.complaint_id == Complaint.id)
        .where(ComplaintFollower.citizen_id == citizen.id, ComplaintFollower.until.is_(None))
        .order_by(ComplaintFollower.since.desc(), ComplaintFollower.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [Followed(complaint, row) for complaint, row in session.execute(query)]


def follows_of(session: Session, citizen: Citizen) -> list[Followed]:
    """Every follow of the citizen, ended ones too, oldest first (their copy of their data)."""
    rows = session.execute(
        select(Complaint, ComplaintFollower)
        .join(ComplaintFollower, ComplaintFollower.complaint_id == Complaint.id)
        .where(ComplaintFollower.citizen_id == citizen.id)
        .order_by(ComplaintFollower.id)
    )
    return [Followed(complaint, row) for complaint, row in rows]


def erase_follows(session: Session, citizen: Citizen) -> int:
    """The citizen's follows deleted (their erasure): how many there were."""
    rows = list(session.scalars(select(ComplaintFollower).where(ComplaintFollower.citizen_id == citizen.id)))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
