"""Complaints, their append-only event log, and photos.

The event log is the truth: deadlines and KPI verdicts are derived from it, so rows are
only ever added to `complaint_events`, never changed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UtcDateTime


class Channel(enum.StrEnum):
    """How a complaint reached the system; the KPI counts every one the same."""

    LINE = "line"
    PHONE = "phone"  # the 1555 hotline or a district's telephone
    WALK_IN = "walk_in"
    LETTER = "letter"
    WEB = "web"  # the city's website, typed in by staff
    API = "api"  # another system, through Open311; which one is the complaint's api_key_id


STAFF_CHANNELS = (Channel.PHONE, Channel.WALK_IN, Channel.LETTER, Channel.WEB)  # entered by staff


class ComplaintStatus(enum.StrEnum):
    ROUTED = "routed"  # handed to a district, waiting for acknowledgement
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"


# The open statuses written out (models.complaint_lifecycle.OPEN), for partial indexes and the queries
# that use them: a planner matches the condition as written, not a bound parameter.
OPEN_SQL = "status IN ('routed', 'acknowledged', 'in_progress')"


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index(
            "ix_complaints_district_id_cover",
            "district_code",
            "id",
            postgresql_include=["routed_at", "tracking_code", "category"],
        ),
        # An API client's complaints of the last minute (its rate limit), and its own list.
        Index("ix_complaints_api_key_created", "api_key_id", "created_at"),
        # Open311 GET requests: newest first in a 90-day window, of one district or of all (migration 0014).
        Index("ix_complaints_district_created", "district_code", "created_at", "id"),
        Index("ix_complaints_created", "created_at", "id"),
        # The duplicate hint (models.nearby): open complaints of a category in a band of latitude; only
        # open rows, so it stays small with a million closed ones (migration 0015).
        Index(
            "ix_complaints_open_category_latitude",
            "category",
            "latitude",
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
        # The public map (models.map_data): a box's complaints of a period, by a range of latitude; on
        # PostgreSQL the map's fields ride along, so the box is read from the index alone (migration 0016;
        # the opt-out rides along since 0017, as the map leaves those complaints out).
        Index(
            "ix_complaints_latitude_longitude",
            "latitude",
            "longitude",
            "created_at",
            postgresql_include=["status", "category", "district_code", "tracking_code", "public_opt_out"],
        ),
        # The staff list filtered by status or category, newest first; the dashboard's weeks resolved and
        # its open and overdue counts per district from the open rows alone (migration 0028).
        Index("ix_complaints_status_created", "status", "created_at", "id"),
        Index("ix_complaints_category_created", "category", "created_at", "id"),
        Index("ix_complaints_resolved_at", "resolved_at"),
        Index(
            "ix_complaints_open_district",
            "district_code",
            postgresql_include=[
                "status",
                "ack_due_at",
                "first_progress_at",
                "first_progress_due_at",
                "next_checkpoint_on",
            ],
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
        # The staff list's word search, `description ILIKE '%word%'`, by trigrams (PostgreSQL's pg_trgm;
        # migration 0028 names the operator class with the extension's schema). SQLite has no such index:
        # there it is an empty one (WHERE 0), a name only, so both schemas hold the same indexes.
        Index(
            "ix_complaints_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    # The LINE citizen who filed it; None when it came another way (the reporter's contact is below).
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True, default=None)
    channel: Mapped[str] = mapped_column(
        String(12), default=Channel.LINE.value, server_default="line", index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    # A reporter without LINE, as they gave it (each optional): personal data, never shown publicly.
    reporter_name: Mapped[str | None] = mapped_column(String(200), default=None)
    reporter_phone: Mapped[str | None] = mapped_column(String(20), default=None, index=True)  # digits only
    reporter_email: Mapped[str | None] = mapped_column(String(254), default=None)
    # The date on the letter or of the call, when staff enter it later (shown; deadlines run from routed_at).
    reported_on: Mapped[date | None] = mapped_column(Date, default=None)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True, default=None)
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(20), default=ComplaintStatus.ROUTED.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)  # from the LINE event timestamp
    routed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    section: Mapped[str | None] = mapped_column(String(200), default=None)  # the ฝ่าย that answers it
    # Deadlines and milestones, kept on the row so reminders and dashboards find them by index
    # (the event log stays the truth; these are recomputed from it on transfer and holiday changes).
    ack_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    first_progress_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None, index=True)
    first_progress_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_progress_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The next 15th/30th checkpoint (RULES §3) this complaint must still meet with a progress update.
    next_checkpoint_on: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)  # 1-5 from the citizen
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # The nearest open complaint of the same category within 50 m when filed, for officers to judge.
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), default=None)
    # The reporter asked at filing that it not appear publicly: no public page, map, open data or Open311
    # list shows it; every figure (KPI, league table, reports) still counts it (models.public_hiding).
    public_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )


# What a result text may consist of and still be empty; and the SQL condition of a resolution event
# without a result text (the same text in the index and in kpi.source, so the index serves the query).
BLANK_CHARACTERS = " \t\r\n\f\v\u00a0"
BLANK_RESOLUTION = f"kind = 'resolved' AND coalesce(trim(text, '{BLANK_CHARACTERS}'), '') = ''"


class ComplaintEvent(Base):
    """One thing that happened to a complaint: who did what, when, with which text and photos."""

    __tablename__ = "complaint_events"
    # The KPI scorer reads a district's events as one contiguous index range (kpi/source.py):
    # 375 s → 9 s for a year of a million complaints. The resolutions without a result text (which the
    # bot refuses, so normally none) have an index of their own: the scorer asks for them every time.
    __table_args__ = (
        Index(
            "ix_complaint_events_district_complaint_at",
            "district_code",
            "complaint_id",
            "at",
            postgresql_include=["kind"],
        ),
        Index(
            "ix_complaint_events_blank_resolutions",
            "district_code",
            "at",
            postgresql_where=text(BLANK_RESOLUTION),
            sqlite_where=text(BLANK_RESOLUTION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # filed, routed, acknowledged, progress, resolved, ...
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # citizen | officer | admin | system
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # Staff only (officer, admin): the officer's or staff account's name as it was, so the record says who
    # acted on the web too (no id there). Never a citizen's name: that is personal data.
    actor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class Photo(Base):
    __tablename__ = "photos"
    # The photo check's multi-index lookup (models/photo_checks.py, migration 0018): one index per 16-bit
    # chunk of the pHash; on PostgreSQL the fingerprint rides along, so candidates are tested in the index.
    __table_args__ = tuple(
        Index(
            f"ix_photos_fp_chunk{i}",
            f"fp_chunk{i}",
            postgresql_include=["id", "fp_phash", "fp_dhash", "complaint_id"],
        )
        for i in range(4)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True, default=None)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True, default=None)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_events.id"), default=None)
    line_message_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    path: Mapped[str] = mapped_column(String(500))  # relative to PHOTO_DIR
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The perceptual fingerprint (models/photo_fingerprints.py, migration 0018): the centre window's pHash
    # and dHash (signed 64-bit), the pHash's four 16-bit chunks, indexed, for the multi-index lookup, and
    # the nine probe windows used when this photo is the one checked. All None: not fingerprinted.
    fp_phash: Mapped[int | None] = mapped_column(BigInteger, default=None)
    fp_dhash: Mapped[int | None] = mapped_column(BigInteger, default=None)
    fp_chunk0: Mapped[int | None] = mapped_column(Integer, default=None)
    fp_chunk1: Mapped[int | None] = mapped_column(Integer, default=None)
    fp_chunk2: Mapped[int | None] = mapped_column(Integer, default=None)
    fp_chunk3: Mapped[int | None] = mapped_column(Integer, default=None)
    fp_probes: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Stage 2 of the photo check (migration 0024): how the centre window looks (304 bytes) and how the nine
    # probes do (used when this photo is the one checked). None: read before 0024, or no fingerprint.
    fp_look: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    fp_look_probes: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # None: never read; else the fingerprint VERSION it was read with (also when the file gave none).
    fingerprint_version: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # When the photo was taken, from its EXIF (LINE strips EXIF from chat photos: None then).
    exif_taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
