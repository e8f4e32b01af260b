"""The rich menus, one per role: what they say, how they look, how they reach LINE (issue 18 point 1).

- `menus(settings)`: the citizen menu (แจ้งเรื่อง, ติดตามเรื่อง, the public map, วิธีใช้, ข้อมูลของฉัน) and the
  officer menu (ติดตามงาน, เรื่องใหม่, วิธีใช้). Each area sends the words the bot already understands
  (texts.th.KEYWORDS), as if typed, or opens the public site: the menu adds no new command to the dialogs.
- `draw(menu)`: the image, drawn with Pillow in a Thai font of Debian's fonts-thai-tlwg; the same menu gives
  the same bytes, so its hash only changes when the menu does.
- `upload_menus(...)`: run by `rongtook release`. A menu whose hash (JSON and image) is the one uploaded last
  is left alone; a changed one is created, given its image, made the default (citizens) or linked to every
  linked officer (officers), and only then is the old one deleted. LINE refusing (a bad image, the quota,
  5xx, no network) fails that menu alone: release says which and why and goes on.
- `settle_links(...)`: the per-user changes handlers asked for (models.rich_menus.want_menu), made by the
  worker outside any transaction; `settle_in_background` is the worker's one call.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont, features
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler

from bot.line_gateway import LineCallError
from bot.services import Services
from bot.settings import SANDBOX_API_PATH, Settings
from models import Officer
from models.clock import clock
from models.db import transaction
from models.rich_menus import (
    CITIZEN,
    MAX_LINK_ATTEMPTS,
    OFFICER,
    RichMenu,
    RichMenuLink,
    due_links,
    retry_delay,
    want_menu,
)
from texts import say
from texts.th import KEYWORDS

log = logging.getLogger(__name__)

WIDTH = 2500
FULL_HEIGHT, HALF_HEIGHT = 1686, 843  # LINE's two large sizes
MAX_AREAS = 20
MAX_CHAT_BAR_CHARS = 14
MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_TYPE = "image/png"
FONT_DIRS = (Path("/usr/share/fonts/truetype/tlwg"), Path("/usr/share/fonts/opentype/tlwg"))
FONT_BOLD, FONT_REGULAR = "Loma-Bold.ttf", "Loma.ttf"

BACKGROUND = (246, 247, 249)
WHITE = (255, 255, 255)
# Tile colours dark enough for white text (contrast ≥ 7:1 against white).
GREEN, BLUE, TEAL, PURPLE, SLATE, BROWN, RED = (
    (0, 102, 68),
    (22, 72, 140),
    (0, 96, 110),
    (88, 52, 140),
    (52, 64, 84),
    (120, 60, 20),
    (160, 30, 40),
)


# ---- what the menus are ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    x: int
    y: int
    width: int
    height: int
    title: str
    subtitle: str
    icon: str  # a name in ICONS
    colour: tuple[int, int, int]
    action: dict[str, str]


@dataclass(frozen=True)
class Menu:
    role: str
    name: str
    chat_bar_text: str
    height: int
    areas: tuple[Area, ...]
    width: int = WIDTH

    def line_json(self) -> dict[str, Any]:
        """The rich menu object as LINE's create call takes it."""
        return {
            "size": {"width": self.width, "height": self.height},
            "selected": True,  # open under the chat at first: people find the buttons without looking
            "name": self.name,
            "chatBarText": self.chat_bar_text,
            "areas": [
                {"bounds": {"x": a.x, "y": a.y, "width": a.width, "height": a.height}, "action": a.action}
                for a in self.areas
            ],
        }


def _say(label: str, words: str) -> dict[str, str]:
    """A message action: the tap sends `words` as the user's text, exactly what typing them would do."""
    return {"type": "message", "label": label[:20], "text": words}


def _grid(
    cells: list[tuple[str, str, str, tuple[int, int, int], dict[str, str]]], rows: list[int], height: int
) -> tuple[Area, ...]:
    """Areas in rows (how many cells each row has), edge to edge: every pixel of the menu is a button."""
    areas, index, top = [], 0, 0
    row_height = height // len(rows)
    for n, count in enumerate(rows):
        this_height = height - top if n == len(rows) - 1 else row_height
        left = 0
        for k in range(count):
            this_width = WIDTH - left if k == count - 1 else WIDTH // count
            title, subtitle, icon, colour, action = cells[index]
            areas.append(Area(left, top, this_width, this_height, title, subtitle, icon, colour, action))
            left += this_width
            index += 1
        top += this_height
    return tuple(areas)


def menus(settings: Settings) -> tuple[Menu, Menu]:
    """The citizen menu (LINE's default) and the officer menu."""
    if settings.public_base_url:  # the public map; without a public address, the privacy notice instead
        place = (
            say("menu_map"),
            say("menu_map_sub"),
            "map",
            TEAL,
            {"type": "uri", "label": say("menu_map")[:20], "uri": f"{settings.public_base_url}/map"},
        )
    else:
        words = KEYWORDS["privacy_notice"][0]
        place = (say("menu_privacy"), say("menu_privacy_sub"), "shield", TEAL, _say(words, words))
    citizen_cells = [
        (say("menu_report"), say("menu_report_sub"), "report", GREEN, _say(*[KEYWORDS["start"][0]] * 2)),
        (say("menu_track"), say("menu_track_sub"), "track", BLUE, _say(*[KEYWORDS["track"][0]] * 2)),
        place,
        (say("menu_help"), say("menu_help_sub"), "help", SLATE, _say(*[KEYWORDS["help"][0]] * 2)),
        (say("menu_my_data"), say("menu_my_data_sub"), "person", PURPLE, _say(*[KEYWORDS["my_data"][0]] * 2)),
    ]
    officer_cells = [
        (say("menu_worklist"), say("menu_worklist_sub"), "list", BROWN, _say(*[KEYWORDS["worklist"][0]] * 2)),
        (say("menu_new"), say("menu_new_sub"), "star", RED, _say(*[KEYWORDS["new_complaints"][0]] * 2)),
        (say("menu_help"), say("menu_officer_help_sub"), "help", SLATE, _say(*[KEYWORDS["help"][0]] * 2)),
    ]
    return (
        Menu(
            CITIZEN,
            "rongtook-citizen",
            say("menu_bar"),
            FULL_HEIGHT,
            _grid(citizen_cells, [2, 3], FULL_HEIGHT),
        ),
        Menu(
            OFFICER,
            "rongtook-officer",
            say("menu_bar_officer"),
            HALF_HEIGHT,
            _grid(officer_cells, [3], HALF_HEIGHT),
        ),
    )


def problems(menu: Menu) -> list[str]:
    """What LINE would refuse in this menu (its documented limits); empty when it is fine."""
    found = []
    if menu.width != WIDTH or menu.height not in (FULL_HEIGHT, HALF_HEIGHT):
        found.append(f"size {menu.width}×{menu.height} is not one of LINE's large sizes")
    if not 1 <= len(menu.areas) <= MAX_AREAS:
        found.append(f"{len(menu.areas)} areas (1–{MAX_AREAS})")
    if not 1 <= len(menu.chat_bar_text) <= MAX_CHAT_BAR_CHARS:
        found.append(f"chatBarText has {len(menu.chat_bar_text)} characters (at most {MAX_CHAT_BAR_CHARS})")
    if len(menu.name) > 300:
        found.append("name longer than 300 characters")
    for a in menu.areas:
        if a.x < 0 or a.y < 0 or a.width <= 0 or a.height <= 0:
            found.append(f"area {a.title}: empty or negative bounds")
        if a.x + a.width > menu.width or a.y + a.height > menu.height:
            found.append(f"area {a.title}: outside the menu")
        if len(a.action.get("label", "")) > 20 or len(a.action.get("text", "")) > 300:
            found.append(f"area {a.title}: label or text too long")
    return found


# ---- how they look ---------------------------------------------------------------------------------


def font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"Thai font {name} not found in {', '.join(map(str, FONT_DIRS))}: install fonts-thai-tlwg"
    )


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    # Raqm places Thai vowels and tone marks properly; the basic layout is the fallback without it.
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(font_path(name)), size, layout_engine=layout)


def draw(menu: Menu) -> bytes:
    """The menu's PNG: a coloured tile per area, an icon, a title and a line under it (all Thai)."""
    image = Image.new("RGB", (menu.width, menu.height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    scale = menu.height / len({a.y for a in menu.areas}) / FULL_HEIGHT * 2  # 1.0 for an 843-px row
    title_font = _font(FONT_BOLD, round(120 * scale))
    sub_font = _font(FONT_REGULAR, round(64 * scale))
    gap = 14
    for area in menu.areas:
        box = (area.x + gap, area.y + gap, area.x + area.width - gap, area.y + area.height - gap)
        pen.rounded_rectangle(box, radius=48, fill=area.colour)
        cx = area.x + area.width // 2
        icon_size = round(230 * scale)
        icon_top = area.y + round(area.height * 0.14)
        ICONS[area.icon](pen, cx, icon_top + icon_size // 2, icon_size, area.colour)
        title_y = icon_top + icon_size + round(60 * scale)
        _centred(pen, cx, title_y, area.title, title_font, area.width - 4 * gap)
        _centred(pen, cx, title_y + round(175 * scale), area.subtitle, sub_font, area.width - 4 * gap)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)  # no metadata, no time: the same menu, the same bytes
    return out.getvalue()


def _centred(
    pen: ImageDraw.ImageDraw, cx: int, top: int, text: str, font: ImageFont.FreeTypeFont, room: int
) -> None:
    size = font.size
    while size > 20 and pen.textlength(text, font=font) > room:  # a long label shrinks to fit its tile
        size -= 4
        font = font.font_variant(size=size)
    pen.text((cx, top), text, font=font, fill=WHITE, anchor="ma")


def _circle(pen: ImageDraw.ImageDraw, cx: int, cy: int, r: int, **style: Any) -> None:
    pen.ellipse((cx - r, cy - r, cx + r, cy + r), **style)


def _icon_report(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A speech bubble with a plus: tell us something new."""
    h = s // 2
    pen.rounded_rectangle((cx - h, cy - h, cx + h, cy + h * 6 // 10), radius=s // 6, fill=WHITE)
    pen.polygon([(cx - h // 2, cy + h * 5 // 10), (cx - h // 2, cy + h), (cx, cy + h * 5 // 10)], fill=WHITE)
    t, arm = s // 14, s // 4
    pen.rectangle((cx - arm, cy - h // 5 - t, cx + arm, cy - h // 5 + t), fill=bg)
    pen.rectangle((cx - t, cy - h // 5 - arm, cx + t, cy - h // 5 + arm), fill=bg)


def _icon_track(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A magnifying glass."""
    r = s * 3 // 10
    ox, oy = cx - s // 10, cy - s // 10
    _circle(pen, ox, oy, r, outline=WHITE, width=s // 12)
    d = round(r / math.sqrt(2))
    pen.line((ox + d, oy + d, cx + s // 2, cy + s // 2), fill=WHITE, width=s // 9)


def _icon_map(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A map pin."""
    r = s * 3 // 10
    top = cy - s // 5
    _circle(pen, cx, top, r, fill=WHITE)
    pen.polygon(
        [(cx - r * 9 // 10, top + r // 3), (cx + r * 9 // 10, top + r // 3), (cx, cy + s // 2)], fill=WHITE
    )
    _circle(pen, cx, top, r * 4 // 10, fill=bg)


def _icon_help(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A question mark in a ring."""
    _circle(pen, cx, cy, s // 2, outline=WHITE, width=s // 14)
    pen.text((cx, cy), "?", font=_font(FONT_BOLD, s * 7 // 10), fill=WHITE, anchor="mm")


def _icon_person(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A person: my own data."""
    _circle(pen, cx, cy - s // 5, s // 5, fill=WHITE)
    pen.pieslice((cx - s * 4 // 10, cy + s // 20, cx + s * 4 // 10, cy + s * 8 // 10), 180, 360, fill=WHITE)


def _icon_shield(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A shield: privacy."""
    h = s // 2
    pen.polygon(
        [
            (cx, cy - h),
            (cx + h * 8 // 10, cy - h * 6 // 10),
            (cx + h * 7 // 10, cy + h // 5),
            (cx, cy + h),
            (cx - h * 7 // 10, cy + h // 5),
            (cx - h * 8 // 10, cy - h * 6 // 10),
        ],
        fill=WHITE,
    )


def _icon_list(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A clipboard of lines: the worklist."""
    h = s // 2
    pen.rounded_rectangle((cx - h * 8 // 10, cy - h, cx + h * 8 // 10, cy + h), radius=s // 12, fill=WHITE)
    for k in range(3):
        y = cy - h // 2 + k * h // 2
        _circle(pen, cx - h * 45 // 100, y, s // 22, fill=bg)
        pen.rectangle((cx - h // 4, y - s // 40, cx + h * 6 // 10, y + s // 40), fill=bg)


def _icon_star(pen: ImageDraw.ImageDraw, cx: int, cy: int, s: int, bg: tuple[int, int, int]) -> None:
    """A star: something new."""
    outer, inner = s // 2, s // 5
    points = [
        (
            round(cx + (outer if k % 2 == 0 else inner) * math.sin(k * math.pi / 5)),
            round(cy - (outer if k % 2 == 0 else inner) * math.cos(k * math.pi / 5)),
        )
        for k in range(10)
    ]
    pen.polygon(points, fill=WHITE)


ICONS: dict[str, Callable[[ImageDraw.ImageDraw, int, int, int, tuple[int, int, int]], None]] = {
    "report": _icon_report,
    "track": _icon_track,
    "map": _icon_map,
    "help": _icon_help,
    "person": _icon_person,
    "shield": _icon_shield,
    "list": _icon_list,
    "star": _icon_star,
}


def content_hash(menu: Menu, image: bytes) -> str:
    text = json.dumps(menu.line_json(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8") + b"\0" + image).hexdigest()


# ---- to LINE ---------------------------------------------------------------------------------------


class RichMenuGateway(Protocol):
    def create_rich_menu(self, menu: dict[str, Any]) -> str: ...
    def upload_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str) -> None: ...
    def set_default_rich_menu(self, rich_menu_id: str) -> None: ...
    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None: ...
    def unlink_rich_menu(self, user_id: str) -> None: ...
    def delete_rich_menu(self, rich_menu_id: str) -> None: ...


@dataclass
class Outcome:
    role: str
    result: str  # unchanged | uploaded | failed
    detail: str = ""
    menu_id: str | None = None

    def line(self) -> str:
        what = {"unchanged": "unchanged, not uploaded again", "uploaded": "uploaded", "failed": "FAILED"}
        tail = f" ({self.detail})" if self.detail else ""
        return f"rich menu {self.role}: {what[self.result]}{tail}"


def upload_menus(services: Services, gateway: RichMenuGateway) -> list[Outcome]:
    """Upload each menu that changed since the last release; a failure stops that menu only."""
    outcomes = []
    try:
        built = menus(services.settings)
    except KeyError as exc:  # a text key missing: a programming error, but never a failed deployment
        return [Outcome(role, "failed", f"menu text missing: {exc}") for role in (CITIZEN, OFFICER)]
    for menu in built:
        try:
            outcome = _upload(services, gateway, menu)
        except LineCallError as exc:
            outcome = Outcome(menu.role, "failed", str(exc))  # "LINE 429: …", "LINE unreachable: …"
        except (OSError, ValueError) as exc:  # no Thai font, an image or JSON LINE's model refuses
            outcome = Outcome(menu.role, "failed", f"{type(exc).__name__}: {exc}")
        if outcome.result == "failed":
            log.error("rich menu %s not uploaded: %s", menu.role, outcome.detail)
        else:
            log.info("rich menu %s: %s %s", menu.role, outcome.result, outcome.menu_id)
        outcomes.append(outcome)
    return outcomes


def _upload(services: Services, gateway: RichMenuGateway, menu: Menu) -> Outcome:
    found = problems(menu)
    if found:
        return Outcome(menu.role, "failed", "; ".join(found))
    image = draw(menu)
    if len(image) > MAX_IMAGE_BYTES:
        return Outcome(menu.role, "failed", f"image of {len(image)} bytes is over LINE's 1 MB")
    digest = content_hash(menu, image)
    with transaction(services.sessions) as session:
        row = session.get(RichMenu, menu.role)
        old_id, old_hash = (row.line_menu_id, row.content_hash) if row else (None, None)
    if old_hash == digest:
        return Outcome(menu.role, "unchanged", menu_id=old_id)
    new_id = gateway.create_rich_menu(menu.line_json())
    relinked: list[str] = []
    try:
        gateway.upload_rich_menu_image(new_id, image, IMAGE_TYPE)
        if menu.role == CITIZEN:
            gateway.set_default_rich_menu(new_id)
        else:
            relinked = _link_officers(services, gateway, new_id)
    except LineCallError:
        with contextlib.suppress(LineCallError):  # not left half-made at LINE (it counts against 1,000)
            gateway.delete_rich_menu(new_id)
        raise
    now = clock.now()
    with transaction(services.sessions) as session:
        row = session.get(RichMenu, menu.role)
        if row is None:
            session.add(RichMenu(role=menu.role, line_menu_id=new_id, content_hash=digest, uploaded_at=now))
        else:
            row.line_menu_id, row.content_hash, row.uploaded_at = new_id, digest, now
    detail = f"{len(relinked)} officers linked" if menu.role == OFFICER else "set as the default"
    if old_id and old_id != new_id:
        try:  # only now: its users have the new one
            gateway.delete_rich_menu(old_id)
            detail += f"; old menu {old_id} deleted"
        except LineCallError as exc:
            detail += f"; old menu {old_id} not deleted ({exc})"
            log.warning("rich menu %s: the old menu %s was not deleted: %s", menu.role, old_id, exc)
    return Outcome(menu.role, "uploaded", detail, new_id)


def _link_officers(services: Services, gateway: RichMenuGateway, menu_id: str) -> list[str]:
    """Link the new officer menu to every linked, active officer; one LINE cannot reach is retried later."""
    with transaction(services.sessions) as session:
        users = list(
            session.scalars(
                select(Officer.line_user_id)
                .where(Officer.line_user_id.is_not(None), Officer.active.is_(True))
                .order_by(Officer.line_user_id)
            )
        )
    linked = []
    for user_id in users:
        try:
            gateway.link_rich_menu(user_id, menu_id)
            linked.append(user_id)
        except LineCallError as exc:
            if exc.status == 429 or exc.status is None:
                raise  # the quota or the network: the whole menu waits for the next release
            log.warning("rich menu: officer %s not linked (%s); the worker retries", user_id, exc)
            with transaction(services.sessions) as session:
                want_menu(session, user_id, OFFICER, clock.now())
    return linked


# ---- per user, by the worker -------------------------------------------------------------------------


def settle_links(services: Services, gateway: RichMenuGateway, limit: int = 50) -> int:
    """Make the per-user menu changes that are due; returns how many LINE took. Never inside a transaction."""
    now = clock.now()
    with transaction(services.sessions) as session:
        due = [(r.line_user_id, r.role, r.requested_at, r.attempts) for r in due_links(session, now, limit)]
        if not due:
            return 0
        ids = {
            role: menu_id for role, menu_id in session.execute(select(RichMenu.role, RichMenu.line_menu_id))
        }
    done = 0
    for user_id, role, requested_at, attempts in due:
        error: LineCallError | None = None
        try:
            if role == OFFICER:
                if OFFICER not in ids:
                    raise LineCallError(None, "no officer menu uploaded yet (run rongtook release)")
                gateway.link_rich_menu(user_id, ids[OFFICER])
            else:
                gateway.unlink_rich_menu(user_id)  # the default (citizen) menu shows again
        except LineCallError as exc:
            error = exc
        with transaction(services.sessions) as session:
            row = session.get(RichMenuLink, user_id)
            if row is None or row.requested_at != requested_at:
                continue  # a newer wish came meanwhile: it has its own turn
            if error is None:
                session.delete(row)
                done += 1
            elif error.retryable and attempts + 1 < MAX_LINK_ATTEMPTS:
                row.attempts = attempts + 1
                row.next_try_at = clock.now() + retry_delay(row.attempts)
                row.last_error = str(error)[:300]
            else:
                log.warning("rich menu for %s (%s) given up: %s", user_id, role, error)
                session.delete(row)
    return done


@dataclass
class _Settler:
    last_run: float = 0.0
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_SETTLERS: dict[int, _Settler] = {}
_SETTLERS_LOCK = threading.Lock()
SETTLE_EVERY_S = 2.0


def settle_in_background(services: Services, gateway: RichMenuGateway) -> None:
    """The worker loop's call: at most every 2 s, settle due links in a thread of their own (never blocking
    the chats; one such thread per service at a time)."""
    with _SETTLERS_LOCK:
        settler = _SETTLERS.setdefault(id(services), _Settler())
    now = time.monotonic()
    with settler.lock:
        if now - settler.last_run < SETTLE_EVERY_S or (settler.thread and settler.thread.is_alive()):
            return
        settler.last_run = now
        settler.thread = threading.Thread(
            target=_settle_logged, args=(services, gateway), name="rongtook-rich-menus", daemon=True
        )
        settler.thread.start()


def _settle_logged(services: Services, gateway: RichMenuGateway) -> None:
    try:
        settle_links(services, gateway)
    except Exception:  # the database away, say: the next round tries again
        log.exception("rich menu links: this round failed")


# ---- the gateway release uses ------------------------------------------------------------------------


def serves_its_own_fake_line(settings: Settings) -> bool:
    """The sandbox's LINE is this app's /sandbox/line (no LINE_API_BASE_URL given)."""
    own = f"http://127.0.0.1:{settings.port}{SANDBOX_API_PATH}"
    return settings.sandbox and settings.line_api_base_url == own


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # release prints what it did; the stand-in's access log would only bury it


@contextlib.contextmanager
def release_gateway(services: Services) -> Iterator[Any]:
    """A gateway to LINE for release. In the sandbox, whose fake LINE is part of the web app that is not
    running yet, the fake LINE is served on a loopback port for the moment release needs it."""
    from bot.line_gateway import LineGateway

    settings = services.settings
    if not serves_its_own_fake_line(settings):
        gateway = LineGateway(settings.line_channel_access_token, settings.line_api_base_url, 1)
        try:
            yield gateway
        finally:
            gateway.close()
        return
    from flask import Flask
    from werkzeug.serving import make_server

    from bot.sandbox.fake_line import bp

    app = Flask("rongtook-release-fake-line")
    app.extensions["rongtook"] = services
    app.register_blueprint(bp)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    gateway = LineGateway(
        settings.line_channel_access_token, f"http://127.0.0.1:{server.server_port}{SANDBOX_API_PATH}", 1
    )
    try:
        yield gateway
    finally:
        gateway.close()
        server.shutdown()
        thread.join(5)
