"""What the reminder scheduler tells district officers, in Thai and English (same keys in both).

Officers have no language column, so the scheduler writes Thai; English is kept beside it for the
day officers get a language, and so both stay in step (tests compare keys and placeholders).
"""

from __future__ import annotations

TH: dict[str, str] = {
    "title": "แจ้งเตือนเรื่องร้องทุกข์ สำนักงานเขต{district}ค่ะ",
    # one header per kind of reminder; {count} complaints, {date} a Buddhist-Era date
    "ack_before": "ใกล้ครบกำหนดรับเรื่อง {count} เรื่องค่ะ",
    "ack_due": "แจ้งเตือน: ครบกำหนดรับเรื่องวันนี้ {count} เรื่องค่ะ",
    "ack_overdue": "เลยกำหนดรับเรื่องแล้ว {count} เรื่องค่ะ กรุณารับเรื่องโดยเร็วค่ะ",
    "first_progress_before": "ใกล้ครบกำหนดรายงานความคืบหน้าครั้งแรก {count} เรื่องค่ะ",
    "first_progress_due": "แจ้งเตือน: ครบกำหนดรายงานความคืบหน้าครั้งแรกวันนี้ {count} เรื่องค่ะ",
    "first_progress_overdue": "เลยกำหนดรายงานความคืบหน้าครั้งแรกแล้ว {count} เรื่องค่ะ กรุณารายงานโดยเร็วค่ะ",
    "checkpoint_before": "รอบรายงานความคืบหน้าวันที่ {date} ใกล้มาถึงแล้วค่ะ ยังไม่ได้รายงาน {count} เรื่องค่ะ",
    "checkpoint_day": "วันนี้ ({date}) ครบรอบรายงานความคืบหน้าค่ะ ยังไม่ได้รายงาน {count} เรื่องค่ะ",
    "monthly_report": "ยังไม่ได้ส่งรายงานประจำเดือน {month} ค่ะ กรุณาส่งภายในวันที่ {date} ค่ะ",
    # parts of a sentence
    "item": "• {code} {category} (กำหนด {date})",
    "no_category": "ไม่ระบุประเภท",
    "and_more": "และอีก {count} เรื่องค่ะ",
}

EN: dict[str, str] = {
    "title": "Complaint reminders for the {district} district office",
    "ack_before": "Acknowledgement due soon ({count}):",
    "ack_due": "Reminder: acknowledgement due today ({count}):",
    "ack_overdue": "Acknowledgement overdue ({count}); please acknowledge now:",
    "first_progress_before": "First progress report due soon ({count}):",
    "first_progress_due": "Reminder: first progress report due today ({count}):",
    "first_progress_overdue": "First progress report overdue ({count}); please report now:",
    "checkpoint_before": "Progress updates due on {date}, not yet made ({count}):",
    "checkpoint_day": "Today ({date}) progress updates are due, not yet made ({count}):",
    "monthly_report": "The monthly report for {month} has not been submitted. Please submit it by {date}.",
    "item": "• {code} {category} (due {date})",
    "no_category": "no category",
    "and_more": "and {count} more.",
}

CATALOGUES: dict[str, dict[str, str]] = {"th": TH, "en": EN}


def say_reminder(key: str, lang: str = "th", **values: object) -> str:
    """The reminder text `key` in `lang` (Thai for any language without its own catalogue)."""
    return CATALOGUES.get(lang, TH).get(key, TH[key]).format(**values)
