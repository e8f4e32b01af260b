"""Complaint categories citizens already know (Bangkok's Traffy Fondue labels), with a keyword guess.

The labels and their order come from the `type` column of Traffy's public export, most used
first. Which section (ฝ่าย) of a district office answers each category is data in the database
(`models.sections`), seeded by migration 0003 and changed by admins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    label: str  # what the citizen sees and taps
    keywords: tuple[str, ...]  # words in a description that suggest it


CATEGORIES: tuple[Category, ...] = (
    Category("ถนน", ("ถนน", "หลุม", "บ่อ", "ผิวจราจร", "ยางมะตอย", "ทรุด")),
    Category("ทางเท้า", ("ทางเท้า", "ฟุตบาท", "บาทวิถี", "กระเบื้อง")),
    Category("ความปลอดภัย", ("อันตราย", "ปลอดภัย", "มิจฉาชีพ", "ลักขโมย")),
    Category("ความสะอาด", ("ขยะ", "สกปรก", "เหม็น", "ถังขยะ", "ทิ้ง")),
    Category("แสงสว่าง", ("ไฟดับ", "ไฟฟ้า", "ไฟถนน", "เสาไฟ", "มืด", "ไฟส่องสว่าง")),
    Category("ท่อระบายน้ำ", ("ท่อ", "ระบายน้ำ", "ฝาท่อ", "อุดตัน", "รางระบาย")),
    Category("กีดขวาง", ("กีดขวาง", "จอดรถ", "แผงลอย", "หาบเร่", "วางของ", "รุกล้ำ")),
    Category("น้ำท่วม", ("น้ำท่วม", "ท่วม", "น้ำขัง", "น้ำรอการระบาย")),
    Category("เสียงรบกวน", ("เสียงดัง", "เสียงรบกวน", "เสียง", "ดนตรี", "ก่อสร้างกลางคืน")),
    Category("จราจร", ("จราจร", "รถติด", "สัญญาณไฟ", "ทางม้าลาย")),
    Category("ป้าย", ("ป้าย", "โฆษณา", "ป้ายผิดกฎหมาย")),
    Category("ต้นไม้", ("ต้นไม้", "กิ่งไม้", "ตัดแต่ง", "ไม้ล้ม", "หญ้า")),
    Category("คลอง", ("คลอง", "ผักตบ", "น้ำเน่า")),
    Category("สะพาน", ("สะพาน", "สะพานลอย")),
    Category("สัตว์จรจัด", ("หมา", "สุนัข", "แมว", "สัตว์จรจัด")),
    Category("สายไฟ", ("สายไฟ", "สายสื่อสาร", "สายห้อย", "สายระโยง")),
    Category("PM2.5", ("ฝุ่น", "pm2.5", "ควัน", "เผา")),
    Category("คนจรจัด", ("คนจรจัด", "คนไร้บ้าน", "ขอทาน")),
    Category("อื่น ๆ", ()),
)
BY_LABEL = {c.label: c for c in CATEGORIES}
OTHER = CATEGORIES[-1]


def guess_categories(description: str, limit: int = 13) -> list[Category]:
    """Every category, the likeliest for this description first (LINE shows at most 13 quick replies).

    A category scores by the length of its keywords found in the text, so the more specific word wins
    ("ไฟถนน" is about lighting, though it contains "ถนน"); ties keep the city's usage order, and
    "อื่น ๆ" (other) is always offered.
    """
    text = description.lower()

    def score(category: Category) -> int:
        return sum(len(k) for k in category.keywords if k in text)

    ranked = sorted(CATEGORIES[:-1], key=lambda c: -score(c))  # sorted() is stable: ties keep usage order
    return ranked[: limit - 1] + [OTHER]
