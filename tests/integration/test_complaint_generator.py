"""The complaint generator the benchmarks share (bench/complaint_generator.py), checked as a user of its
data would: codes the app finds, every status and channel, event logs in time order, deadline columns
equal to what models.deadlines makes of the events, and no LINE citizen's personal data in the
reporter columns. On SQLite and PostgreSQL (the COPY path)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bench.complaint_generator import Summary, generate, load_corpus, plan, read_context
from bot.services import Services
from models.api_keys import ApiKey
from models.clock import BANGKOK
from models.complaint_lifecycle import STATUS_AFTER_EVENT
from models.complaints import Channel, Complaint, ComplaintEvent, ComplaintStatus
from models.db import transaction
from models.deadlines import ack_due, first_progress_due, next_due_checkpoint
from models.people import Citizen
from models.tracking_codes import CODE_PATTERN
from models.working_days import load_calendar

N = 300
SEED = 11
NOW = datetime(2027, 4, 14, 9, 0, tzinfo=BANGKOK)
S = ComplaintStatus


@pytest.fixture
def generated(services: Services) -> Summary:
    return generate(services.engine, N, SEED, NOW, days=900)


def _all(services: Services) -> tuple[list[Complaint], dict[int, list[ComplaintEvent]]]:
    with transaction(services.sessions) as session:
        complaints = list(session.scalars(select(Complaint).order_by(Complaint.id)))
        events: dict[int, list[ComplaintEvent]] = defaultdict(list)
        for e in session.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id)):
            events[e.complaint_id].append(e)
        session.expunge_all()
    return complaints, events


def test_codes_are_the_apps_and_the_status_page_and_open311_find_them(
    generated: Summary, services: Services, client: FlaskClient
) -> None:
    complaints, _ = _all(services)
    assert len(complaints) == N == generated.complaints
    codes = [c.tracking_code for c in complaints]
    assert all(CODE_PATTERN.match(code) for code in codes), codes[:5]
    assert len(set(codes)) == N
    # The code's year is the Thai year of the filing day in Bangkok, as the app draws it.
    for c in complaints:
        assert int(c.tracking_code[:2]) == (c.created_at.astimezone(BANGKOK).year + 543) % 100
    # One complaint of each status, and a spread of others.
    sample = {c.status: c for c in complaints} | {c.tracking_code: c for c in complaints[:: N // 10]}
    for c in sample.values():
        answer = client.get(f"/api/v1/complaints/{c.tracking_code}")
        assert answer.status_code == 200, c.tracking_code
        body = answer.get_json()
        assert (body["code"], body["status"], body["district"]["code"]) == (
            c.tracking_code,
            c.status,
            c.district_code,
        )
        found = client.get(f"/open311/v2/requests/{c.tracking_code}.json")
        assert found.status_code == 200, found.get_data(as_text=True)
        assert found.get_json()[0]["service_request_id"] == c.tracking_code


def test_every_status_and_channel_and_who_reported_it(generated: Summary, services: Services) -> None:
    complaints, _ = _all(services)
    assert {c.status for c in complaints} == {s.value for s in S}
    assert {c.channel for c in complaints} == {ch.value for ch in Channel}
    assert generated.by_status == {s: sum(c.status == s for c in complaints) for s in generated.by_status}
    with transaction(services.sessions) as session:
        citizens = set(session.scalars(select(Citizen.id)))
        keys = set(session.scalars(select(ApiKey.id)))
    for c in complaints:
        if c.channel == Channel.LINE:
            assert c.citizen_id in citizens
            # A LINE citizen's personal data never lands in the reporter columns.
            assert (c.reporter_name, c.reporter_phone, c.reporter_email, c.api_key_id) == (None,) * 4
        else:
            assert c.citizen_id is None
            assert (c.api_key_id in keys) if c.channel == Channel.API else c.api_key_id is None
            assert c.reporter_phone is None or c.reporter_phone.isdigit()
        assert c.category and c.description and c.district_code and c.section
        if c.latitude is not None:  # in Bangkok
            assert 13.4 < c.latitude < 14.0 and 100.3 < c.longitude < 101.0
    assert sum(c.latitude is not None for c in complaints) > N * 0.9
    assert any(c.reporter_name for c in complaints) and any(c.reported_on for c in complaints)


def test_events_come_in_time_order_after_filing_and_explain_the_status(
    generated: Summary, services: Services
) -> None:
    complaints, events = _all(services)
    assert sum(len(v) for v in events.values()) == generated.events
    all_events = sorted((e for v in events.values() for e in v), key=lambda e: e.id)
    assert [e.at for e in all_events] == sorted(e.at for e in all_events)  # ids in time order, as appended
    for c in complaints:
        log = events[c.id]
        assert [e.kind for e in log[:2]] == ["filed", "routed"]
        assert log[0].at == log[1].at == c.created_at
        assert log[0].text == c.description
        assert [e.at for e in log] == sorted(e.at for e in log)
        assert all(c.created_at <= e.at <= NOW for e in log)
        status = S.ROUTED
        for e in log:
            status = STATUS_AFTER_EVENT.get(e.kind, status)
            if e.actor_kind == "citizen":
                assert e.actor_id == c.citizen_id and e.actor_name is None  # never a citizen's name
        assert c.status == status, [e.kind for e in log]


def test_deadline_columns_are_what_models_deadlines_makes_of_the_events(
    generated: Summary, services: Services
) -> None:
    complaints, events = _all(services)
    with transaction(services.sessions) as session:
        cal = load_calendar(session)
    for c in complaints:
        log = events[c.id]
        routed = [e for e in log if e.kind == "routed"][-1]  # a transfer routes it again
        since = [e for e in log if e.id > routed.id]
        ack = next((e.at for e in since if e.kind == "acknowledged"), None)
        progress = [e.at for e in since if e.kind == "progress"]
        fp_due = first_progress_due(ack, cal) if ack else None
        open_checkpoint = c.status in (S.ACKNOWLEDGED, S.IN_PROGRESS)
        expected = {
            "district_code": routed.district_code,
            "routed_at": routed.at,
            "ack_due_at": ack_due(routed.at, cal),
            "acknowledged_at": ack,
            "first_progress_due_at": fp_due,
            "first_progress_at": progress[0] if progress else None,
            "last_progress_at": progress[-1] if progress else None,
            "next_checkpoint_on": (
                next_due_checkpoint(fp_due, progress[-1] if progress else None) if open_checkpoint else None
            ),
            "resolved_at": next((e.at for e in since if e.kind == "resolved"), None),
            "rating": next((e.data["stars"] for e in reversed(log) if e.kind == "rated"), None),
        }
        assert {k: getattr(c, k) for k in expected} == expected, c.tracking_code


def test_the_same_seed_plans_the_same_complaints(services: Services) -> None:
    with transaction(services.sessions) as session:
        ctx = read_context(session, NOW, 900, SEED)
    corpus = load_corpus()
    first, second = (plan(ctx, corpus, 200, SEED, NOW, 900) for _ in range(2))
    other = plan(ctx, corpus, 200, SEED + 1, NOW, 900)
    assert first.tracking_code.tolist() == second.tracking_code.tolist()
    assert np.array_equal(first.ev_at, second.ev_at) and first.status.tolist() == second.status.tolist()
    assert first.tracking_code.tolist() != other.tracking_code.tolist()
