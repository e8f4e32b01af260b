"""The rich menus' content and images (bot/rich_menus.py): LINE's limits, the words each tap sends, the
Thai labels really drawn (not empty boxes), the same bytes for the same menu."""

from __future__ import annotations

import dataclasses
import io

import pytest
from linebot.v3.messaging import RichMenuRequest
from PIL import Image, ImageChops, ImageDraw

from bot.rich_menus import (
    FONT_BOLD,
    MAX_IMAGE_BYTES,
    Menu,
    _font,
    content_hash,
    draw,
    menus,
    problems,
)
from bot.settings import settings_from_env
from texts import keyword


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("menus")
    return settings_from_env(
        {"DATABASE_URL": f"sqlite:///{folder}/x.sqlite3", "PHOTO_DIR": str(folder / "photos"), "PORT": "8123"}
    )


@pytest.fixture(scope="module")
def built(settings) -> dict[str, tuple[Menu, bytes]]:  # type: ignore[no-untyped-def]
    return {menu.role: (menu, draw(menu)) for menu in menus(settings)}


def test_each_menu_is_within_lines_limits(built):
    for menu, _image in built.values():
        body = menu.line_json()
        assert problems(menu) == []
        RichMenuRequest.from_dict(body)  # the SDK's model of LINE's create call accepts it
        assert body["size"] == {"width": 2500, "height": menu.height} and menu.height in (1686, 843)
        assert 1 <= len(body["areas"]) <= 20
        assert 1 <= len(body["chatBarText"]) <= 14
        covered = 0
        for area in body["areas"]:
            b = area["bounds"]
            assert b["x"] >= 0 and b["y"] >= 0 and b["width"] > 0 and b["height"] > 0
            assert b["x"] + b["width"] <= 2500 and b["y"] + b["height"] <= menu.height
            covered += b["width"] * b["height"]
        assert covered == 2500 * menu.height  # edge to edge: no dead pixel, no overlap


def test_a_menu_breaking_a_limit_is_caught_before_line_sees_it(built):
    menu, _ = built["citizen"]
    too_long = dataclasses.replace(menu, chat_bar_text="เมนูสำหรับประชาชนทุกคน")
    outside = dataclasses.replace(menu, areas=(dataclasses.replace(menu.areas[0], x=2400),))
    assert any("chatBarText" in p for p in problems(too_long))
    assert any("outside" in p for p in problems(outside))


def test_each_tap_sends_what_the_bot_already_understands(built, settings):
    citizen, _ = built["citizen"]
    officer, _ = built["officer"]
    citizen_actions = [a.action for a in citizen.areas]
    typed = [keyword(a["text"]) for a in citizen_actions if a["type"] == "message"]
    assert typed == ["start", "track", "help", "my_data"]
    (place,) = [a for a in citizen_actions if a["type"] == "uri"]
    assert place["uri"] == f"{settings.public_base_url}/map"
    assert [keyword(a.action["text"]) for a in officer.areas] == ["worklist", "new_complaints", "help"]
    assert [a.title for a in citizen.areas] == ["แจ้งเรื่อง", "ติดตามเรื่อง", "แผนที่", "วิธีใช้", "ข้อมูลของฉัน"]
    assert [a.title for a in officer.areas] == ["ติดตามงาน", "เรื่องใหม่", "วิธีใช้"]


def test_without_a_public_address_the_map_gives_way_to_the_privacy_notice(settings):
    citizen, _officer = menus(dataclasses.replace(settings, public_base_url=None))
    assert all(a.action["type"] == "message" for a in citizen.areas)
    assert keyword(citizen.areas[2].action["text"]) == "privacy_notice"


def test_images_are_png_of_the_menu_size_under_one_megabyte(built):
    for menu, image in built.values():
        assert len(image) < MAX_IMAGE_BYTES
        with Image.open(io.BytesIO(image)) as picture:
            assert picture.format == "PNG"
            assert picture.size == (menu.width, menu.height)


def test_the_same_menu_gives_the_same_bytes_and_hash(settings, built):
    for menu in menus(settings):
        again = draw(menu)
        assert again == built[menu.role][1]
        assert content_hash(menu, again) == content_hash(*built[menu.role])
    citizen, image = built["citizen"]
    other = dataclasses.replace(citizen, chat_bar_text="เมนูหลัก")
    assert content_hash(other, image) != content_hash(citizen, image)  # the JSON counts, not the image alone


def test_thai_labels_are_drawn_with_real_glyphs_in_each_tile(built):
    font = _font(FONT_BOLD, 120)

    def glyph(ch: str) -> bytes:
        canvas = Image.new("L", (200, 200))
        ImageDraw.Draw(canvas).text((20, 20), ch, font=font, fill=255)
        return canvas.tobytes()

    missing = glyph("\ue000")  # a private-use character: the font's empty box (.notdef)
    for menu, image in built.values():
        with Image.open(io.BytesIO(image)) as picture:
            rgb = picture.convert("RGB")
            for area in menu.areas:
                for ch in sorted({c for c in area.title if "\u0e01" <= c <= "\u0e2e"}):  # Thai consonants
                    assert glyph(ch) != missing and any(glyph(ch)), ch
                # The lower half of each tile (title and line under it) carries white ink on the tile colour.
                band = rgb.crop(
                    (
                        area.x + 40,
                        area.y + area.height // 2,
                        area.x + area.width - 40,
                        area.y + area.height - 40,
                    )
                )
                white = band.convert("L").histogram()[255]
                assert white > 5000, (menu.role, area.title, white)
    # Different titles make different ink: the text is really drawn, not a placeholder.
    menu, image = built["officer"]
    with Image.open(io.BytesIO(image)) as picture:
        tiles = [picture.crop((a.x, a.y + a.height // 2, a.x + 800, a.y + a.height)) for a in menu.areas[:2]]
        assert ImageChops.difference(tiles[0].convert("L"), tiles[1].convert("L")).getbbox() is not None
