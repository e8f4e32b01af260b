"""The push quota (issue 18 point 7): pushes counted by kind and month against LINE's own meter, the
dashboard's figures and warnings, and a notice LINE refuses for the quota kept for the next reply."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.jobs import push_quota_once
from bot.line_gateway import LineCallError, Quota
from bot.sandbox import events as ev
from bot.services import Services
from models import OutboxMessage, QuotaReading
from models.clock import BANGKOK
from models.db import transaction
from models.outbox import enqueue, queue_pushes
from models.people import Officer
from models.push_quota import (
    NOTICE,
    OFFICER_CARD,
    REMINDER,
    month_of,
    quota_summary,
    record_reading,
)
from tests.admin_web import sign_in
from tests.conftest import post_events
from tests.line_stub import LineStub
from tests.worker_common import Clock, make_worker

MONTHLY_LIMIT = "You have reached your monthly limit."


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Meter:
    """LINE's quota endpoints, as the scheduler's job reads them."""

    def __init__(self, quota: Quota | None) -> None:
        self.quota = quota

    def get_quota(self) -> Quota:
        if self.quota is None:
            raise LineCallError(None, "ConnectTimeoutError: LINE unreachable")
        return self.quota


def rows(services: Services) -> list[OutboxMessage]:
    with transaction(services.sessions) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def notice(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


def sent_texts(call: Any) -> list[str]:
    return [m.get("text", m.get("altText", "")) for m in call.body["messages"]]


def next_month(moment: datetime) -> datetime:
    local = moment.astimezone(BANGKOK)
    first = (local.replace(day=28) + timedelta(days=4)).replace(
        day=1, hour=9, minute=0, second=0, microsecond=0
    )
    return first


def test_pushes_are_counted_by_kind_and_month_and_replies_are_not(
    client: FlaskClient, services: Services, stub: LineStub, clock: Clock
) -> None:
    officer_id, citizen_id = ev.new_user_id(), ev.new_user_id()
    with transaction(services.sessions) as session:
        session.add(
            Officer(
                district_code="1030",
                name="สมหญิง",
                role="officer",
                line_user_id=officer_id,
                created_at=clock(),
            )
        )
        session.flush()
        # Who gets it decides its kind: a card to an officer, a notice to a citizen.
        queue_pushes(
            session, [(officer_id, notice("เรื่องใหม่")), (citizen_id, notice("รับเรื่องแล้ว"))], now=clock()
        )
        enqueue(session, officer_id, notice("เตือน: เรื่องเลยกำหนด"), now=clock(), kind=REMINDER)
    post_events(client, [ev.text_event(citizen_id, "สวัสดี", timestamp_ms=int(clock().timestamp() * 1000))])
    make_worker(services, stub, clock).drain()

    assert len(stub.calls("/push")) == 3 and len(stub.calls("/reply")) == 1
    assert {(r.kind, r.sent_as) for r in rows(services)} == {
        (OFFICER_CARD, "push"),
        (NOTICE, "push"),
        (REMINDER, "push"),
        ("answer", "reply"),
    }
    with transaction(services.sessions) as session:
        summary = quota_summary(session, clock())
    assert summary.month == month_of(clock())
    assert summary.counted == 3  # the reply is free: not counted
    assert dict(summary.by_kind) == {OFFICER_CARD: 1, NOTICE: 1, REMINDER: 1}
    assert summary.held == 0 and summary.level == "ok"


def test_a_push_refused_for_the_month_is_held_the_chat_goes_on_and_it_goes_with_the_next_reply(
    client: FlaskClient, services: Services, stub: LineStub, clock: Clock
) -> None:
    user = ev.new_user_id()
    stub.scripts["/push"] = [429]
    stub.errors["/push"] = MONTHLY_LIMIT
    with transaction(services.sessions) as session:
        enqueue(session, user, notice("เรื่อง 26-ABC123 ได้รับการแก้ไขแล้ว"), now=clock(), kind=NOTICE)
        enqueue(session, user, notice("ความคืบหน้า: ส่งช่างแล้ว"), now=clock(), kind=NOTICE)
    worker = make_worker(services, stub, clock)
    worker.drain()

    held = rows(services)
    assert [r.status for r in held] == [
        "held",
        "held",
    ]  # not retried over hours: LINE says the month is spent
    assert len(stub.calls("/push")) == 2 and all(r.attempts == 1 for r in held)
    assert "quota" in (held[0].last_error or "")

    # The citizen writes: the answer is a reply (free), and the held notices go with it, first.
    post_events(client, [ev.text_event(user, "ติดตามเรื่อง", timestamp_ms=int(clock().timestamp() * 1000))])
    worker.drain()
    (reply,) = stub.calls("/reply")
    texts = sent_texts(reply)
    assert texts[:2] == ["เรื่อง 26-ABC123 ได้รับการแก้ไขแล้ว", "ความคืบหน้า: ส่งช่างแล้ว"]
    assert len(texts) >= 3  # and the answer itself, after them
    assert len(stub.calls("/push")) == 2  # nothing pushed again
    assert [(r.status, r.sent_as) for r in rows(services)][:2] == [("done", "reply"), ("done", "reply")]
    with transaction(services.sessions) as session:
        assert quota_summary(session, clock()).held == 0


def test_held_messages_that_do_not_fit_in_one_reply_wait_for_the_next(
    client: FlaskClient, services: Services, stub: LineStub, clock: Clock
) -> None:
    user = ev.new_user_id()
    stub.scripts["/push"] = [429]
    stub.errors["/push"] = MONTHLY_LIMIT
    with transaction(services.sessions) as session:
        for n in range(6):
            enqueue(session, user, notice(f"แจ้ง {n}"), now=clock(), kind=NOTICE)
    worker = make_worker(services, stub, clock)
    worker.drain()
    post_events(client, [ev.text_event(user, "สวัสดี", timestamp_ms=int(clock().timestamp() * 1000))])
    worker.drain()
    (reply,) = stub.calls("/reply")
    assert len(reply.body["messages"]) <= 5  # LINE's limit for one reply
    carried = [t for t in sent_texts(reply) if t.startswith("แจ้ง ")]
    assert carried == [f"แจ้ง {n}" for n in range(len(carried))] and carried  # oldest first
    with transaction(services.sessions) as session:
        assert quota_summary(session, clock()).held == 6 - len(carried)


def test_a_rate_limit_429_is_retried_not_held(services: Services, stub: LineStub, clock: Clock) -> None:
    user = ev.new_user_id()
    stub.scripts["/push"] = [429, 200]  # "stub error": the per-second limit, which passes
    with transaction(services.sessions) as session:
        enqueue(session, user, notice("แจ้งเตือน"), now=clock(), kind=NOTICE)
    worker = make_worker(services, stub, clock)
    worker.drain()
    (row,) = rows(services)
    assert row.status == "pending" and row.attempts == 1
    clock.advance(3600)
    worker.drain()
    (row,) = rows(services)
    assert (row.status, row.sent_as) == ("done", "push")


def test_held_messages_are_pushed_again_when_line_shows_room_and_in_a_new_month(
    services: Services, stub: LineStub, clock: Clock
) -> None:
    user = ev.new_user_id()
    stub.scripts["/push"] = [429, 200]
    stub.errors["/push"] = MONTHLY_LIMIT
    with transaction(services.sessions) as session:
        enqueue(session, user, notice("แจ้งเตือน"), now=clock(), kind=NOTICE)
    worker = make_worker(services, stub, clock)
    worker.drain()
    assert [r.status for r in rows(services)] == ["held"]

    clock.advance(60)
    assert push_quota_once(services.sessions, Meter(Quota("limited", 300, 300)), clock()) == 0  # still spent
    assert push_quota_once(services.sessions, Meter(None), clock()) == 0  # LINE unreachable: wait
    clock.advance(60)
    assert (
        push_quota_once(services.sessions, Meter(Quota("limited", 5000, 300)), clock()) == 1
    )  # a bigger plan
    worker.drain()
    (row,) = rows(services)
    assert (row.status, row.sent_as) == ("done", "push")
    with transaction(services.sessions) as session:
        assert quota_summary(session, clock()).counted == 1

    # Held in one month, LINE not reachable since: the new month's quota is fresh, so it goes again.
    stub.scripts["/push"] = [429, 200, 429, 200]  # the third push is refused
    with transaction(services.sessions) as session:
        enqueue(session, user, notice("แจ้งอีกครั้ง"), now=clock(), kind=NOTICE)
    worker.drain()
    assert rows(services)[-1].status == "held"
    assert push_quota_once(services.sessions, Meter(None), clock()) == 0
    assert push_quota_once(services.sessions, None, next_month(clock())) == 1
    assert rows(services)[-1].status == "pending"  # pushed when due, in the chat's order


def test_line_s_meter_is_kept_and_each_threshold_warned_once_a_month(
    services: Services, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    now = clock()
    with transaction(services.sessions) as session:
        assert record_reading(session, now, "limited", 1000, 790) is None
        assert record_reading(session, now, "limited", 1000, 800) == 80
        assert record_reading(session, now, "limited", 1000, 950) is None  # warned already
        assert record_reading(session, now, "limited", 1000, 1000) == 100
        assert record_reading(session, now, "limited", 1000, 1000) is None
        assert record_reading(session, now, "none", None, 5000) is None  # no limit: never a warning
        assert record_reading(session, next_month(now), "limited", 1000, 850) == 80  # a new month
    with caplog.at_level(logging.WARNING, logger="bot.jobs"):
        push_quota_once(
            services.sessions, Meter(Quota("limited", 500, 499)), next_month(now) + timedelta(days=1)
        )
        assert caplog.text == ""  # 80 % was warned of this month already
        push_quota_once(
            services.sessions, Meter(Quota("limited", 500, 500)), next_month(now) + timedelta(days=2)
        )
    assert "push quota spent" in caplog.text
    with transaction(services.sessions) as session:
        reading = session.get(QuotaReading, month_of(next_month(now)))
        assert (reading.quota_limit, reading.used, reading.warned_at_percent) == (500, 500, 100)


def test_the_dashboard_shows_the_month_s_pushes_and_warns_at_80_and_at_100(
    client: FlaskClient, services: Services, world: dict[str, str], clock: Clock
) -> None:
    from models.clock import clock as app_clock

    now = app_clock.now()
    assert sign_in(client, "centre") == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert 'data-level="ok"' in page and "ยังไม่ได้อ่านตัวเลขจาก LINE" in page

    with transaction(services.sessions) as session:
        from models.push_quota import count_pushes

        count_pushes(session, [(OFFICER_CARD, now)] * 5 + [(NOTICE, now)] * 3 + [(REMINDER, now)])
        record_reading(session, now, "limited", 300, 250)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'data-level="warn"' in page and 'data-testid="push-quota-alert"' in page
    assert 'data-quota="used">250<' in page and 'data-quota="limit">300<' in page
    assert 'data-quota="counted">9<' in page
    assert page.index('data-kind="officer_card"') < page.index('data-kind="notice"')  # most first

    with transaction(services.sessions) as session:
        record_reading(session, now, "limited", 300, 300)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'data-level="spent"' in page and "โควตาข้อความ push ของเดือนนี้หมดแล้ว" in page

    assert sign_in(client, "head1030") == 302  # a district's head sees the channel's figures too
    assert 'data-level="spent"' in client.get("/admin/").get_data(as_text=True)


def test_the_sandbox_s_line_counts_pushes_and_refuses_past_its_quota(tmp_path: Any, db_url: str) -> None:
    from bot.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(db_url, tmp_path, SANDBOX_PUSH_QUOTA="2")
    sandbox = Services.from_settings(settings)
    try:
        app_client = create_app(services=sandbox).test_client()
        user = app_client.get("/sandbox/api/users").json["users"][0]["user_id"]
        auth = {"Authorization": f"Bearer {settings.line_channel_access_token}"}
        api = "/sandbox/line/v2/bot/message"
        assert app_client.get(f"{api}/quota", headers=auth).json == {"type": "limited", "value": 2}
        statuses = [
            app_client.post(
                f"{api}/push",
                json={"to": user, "messages": notice(f"แจ้ง {n}")},
                headers={**auth, "X-Line-Retry-Key": f"00000000-0000-4000-8000-00000000000{n}"},
            )
            for n in range(3)
        ]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert json.loads(statuses[2].get_data())["message"] == MONTHLY_LIMIT
        assert app_client.get(f"{api}/quota/consumption", headers=auth).json == {"totalUsage": 2}
    finally:
        sandbox.engine.dispose()
