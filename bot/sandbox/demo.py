"""What the sandbox starts with: its first users, named places, and a pin in the demo officer's district.

`rongtook run` makes a demo officer (SANDBOX_OFFICER) in DEMO_DISTRICT; an admin may move her since. A
newcomer's first complaint reaches her only if its location lies in her district, so the panel offers
a place there first (a named place inside it, else a point inside its boundary), and `rongtook run`
names the district.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from models import Officer
from models.districts import District

CITIZEN_NAME, OFFICER_NAME = "ประชาชน สมชาย", "เจ้าหน้าที่ สมหญิง"
# The users a first visit of the page finds ready to chat (fixed ids: two first visits insert the same rows).
DEFAULT_USERS = [
    (CITIZEN_NAME, "U5a4d80000000000000000000000c171e"),
    (OFFICER_NAME, "U5a4d8000000000000000000000000ff1"),
]
SANDBOX_OFFICER = "สมหญิง (sandbox)"  # the officer record the sandbox user OFFICER_NAME links to
DEMO_DISTRICT = "1030"  # where `rongtook run` first puts the demo officer: Chatuchak


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    address: str


# Named places to send as a location without knowing coordinates.
LANDMARKS: tuple[Place, ...] = (
    Place("พระบรมมหาราชวัง", 13.7500, 100.4913, "ถนนหน้าพระลาน พระนคร"),
    Place("สวนจตุจักร", 13.8040, 100.5530, "ถนนพหลโยธิน จตุจักร"),
    Place("สยามพารากอน", 13.7462, 100.5347, "ถนนพระรามที่ 1 ปทุมวัน"),
    Place("วัดอรุณราชวราราม", 13.7437, 100.4889, "ถนนอรุณอมรินทร์ บางกอกใหญ่"),
    Place("ท่าอากาศยานดอนเมือง", 13.9126, 100.6068, "ถนนวิภาวดีรังสิต ดอนเมือง"),
    Place("สนามบินสุวรรณภูมิ (นอกกรุงเทพฯ)", 13.6900, 100.7501, "สมุทรปราการ"),
)


@dataclass(frozen=True)
class DemoDistrict:
    """The demo officer's district and the places in it the panel offers first (none without a boundary)."""

    code: str
    name_th: str
    places: tuple[Place, ...]


def district_address(name_th: str) -> str:
    return f"เขต{name_th} กรุงเทพมหานคร"


def demo_officer(session: Session) -> Officer | None:
    return session.scalar(
        select(Officer).where(Officer.name == SANDBOX_OFFICER).order_by(Officer.id).limit(1)
    )


def demo_district(session: Session) -> DemoDistrict | None:
    """The demo officer's district (DEMO_DISTRICT until `rongtook run` made her); None if it is unknown."""
    officer = demo_officer(session)
    code = officer.district_code if officer is not None else DEMO_DISTRICT
    district = session.scalar(
        select(District).where(District.code == code).options(undefer(District.boundary))
    )
    if district is None:
        return None
    if not district.boundary:
        return DemoDistrict(district.code, district.name_th, ())
    area = shapely.from_geojson(district.boundary)
    inside = tuple(p for p in LANDMARKS if area.covers(Point(p.longitude, p.latitude)))
    if not inside:
        point = area.representative_point()
        pin = Point(round(point.x, 5), round(point.y, 5))
        if not area.covers(pin):  # rounding left a thin district: the exact point, then
            pin = point
        inside = (Place(f"จุดทดลองในเขต{district.name_th}", pin.y, pin.x, district_address(district.name_th)),)
    return DemoDistrict(district.code, district.name_th, inside)


def startup_message(district: DemoDistrict | None, link_code: str | None) -> str:
    """What `rongtook run` says of the demo officer: her district, where to pin, and how to link her."""
    if district is None:
        where = "  The demo officer's district is unknown: load the districts (rongtook release).\n"
    elif district.places:
        where = (
            f"  The demo officer serves เขต{district.name_th} ({district.code}): pin a location there, "
            f"or pick “{district.places[0].name}”, the first place the page's location button offers, "
            "so that a complaint reaches her.\n"
        )
    else:
        where = (
            f"  The demo officer serves เขต{district.name_th} ({district.code}); without district boundaries "
            "a complaint's location cannot be routed there (set DISTRICTS_GEOJSON).\n"
        )
    if link_code:
        where += f"  To link her, send {link_code} to the bot as “{OFFICER_NAME}” on the sandbox page.\n"
    return where
