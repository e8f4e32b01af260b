"""Answer templates (issue 18 point 3): admins keep ready progress and result texts per category on the
web; LINE offers them to an officer reporting on a complaint of that category (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.services import Services
from models import AnswerTemplate, Complaint, ComplaintEvent
from models.answer_templates import (
    MAX_PER_LIST,
    MAX_TEXT,
    PROGRESS,
    RESULT,
    TemplateError,
    delete_template,
    label_of,
    move_template,
    offered,
    save_template,
    set_active,
    templates_of,
)
from models.db import transaction
from tests.admin_web import XSS, sign_in, token
from tests.citizen_chat import Chat, actions, flex_cards
from tests.integration.test_officer_flow import file_one, register

PAGE = "/admin/settings/answer_templates"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LIGHTING = "lighting"  # แสงสว่าง: the category `file_one` files under
CHECKED = "เจ้าหน้าที่ตรวจสอบพื้นที่แล้ว กำลังสั่งอะไหล่หลอดไฟ คาดว่าจะเปลี่ยนได้ภายใน 3 วันทำการ"
ORDERED = "ประสานการไฟฟ้านครหลวงแล้ว รอเข้าซ่อมสายไฟ"
FIXED = "เปลี่ยนหลอดไฟเรียบร้อยแล้ว ไฟกลับมาสว่างตามปกติ ขอบคุณที่แจ้งเข้ามาค่ะ"


def add(services: Services, kind: str, text: str, code: str = LIGHTING, **more: Any) -> int:
    with transaction(services.sessions) as session:
        return save_template(
            session, category_code=code, kind=kind, text=text, now=NOW, by="centre", **more
        ).id


def refused(services: Services, kind: str = PROGRESS, text: str = CHECKED, code: str = LIGHTING) -> str:
    """The reason `save_template` gives for this template (the transaction is rolled back)."""
    with pytest.raises(TemplateError) as caught, transaction(services.sessions) as session:
        save_template(session, category_code=code, kind=kind, text=text, now=NOW, by="centre")
    return caught.value.reason


def texts_of(services: Services, kind: str = PROGRESS, code: str = LIGHTING) -> list[str]:
    with transaction(services.sessions) as session:
        return [t.text for t in templates_of(session, code, kind)]


# ---- the model -----------------------------------------------------------------------------------


def test_a_template_must_be_a_text_line_can_send_and_the_dialog_takes_as_typed(services: Services) -> None:
    assert refused(services, text="") == "empty"
    assert refused(services, text="  \r\n\t ") == "empty"
    assert refused(services, text="ก" * (MAX_TEXT + 1)) == "too_long"
    assert refused(services, text="🙏🙏 ...") == "no_words"  # the dialog answers "no words" to it
    assert refused(services, text="ยกเลิก") == "is_command"  # would cancel the report instead
    assert refused(services, text="ส่ง") == "is_command"
    assert refused(services, text="69-K7M2QX") == "is_command"  # a tracking code: opens that complaint
    assert refused(services, kind="closing") == "bad_kind"
    assert refused(services, code="no-such-category") == "unknown_category"
    assert texts_of(services) == []

    longest = "ค" * MAX_TEXT
    add(services, PROGRESS, longest)
    add(services, PROGRESS, "  รับเรื่องแล้ว\r\nกำลังตรวจสอบ  ")
    assert texts_of(services) == [longest, "รับเรื่องแล้ว\nกำลังตรวจสอบ"]  # as LINE sends it: trimmed, LF
    assert refused(services, text="รับเรื่องแล้ว\nกำลังตรวจสอบ") == "duplicate"
    assert refused(services, text="ค" * 30) == "same_label"  # its button would read like the first one's
    assert texts_of(services, RESULT) == []  # the two kinds are two lists


def test_a_list_holds_ten_in_order_that_can_be_moved_switched_off_and_deleted(services: Services) -> None:
    ids = [add(services, PROGRESS, f"แบบที่ {n}: ความคืบหน้าเรื่องไฟฟ้า") for n in range(1, MAX_PER_LIST + 1)]
    assert refused(services, text="อีกหนึ่งข้อความที่ไม่มีที่ให้แล้ว") == "full"
    add(services, PROGRESS, "อีกประเภทหนึ่งยังมีที่ว่าง", code="road")  # the limit is per category and kind
    add(services, RESULT, "แก้ไขแล้ว ไฟสว่างตามปกติ")
    with transaction(services.sessions) as session:
        move_template(session, ids[2], -1, NOW, "centre")
        move_template(session, ids[0], -1, NOW, "centre")  # first already: stays
        set_active(session, ids[1], False, NOW, "centre")
        delete_template(session, ids[9])
    with transaction(services.sessions) as session:
        listed = [t.id for t in templates_of(session, LIGHTING, PROGRESS)]
        assert listed == [ids[0], ids[2], ids[1], *ids[3:9]]
        shown = offered(session, "แสงสว่าง", PROGRESS)  # by the Thai name complaints record
        assert [t.id for t in shown] == [ids[0], ids[2], *ids[3:9]]  # the switched-off one is not offered
        assert [t.text for t in offered(session, "แสงสว่าง", RESULT)] == ["แก้ไขแล้ว ไฟสว่างตามปกติ"]
        assert offered(session, "ถนน", RESULT) == [] and offered(session, None, PROGRESS) == []
        assert session.scalar(select(func.count()).select_from(AnswerTemplate)) == 11


def test_a_label_is_the_start_of_the_text_with_no_thai_mark_cut_from_its_letter() -> None:
    assert label_of("รับเรื่องแล้วค่ะ") == "รับเรื่องแล้วค่ะ"
    assert label_of("  สั่ง\nอะไหล่แล้ว ") == "สั่ง อะไหล่แล้ว"
    long = label_of(CHECKED)
    assert len(long) <= 20 and long.endswith("…") and CHECKED.startswith(long[:-1])
    # "ที่" at the cut: the 19th character would be a tone mark; the cut goes back to before its letter.
    text = "ก" * 17 + "ที่ตั้ง"
    assert label_of(text) == "ก" * 17 + "…"
    assert all(len(label_of(("ข้" * 40)[:n])) <= 20 for n in range(1, 80))


# ---- the admin page ------------------------------------------------------------------------------


def signed(client: FlaskClient, username: str = "centre") -> str:
    assert sign_in(client, username) == 302
    return token(client.get(PAGE).get_data(as_text=True))


def post(client: FlaskClient, csrf: str, **fields: str) -> Any:
    return client.post(PAGE, data={"csrf_token": csrf, "category": LIGHTING, **fields})


def test_an_admin_adds_edits_moves_switches_off_and_deletes_templates(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    page = client.get(PAGE, query_string={"category": LIGHTING}).get_data(as_text=True)
    assert "ข้อความสำเร็จรูป" in page and "ยังไม่มีข้อความสำเร็จรูป" in page

    done = post(client, csrf, action="add", kind=PROGRESS, text=CHECKED)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{PAGE}?category={LIGHTING}")
    assert post(client, csrf, action="add", kind=PROGRESS, text=ORDERED).status_code == 303
    assert post(client, csrf, action="add", kind=RESULT, text=XSS + " แก้ไขแล้ว").status_code == 303
    page = client.get(PAGE, query_string={"category": LIGHTING}).get_data(as_text=True)
    assert "เพิ่มข้อความสำเร็จรูป" in page and CHECKED in page and label_of(CHECKED) in page
    assert XSS not in page and "&lt;script&gt;" in page  # shown as text
    assert 'data-code="lighting" aria-current="true"' in page
    with transaction(services.sessions) as session:
        first, second = templates_of(session, LIGHTING, PROGRESS)
        assert (first.text, first.updated_by, first.active) == (CHECKED, "centre", True)

    assert post(client, csrf, action="down", template_id=str(first.id)).status_code == 303
    assert texts_of(services) == [ORDERED, CHECKED]
    edited = "ประสานการไฟฟ้านครหลวงแล้ว นัดเข้าซ่อมพรุ่งนี้"
    saved = post(client, csrf, action="save", kind=PROGRESS, template_id=str(second.id), text=edited)
    assert saved.status_code == 303  # no "active" box ticked: switched off
    with transaction(services.sessions) as session:
        row = session.get(AnswerTemplate, second.id)
        assert row is not None and (row.text, row.active) == (edited, False)
    assert post(client, csrf, action="delete", template_id=str(first.id)).status_code == 303
    assert texts_of(services) == [edited]
    page = client.get(PAGE, query_string={"category": LIGHTING}).get_data(as_text=True)
    assert "ลบข้อความสำเร็จรูป" in page and 'data-active="no"' in page
    # The overview counts each category's lists.
    assert '<td data-kind="progress">1</td>' in page and '<td data-kind="result">1</td>' in page


def test_a_too_long_or_empty_template_is_refused_on_its_form_with_the_typed_text_kept(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    csrf = signed(client)
    too_long = "ตรวจสอบแล้ว " + "ก" * MAX_TEXT
    answer = post(client, csrf, action="add", kind=RESULT, text=too_long)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f"ข้อความยาว {len(too_long)} ตัวอักษร เกินที่ LINE ส่งได้ ({MAX_TEXT} ตัวอักษร)" in page
    form = page.split('data-testid="form-add-result"')[1].split("</form>")[0]
    assert 'role="alert"' in form and too_long in form  # on the form it came from, the text kept
    assert too_long not in page.split('data-testid="form-add-progress"')[1].split("</form>")[0]

    answer = post(client, csrf, action="add", kind=PROGRESS, text="   ")
    assert answer.status_code == 400 and "กรุณากรอกข้อความ" in answer.get_data(as_text=True)
    answer = post(client, csrf, action="add", kind=PROGRESS, text="ยกเลิก")
    assert answer.status_code == 400 and "ตรงกับคำสั่งของแชต" in answer.get_data(as_text=True)
    assert texts_of(services, PROGRESS) == [] and texts_of(services, RESULT) == []

    # Editing one into a too-long text: refused on that row, the row's typed text kept, the saved one intact.
    row_id = add(services, PROGRESS, CHECKED)
    answer = post(
        client, csrf, action="save", kind=PROGRESS, template_id=str(row_id), text=too_long, active="on"
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    row = page.split(f'data-id="{row_id}"')[1].split("</li>")[0]
    assert "เกินที่ LINE ส่งได้" in row and too_long in row
    assert texts_of(services) == [CHECKED]
    assert post(client, csrf, action="rename", template_id=str(row_id)).status_code == 400
    assert post(client, csrf, action="delete", template_id="99999").status_code == 400
    assert client.get(PAGE, query_string={"category": "nope"}).status_code == 400


@pytest.mark.parametrize("username", ["head1030", "officer1030", "viewer"])
def test_only_admins_see_or_change_the_templates(
    client: FlaskClient, services: Services, world: dict[str, str], username: str
) -> None:
    assert sign_in(client, username) == 302
    assert client.get(PAGE).status_code == 403
    csrf = token(client.get("/admin/complaints").get_data(as_text=True))
    answer = client.post(
        PAGE,
        data={"csrf_token": csrf, "action": "add", "category": LIGHTING, "kind": PROGRESS, "text": CHECKED},
    )
    assert answer.status_code == 403
    assert texts_of(services) == []


def test_a_change_without_the_forms_token_is_refused(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    signed(client)
    answer = client.post(
        PAGE, data={"action": "add", "category": LIGHTING, "kind": PROGRESS, "text": CHECKED}
    )
    assert answer.status_code == 400
    assert texts_of(services) == []


# ---- LINE: the officer's prompts -----------------------------------------------------------------


@pytest.fixture
def people(client: FlaskClient, services: Services, stub: Any) -> tuple[Chat, Chat]:
    citizen = Chat(client, services, stub)
    officer = Chat(client, services, stub)
    officer.text(register(services))
    assert "เชื่อมบัญชี LINE" in officer.said()
    return citizen, officer


def quick_replies(chat: Chat) -> list[dict[str, Any]]:
    """The quick reply of the bot's last message: what the officer can tap under the keyboard."""
    last = [m for m in chat.last if "quickReply" in m][-1]
    return [item["action"] for item in last["quickReply"]["items"]]


def test_the_officer_is_offered_the_categorys_templates_and_a_tap_records_it(
    people: tuple[Chat, Chat], services: Services
) -> None:
    citizen, officer = people
    add(services, PROGRESS, CHECKED)
    add(services, PROGRESS, ORDERED)
    add(services, PROGRESS, "ข้อความที่ปิดไว้ ไม่ควรเห็นในแชต", active=False)
    add(services, PROGRESS, "ข้อความของประเภทถนน ไม่ควรเห็น", code="road")
    add(services, RESULT, FIXED)
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    officer.tap("รับเรื่อง", [card])
    citizen.inbox()  # told of the acknowledgement

    officer.tap("รายงานความคืบหน้า")
    offered_now = quick_replies(officer)
    assert [(a["type"], a["label"], a.get("text")) for a in offered_now] == [
        ("message", label_of(CHECKED), CHECKED),
        ("message", label_of(ORDERED), ORDERED),
        ("message", "ยกเลิก", "ยกเลิก"),
    ]
    assert all(len(a["label"]) <= 20 and len(a["text"]) <= 300 for a in offered_now)
    said = officer.said()
    assert f"พิมพ์ความคืบหน้าของเรื่อง {code}" in said and f"• {CHECKED}" in said  # each listed in full
    assert "ไม่ควรเห็น" not in said

    officer.tap(label_of(CHECKED))  # LINE sends the template's text as the officer's message
    assert "ส่ง" in [a["label"] for a in actions(officer.last)]  # on to the photos, as after typing
    officer.tap("ส่ง")
    assert "บันทึกความคืบหน้า" in officer.said()
    assert CHECKED in citizen.inbox()[0]["text"]

    officer.text(code)
    officer.tap("แก้ไขเสร็จ")
    assert [a["label"] for a in quick_replies(officer)] == [label_of(FIXED), "ยกเลิก"]
    typed = "เปลี่ยนหลอดไฟครบ 3 ต้นแล้ว"  # typing freely still works
    officer.text(typed)
    officer.photo("after1")
    officer.tap("ส่ง")
    assert f"บันทึกว่าแก้ไขเรื่อง {code} เสร็จแล้ว" in officer.said()
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None and complaint.status == "resolved"
        events = {e.kind: e.text for e in session.scalars(select(ComplaintEvent))}
        assert events["progress"] == CHECKED and events["resolved"] == typed


def test_without_templates_the_prompt_is_as_before_and_a_full_list_fits_lines_limits(
    people: tuple[Chat, Chat], services: Services
) -> None:
    citizen, officer = people
    code = file_one(citizen)
    (card,) = flex_cards(officer.inbox())
    officer.tap("รับเรื่อง", [card])
    officer.tap("รายงานความคืบหน้า")
    assert [a["label"] for a in quick_replies(officer)] == ["ยกเลิก"]
    assert officer.said() == f"พิมพ์ความคืบหน้าของเรื่อง {code} ค่ะ (จะส่งถึงผู้แจ้ง)"
    officer.tap("ยกเลิก")

    full = [f"{n:02d} ตรวจสอบแล้ว " + "ข" * (MAX_TEXT - 20) for n in range(1, MAX_PER_LIST + 1)]
    for text in full:
        add(services, PROGRESS, text)
    officer.text(code)  # the complaint's card again
    officer.tap("รายงานความคืบหน้า")  # the gateway checks every message against LINE's models
    items = quick_replies(officer)
    assert len(items) == MAX_PER_LIST + 1 <= 13
    assert [a["text"] for a in items[:-1]] == full and all(len(a["label"]) <= 20 for a in items)
    officer.tap(items[3]["label"])
    officer.tap("ส่ง")
    with transaction(services.sessions) as session:
        progress = session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "progress"))
        assert progress is not None and progress.text == full[3]
