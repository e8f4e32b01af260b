"""In Chromium, the staff web in English names districts in English (dashboard, list filter, complaint
page, transfer form) and its timeline names people and districts; switched to Thai, in Thai."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from bot.services import Services
from models import Complaint
from models.db import transaction
from models.districts import BANGKOK_DISTRICTS
from tests.conftest import LiveServer
from tests.e2e.test_admin_browser import signed_in

pytestmark = pytest.mark.browser
THAI_NAMES = re.compile("|".join(re.escape(th) for _, th, _ in BANGKOK_DISTRICTS))
DISTRICT_CODE = re.compile(r"\b10[0-5][0-9]\b")


def test_an_english_reader_transfers_a_complaint_and_reads_its_timeline(
    browser: Browser, live_server: LiveServer, services: Services, world: dict[str, str]
) -> None:
    with transaction(services.sessions) as session:  # the world's Chatuchak complaint, at a point
        ours = session.scalar(select(Complaint).where(Complaint.tracking_code == world["ours"]))
        ours.latitude, ours.longitude = 13.8040, 100.5530
    page = signed_in(browser, live_server, "centre")
    page.get_by_test_id("language").click()  # to English
    districts = page.get_by_test_id("districts")
    expect(districts).to_contain_text("Chatuchak")
    assert not THAI_NAMES.search(districts.inner_text())

    page.get_by_role("link", name="Complaints", exact=True).click()
    page.get_by_label("District").select_option(label="Chatuchak")
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_test_id("complaints").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Chatuchak")
    assert not THAI_NAMES.search(page.locator("form.filters").inner_text())

    page.get_by_role("link", name=world["ours"]).click()
    place = page.get_by_test_id("place")
    expect(place).to_contain_text("Chatuchak · Open the map (13.80400, 100.55300)")
    link = page.get_by_test_id("map-link")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute(
        "href", "https://www.google.com/maps/search/?api=1&query=13.804000,100.553000"
    )
    transfer = page.get_by_test_id("transfer-form")
    transfer.get_by_label("Transfer to").select_option(label="Phra Nakhon")
    transfer.get_by_label("Reason").fill("Across the canal")
    transfer.get_by_role("button", name="Transfer", exact=True).click()
    expect(page.get_by_text("Transferred; the citizen is told on LINE")).to_be_visible()

    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("from Chatuchak to Phra Nakhon")
    expect(timeline).to_contain_text("Centre staff")
    assert not DISTRICT_CODE.search(timeline.inner_text()) and not THAI_NAMES.search(timeline.inner_text())
    expect(place).to_contain_text("Chatuchak ·")  # the point did not move with the complaint

    page.get_by_test_id("language").click()  # back to Thai, on the same page
    expect(timeline).to_contain_text("จากจตุจักร ไปพระนคร")
    expect(timeline).to_contain_text("เจ้าหน้าที่ส่วนกลาง")
    expect(place).to_contain_text("จตุจักร · ดูแผนที่")
