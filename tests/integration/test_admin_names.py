"""Districts and people by name on the staff web, in the page's language (issue "first day", 8 and 9).

A complaint filed in Chatuchak (1030) at a point, acknowledged by an officer on LINE, transferred to
Phra Nakhon (1001) and acknowledged there on the web: its timeline names the people and districts,
never a district code, and its place links to a map. In English the dashboard, the list (filters
included) and the complaint page name the districts in English and never in Thai; in Thai the
other way round.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from bot.services import Services
from models import Citizen, Officer
from models.clock import Clock
from models.complaint_operations import Actor, acknowledge, file_complaint, transfer
from models.db import transaction
from models.districts import BANGKOK_DISTRICTS
from models.working_days import load_calendar
from tests.admin_web import NOW, sign_in, token

THAI_NAMES = re.compile("|".join(re.escape(th) for _, th, _ in BANGKOK_DISTRICTS))
ENGLISH_NAMES = re.compile(r"\b(?:" + "|".join(re.escape(en) for _, _, en in BANGKOK_DISTRICTS) + r")\b")
DISTRICT_CODE = re.compile(r"\b10[0-5][0-9]\b")
POINT = (13.8040, 100.5530)  # in Chatuchak
OFFICER = "สมศรี ใจดี"
MAP = "https://www.google.com/maps/search/?api=1&query=13.804000,100.553000"


@pytest.fixture
def moved(services: Services, world: dict[str, str], app_clock: Clock) -> str:
    """Filed in Chatuchak at POINT, acknowledged there on LINE, transferred to Phra Nakhon on LINE."""
    with transaction(services.sessions) as session:
        citizen = Citizen(line_user_id="U" + "2" * 32, created_at=NOW, updated_at=NOW)
        officer = Officer(district_code="1030", name=OFFICER, role="officer", created_at=NOW)
        session.add_all([citizen, officer])
        session.flush()
        calendar = load_calendar(session)
        complaint = file_complaint(
            session,
            citizen,
            description="ทางเท้าทรุด",
            category="ทางเท้า",
            district_code="1030",
            latitude=POINT[0],
            longitude=POINT[1],
            photos=[],
            at=NOW,
            calendar=calendar,
        )
        by_line = Actor.officer(officer)
        acknowledge(session, complaint, by_line, NOW + timedelta(hours=1), calendar)
        transfer(session, complaint, by_line, NOW + timedelta(hours=2), "1001", "อยู่ฝั่งตรงข้าม", calendar)
        code = complaint.tracking_code
    app_clock.freeze(NOW + timedelta(hours=3))
    return code


def acknowledge_on_the_web(client: FlaskClient, code: str) -> None:
    sign_in(client, "officer1001")
    page = client.get(f"/admin/complaints/{code}").get_data(as_text=True)
    client.post(f"/admin/complaints/{code}/act", data={"csrf_token": token(page), "action": "acknowledge"})
    client.post("/admin/logout", data={"csrf_token": token(client.get("/admin/").get_data(as_text=True))})


def words(page: str) -> str:
    """What a reader sees: the page's text without its tags (option labels included)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def timeline(page: str) -> list[list[str]]:
    found = re.search(r'<table data-testid="timeline">(.*?)</table>', page, re.S)
    assert found, "the page has no timeline"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    return [[words(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


@pytest.mark.parametrize(
    ("lang", "chatuchak", "phra_nakhon", "citizen", "system", "staff"),
    [
        ("th", "จตุจักร", "พระนคร", "ผู้ร้อง", "ระบบ", "เจ้าหน้าที่เขต (เว็บ)"),
        ("en", "Chatuchak", "Phra Nakhon", "The citizen", "The system", "District staff (staff web)"),
    ],
)
def test_the_timeline_names_people_and_districts_never_a_code(
    client: FlaskClient, moved: str, lang, chatuchak, phra_nakhon, citizen, system, staff
) -> None:
    acknowledge_on_the_web(client, moved)
    sign_in(client, "centre")
    page = client.get(f"/admin/complaints/{moved}?lang={lang}").get_data(as_text=True)
    lines = [(who, where) for _at, _what, who, where, _text in timeline(page)]
    assert lines == [
        (citizen, ""),  # filed
        (system, chatuchak),  # routed by the point
        (OFFICER, chatuchak),  # acknowledged on LINE
        (
            OFFICER,
            {"th": f"จาก{chatuchak} ไป{phra_nakhon}", "en": f"from {chatuchak} to {phra_nakhon}"}[lang],
        ),
        (OFFICER, phra_nakhon),  # routed by the transfer
        (f"{staff} officer1001", phra_nakhon),  # acknowledged on the web: the role and the account
    ]
    shown = " ".join(" ".join(row) for row in timeline(page))
    assert not DISTRICT_CODE.search(shown), shown


@pytest.mark.parametrize(("lang", "chatuchak"), [("th", "จตุจักร"), ("en", "Chatuchak")])
def test_the_place_names_its_district_and_links_to_a_map(
    client: FlaskClient, moved: str, lang: str, chatuchak: str
) -> None:
    sign_in(client, "centre")
    page = client.get(f"/admin/complaints/{moved}?lang={lang}").get_data(as_text=True)
    place = re.search(r'<td data-testid="place">(.*?)</td>', page, re.S)
    assert place, "the complaint page shows no place"
    assert words(place.group(1)).strip().startswith(f"{chatuchak} · ")  # the point's, not Phra Nakhon
    link = re.search(
        r'<a href="([^"]+)" target="_blank" rel="noopener noreferrer" data-testid="map-link">', page
    )
    assert link and html.unescape(link.group(1)) == MAP


def test_no_place_no_map(client: FlaskClient, world: dict[str, str]) -> None:
    sign_in(client, "centre")
    page = client.get(f"/admin/complaints/{world['ours']}").get_data(as_text=True)
    assert 'data-testid="map-link"' not in page and "google.com/maps" not in page


PAGES = {
    "dashboard": lambda code: "/admin/",
    "list": lambda code: "/admin/complaints",
    "complaint": lambda code: f"/admin/complaints/{code}",
}


@pytest.mark.parametrize("name", PAGES)
def test_districts_are_named_in_the_pages_language(client: FlaskClient, moved: str, name: str) -> None:
    sign_in(client, "centre")
    english = words(client.get(PAGES[name](moved), query_string={"lang": "en"}).get_data(as_text=True))
    assert "Chatuchak" in english and "Phra Nakhon" in english
    assert not THAI_NAMES.search(english), THAI_NAMES.findall(english)
    thai = words(client.get(PAGES[name](moved), query_string={"lang": "th"}).get_data(as_text=True))
    assert "จตุจักร" in thai and "พระนคร" in thai
    assert not ENGLISH_NAMES.search(thai), ENGLISH_NAMES.findall(thai)


def test_the_list_filter_offers_every_district_by_its_english_name(client: FlaskClient, moved: str) -> None:
    sign_in(client, "centre")
    page = client.get("/admin/complaints?lang=en").get_data(as_text=True)
    select = re.search(r'<select name="district".*?</select>', page, re.S)
    assert select
    options = dict(re.findall(r'<option value="(\d{4})"[^>]*>([^<]*)</option>', select.group(0)))
    assert options == {code: en for code, _, en in BANGKOK_DISTRICTS}


@pytest.mark.parametrize(("lang", "label"), [("en", "(official Thai form)"), ("th", None)])
def test_the_reports_say_they_are_the_official_thai_form(
    client: FlaskClient, world: dict[str, str], lang: str, label: str | None
) -> None:
    sign_in(client, "centre")
    page = client.get(f"/admin/reports?district=1030&month=2569-10&lang={lang}").get_data(as_text=True)
    marks = re.findall(r'data-testid="(cpl-r00[13])-thai-form">([^<]*)<', page)
    assert marks == ([("cpl-r001", label), ("cpl-r003", label)] if label else [])
    if lang == "en":
        assert "Chatuchak" in page  # the page's own words name the district in English


@pytest.mark.parametrize(("lang", "name"), [("th", "พระนคร"), ("en", "Phra Nakhon")])
def test_the_top_bar_names_a_district_account_s_district(client: FlaskClient, world, lang: str, name: str):
    sign_in(client, "officer1001")
    page = client.get(f"/admin/complaints?lang={lang}").get_data(as_text=True)
    top = re.search(r'<span class="who">(.*?)</span>', page, re.S)
    assert top, "the page has no top bar"
    assert words(top.group(1)).strip().endswith(f"· {name}")
    assert "· 1001" not in words(top.group(1))  # the name, not the code (the user name has it)
