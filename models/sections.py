"""Which section (ฝ่าย) of a district office answers which complaint category.

The table is data an admin changes (`rongtook categories set ...`, later the admin web). The row
for `DEFAULT_KEY` names the section for any category without a row of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime

DEFAULT_KEY = "*"
WORKS = "ฝ่ายโยธา"
CLEANLINESS = "ฝ่ายรักษาความสะอาดและสวนสาธารณะ"
CITY_LAW = "ฝ่ายเทศกิจ"
ENVIRONMENT = "ฝ่ายสิ่งแวดล้อมและสุขาภิบาล"
ADMINISTRATION = "ฝ่ายปกครอง"
FALLBACK_SECTION = ADMINISTRATION  # only if even the default row was deleted
# The starting table, written on release into an empty table; admins change it afterwards.
DEFAULT_SECTIONS: dict[str, str] = {
    DEFAULT_KEY: ADMINISTRATION,
    **dict.fromkeys(("ถนน", "ทางเท้า", "แสงสว่าง", "ท่อระบายน้ำ", "น้ำท่วม", "จราจร", "สะพาน", "สายไฟ"), WORKS),
    **dict.fromkeys(("ความสะอาด", "ต้นไม้", "คลอง"), CLEANLINESS),
    **dict.fromkeys(("กีดขวาง", "ป้าย"), CITY_LAW),
    **dict.fromkeys(("เสียงรบกวน", "สัตว์จรจัด", "PM2.5"), ENVIRONMENT),
    **dict.fromkeys(("ความปลอดภัย", "คนจรจัด"), ADMINISTRATION),
}


class CategorySection(Base):
    __tablename__ = "category_sections"

    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    section: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


def ensure_sections(session: Session, now: datetime) -> int:
    """Write the default table if there is none yet (never over an admin's changes)."""
    if session.scalar(select(CategorySection.category).limit(1)) is not None:
        return 0
    session.add_all(
        CategorySection(category=c, section=s, updated_at=now) for c, s in DEFAULT_SECTIONS.items()
    )
    session.flush()
    return len(DEFAULT_SECTIONS)


def section_for(session: Session, category: str | None) -> str:
    wanted = [category or DEFAULT_KEY, DEFAULT_KEY]
    rows = {
        row.category: row.section
        for row in session.scalars(select(CategorySection).where(CategorySection.category.in_(wanted)))
    }
    return rows.get(category or DEFAULT_KEY) or rows.get(DEFAULT_KEY) or FALLBACK_SECTION


def set_section(session: Session, category: str, section: str, now: datetime) -> CategorySection:
    category, section = category.strip(), section.strip()
    if not category or not section:
        raise ValueError("category and section must not be empty")
    row = session.get(CategorySection, category)
    if row is None:
        row = CategorySection(category=category, section=section, updated_at=now)
        session.add(row)
    else:
        row.section, row.updated_at = section, now
    session.flush()
    return row


def remove_section(session: Session, category: str) -> bool:
    if category == DEFAULT_KEY:
        raise ValueError("the default section cannot be removed; set it to another section instead")
    row = session.get(CategorySection, category)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def all_sections(session: Session) -> list[CategorySection]:
    return list(session.scalars(select(CategorySection).order_by(CategorySection.category)))
