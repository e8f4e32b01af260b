"""LINE groups linked to a district (issue 18 point 2), and the one-time codes that link them.

A district office that coordinates in a LINE group invites the bot there; an admin gives a code for the
district (web or CLI) and someone types it in the group. From then on the district's new-complaint cards
and reminder digests go to the group instead of to each officer one-to-one. The bot removed from the
group (a LINE `leave` event) or an admin's unlink ends it: the group gets nothing more, and what was
still queued for it is closed with a reason.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.districts import District
from models.queues import OutboxMessage, QueueStatus


class DistrictGroup(Base):
    __tablename__ = "district_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), unique=True)  # LINE's groupId ("C…")
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    linked_by: Mapped[str | None] = mapped_column(String(64), default=None)  # who typed the code, if known
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    left_reason: Mapped[str | None] = mapped_column(String(32), default=None)  # left | unlinked | replaced


class GroupLinkCode(Base):
    __tablename__ = "group_link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))  # the admin's user name, or "cli"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    used_by_group: Mapped[str | None] = mapped_column(String(64), default=None)


# "G-" sets a group code apart from an officer's link code (10 letters/digits) at a glance and by pattern.
GROUP_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GROUP_CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes, each valid for a day: not guessable by typing in a group
GROUP_CODE_PATTERN = re.compile(rf"^G-?[{GROUP_CODE_ALPHABET}]{{{GROUP_CODE_LENGTH}}}$")
GROUP_CODE_TTL = timedelta(hours=24)
LEFT, UNLINKED, REPLACED = "left", "unlinked", "replaced"
CLOSED_ERROR = "not sent: the bot is no longer in this district group ({reason})"


class GroupLinkResult(enum.StrEnum):
    LINKED = "linked"
    WRONG = "wrong"  # no such code
    EXPIRED = "expired"
    USED = "used"


def looks_like_group_code(text: str) -> bool:
    return bool(GROUP_CODE_PATTERN.match(text.strip().upper()))


def _normal(text: str) -> str:
    code = text.strip().upper()
    return code if code.startswith("G-") else f"G-{code[1:]}"


def new_group_code(session: Session, district_code: str, created_by: str, now: datetime) -> GroupLinkCode:
    """A fresh single-use code for linking a group to the district (24 h)."""
    if session.get(District, district_code) is None:
        raise ValueError(f"no district {district_code}")
    rng = secrets.SystemRandom()
    code = "G-" + "".join(rng.choice(GROUP_CODE_ALPHABET) for _ in range(GROUP_CODE_LENGTH))
    row = GroupLinkCode(
        code=code,
        district_code=district_code,
        created_by=created_by[:100],
        created_at=now,
        expires_at=now + GROUP_CODE_TTL,
    )
    session.add(row)
    session.flush()
    return row


def link_group(
    session: Session, typed: str, group_id: str, user_id: str | None, now: datetime
) -> tuple[GroupLinkResult, DistrictGroup | None]:
    """Link the group to the code's district; one answer per way a code can be wrong."""
    row = session.get(GroupLinkCode, _normal(typed))
    if row is None:
        return GroupLinkResult.WRONG, None
    if row.used_at is not None:
        return GroupLinkResult.USED, None
    if row.expires_at <= now:
        return GroupLinkResult.EXPIRED, None
    # One group per district: an earlier group of the district stops getting its cards.
    for earlier in session.scalars(
        select(DistrictGroup).where(
            DistrictGroup.district_code == row.district_code,
            DistrictGroup.active.is_(True),
            DistrictGroup.group_id != group_id,
        )
    ):
        _end(session, earlier, REPLACED, now)
    group = session.scalar(select(DistrictGroup).where(DistrictGroup.group_id == group_id))
    if group is None:
        group = DistrictGroup(group_id=group_id, district_code=row.district_code, linked_at=now)
        session.add(group)
    group.district_code, group.linked_at, group.linked_by = row.district_code, now, user_id
    group.active, group.left_at, group.left_reason = True, None, None
    row.used_at, row.used_by_group = now, group_id
    session.flush()
    return GroupLinkResult.LINKED, group


def group_left(session: Session, group_id: str, now: datetime, reason: str = LEFT) -> DistrictGroup | None:
    """The bot left or was removed (or an admin unlinked): the group is unlinked; None if it was not."""
    group = session.scalar(
        select(DistrictGroup).where(DistrictGroup.group_id == group_id, DistrictGroup.active.is_(True))
    )
    if group is not None:
        _end(session, group, reason, now)
    else:
        close_pending(session, group_id, reason, now)
    return group


def _end(session: Session, group: DistrictGroup, reason: str, now: datetime) -> None:
    group.active, group.left_at, group.left_reason = False, now, reason
    close_pending(session, group.group_id, reason, now)
    session.flush()


def close_pending(session: Session, group_id: str, reason: str, now: datetime) -> int:
    """Messages still queued for the group are closed, not tried: a push to a group the bot is not in
    fails at LINE, and after an unlink the cards are no longer the group's."""
    result = session.execute(
        update(OutboxMessage)
        # by chat_key: the outbox's index of unfinished rows (a row's chat_key is its recipient)
        .where(OutboxMessage.chat_key == group_id, OutboxMessage.status == QueueStatus.PENDING.value)
        .values(
            status=QueueStatus.FAILED.value,
            last_error=CLOSED_ERROR.format(reason=reason),
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def active_group(session: Session, group_id: str) -> DistrictGroup | None:
    return session.scalar(
        select(DistrictGroup).where(DistrictGroup.group_id == group_id, DistrictGroup.active.is_(True))
    )


def groups_of_districts(session: Session, district_codes: Iterable[str]) -> dict[str, str]:
    """District code → the group id of its active group, for the districts that have one."""
    codes = set(district_codes)
    if not codes:
        return {}
    rows = session.execute(
        select(DistrictGroup.district_code, DistrictGroup.group_id).where(
            DistrictGroup.district_code.in_(codes), DistrictGroup.active.is_(True)
        )
    )
    return {code: group_id for code, group_id in rows}


def active_group_ids(session: Session, recipients: Iterable[str]) -> set[str]:
    """Which of these recipients are active district groups (their pushes count as officer cards)."""
    ids = {r for r in recipients if r.startswith("C")}  # LINE's group ids start with C, users' with U
    if not ids:
        return set()
    return set(
        session.scalars(
            select(DistrictGroup.group_id).where(
                DistrictGroup.group_id.in_(ids), DistrictGroup.active.is_(True)
            )
        )
    )


def all_groups(session: Session) -> list[DistrictGroup]:
    query = select(DistrictGroup).order_by(DistrictGroup.active.desc(), DistrictGroup.id)
    return list(session.scalars(query))
