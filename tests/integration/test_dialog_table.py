"""The dialog table itself, signed buttons, the category → section table, photo links and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.jobs import expire_drafts_once
from handlers.context import HandlerContext
from handlers.dialog import SAME, DialogTable, Received, Step, Turn, UndeclaredTransition, dialog_for
from handlers.signing import photo_token
from models import Citizen, Dialog, OutboxMessage, Photo
from models.db import transaction
from models.districts import DistrictLocator
from models.sections import DEFAULT_KEY, ensure_sections, remove_section, section_for, set_section

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_landing_where_the_table_does_not_say_is_a_bug_not_a_silent_jump(session_ctx):
    table = DialogTable(
        kind="t",
        states=("idle", "a"),
        steps={("idle", "go"): Step(lambda t: "b", ("a",))},
        prompts={},
        fallback=Step(lambda t: t.state, (SAME,)),
        idle_timeout=timedelta(minutes=1),
    )
    ctx, dialog = session_ctx
    turn = Turn(ctx=ctx, user_id="U1", lang="th", dialog=dialog, got=Received("go"))
    with pytest.raises(UndeclaredTransition, match="idle --go--> b"):
        table.run(turn)


@pytest.fixture
def session_ctx(services):  # type: ignore[no-untyped-def]
    with transaction(services.sessions) as session:
        ctx = HandlerContext(session=session, at=NOW, photo_dir=Path("."), locator=DistrictLocator([]))
        yield ctx, dialog_for(session, "U1", "test", NOW)


# ---- sections -----------------------------------------------------------------------------------


def test_each_category_goes_to_its_section_and_anything_else_to_the_default(services):
    with transaction(services.sessions) as session:
        assert ensure_sections(session, NOW) == 0  # the fixtures wrote the defaults already
        assert section_for(session, "ถนน") == "ฝ่ายโยธา"
        assert section_for(session, "ความสะอาด") == "ฝ่ายรักษาความสะอาดและสวนสาธารณะ"
        assert section_for(session, "กีดขวาง") == "ฝ่ายเทศกิจ"
        assert section_for(session, "อื่น ๆ") == section_for(session, DEFAULT_KEY) == "ฝ่ายปกครอง"
        assert section_for(session, None) == "ฝ่ายปกครอง"
        set_section(session, "ต้นไม้", "ฝ่ายโยธา", NOW)
        set_section(session, DEFAULT_KEY, "ฝ่ายทะเบียน", NOW)
        assert section_for(session, "ต้นไม้") == "ฝ่ายโยธา"
        assert section_for(session, "อื่น ๆ") == "ฝ่ายทะเบียน"
        assert remove_section(session, "ต้นไม้") is True
        assert section_for(session, "ต้นไม้") == "ฝ่ายทะเบียน"
        with pytest.raises(ValueError):
            remove_section(session, DEFAULT_KEY)
        assert ensure_sections(session, NOW) == 0  # never over an admin's table


# ---- photo links --------------------------------------------------------------------------------


def test_card_photos_are_served_only_with_their_token(client, services):
    photo_dir = services.settings.photo_dir
    (photo_dir / "2026").mkdir(parents=True, exist_ok=True)
    (photo_dir / "2026" / "a.png").write_bytes(b"\x89PNG fake")
    with transaction(services.sessions) as session:
        photo = Photo(
            path="2026/a.png", content_type="image/png", size_bytes=9, sha256="0" * 64, created_at=NOW
        )
        session.add(photo)
        session.flush()
        photo_id = photo.id
    token = photo_token(services.settings.secret_key.encode(), photo_id)
    ok = client.get(f"/media/photos/{photo_id}/{token}")
    assert ok.status_code == 200 and ok.data == b"\x89PNG fake" and ok.mimetype == "image/png"
    assert client.get(f"/media/photos/{photo_id}/{'0' * len(token)}").status_code == 404
    assert client.get(f"/media/photos/{photo_id + 1}/{token}").status_code == 404


# ---- expiry sweep -------------------------------------------------------------------------------


def test_the_sweep_cancels_idle_drafts_and_queues_one_message_each(services):
    with transaction(services.sessions) as session:
        session.add(Citizen(line_user_id="Uidle", created_at=NOW, updated_at=NOW, language="th"))
        for user, idle_for in (("Uidle", 31), ("Ubusy", 29)):
            dialog = dialog_for(session, user, "citizen", NOW)
            dialog.state, dialog.draft_no = "describe", 1
            dialog.data = {"rev": 1, "photo_ids": []}
            dialog.expires_at = NOW - timedelta(minutes=idle_for - 30)
    assert expire_drafts_once(services.sessions, NOW) == 1
    assert expire_drafts_once(services.sessions, NOW) == 0  # nothing twice
    with transaction(services.sessions) as session:
        states = {user: state for user, state in session.execute(select(Dialog.line_user_id, Dialog.state))}
        (push,) = session.scalars(select(OutboxMessage))
        assert states == {"Uidle": "idle", "Ubusy": "describe"}
        assert push.to == "Uidle" and push.reply_token is None and "30 นาที" in push.messages
