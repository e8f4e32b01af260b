"""Who looked at personal data (issue 17 point 9): every view of a complaint's personal fields in the
staff web — the reporter's name, phone and e-mail, the citizen's LINE name, a reporter's complaints found
by phone number — is one row here: who, when, which complaint, what was shown and on which page.

A view that shows no personal field (a `viewer`, a complaint without any) is not recorded: the record
is of personal data seen, not of pages opened. Rows are only added; admins read them at
/admin/privacy/access (admin/privacy_pages.py) and export them as CSV.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ForeignKey, Index, Select, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.clock import BANGKOK
from models.complaints import Complaint

# What a view may show (the `fields` column, comma-separated, in this order).
REPORTER_NAME = "reporter_name"
REPORTER_PHONE = "reporter_phone"
REPORTER_EMAIL = "reporter_email"
LINE_NAME = "line_name"
FIELDS = (REPORTER_NAME, REPORTER_PHONE, REPORTER_EMAIL, LINE_NAME)
# Where it was shown (the `page` column).
COMPLAINT_PAGE = "complaint"
PHONE_SEARCH = "intake_phone"  # the intake page's "a reporter's complaints by phone number"
DATA_REQUEST = "data_request"  # a copy handed over for a request by phone or letter (admin/privacy_pages.py)
PAGES = (COMPLAINT_PAGE, PHONE_SEARCH, DATA_REQUEST)


class PersonalDataView(Base):
    __tablename__ = "personal_data_views"
    # The admins' page filters by user, by complaint and by days, newest first.
    __table_args__ = (
        Index("ix_personal_data_views_user_at", "staff_user_id", "at"),
        Index("ix_personal_data_views_complaint_at", "complaint_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    # The account's name and role as they were at the view (a role may change later).
    username: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    fields: Mapped[str] = mapped_column(String(100))  # of FIELDS, comma-separated
    page: Mapped[str] = mapped_column(String(20))  # of PAGES


@dataclass(frozen=True)
class Viewer:
    """The staff account that looks (the web's signed-in user, as plain values)."""

    id: int
    username: str
    role: str


def record_view(
    session: Session,
    viewer: Viewer,
    complaint_ids: Iterable[int],
    fields: Iterable[str],
    page: str,
    at: datetime,
) -> int:
    """One row per complaint shown with personal fields; nothing when no field was shown. The count."""
    shown = ",".join(f for f in FIELDS if f in set(fields))
    if not shown:
        return 0
    rows = [
        PersonalDataView(
            at=at,
            staff_user_id=viewer.id,
            username=viewer.username,
            role=viewer.role,
            complaint_id=complaint_id,
            fields=shown,
            page=page,
        )
        for complaint_id in dict.fromkeys(complaint_ids)
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def fields_shown(complaint: Complaint, line_name: str | None) -> list[str]:
    """The personal fields the complaint page shows of this complaint (those that hold something)."""
    shown = [
        name
        for name, value in (
            (REPORTER_NAME, complaint.reporter_name),
            (REPORTER_PHONE, complaint.reporter_phone),
            (REPORTER_EMAIL, complaint.reporter_email),
        )
        if value
    ]
    return [*shown, LINE_NAME] if line_name else shown


@dataclass(frozen=True)
class ViewFilter:
    """The admins' filters: a username, a tracking code, Bangkok days (each optional)."""

    username: str = ""
    tracking_code: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def statement(self) -> Select[tuple[PersonalDataView, str]]:
        stmt = select(PersonalDataView, Complaint.tracking_code).join(
            Complaint, Complaint.id == PersonalDataView.complaint_id
        )
        if self.username:
            stmt = stmt.where(PersonalDataView.username == self.username)
        if self.tracking_code:
            stmt = stmt.where(Complaint.tracking_code == self.tracking_code)
        if self.date_from:
            stmt = stmt.where(
                PersonalDataView.at >= datetime.combine(self.date_from, time.min, tzinfo=BANGKOK)
            )
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=BANGKOK)
            stmt = stmt.where(PersonalDataView.at < end)
        return stmt.order_by(PersonalDataView.at.desc(), PersonalDataView.id.desc())


def views(
    session: Session, chosen: ViewFilter, limit: int, offset: int = 0
) -> list[tuple[PersonalDataView, str]]:
    """The matching views, newest first, each with its complaint's tracking code."""
    return [(v, code) for v, code in session.execute(chosen.statement().limit(limit).offset(offset))]
