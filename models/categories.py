"""The complaint categories: data an admin keeps, read by LINE, the staff web and the Open311 API.

A category's Thai name is what complaints record (`complaints.category`) and what the citizen taps,
so it is fixed once a category exists; its `code` is the Open311 `service_code`. Which section
answers a category stays in `models.sections` (keyed by the Thai name). Inactive categories are no
longer offered but keep their complaints' names. The seed is Bangkok's Traffy Fondue labels, most
used first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime

OTHER_CODE = "other"  # always offered, always last
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_LABEL = 20  # LINE's quick-reply label limit


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_th: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    group_th: Mapped[str] = mapped_column(String(100), default="")
    group_en: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)  # words of a description that suggest it
    position: Mapped[int] = mapped_column(Integer, default=0)  # the order offered in (usage order)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Open311 attributes (GET services/{code}): a list of the spec's attribute objects; none by default.
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class Seed:
    code: str
    name_th: str
    name_en: str
    group_th: str
    group_en: str
    keywords: tuple[str, ...]


_INFRA = ("โครงสร้างพื้นฐาน", "Infrastructure")
_ORDER = ("ความปลอดภัยและความเป็นระเบียบ", "Safety and public order")
_ENV = ("สิ่งแวดล้อม", "Environment")
_WATER = ("น้ำและคลอง", "Water and canals")
_SOCIAL = ("สังคม", "Social")
_OTHER = ("อื่น ๆ", "Other")

# The starting list (also migration 0013's seed, which keeps its own frozen copy).
SEED: tuple[Seed, ...] = (
    Seed("road", "ถนน", "Roads", *_INFRA, ("ถนน", "หลุม", "บ่อ", "ผิวจราจร", "ยางมะตอย", "ทรุด")),
    Seed("footpath", "ทางเท้า", "Footpaths", *_INFRA, ("ทางเท้า", "ฟุตบาท", "บาทวิถี", "กระเบื้อง")),
    Seed("safety", "ความปลอดภัย", "Safety", *_ORDER, ("อันตราย", "ปลอดภัย", "มิจฉาชีพ", "ลักขโมย")),
    Seed("cleanliness", "ความสะอาด", "Cleanliness", *_ENV, ("ขยะ", "สกปรก", "เหม็น", "ถังขยะ", "ทิ้ง")),
    Seed(
        "lighting",
        "แสงสว่าง",
        "Street lighting",
        *_INFRA,
        ("ไฟดับ", "ไฟฟ้า", "ไฟถนน", "เสาไฟ", "มืด", "ไฟส่องสว่าง"),
    ),
    Seed("drains", "ท่อระบายน้ำ", "Drains", *_WATER, ("ท่อ", "ระบายน้ำ", "ฝาท่อ", "อุดตัน", "รางระบาย")),
    Seed(
        "obstruction",
        "กีดขวาง",
        "Obstruction",
        *_ORDER,
        ("กีดขวาง", "จอดรถ", "แผงลอย", "หาบเร่", "วางของ", "รุกล้ำ"),
    ),
    Seed("flooding", "น้ำท่วม", "Flooding", *_WATER, ("น้ำท่วม", "ท่วม", "น้ำขัง", "น้ำรอการระบาย")),
    Seed("noise", "เสียงรบกวน", "Noise", *_ENV, ("เสียงดัง", "เสียงรบกวน", "เสียง", "ดนตรี", "ก่อสร้างกลางคืน")),
    Seed("traffic", "จราจร", "Traffic", *_ORDER, ("จราจร", "รถติด", "สัญญาณไฟ", "ทางม้าลาย")),
    Seed("signs", "ป้าย", "Signs and billboards", *_ORDER, ("ป้าย", "โฆษณา", "ป้ายผิดกฎหมาย")),
    Seed("trees", "ต้นไม้", "Trees", *_ENV, ("ต้นไม้", "กิ่งไม้", "ตัดแต่ง", "ไม้ล้ม", "หญ้า")),
    Seed("canals", "คลอง", "Canals", *_WATER, ("คลอง", "ผักตบ", "น้ำเน่า")),
    Seed("bridges", "สะพาน", "Bridges", *_INFRA, ("สะพาน", "สะพานลอย")),
    Seed("stray_animals", "สัตว์จรจัด", "Stray animals", *_ENV, ("หมา", "สุนัข", "แมว", "สัตว์จรจัด")),
    Seed("cables", "สายไฟ", "Overhead cables", *_INFRA, ("สายไฟ", "สายสื่อสาร", "สายห้อย", "สายระโยง")),
    Seed("pm25", "PM2.5", "PM2.5 air pollution", *_ENV, ("ฝุ่น", "pm2.5", "ควัน", "เผา")),
    Seed("homeless", "คนจรจัด", "Homeless people", *_SOCIAL, ("คนจรจัด", "คนไร้บ้าน", "ขอทาน")),
    Seed(OTHER_CODE, "อื่น ๆ", "Other", *_OTHER, ()),
)


def seed_rows(now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "code": s.code,
            "name_th": s.name_th,
            "name_en": s.name_en,
            "group_th": s.group_th,
            "group_en": s.group_en,
            "keywords": list(s.keywords),
            "position": (i + 1) * 10,
            "active": True,
            "attributes": [],
            "updated_at": now,
        }
        for i, s in enumerate(SEED)
    ]


def ensure_categories(session: Session, now: datetime) -> int:
    """Write the starting list into an empty table (never over an admin's changes)."""
    if session.scalar(select(Category.code).limit(1)) is not None:
        return 0
    session.add_all(Category(**row) for row in seed_rows(now))
    session.flush()
    return len(SEED)


def all_categories(session: Session, active_only: bool = False) -> list[Category]:
    """In the order offered; "other" always last."""
    query = select(Category).order_by(Category.code == OTHER_CODE, Category.position, Category.code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(session.scalars(query))


def category_by_code(session: Session, code: str) -> Category | None:
    return session.get(Category, code) if code and CODE.match(code) else None


def category_by_name(session: Session, name_th: str) -> Category | None:
    return session.scalar(select(Category).where(Category.name_th == name_th))


class CategoryError(ValueError):
    """A category cannot be saved as asked; `reason` is a stable key the doors word themselves."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def save_category(
    session: Session,
    code: str,
    *,
    now: datetime,
    name_th: str | None = None,
    name_en: str,
    group_th: str = "",
    group_en: str = "",
    keywords: list[str] | tuple[str, ...] = (),
    position: int | None = None,
    active: bool = True,
) -> Category:
    """Add a category (with its Thai name) or change one (its Thai name stays: complaints record it)."""
    code = code.strip().lower()
    if not CODE.match(code):
        raise CategoryError("bad_code")
    name_en = name_en.strip()
    if not name_en or len(name_en) > 100:
        raise CategoryError("bad_name_en")
    words = [w.strip().lower() for w in keywords if w.strip()]
    if any(len(w) > 50 for w in words) or len(words) > 50:
        raise CategoryError("bad_keywords")
    row = session.get(Category, code)
    if row is None:
        name = (name_th or "").strip()
        if not name or len(name) > MAX_LABEL:
            raise CategoryError("bad_name_th")
        if category_by_name(session, name) is not None:
            raise CategoryError("name_taken")
        top = session.scalar(select(func.max(Category.position))) or 0
        row = Category(code=code, name_th=name, position=top + 10, attributes=[])
        session.add(row)
    elif code == OTHER_CODE and not active:
        raise CategoryError("other_stays")
    row.name_en, row.group_th, row.group_en = name_en, group_th.strip()[:100], group_en.strip()[:100]
    row.keywords, row.active, row.updated_at = words, active, now
    if position is not None:
        row.position = position
    session.flush()
    return row
