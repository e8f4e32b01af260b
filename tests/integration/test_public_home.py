"""`/` (both databases): look up a code, how to file, this month's figures, the way to the open data."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.app import create_app
from bot.services import Services
from bot.settings import ConfigError
from models import Complaint
from models.clock import clock
from models.db import transaction
from tests.citizen_chat import BANGKOK
from tests.complaint_actions_common import act
from tests.conftest import make_settings
from tests.integration.test_open_data import phoned_in

FRIEND = "https://line.me/R/ti/p/@rongtook"


def figures_of(page: str) -> list[str]:
    block = page.split('data-testid="figures"', 1)[1].split("</dl>", 1)[0]
    return [part.split("</dd>", 1)[0].strip() for part in block.split("<dd>")[1:]]


def test_home_counts_this_months_complaints(client: FlaskClient, services) -> None:  # type: ignore[no-untyped-def]
    before = phoned_in(
        services, datetime(2026, 11, 30, 16, tzinfo=BANGKOK), "ถนน"
    )  # November: not this month
    on_time = phoned_in(services, datetime(2026, 12, 1, 9, tzinfo=BANGKOK), "แสงสว่าง")  # Tue: due Wed
    late = phoned_in(services, datetime(2026, 12, 1, 10, tzinfo=BANGKOK), "ถนน")
    never = phoned_in(services, datetime(2026, 12, 2, 9, tzinfo=BANGKOK), "ถนน")  # due Thu, not acknowledged
    with transaction(services.sessions) as session:
        rows = {c.tracking_code: c for c in session.scalars(select(Complaint))}
        act(session, "acknowledge", rows[on_time], at=datetime(2026, 12, 1, 15, tzinfo=BANGKOK))
        act(session, "resolve", rows[on_time], at=datetime(2026, 12, 2, 15, tzinfo=BANGKOK), text="ซ่อมแล้ว")
        act(session, "acknowledge", rows[late], at=datetime(2026, 12, 4, 9, tzinfo=BANGKOK))
    assert before and never
    clock.freeze(datetime(2026, 12, 7, 9, tzinfo=BANGKOK))
    page = client.get("/").get_data(as_text=True)
    assert "ธันวาคม 2569" in page
    # received 3 this month; 1 resolved; 1 of 3 due acknowledged on time; open: November's, late's, never's
    assert figures_of(page) == ["3", "1", "33 %", "3"]
    assert 'action="/c"' in page and "/open-data" in page
    assert "ค้นหาบัญชี LINE" in page  # no add-friend link set
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Figures for December 2026" in english and "Add friend" not in english


def test_home_without_complaints_says_so_plainly(client: FlaskClient) -> None:
    clock.freeze(datetime(2026, 12, 7, 9, tzinfo=BANGKOK))
    assert figures_of(client.get("/").get_data(as_text=True)) == ["0", "0", "–", "0"]


def test_the_line_account_is_a_link_and_a_qr_code(db_url: str, tmp_path: Path) -> None:
    services = Services.from_settings(make_settings(db_url, tmp_path, LINE_ADD_FRIEND_URL=FRIEND))
    try:
        page = create_app(services=services).test_client().get("/").get_data(as_text=True)
    finally:
        services.engine.dispose()
    assert f'href="{FRIEND}"' in page and "เพิ่มเพื่อนใน LINE" in page
    assert "<svg" in page and "<?xml" not in page and 'aria-label="คิวอาร์โค้ด' in page


def test_an_add_friend_link_must_be_https(db_url: str, tmp_path: Path) -> None:
    for bad in ("http://line.me/R/ti/p/@x", "line.me/R/ti/p/@x", "javascript:alert(1)"):
        with pytest.raises(ConfigError, match="LINE_ADD_FRIEND_URL"):
            make_settings(db_url, tmp_path, LINE_ADD_FRIEND_URL=bad)
    assert dataclasses.asdict(make_settings(db_url, tmp_path))["line_add_friend_url"] is None
