"""every channel in: a complaint's channel and reporter, categories as data, Open311 API keys

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_INFRA = ("โครงสร้างพื้นฐาน", "Infrastructure")
_ORDER = ("ความปลอดภัยและความเป็นระเบียบ", "Safety and public order")
_ENV = ("สิ่งแวดล้อม", "Environment")
_WATER = ("น้ำและคลอง", "Water and canals")
_SOCIAL = ("สังคม", "Social")
_OTHER = ("อื่น ๆ", "Other")
# The categories as the code had them until now (frozen here; models.categories.SEED is the same list).
SEED = (
    ("road", "ถนน", "Roads", *_INFRA, ["ถนน", "หลุม", "บ่อ", "ผิวจราจร", "ยางมะตอย", "ทรุด"]),
    ("footpath", "ทางเท้า", "Footpaths", *_INFRA, ["ทางเท้า", "ฟุตบาท", "บาทวิถี", "กระเบื้อง"]),
    ("safety", "ความปลอดภัย", "Safety", *_ORDER, ["อันตราย", "ปลอดภัย", "มิจฉาชีพ", "ลักขโมย"]),
    ("cleanliness", "ความสะอาด", "Cleanliness", *_ENV, ["ขยะ", "สกปรก", "เหม็น", "ถังขยะ", "ทิ้ง"]),
    ("lighting", "แสงสว่าง", "Street lighting", *_INFRA, ["ไฟดับ", "ไฟฟ้า", "ไฟถนน", "เสาไฟ", "มืด", "ไฟส่องสว่าง"]),
    ("drains", "ท่อระบายน้ำ", "Drains", *_WATER, ["ท่อ", "ระบายน้ำ", "ฝาท่อ", "อุดตัน", "รางระบาย"]),
    ("obstruction", "กีดขวาง", "Obstruction", *_ORDER, ["กีดขวาง", "จอดรถ", "แผงลอย", "หาบเร่", "วางของ", "รุกล้ำ"]),
    ("flooding", "น้ำท่วม", "Flooding", *_WATER, ["น้ำท่วม", "ท่วม", "น้ำขัง", "น้ำรอการระบาย"]),
    ("noise", "เสียงรบกวน", "Noise", *_ENV, ["เสียงดัง", "เสียงรบกวน", "เสียง", "ดนตรี", "ก่อสร้างกลางคืน"]),
    ("traffic", "จราจร", "Traffic", *_ORDER, ["จราจร", "รถติด", "สัญญาณไฟ", "ทางม้าลาย"]),
    ("signs", "ป้าย", "Signs and billboards", *_ORDER, ["ป้าย", "โฆษณา", "ป้ายผิดกฎหมาย"]),
    ("trees", "ต้นไม้", "Trees", *_ENV, ["ต้นไม้", "กิ่งไม้", "ตัดแต่ง", "ไม้ล้ม", "หญ้า"]),
    ("canals", "คลอง", "Canals", *_WATER, ["คลอง", "ผักตบ", "น้ำเน่า"]),
    ("bridges", "สะพาน", "Bridges", *_INFRA, ["สะพาน", "สะพานลอย"]),
    ("stray_animals", "สัตว์จรจัด", "Stray animals", *_ENV, ["หมา", "สุนัข", "แมว", "สัตว์จรจัด"]),
    ("cables", "สายไฟ", "Overhead cables", *_INFRA, ["สายไฟ", "สายสื่อสาร", "สายห้อย", "สายระโยง"]),
    ("pm25", "PM2.5", "PM2.5 air pollution", *_ENV, ["ฝุ่น", "pm2.5", "ควัน", "เผา"]),
    ("homeless", "คนจรจัด", "Homeless people", *_SOCIAL, ["คนจรจัด", "คนไร้บ้าน", "ขอทาน"]),
    ("other", "อื่น ๆ", "Other", *_OTHER, []),
)


def upgrade() -> None:
    categories = op.create_table(
        "categories",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_th", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("group_th", sa.String(length=100), nullable=False),
        sa.Column("group_en", sa.String(length=100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("updated_at", models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
        sa.UniqueConstraint("name_th", name=op.f("uq_categories_name_th")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        categories,
        [
            {
                "code": code,
                "name_th": th,
                "name_en": en,
                "group_th": gth,
                "group_en": gen,
                "keywords": words,
                "position": (i + 1) * 10,
                "active": True,
                "attributes": [],
                "updated_at": now,
            }
            for i, (code, th, en, gth, gen, words) in enumerate(SEED)
        ],
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=8), nullable=False),
        sa.Column("posts_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("revoked_at", models.base.UtcDateTime(), nullable=True),
        sa.Column("last_used_at", models.base.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.alter_column("citizen_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("channel", sa.String(length=12), server_default="line", nullable=False))
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reporter_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reporter_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reporter_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("reported_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_api_key_id_api_keys"), "api_keys", ["api_key_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_complaints_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_reporter_phone"), ["reporter_phone"], unique=False)
        batch_op.create_index("ix_complaints_api_key_created", ["api_key_id", "created_at"], unique=False)


def downgrade() -> None:
    # Complaints without a LINE citizen cannot go back to a schema that requires one.
    op.execute("DELETE FROM photos WHERE complaint_id IN (SELECT id FROM complaints WHERE citizen_id IS NULL)")
    op.execute(
        "DELETE FROM complaint_events WHERE complaint_id IN (SELECT id FROM complaints WHERE citizen_id IS NULL)"
    )
    op.execute("DELETE FROM complaints WHERE citizen_id IS NULL")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_api_key_created")
        batch_op.drop_index(batch_op.f("ix_complaints_reporter_phone"))
        batch_op.drop_index(batch_op.f("ix_complaints_channel"))
        batch_op.drop_constraint(batch_op.f("fk_complaints_api_key_id_api_keys"), type_="foreignkey")
        batch_op.drop_column("reported_on")
        batch_op.drop_column("reporter_email")
        batch_op.drop_column("reporter_phone")
        batch_op.drop_column("reporter_name")
        batch_op.drop_column("api_key_id")
        batch_op.drop_column("channel")
        batch_op.alter_column("citizen_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("api_keys")
    op.drop_table("categories")
