"""GET /api/v1/complaints/<code>: status without personal data (every backend)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from models import Citizen, ComplaintEvent
from models.complaint_operations import file_complaint
from models.db import transaction

ROUTED = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)  # Fri 4 Dec 09:30 in Bangkok
ACKNOWLEDGED = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)  # Tue 8 Dec 10:00 in Bangkok


def filed(services, acknowledged: bool = False) -> str:  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        person = Citizen(
            line_user_id="Usecret" + "0" * 26, display_name="สมชาย ใจดี", created_at=ROUTED, updated_at=ROUTED
        )
        session.add(person)
        session.flush()
        complaint = file_complaint(
            session,
            person,
            description="ไฟดับ โทร 081-234-5678",
            category="แสงสว่าง",
            district_code="1030",
            latitude=13.804,
            longitude=100.553,
            photos=[],
            at=ROUTED,
        )
        if acknowledged:
            complaint.status = "acknowledged"
            session.add(
                ComplaintEvent(
                    complaint_id=complaint.id,
                    kind="acknowledged",
                    at=ACKNOWLEDGED,
                    actor_kind="officer",
                    text="รับเรื่องแล้ว จะตรวจสอบพรุ่งนี้",
                )
            )
        return complaint.tracking_code


def test_status_with_district_and_deadlines_from_the_working_day_calendar(client, services):
    code = filed(services, acknowledged=True)
    response = client.get(f"/api/v1/complaints/{code}")
    assert response.status_code == 200
    body = response.json
    assert body["code"] == code and body["status"] == "acknowledged" and body["category"] == "แสงสว่าง"
    assert body["district"] == {"code": "1030", "name_th": "จตุจักร", "name_en": "Chatuchak"}
    assert body["received_at"] == body["routed_at"] == "2026-12-04T09:30:00+07:00"
    assert body["ack_due_at"] == "2026-12-08T23:59:59+07:00"  # RULES §2: Sat, Sun, Mon in lieu skipped
    assert body["acknowledged_at"] == "2026-12-08T10:00:00+07:00"
    assert body["first_progress_due_at"] == "2026-12-14T23:59:59+07:00"  # Thu 10 Dec is Constitution Day
    assert [h["kind"] for h in body["history"]] == ["filed", "routed", "acknowledged"]
    assert body["history"][2]["text"] == "รับเรื่องแล้ว จะตรวจสอบพรุ่งนี้"


def test_no_personal_data_is_returned(client, services):
    code = filed(services)
    text = json.dumps(client.get(f"/api/v1/complaints/{code}").json, ensure_ascii=False)
    for secret in ("Usecret", "สมชาย", "081-234-5678", "ไฟดับ โทร"):
        assert secret not in text
    assert client.get(f"/api/v1/complaints/{code}").json["first_progress_due_at"] is None


def test_codes_are_forgiven_for_case_and_unknown_ones_are_404(client, services):
    code = filed(services)
    assert client.get(f"/api/v1/complaints/{code.lower()}").status_code == 200
    missing = client.get("/api/v1/complaints/69-ZZZZZZ")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    assert client.get("/api/v1/complaints/not-a-code").status_code == 404
