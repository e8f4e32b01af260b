"""Hiding from the public (issue 16 point 5), on both databases: an officer hides a text or a photo from LINE,
staff hide and an admin shows again on the web, each with its reason recorded as an event; what is hidden
is gone from every public output and still seen by staff; a citizen (LINE) or a call-taker (intake page)
asks at filing that a complaint not be public at all, and it still counts in every figure."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.services import Services
from handlers import use_cases
from handlers.notices import Links
from handlers.use_cases import ActionRefused, Actor
from models import Complaint, ComplaintEvent, Officer, Photo
from models.db import transaction
from models.officer_links import add_officer, new_link_code
from models.public_hiding import hidden_of
from tests.admin_web import sign_in, token
from tests.citizen_chat import BANGKOK, JATUJAK, Chat, flex_cards
from texts import say

START = datetime(2027, 11, 22, 9, 0, tzinfo=BANGKOK)  # a Monday
HIDDEN_TEXT = "ช่างไปตรวจที่บ้านคุณสมปอง ซอย 5 แล้ว"  # the kind of words an officer would want hidden
SHOWN_TEXT = "เปลี่ยนสายไฟแล้ว รอทดสอบ"


# ---- helpers ------------------------------------------------------------------------------------------


def linked_officer(client: FlaskClient, services: Services, stub: Any, district: str = "1030") -> Chat:
    with transaction(services.sessions) as session:
        officer = add_officer(session, district, "สมศรี", "officer", START)
        code = new_link_code(session, officer, START).code
    chat = Chat(client, services, stub, start=START)
    chat.text(code)
    assert "เชื่อมบัญชี LINE" in chat.said()
    return chat


def sync(*chats: Chat) -> None:
    latest = max(c.at for c in chats)
    for c in chats:
        c.at = latest


def file_on_line(citizen: Chat, photo: bool = True, not_public: bool = False) -> str:
    citizen.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    if photo:
        citizen.photo()
        citizen.tap("เสร็จแล้ว")
    else:
        citizen.tap("ไม่มีรูป")
    citizen.location(*JATUJAK)
    citizen.tap("แสงสว่าง")
    if not_public:
        citizen.tap(say("qr_not_public"))
    citizen.tap("ยืนยันส่งเรื่อง")
    assert "ส่งเรื่องเรียบร้อยแล้ว" in citizen.said()
    return latest_code(citizen.services)


def latest_code(services: Services) -> str:
    with transaction(services.sessions) as session:
        return session.scalars(select(Complaint.tracking_code).order_by(Complaint.id.desc())).first()  # type: ignore[return-value]


def events(services: Services, code: str, kind: str | None = None) -> list[ComplaintEvent]:
    with transaction(services.sessions) as session:
        found = list(
            session.scalars(
                select(ComplaintEvent)
                .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
                .where(Complaint.tracking_code == code)
                .order_by(ComplaintEvent.id)
            )
        )
        session.expunge_all()
    return [e for e in found if kind is None or e.kind == kind]


def photo_ids(services: Services, code: str) -> list[int]:
    with transaction(services.sessions) as session:
        return list(
            session.scalars(
                select(Photo.id)
                .join(Complaint, Complaint.id == Photo.complaint_id)
                .where(Complaint.tracking_code == code)
                .order_by(Photo.id)
            )
        )


def links(services: Services) -> Links:
    return Links(services.settings.secret_key.encode(), services.settings.public_base_url)


def local(url: str | None, services: Services) -> str:
    assert url is not None and services.settings.public_base_url
    return url.removeprefix(services.settings.public_base_url)


def handled_on_line(client: FlaskClient, services: Services, stub: Any) -> tuple[Chat, Chat, str]:
    """A citizen's complaint with their photo, acknowledged and reported on by the officer with a text and
    a photo, on LINE."""
    citizen = Chat(client, services, stub, start=START)
    officer = linked_officer(client, services, stub)
    sync(citizen, officer)
    code = file_on_line(citizen)
    (card,) = flex_cards(officer.inbox())
    sync(citizen, officer)
    officer.tap("รับเรื่อง", [card])
    officer.tap("รายงานความคืบหน้า")
    officer.text(HIDDEN_TEXT)
    officer.photo()
    officer.tap("ส่ง")
    assert "บันทึกความคืบหน้า" in officer.said()
    return citizen, officer, code


# ---- officers on LINE ---------------------------------------------------------------------------------


def test_an_officer_hides_a_text_and_a_photo_from_line_with_reasons_recorded(
    client: FlaskClient, services: Services, stub: Any
) -> None:
    citizen, officer, code = handled_on_line(client, services, stub)
    progress = events(services, code, "progress")[0]
    citizen_photo, officer_photo = photo_ids(services, code)
    assert HIDDEN_TEXT in client.get(f"/c/{code}").get_data(as_text=True)

    officer.text(code)  # the card, as for any typed code
    officer.tap(say("qr_hide"))
    asked = officer.said()
    assert code in asked and HIDDEN_TEXT[:30] in asked  # the text is quoted, so the officer knows which
    assert [say("qr_hide_text", n=1), say("qr_hide_photo", n=1), say("qr_hide_photo", n=2)] == [
        item["action"]["label"] for item in officer.last[-1]["quickReply"]["items"][:-1]
    ]
    assert officer.last[0]["type"] == "flex"  # the photos as a carousel, to see which is which
    officer.tap(say("qr_hide_text", n=1))
    assert "เพราะอะไรคะ" in officer.said()
    officer.text("มีชื่อและที่อยู่ของผู้แจ้ง")
    assert officer.said() == say("hidden_ok", item=say("qr_hide_text", n=1), code=code)

    (hidden,) = events(services, code, "hidden")
    with transaction(services.sessions) as session:
        me = session.scalar(select(Officer).where(Officer.line_user_id == officer.user))
        assert me is not None
        assert (hidden.actor_kind, hidden.actor_id, hidden.actor_name) == ("officer", me.id, "สมศรี")
    assert (hidden.text, hidden.data) == ("มีชื่อและที่อยู่ของผู้แจ้ง", {"what": "text", "item": progress.id})
    assert hidden.at == officer.at and hidden.district_code == "1030"

    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert HIDDEN_TEXT not in page and say("public.text_hidden") in page
    history = client.get(f"/api/v1/complaints/{code}").get_json()["history"]
    (shown,) = [h for h in history if h["kind"] == "progress"]
    assert shown == {"at": shown["at"], "kind": "progress", "text_hidden": True}

    # The citizen's photo, by its label typed rather than tapped; the list no longer offers the text.
    officer.text(code)
    officer.tap(say("qr_hide"))
    assert [say("qr_hide_photo", n=1), say("qr_hide_photo", n=2)] == [
        item["action"]["label"] for item in officer.last[-1]["quickReply"]["items"][:-1]
    ]
    officer.text("รูปที่ 9")
    assert say("hide_pick_from_list") in officer.said()
    officer.text("รูปที่ 1")
    officer.text("เห็นหน้าบ้านผู้แจ้งชัดเจน")
    assert say("hidden_ok", item="รูปที่ 1", code=code) == officer.said()
    last = events(services, code, "hidden")[-1]
    assert last.data == {"what": "photo", "item": citizen_photo} and last.text == "เห็นหน้าบ้านผู้แจ้งชัดเจน"

    public_url = local(links(services).public_photo_url(citizen_photo), services)
    card_url = local(links(services).photo_url(citizen_photo), services)
    assert client.get(public_url).status_code == 404  # hidden: as no photo at all, for the public
    assert client.get(card_url).status_code == 200  # LINE cards to the district and the citizen: still
    assert client.get(local(links(services).public_photo_url(officer_photo), services)).status_code == 200
    request = client.get(f"/open311/v2/requests/{code}.json?extensions=true").get_json()[0]
    assert request["media_url"] == links(services).public_photo_url(officer_photo)  # the first one shown
    assert request.get("status_notes") is None and HIDDEN_TEXT not in str(request)

    # The citizen's own history leaves staff's hiding out.
    sync(citizen, officer)
    citizen.text(code)
    assert "ซ่อน" not in citizen.said() and "สาธารณะ" not in citizen.said()


def test_an_officer_cannot_hide_another_districts_complaint_nor_what_is_already_hidden(
    client: FlaskClient, services: Services, stub: Any
) -> None:
    _, officer, code = handled_on_line(client, services, stub)
    other = linked_officer(client, services, stub, district="1001")
    sync(officer, other)
    other.text(code)
    assert other.said() == say("refused_other_district")
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        progress = session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "progress"))
        filed = session.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "filed"))
        theirs = session.scalar(select(Officer).where(Officer.district_code == "1001"))
        assert progress is not None and filed is not None and theirs is not None
        acting = use_cases.Acting(session, Actor.officer(theirs), START, links(services))
        with pytest.raises(ActionRefused) as refused:
            use_cases.hide_from_public(acting, complaint, "text", progress.id, "เหตุผล")
        assert refused.value.reason == "not_your_district"
        mine = session.scalar(select(Officer).where(Officer.district_code == "1030"))
        assert mine is not None
        acting = use_cases.Acting(session, Actor.officer(mine), START, links(services))
        for what, item, reason, why in (
            ("text", progress.id, "  ", "needs_reason"),
            ("text", filed.id, "เหตุผล", "no_such_item"),  # the citizen's own words are never public
            ("photo", 10**6, "เหตุผล", "no_such_item"),
            ("video", progress.id, "เหตุผล", "no_such_item"),
        ):
            with pytest.raises(ActionRefused) as refused:
                use_cases.hide_from_public(acting, complaint, what, item, reason)
            assert refused.value.reason == why
        use_cases.hide_from_public(acting, complaint, "text", progress.id, "เหตุผล")
        with pytest.raises(ActionRefused) as refused:
            use_cases.hide_from_public(acting, complaint, "text", progress.id, "อีกครั้ง")
        assert refused.value.reason == "already_hidden"
        with pytest.raises(ActionRefused) as refused:  # showing it again is the centre's
            use_cases.show_to_public(acting, complaint, "text", progress.id)
        assert refused.value.reason == "admin_only"
        centre = use_cases.Acting(session, Actor("admin", None, None, "centre"), START, links(services))
        with pytest.raises(ActionRefused) as refused:
            use_cases.show_to_public(centre, complaint, "photo", 1)
        assert refused.value.reason == "not_hidden"


# ---- the staff web ------------------------------------------------------------------------------------


def _progress_on(services: Services, code: str, text: str) -> int:
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None
        acting = use_cases.Acting(
            session,
            Actor("admin", None, None, "centre"),
            datetime(2026, 11, 23, 11, tzinfo=BANGKOK),
            links(services),
        )
        use_cases.acknowledge(acting, complaint)
        return use_cases.progress(acting, complaint, text, []).id


def signed_in(client: FlaskClient, username: str) -> FlaskClient:
    """A browser of its own, signed in as `username`."""
    browser = client.application.test_client()
    assert sign_in(browser, username) == 302
    return browser


def _public_form(client: FlaskClient, code: str, **fields: str) -> Any:
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    return client.post(f"/admin/complaints/{code}/public", data={"csrf_token": token(page), **fields})


def test_staff_hide_and_an_admin_shows_again_on_the_web(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    code, photo = world["ours"], int(world["ours_photo"])
    progress = _progress_on(services, code, HIDDEN_TEXT)
    public_photo = local(links(services).public_photo_url(photo), services)
    assert client.get(public_photo).status_code == 200
    assert HIDDEN_TEXT in client.get(f"/c/{code}").get_data(as_text=True)

    client = signed_in(client, "officer1030")  # a district officer on the web may hide
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert f'data-testid="hide-text-{progress}"' in page and f'data-testid="hide-photo-{photo}"' in page
    refused = client.post(  # no CSRF token: refused, nothing written
        f"/admin/complaints/{code}/public", data={"op": "hide", "what": "text", "item": str(progress)}
    )
    assert refused.status_code == 400 and not events(services, code, "hidden")
    _public_form(client, code, op="hide", what="text", item=str(progress), reason="  ")
    assert not events(services, code, "hidden")  # a reason is required
    done = _public_form(client, code, op="hide", what="text", item=str(progress), reason="มีชื่อผู้ร้อง")
    assert done.status_code == 302
    (hidden,) = events(services, code, "hidden")
    assert (hidden.actor_kind, hidden.actor_name, hidden.text) == ("officer", "officer1030", "มีชื่อผู้ร้อง")
    assert hidden.data == {"what": "text", "item": progress}
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert HIDDEN_TEXT in page  # staff still read it, marked, with the reason and who
    mark = re.search(rf'data-testid="hidden-text-{progress}">([^<]*)<', page)
    assert mark and "มีชื่อผู้ร้อง" in mark.group(1) and "officer1030" in mark.group(1)
    assert f'data-testid="unhide-text-{progress}"' not in page  # showing again is an admin's
    _public_form(client, code, op="unhide", what="text", item=str(progress))
    assert not events(services, code, "unhidden")
    assert HIDDEN_TEXT not in client.get(f"/c/{code}").get_data(as_text=True)

    client = signed_in(client, "centre")
    _public_form(client, code, op="hide", what="photo", item=str(photo), reason="เห็นป้ายทะเบียนรถ")
    assert client.get(public_photo).status_code == 404
    assert client.get(f"/admin/photos/{photo}").status_code == 200  # staff still see it
    assert client.get(local(links(services).photo_url(photo), services)).status_code == 200
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    assert f'data-testid="hidden-photo-{photo}"' in page and "เห็นป้ายทะเบียนรถ" in page
    assert f'data-testid="unhide-photo-{photo}"' in page
    _public_form(client, code, op="unhide", what="photo", item=str(photo), reason="ตรวจแล้วไม่มีป้าย")
    _public_form(client, code, op="unhide", what="text", item=str(progress))
    assert client.get(public_photo).status_code == 200
    assert HIDDEN_TEXT in client.get(f"/c/{code}").get_data(as_text=True)
    shown = events(services, code, "unhidden")
    assert [(e.actor_kind, e.actor_name, e.text, e.data) for e in shown] == [
        ("admin", "centre", "ตรวจแล้วไม่มีป้าย", {"what": "photo", "item": photo}),
        ("admin", "centre", None, {"what": "text", "item": progress}),
    ]
    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None and not hidden_of(session, [complaint.id])[complaint.id].by


def test_viewers_and_other_districts_cannot_hide(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    code, photo = world["ours"], world["ours_photo"]
    for user in ("viewer", "officer1001"):
        browser = signed_in(client, user)
        page = browser.get("/admin/complaints").get_data(as_text=True)
        browser.post(
            f"/admin/complaints/{code}/public",
            data={"csrf_token": token(page), "op": "hide", "what": "photo", "item": photo, "reason": "x"},
        )
    assert not events(services, code, "hidden")


# ---- not public at all --------------------------------------------------------------------------------


def test_a_citizen_asks_on_the_summary_that_it_not_be_public(
    client: FlaskClient, services: Services, stub: Any
) -> None:
    citizen = Chat(client, services, stub, start=START)
    officer = linked_officer(client, services, stub)
    sync(citizen, officer)
    citizen.text("ไฟถนนดับ 3 ต้น หน้าซอย 5")
    citizen.tap("ไม่มีรูป")
    citizen.location(*JATUJAK)
    citizen.tap("แสงสว่าง")
    summary = citizen.last
    assert say("label_public_yes") in citizen.said()
    citizen.tap(say("qr_not_public"))
    assert say("not_public_chosen") in citizen.said() and say("label_public_no") in citizen.said()
    again = citizen.last
    citizen.tap(say("qr_public"))  # changed their mind, and back again
    assert say("public_chosen") in citizen.said()
    citizen.tap(say("qr_not_public"))
    citizen.tap("ยืนยันส่งเรื่อง", summary)  # a card from before the choice cannot be confirmed
    assert say("changed_since_card") in citizen.said()
    citizen.tap("ยืนยันส่งเรื่อง", again)
    assert say("changed_since_card") in citizen.said()
    citizen.tap("ยืนยันส่งเรื่อง")
    receipt = citizen.said()
    assert "ส่งเรื่องเรียบร้อยแล้ว" in receipt and say("filed_not_public") in receipt
    code = latest_code(services)
    assert f"/c/{code}" not in receipt  # no public page to follow

    with transaction(services.sessions) as session:
        complaint = session.scalar(select(Complaint).where(Complaint.tracking_code == code))
        assert complaint is not None and complaint.public_opt_out
    assert events(services, code, "filed")[0].data["public"] is False
    (card,) = flex_cards(officer.inbox())  # the district gets it as any other, without "hide"
    assert say("qr_hide") not in str(card) and say("qr_acknowledge") in str(card)
    sync(citizen, officer)
    officer.tap("รับเรื่อง", [card])
    assert f"/c/{code}" not in citizen.inbox()[0]["text"]  # the notices go without the link too
    _absent_from_the_public(client, code)


def test_the_intake_page_files_a_complaint_that_is_not_public(
    client: FlaskClient, services: Services, world: dict[str, str]
) -> None:
    client = signed_in(client, "centre")
    codes = {}
    for not_public in ("1", ""):
        page = client.get("/admin/intake").get_data(as_text=True)
        assert 'name="not_public"' in page
        filed = client.post(
            "/admin/intake",
            data={
                "csrf_token": token(page),
                "description": "ทางเท้าชำรุด หน้าบ้านเลขที่ 12",
                "category": "lighting",
                "latitude": "",
                "longitude": "",
                "district": "1030",
                "channel": "phone",
                "name": "สมศรี ใจดี",
                "phone": "0812345678",
                "email": "",
                "reported_on": "",
                "not_public": not_public,
            },
        )
        assert filed.status_code == 303, filed.get_data(as_text=True)
        codes[bool(not_public)] = latest_code(services)
        shown = client.get(filed.headers["Location"]).get_data(as_text=True)
        assert ('data-testid="not-public"' in shown) == bool(not_public)
        assert ('data-testid="status-link"' in shown) == (not not_public)
    private, public = codes[True], codes[False]
    assert events(services, private, "filed")[0].data["public"] is False
    assert "public" not in events(services, public, "filed")[0].data
    _absent_from_the_public(client, private)
    assert client.get(f"/c/{public}").status_code == 200
    page = client.get(f"/admin/complaints/{private}").get_data(as_text=True)
    assert say("admin.public_site_opted_out") in page  # staff are told why it is nowhere public


def _absent_from_the_public(client: FlaskClient, code: str) -> None:
    for lang in ("th", "en"):
        page = client.get(f"/c/{code}?lang={lang}")
        assert page.status_code == 404
        assert say("public.not_public", lang, code=code) in page.get_data(as_text=True)
    api = client.get(f"/api/v1/complaints/{code}")
    assert api.status_code == 404 and api.get_json()["error"] == "not_public"
    for path in (
        "/map/data",
        "/open-data/complaints.csv",
        "/open-data/complaints.geojson",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        f"/open311/v2/requests.json?service_request_id={code}",
    ):
        answer = client.get(path)
        assert answer.status_code == 200 and code not in answer.get_data(as_text=True), path
    assert client.get(f"/open311/v2/requests/{code}.json").status_code == 404


def test_what_is_not_public_still_counts_in_every_figure(
    client: FlaskClient, services: Services, stub: Any
) -> None:
    citizen = Chat(client, services, stub, start=START)
    public = file_on_line(citizen, photo=False)
    private = file_on_line(citizen, photo=False, not_public=True)
    with transaction(services.sessions) as session:
        assert session.scalar(select(func.count(Complaint.id)).where(Complaint.public_opt_out)) == 1
    league = client.get("/districts.csv").get_data(as_text=True)
    (row,) = [line for line in league.splitlines() if ",1030," in line]
    assert row.split(",")[4] == "2"  # received: both
    home = client.get("/").get_data(as_text=True)
    received = re.search(rf"<dt>{say('public.home_received')}</dt><dd>([\d,]+)</dd>", home)
    assert received and received.group(1) == "2"
    district = client.get("/districts/1030").get_data(as_text=True)
    assert public not in district and private not in district  # figures, not lists
