"""Districts, the units complaints are routed to: the table, Bangkok's 50 by DOPA code, loading their
boundaries and finding the district responsible for a point."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Date, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base

log = logging.getLogger(__name__)


class District(Base):
    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)  # DOPA code, "1001".."1050"
    name_th: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # GeoJSON geometry (WGS84 lon/lat) as text; None when no boundary file was loaded. Hundreds of kB
    # for all 50: read only when asked for, not each time a district's name is shown.
    boundary: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
    # The day the district started using Rongtook, when it differs from the deployment's KPI_START_DATE:
    # no monthly KPI summary (step 3) is due for a month before it. None: the deployment's setting.
    kpi_start_on: Mapped[date | None] = mapped_column(Date, default=None)


# Public facts, so the bot works without a boundary file.
BANGKOK_DISTRICTS: tuple[tuple[str, str, str], ...] = (
    ("1001", "พระนคร", "Phra Nakhon"),
    ("1002", "ดุสิต", "Dusit"),
    ("1003", "หนองจอก", "Nong Chok"),
    ("1004", "บางรัก", "Bang Rak"),
    ("1005", "บางเขน", "Bang Khen"),
    ("1006", "บางกะปิ", "Bang Kapi"),
    ("1007", "ปทุมวัน", "Pathum Wan"),
    ("1008", "ป้อมปราบศัตรูพ่าย", "Pom Prap Sattru Phai"),
    ("1009", "พระโขนง", "Phra Khanong"),
    ("1010", "มีนบุรี", "Min Buri"),
    ("1011", "ลาดกระบัง", "Lat Krabang"),
    ("1012", "ยานนาวา", "Yan Nawa"),
    ("1013", "สัมพันธวงศ์", "Samphanthawong"),
    ("1014", "พญาไท", "Phaya Thai"),
    ("1015", "ธนบุรี", "Thon Buri"),
    ("1016", "บางกอกใหญ่", "Bangkok Yai"),
    ("1017", "ห้วยขวาง", "Huai Khwang"),
    ("1018", "คลองสาน", "Khlong San"),
    ("1019", "ตลิ่งชัน", "Taling Chan"),
    ("1020", "บางกอกน้อย", "Bangkok Noi"),
    ("1021", "บางขุนเทียน", "Bang Khun Thian"),
    ("1022", "ภาษีเจริญ", "Phasi Charoen"),
    ("1023", "หนองแขม", "Nong Khaem"),
    ("1024", "ราษฎร์บูรณะ", "Rat Burana"),
    ("1025", "บางพลัด", "Bang Phlat"),
    ("1026", "ดินแดง", "Din Daeng"),
    ("1027", "บึงกุ่ม", "Bueng Kum"),
    ("1028", "สาทร", "Sathon"),
    ("1029", "บางซื่อ", "Bang Sue"),
    ("1030", "จตุจักร", "Chatuchak"),
    ("1031", "บางคอแหลม", "Bang Kho Laem"),
    ("1032", "ประเวศ", "Prawet"),
    ("1033", "คลองเตย", "Khlong Toei"),
    ("1034", "สวนหลวง", "Suan Luang"),
    ("1035", "จอมทอง", "Chom Thong"),
    ("1036", "ดอนเมือง", "Don Mueang"),
    ("1037", "ราชเทวี", "Ratchathewi"),
    ("1038", "ลาดพร้าว", "Lat Phrao"),
    ("1039", "วัฒนา", "Watthana"),
    ("1040", "บางแค", "Bang Khae"),
    ("1041", "หลักสี่", "Lak Si"),
    ("1042", "สายไหม", "Sai Mai"),
    ("1043", "คันนายาว", "Khan Na Yao"),
    ("1044", "สะพานสูง", "Saphan Sung"),
    ("1045", "วังทองหลาง", "Wang Thonglang"),
    ("1046", "คลองสามวา", "Khlong Sam Wa"),
    ("1047", "บางนา", "Bang Na"),
    ("1048", "ทวีวัฒนา", "Thawi Watthana"),
    ("1049", "ทุ่งครุ", "Thung Khru"),
    ("1050", "บางบอน", "Bang Bon"),
)


class BoundaryFileError(ValueError):
    """The boundary file cannot be read or lacks the `code`, `name_th`, `name_en` properties."""


@dataclass(frozen=True)
class DistrictBoundary:
    code: str
    name_th: str
    name_en: str
    geometry: BaseGeometry


def read_boundaries(path: Path) -> list[DistrictBoundary]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BoundaryFileError(f"{path}: not a GeoJSON FeatureCollection ({exc})") from exc
    result = []
    for index, feature in enumerate(features):
        try:
            props = feature["properties"]
            code, name_th, name_en = str(props["code"]), str(props["name_th"]), str(props["name_en"])
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BoundaryFileError(
                f"{path}: feature {index} lacks code/name_th/name_en or geometry"
            ) from exc
        if not geometry.is_valid:
            raise BoundaryFileError(f"{path}: the boundary of district {code} is not a valid polygon")
        result.append(DistrictBoundary(code, name_th, name_en, geometry))
    if not result:
        raise BoundaryFileError(f"{path}: no districts in the file")
    return result


def ensure_districts(session: Session) -> int:
    """Make sure the 50 districts exist by name and code. Safe to run again. Returns how many were added."""
    existing = set(session.scalars(select(District.code)))
    added = 0
    for code, name_th, name_en in BANGKOK_DISTRICTS:
        if code not in existing:
            session.add(District(code=code, name_th=name_th, name_en=name_en))
            added += 1
    session.flush()
    return added


def import_boundaries(session: Session, boundaries: list[DistrictBoundary]) -> int:
    """Store the boundaries (and names) from a file; districts not in the file keep what they had."""
    for b in boundaries:
        district = session.get(District, b.code)
        if district is None:
            district = District(code=b.code)
            session.add(district)
        district.name_th, district.name_en = b.name_th, b.name_en
        district.boundary = json.dumps(b.geometry.__geo_interface__, separators=(",", ":"))
    session.flush()
    return len(boundaries)


class DistrictLocator:
    """Point-in-polygon routing over the stored boundaries (built once, then read-only)."""

    def __init__(self, boundaries: list[tuple[str, BaseGeometry]]) -> None:
        self._codes = [code for code, _ in boundaries]
        self._geoms = [geom for _, geom in boundaries]
        # Prepared polygons answer "does it cover this point" from a cached index of their edges;
        # with the tree's bounding-box candidates a lookup costs microseconds.
        shapely.prepare(self._geoms)
        self._tree = STRtree(self._geoms) if self._geoms else None

    @classmethod
    def from_session(cls, session: Session) -> DistrictLocator:
        rows = session.execute(select(District.code, District.boundary).where(District.boundary.is_not(None)))
        return cls([(code, shape(json.loads(boundary))) for code, boundary in rows])

    @property
    def enabled(self) -> bool:
        return self._tree is not None

    def locate(self, latitude: float, longitude: float) -> str | None:
        """The code of the district containing the point, or None outside every district."""
        if self._tree is None:
            return None
        point = Point(longitude, latitude)
        for index in self._tree.query(point):  # districts whose bounding box holds the point
            if self._geoms[int(index)].covers(point):  # covers: a point on a border still belongs
                return self._codes[int(index)]
        return None


class Named(Protocol):
    """A district as a list shows it: a `District` row, or anything else with its code and names."""

    @property
    def code(self) -> str: ...
    @property
    def name_th(self) -> str: ...
    @property
    def name_en(self) -> str: ...


NamedT = TypeVar("NamedT", bound=Named)


def sorted_districts(districts: Iterable[NamedT], lang: str) -> list[NamedT]:
    """Districts in the one order every list and select of them uses, for a reader of `lang`.

    Thai readers get Thai dictionary order of the Thai names (PyThaiNLP's collation): a name that
    starts with เ แ โ ใ ไ sorts by the consonant after it (บางเขน after บางขุนเทียน), not by code
    point, which puts all of them after ฮ. Others get the English names alphabetically (the Thai
    name where there is no English one). Equal names keep the code order.
    """
    from pythainlp.util import collate  # here, not at the top: the bot's processes never need it

    items = list(districts)
    if lang == "th":
        rank = {name: i for i, name in enumerate(collate({d.name_th for d in items}))}
        return sorted(items, key=lambda d: (rank[d.name_th], d.code))
    return sorted(items, key=lambda d: ((d.name_en or d.name_th).casefold(), d.code))
