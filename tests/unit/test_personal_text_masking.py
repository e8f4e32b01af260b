"""Erasure masks what identifies a person in the reporter's texts, and nothing else."""

from __future__ import annotations

import pytest

from models.personal_data import mask_personal_text

PHONE, ID, EMAIL = "[ซ่อนเบอร์โทร]", "[ซ่อนเลขประจำตัวประชาชน]", "[ซ่อนอีเมล]"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("โทรหาผมที่ 081-234-5678 ครับ", f"โทรหาผมที่ {PHONE} ครับ"),
        ("มือถือ 089 876 5432", f"มือถือ {PHONE}"),
        ("เบอร์ 0612345678", f"เบอร์ {PHONE}"),
        ("บ้าน 02-123-4567 ต่อ 12", f"บ้าน {PHONE} ต่อ 12"),
        ("สำนักงาน 021234567", f"สำนักงาน {PHONE}"),
        ("+66 81 234 5678", PHONE),
        ("+66812345678", PHONE),
        ("+66-2-123-4567", PHONE),
        ("๐๘๑-๒๓๔-๕๖๗๘", PHONE),
        ("บัตรประชาชน 1-2345-67890-12-3", f"บัตรประชาชน {ID}"),
        ("เลขบัตร 3101234567890 ค่ะ", f"เลขบัตร {ID} ค่ะ"),
        ("1 2345 67890 12 3", ID),
        ("ส่งรูปเพิ่มที่ somchai.j@gmail.com", f"ส่งรูปเพิ่มที่ {EMAIL}"),
        ("a.b+c@bangkok.go.th, x@y.co", f"{EMAIL}, {EMAIL}"),
        (
            "ไฟดับหน้าบ้าน ติดต่อ 081-234-5678 หรือ somchai@example.com บัตร 1-2345-67890-12-3",
            f"ไฟดับหน้าบ้าน ติดต่อ {PHONE} หรือ {EMAIL} บัตร {ID}",
        ),
    ],
)
def test_phone_numbers_ids_and_emails_are_masked(written: str, kept: str) -> None:
    assert mask_personal_text(written) == kept


@pytest.mark.parametrize(
    "written",
    [
        "ต่อจากเรื่อง 69-K7M2QX ที่แจ้งไว้",  # a tracking code
        "เรื่อง 69-ABCDEF ยังไม่ได้แก้",
        "เกิดเมื่อ 24/11/2569 เวลา 09:30 น.",  # dates and times
        "นัดวันที่ 2026-11-24",
        "บ้านเลขที่ 123/45 หมู่ 6 ซอยลาดพร้าว 101",  # house numbers
        "บ้านเลขที่ 99/1234",
        "ค่าซ่อม 1,250,000 บาท",  # amounts
        "งบ 350000 บาท ระยะ 1.5 กม.",
        "เสาไฟต้นที่ 12 ถึง 18 ดับ 7 ต้น",
        "รหัสไปรษณีย์ 10900",
        "ไม่มีข้อมูลส่วนตัวเลย",
        "",
    ],
)
def test_codes_dates_house_numbers_and_amounts_are_left_alone(written: str) -> None:
    assert mask_personal_text(written) == written


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_personal_text("โทร 081-234-5678 อีเมล a@b.co")
    assert mask_personal_text(once) == once
