"""Phone numbers, national IDs and e-mail addresses in free text are masked before the public sees it."""

from __future__ import annotations

import pytest

from models.public_text import masked

PHONE, ID, EMAIL = "[ซ่อนเบอร์โทร]", "[ซ่อนเลขประจำตัวประชาชน]", "[ซ่อนอีเมล]"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("โทร 081-234-5678 ครับ", f"โทร {PHONE} ครับ"),
        ("เบอร์ 0812345678", f"เบอร์ {PHONE}"),
        ("ติดต่อ 02 123 4567 ต่อ 5", f"ติดต่อ {PHONE} ต่อ 5"),
        ("053-123-456", PHONE),  # a provincial line: 0 and 8 digits
        ("+66 81 234 5678", PHONE),
        ("66812345678", PHONE),
        ("โทร ๐๘๑-๒๓๔-๕๖๗๘", f"โทร {PHONE}"),  # Thai digits
        ("บัตร 1-2345-67890-12-3 นะ", f"บัตร {ID} นะ"),
        ("1234567890123", ID),
        ("ส่งมาที่ somchai.j+bkk@example.co.th ได้", f"ส่งมาที่ {EMAIL} ได้"),
    ],
)
def test_what_reaches_a_person_is_masked(written: str, shown: str) -> None:
    assert masked(written) == shown


@pytest.mark.parametrize(
    "written",
    [
        "ซอย 5 บ้านเลขที่ 123/45 ถนนพหลโยธิน",
        "นัดตรวจ 2026-11-24 เวลา 09:30 น.",
        "เปลี่ยนหลอดไฟ 3 ต้น ระยะทาง 150 ม. งบ 1,250,000 บาท",
        "ท่อยาว 0.5 กม.",
        "เลขที่หนังสือ 12345",
        "081234567890",  # 12 digits: neither a phone nor an ID
    ],
)
def test_the_rest_of_the_text_is_left_as_written(written: str) -> None:
    assert masked(written) == written


def test_the_note_is_in_the_readers_language_and_nothing_stays_nothing() -> None:
    assert masked("call 0812345678 or a@b.co", "en") == "call [phone number hidden] or [e-mail hidden]"
    assert masked(None) is None and masked("") == ""
