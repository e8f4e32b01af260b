"""Where an Open311 request is: the district of its point, or the district its address names.

The point wins when it lies in a district. A point outside every district with an address that
names one is routed by the address, as a LINE citizen whose pin is outside picks a district by name;
the point is then kept only in the filed event, for officers. `address_id` is a district's 4-digit
code or its name; `address_string` is free text in which a district is looked for by its Thai or
English name ("ซอย 5 ถนนพหลโยธิน เขตจตุจักร", "Soi 5, Chatuchak District, Bangkok").
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.open311.render import Open311Error
from models.districts import District, DistrictLocator

LOCATOR_KEY = "open311_locator"
_lock = threading.Lock()


def locator(extensions: dict[str, Any], session: Session) -> DistrictLocator:
    """The district index of this web process, built once from the stored boundaries.

    One without boundaries is not kept, so boundaries loaded later (`rongtook release`) are used
    without a restart; one with them is (like the worker's: `rongtook districts import` needs one).
    """
    found = extensions.get(LOCATOR_KEY)
    if found is not None:
        return found  # type: ignore[no-any-return]
    with _lock:
        found = extensions.get(LOCATOR_KEY)
        if found is None:
            found = DistrictLocator.from_session(session)
            if found.enabled:
                extensions[LOCATOR_KEY] = found
    return found  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Place:
    district_code: str
    latitude: float | None  # None when routed by address
    longitude: float | None
    routed_by: str  # "location" or "address"
    data: dict[str, Any] = field(default_factory=dict)  # kept in the filed event for officers


def place(
    session: Session,
    index: DistrictLocator,
    latitude: float | None,
    longitude: float | None,
    address_string: str | None,
    address_id: str | None,
) -> Place:
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, "lat and long must be sent together")
    data: dict[str, Any] = {"address": address_string} if address_string else {}
    if address_id:
        data["address_id"] = address_id
    addressed = address_id or address_string
    if latitude is not None and longitude is not None:
        code = index.locate(latitude, longitude) if index.enabled else None
        if code is not None and session.get(District, code) is not None:
            return Place(code, latitude, longitude, "location", data)
        if not addressed:
            if not index.enabled:
                raise Open311Error(
                    400, "routing by lat/long is not available here; send address_id (a district)"
                )
            raise Open311Error(400, "lat/long is outside every Bangkok district")
        data["outside_point"] = [latitude, longitude]
    if not addressed:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    districts = list(session.scalars(select(District)))
    if address_id:
        district = district_by_id(districts, address_id)
        if district is None:
            raise Open311Error(400, "address_id names no Bangkok district (a 4-digit code or a name)")
    else:
        assert address_string is not None
        district = district_in_address(districts, address_string)
    return Place(district.code, None, None, "address", data)


def _plain(name: str) -> str:
    """A name compared without case, spaces, dots or dashes, and without "เขต"/"district"."""
    squashed = re.sub(r"[\s\-.,]+", "", name.lower())
    for prefix in ("สำนักงานเขต", "เขต", "khet", "district"):
        squashed = squashed.removeprefix(prefix)
    return squashed.removesuffix("district")


def district_by_id(districts: list[District], address_id: str) -> District | None:
    wanted = _plain(address_id)
    return next(
        (d for d in districts if wanted and wanted in (d.code, _plain(d.name_th), _plain(d.name_en))), None
    )


def district_in_address(districts: list[District], address: str) -> District:
    """The one district an address names: marked as one ("เขตบางรัก", "Bang Rak District") if any is;
    else the one named at all. Street names are often district names too (ถนนลาดพร้าว runs through
    several), hence the preference for marked names; two left is ambiguous."""
    whole = district_by_id(districts, address)
    if whole is not None:
        return whole
    english = re.sub(r"\s+", " ", address.lower())
    thai = english.replace(" ", "")  # Thai is written without spaces between words anyway
    hits: list[Hit] = []
    for d in districts:
        needle = d.name_th.replace(" ", "")
        for found in re.finditer(re.escape(needle), thai) if needle else ():
            marked = thai[: found.start()].endswith("เขต")
            hits.append(Hit("th", found.start(), found.end(), d, marked))
        name = d.name_en.lower()
        for found in re.finditer(rf"\b{re.escape(name)}\b", english) if name else ():
            marked = english[found.end() :].startswith(" district") or english[: found.start()].endswith(
                "khet "
            )
            hits.append(Hit("en", found.start(), found.end(), d, marked))
    # A name inside a longer one found around it (วัฒนา in ทวีวัฒนา) is not a name of its own.
    hits = [h for h in hits if not any(o is not h and o.covers(h) for o in hits)]
    marked_ones = {h.district.code: h.district for h in hits if h.marked}
    for group in (marked_ones, {h.district.code: h.district for h in hits}):
        if len(group) == 1:
            return next(iter(group.values()))
        if len(group) > 1:
            names = ", ".join(sorted(d.name_en for d in group.values()))
            raise Open311Error(400, f"address_string names several districts ({names}); send address_id")
    raise Open311Error(400, "address_string names no Bangkok district; send lat/long or address_id")


@dataclass(frozen=True)
class Hit:
    """A district's name found in an address: in which spelling, where, and whether marked as a district."""

    script: str
    start: int
    end: int
    district: District
    marked: bool

    def covers(self, other: Hit) -> bool:
        return (
            self.script == other.script
            and self.start <= other.start
            and other.end <= self.end
            and (self.end - self.start) > (other.end - other.start)
        )
