"""The scorer's database adapter (kpi.source): event logs made through the domain operations, read back
as `kpi.facts`, exactly, on SQLite and PostgreSQL; lazily, one complaint at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from kpi import source
from kpi.facts import AuditResult, ComplaintFacts, Moments, MonthlySubmission
from kpi.source import ComplaintStream, district_facts, facts_from_events, submissions
from models import Citizen, Complaint, ComplaintEvent, MonthlyReport, Photo
from models.complaint_operations import (
    Actor,
    acknowledge,
    file_complaint,
    reject,
    reopen,
    report_progress,
    resolve,
    transfer,
)
from models.db import make_engine, transaction
from models.working_days import load_calendar

BKK = ZoneInfo("Asia/Bangkok")
START = datetime(2026, 10, 1, tzinfo=BKK)  # FY 2570, both ends included
END = datetime(2027, 9, 30, 23, 59, 59, 999999, tzinfo=BKK)

A, B = "1030", "1007"
ADMIN = Actor("admin", None)


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BKK)


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


class Log:
    """Complaints made through the domain operations (as the bot makes them), remembered by name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cal = load_calendar(session)
        self.person = Citizen(line_user_id="U" + "0" * 32, created_at=START, updated_at=START)
        session.add(self.person)
        session.flush()
        self.codes: dict[str, str] = {}

    def file(self, name: str, when: datetime, district: str = A) -> Complaint:
        complaint = file_complaint(
            self.session,
            self.person,
            description=f"เรื่อง {name}",
            category="ถนน",
            district_code=district,
            latitude=None,
            longitude=None,
            photos=[],
            at=when,
            calendar=self.cal,
        )
        self.codes[name] = complaint.tracking_code
        return complaint

    def ack(self, c: Complaint, when: datetime) -> None:
        acknowledge(self.session, c, ADMIN, when, self.cal)

    def progress(self, c: Complaint, *whens: datetime) -> None:
        for when in whens:
            report_progress(self.session, c, ADMIN, when, "กำลังดำเนินการ")

    def resolve(self, c: Complaint, when: datetime, text: str = "ซ่อมเสร็จแล้ว") -> None:
        after = Photo(path="after.png", content_type="image/png", size_bytes=1, sha256="x", created_at=when)
        self.session.add(after)
        self.session.flush()
        resolve(self.session, c, ADMIN, when, text, [after])

    def resolve_without_text(self, c: Complaint, when: datetime, text: str | None) -> None:
        """What the bot refuses (`needs_result_text`) but an import or an old version could have stored."""
        self.session.add(
            ComplaintEvent(
                complaint_id=c.id,
                kind="resolved",
                at=when,
                actor_kind="admin",
                district_code=c.district_code,
                text=text,
                data={},
            )
        )
        c.status, c.resolved_at = "resolved", when
        self.session.flush()


def build_year(session: Session) -> dict[str, str]:
    """The scenarios of the tests below; returns name -> tracking code."""
    log = Log(session)
    # On time... except the acknowledgement: routed Fri 4 Dec, due Tue 8 Dec, done Wed 9 Dec.
    late = log.file("late_ack", at(2026, 12, 4))
    log.ack(late, at(2026, 12, 9, 9))
    log.progress(late, at(2026, 12, 10), at(2026, 12, 15), at(2026, 12, 29, 16))
    log.resolve(late, at(2027, 1, 5))
    # Resolved with a blank text (only spaces and a line break).
    blank = log.file("blank_result", at(2027, 1, 10))
    log.ack(blank, at(2027, 1, 11))
    log.progress(blank, at(2027, 1, 12))
    log.resolve_without_text(blank, at(2027, 1, 20), "  \n ")
    # Filed in A, acknowledged and updated by A, then transferred to B: it counts for B only, from the
    # transfer, with B's acknowledgement and B's progress.
    moved = log.file("moved", at(2027, 2, 1, 9))
    log.ack(moved, at(2027, 2, 1, 14))
    log.progress(moved, at(2027, 2, 2))
    transfer(session, moved, ADMIN, at(2027, 2, 3), B, "พื้นที่ของเขตข้างเคียง", log.cal)
    log.ack(moved, at(2027, 2, 4))
    log.progress(moved, at(2027, 2, 5))
    log.resolve(moved, at(2027, 2, 10))
    # Rejected after acknowledgement.
    rejected = log.file("rejected", at(2027, 3, 1))
    log.ack(rejected, at(2027, 3, 1, 12))
    reject(session, rejected, ADMIN, at(2027, 3, 2), "ไม่ใช่เรื่องของเขต")
    # Resolved, then reopened by the citizen: open again.
    reopened = log.file("reopened", at(2027, 4, 1))
    log.ack(reopened, at(2027, 4, 1, 15))
    log.progress(reopened, at(2027, 4, 3))
    log.resolve(reopened, at(2027, 4, 10))
    reopen(session, reopened, log.person, at(2027, 4, 12), "ยังไม่ได้ซ่อม")
    # Reopened and resolved again: the last resolution counts.
    again = log.file("resolved_again", at(2027, 4, 2))
    log.ack(again, at(2027, 4, 2, 15))
    log.progress(again, at(2027, 4, 5))
    log.resolve(again, at(2027, 4, 10))
    reopen(session, again, log.person, at(2027, 4, 12), "ยังไม่ได้ซ่อม")
    log.progress(again, at(2027, 4, 13))
    log.resolve(again, at(2027, 4, 15), "ซ่อมใหม่แล้ว")
    # Sent from A to B and back to A: A's first acknowledgement and progress are not the current stint's.
    back = log.file("back_again", at(2027, 5, 3))
    log.ack(back, at(2027, 5, 3, 11))
    log.progress(back, at(2027, 5, 3, 12))
    transfer(session, back, ADMIN, at(2027, 5, 4), B, "ผิดเขต", log.cal)
    transfer(session, back, ADMIN, at(2027, 5, 5), A, "ผิดเขตจริง ๆ", log.cal)
    log.ack(back, at(2027, 5, 6))
    log.progress(back, at(2027, 5, 7), at(2027, 5, 20))
    # Never acknowledged.
    log.file("silent", at(2027, 6, 1))
    # The window's edges: its first moment is in, the moment after its last is out.
    log.file("first_moment", START)
    log.file("after_window", at(2027, 10, 1, 0))
    log.file("before_window", at(2026, 9, 30, 23, 59))
    session.flush()
    return log.codes


def facts(session: Session, district: str) -> list[ComplaintFacts]:
    (unit,) = district_facts(session, START, END, [district])
    return list(unit.complaints)


def by_code(items: list[ComplaintFacts], codes: dict[str, str]) -> dict[str, ComplaintFacts]:
    names = {code: name for name, code in codes.items()}
    return {names[f.code]: f for f in items}


def expected(code: str, district: str, routed: datetime, **kw: Any) -> ComplaintFacts:
    kw = {
        k: tuple(utc(t) for t in v) if k == "progress_at" else utc(v) if isinstance(v, datetime) else v
        for k, v in kw.items()
    }
    return ComplaintFacts(code=code, district=district, routed_at=utc(routed), category="ถนน", **kw)  # type: ignore[arg-type]


def test_each_complaint_is_aggregated_from_its_event_log_exactly(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        codes = build_year(session)
    with transaction(sessions) as session:
        in_a = by_code(facts(session, A), codes)
        in_b = by_code(facts(session, B), codes)

    assert set(in_a) == {
        "late_ack",
        "blank_result",
        "rejected",
        "reopened",
        "resolved_again",
        "back_again",
        "silent",
        "first_moment",
    }
    assert set(in_b) == {"moved"}
    c = codes
    assert in_a["late_ack"] == expected(
        c["late_ack"],
        A,
        at(2026, 12, 4),
        acknowledged_at=at(2026, 12, 9, 9),
        first_progress_at=at(2026, 12, 10),
        resolved_at=at(2027, 1, 5),
        result_text=True,
        progress_at=(at(2026, 12, 10), at(2026, 12, 15), at(2026, 12, 29, 16)),
    )
    assert in_a["blank_result"] == expected(
        c["blank_result"],
        A,
        at(2027, 1, 10),
        acknowledged_at=at(2027, 1, 11),
        first_progress_at=at(2027, 1, 12),
        resolved_at=at(2027, 1, 20),
        result_text=False,
        progress_at=(at(2027, 1, 12),),
    )
    assert in_b["moved"] == expected(
        c["moved"],
        B,
        at(2027, 2, 3),
        acknowledged_at=at(2027, 2, 4),
        first_progress_at=at(2027, 2, 5),
        resolved_at=at(2027, 2, 10),
        result_text=True,
        progress_at=(at(2027, 2, 5),),
    )
    assert in_a["rejected"] == expected(
        c["rejected"], A, at(2027, 3, 1), acknowledged_at=at(2027, 3, 1, 12), rejected_at=at(2027, 3, 2)
    )
    assert in_a["reopened"] == expected(
        c["reopened"],
        A,
        at(2027, 4, 1),
        acknowledged_at=at(2027, 4, 1, 15),
        first_progress_at=at(2027, 4, 3),
        progress_at=(at(2027, 4, 3),),
    )
    assert in_a["resolved_again"] == expected(
        c["resolved_again"],
        A,
        at(2027, 4, 2),
        acknowledged_at=at(2027, 4, 2, 15),
        first_progress_at=at(2027, 4, 5),
        resolved_at=at(2027, 4, 15),
        result_text=True,
        progress_at=(at(2027, 4, 5), at(2027, 4, 13)),
    )
    assert in_a["back_again"] == expected(
        c["back_again"],
        A,
        at(2027, 5, 5),
        acknowledged_at=at(2027, 5, 6),
        first_progress_at=at(2027, 5, 7),
        progress_at=(at(2027, 5, 7), at(2027, 5, 20)),
    )
    assert in_a["silent"] == expected(c["silent"], A, at(2027, 6, 1))
    assert in_a["first_moment"] == expected(c["first_moment"], A, START)


def test_moments_are_utc_and_the_complaints_come_in_filing_order(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        codes = build_year(session)
    with transaction(sessions) as session:
        items = facts(session, A)
    moments = [m for f in items for m in (f.routed_at, f.acknowledged_at, f.resolved_at, *f.progress_at) if m]
    assert moments and all(m.tzinfo is UTC for m in moments)
    order = list(codes.values())
    assert [f.code for f in items] == sorted((f.code for f in items), key=order.index)


def test_the_sql_aggregate_agrees_with_the_event_by_event_reference(sessions: sessionmaker[Session]) -> None:
    """`facts_from_events` folds each complaint's events in Python; the aggregate must say the same."""
    with transaction(sessions) as session:
        build_year(session)
    with transaction(sessions) as session:
        for district in (A, B):
            for got in facts(session, district):
                complaint = session.scalars(
                    select(Complaint).where(Complaint.tracking_code == got.code)
                ).one()
                events = [
                    (e.kind, e.at, e.text)
                    for e in complaint.events
                    if e.district_code == district and e.kind in source.KINDS
                ]
                assert complaint.routed_at is not None
                assert got == facts_from_events(
                    got.code, district, complaint.routed_at, sorted(events, key=lambda e: e[1]), "ถนน"
                )


def test_a_district_without_complaints_streams_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        build_year(session)
    with transaction(sessions) as session:
        assert facts(session, "1001") == []
        (unit,) = district_facts(session, at(2027, 7, 1), at(2027, 7, 31), [A])
        assert list(unit.complaints) == []


def test_all_fifty_districts_by_code_with_names_and_the_months_of_the_window(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        build_year(session)
        session.add(MonthlyReport(district_code=A, month="2026-11", submitted_at=at(2026, 12, 5)))
        session.add(MonthlyReport(district_code=A, month="2027-01", submitted_at=at(2027, 2, 15)))
        session.add(MonthlyReport(district_code=A, month="2027-10", submitted_at=at(2027, 11, 2)))
    with transaction(sessions) as session:
        units = list(district_facts(session, START, END))
        assert [u.district for u in units] == [f"{n}" for n in range(1001, 1051)]
        assert all(u.name_th for u in units)
        unit = next(u for u in units if u.district == A)
        months = [date(2026, 10, 1)] + [date(2026 + (m > 12), (m - 1) % 12 + 1, 1) for m in range(11, 22)]
        assert [s.month for s in unit.submissions] == months
        assert unit.submissions[1] == MonthlySubmission(A, date(2026, 11, 1), utc(at(2026, 12, 5)))
        assert unit.submissions[3] == MonthlySubmission(A, date(2027, 1, 1), utc(at(2027, 2, 15)))
        assert [s for s in unit.submissions if s.submitted_at is not None] == [
            unit.submissions[1],
            unit.submissions[3],
        ]
        other = next(u for u in units if u.district == B)
        assert len(other.submissions) == 12 and all(s.submitted_at is None for s in other.submissions)
        assert submissions(session, START, END, [A]) == list(unit.submissions)
        # One district as a plain string (as a single --district): the same unit.
        (alone,) = district_facts(session, START, END, A)
        assert alone.district == A and alone.submissions == unit.submissions


def test_unknown_districts_and_naive_windows_are_refused(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        with pytest.raises(ValueError, match="9999"):
            next(district_facts(session, START, END, ["1001", "9999"]))
        with pytest.raises(ValueError, match="timezone-aware"):
            next(district_facts(session, datetime(2026, 10, 1), END))
        with pytest.raises(ValueError, match="before it starts"):
            next(district_facts(session, END, START))


def test_audit_results_of_the_window_months_come_with_the_district(sessions: sessionmaker[Session]) -> None:
    audits = pytest.importorskip("models.audits")
    pytest.importorskip("kpi.audit")
    with transaction(sessions) as session:
        codes = build_year(session)
        complaint = session.scalars(
            select(Complaint).where(Complaint.tracking_code == codes["late_ack"])
        ).one()
        draw = audits.AuditDraw(
            district_code=A,
            month="2027-01",
            seed=1,
            drawn_at=at(2027, 2, 1),
            drawn_count=1,
            population_count=1,
        )
        session.add(draw)
        session.flush()
        session.add(audits.AuditItem(draw_id=draw.id, complaint_id=complaint.id, finding="consistent"))
    with transaction(sessions) as session:
        units = {u.district: u for u in district_facts(session, START, END, [A, B])}
    assert units[A].audits == (AuditResult(A, date(2027, 1, 1), drawn=1, consistent=1),)
    assert units[B].audits == ()


# ---- laziness ------------------------------------------------------------------------------------------


def many(session: Session, n: int) -> None:
    log = Log(session)
    for i in range(n):
        c = log.file(f"c{i}", at(2027, 1, 4 + i % 20, 9 + i % 8))
        log.ack(c, at(2027, 1, 4 + i % 20, 17))
        log.progress(c, at(2027, 1, 25), at(2027, 2, 10))


def test_the_complaints_are_read_only_when_iterated_and_one_at_a_time(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(sessions) as session:
        many(session, 30)
    monkeypatch.setattr(source, "FETCH_ROWS", 4)
    made: list[Moments] = []
    real = source._new_tuple  # how the stream makes each `Moments`

    def counting(cls: type[Moments], values: Any) -> Moments:
        made.append(real(cls, values))
        return made[-1]

    monkeypatch.setattr(source, "_new_tuple", counting)
    statements: list[str] = []
    with transaction(sessions) as session:
        event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
        units = district_facts(session, START, END, [A, B])
        assert isinstance(units, Iterator)
        unit = next(units)
        stream = unit.complaints
        assert isinstance(stream, ComplaintStream) and not isinstance(stream, list | tuple)
        assert not any("complaint_events" in s for s in statements)  # nothing read yet

        complaints = iter(stream)
        first = next(complaints)
        assert len(made) == 1 and first == made[0].facts()  # the first one, before the other 29 are made
        rest = list(complaints)
        assert len(made) == 30 and [first, *rest] == [m.facts() for m in made]
        # The blank results and the aggregate (which on PostgreSQL goes to psycopg directly).
        assert any("complaint_events" in s for s in statements)

        # Iterating again reads again; another district's stream is its own.
        assert list(stream) == [m.facts() for m in made[:30]]
        assert list(stream.moments()) == made[:30]  # the scorer's form: the same complaints
        assert list(next(units).complaints) == []


def test_an_abandoned_stream_leaves_the_session_usable(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        many(session, 12)
    with transaction(sessions) as session:
        (unit,) = district_facts(session, START, END, [A])
        every = list(unit.complaints)
        assert len(every) == 12
        first = iter(unit.complaints)
        second = iter(unit.complaints)
        # Two streams of one session side by side, and a query in between.
        assert next(first) == next(second) == every[0]
        assert session.scalar(select(Complaint.id).order_by(Complaint.id).limit(1)) is not None
        assert next(second) == every[1]
        first.close()
        assert list(second) == every[2:]
        half = iter(unit.complaints)
        assert [next(half) for _ in range(3)] == every[:3]
        del half
        assert list(unit.complaints) == every
    with transaction(sessions) as session:  # and the transaction committed cleanly
        assert session.scalar(select(Complaint.id).limit(1)) is not None
