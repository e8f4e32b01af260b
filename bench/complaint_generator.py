"""Complaints shaped like real ones, for the benchmarks (Open311, KPI, pages): a million in a few minutes.

`generate(engine, count, seed, now)` adds `count` complaints to a migrated database (PostgreSQL by COPY;
SQLite by executemany, meant for small counts in tests) and returns a `Summary`. From the command line:

    python -m bench.complaint_generator --database-url URL --count N [--seed S] [--now ISO] [--days D]

What the rows look like (each a guess at Bangkok's real traffic, stated here so a benchmark can say
what it measured):

- created over the last `days` (default 900, about 2.5 years) up to `now`, more in recent months (a
  service growing); LINE and API complaints at any hour (most in the day), phone calls mostly in the day,
  walk-ins, letters and web forms entered by staff in office hours of working days;
- channels: LINE 72 %, phone 12 %, web 5 %, API 5 % (three named API keys), walk-in 4 %, letter 2 %;
  LINE complaints belong to citizens (about 0.4 per complaint, some filing many), every other one has a
  reporter's contact as staff or the client typed it (each part optional), never a citizen;
- districts and categories weighted as in the Traffy Fondue sample (`../shared/data/traffy_sample.csv`,
  read at run time, never copied), with the description drawn from the sample's texts of the same
  category; without the file, composed from fragments. Points uniformly inside the district's boundary
  (from the database, else the shared GeoJSON), else around a rough centroid; a quarter of the phone,
  walk-in and letter complaints have no point (the district chosen by name);
- tracking codes in the app's format (`models.tracking_codes`: Thai year, dash, six characters), unique
  (a bijection of the row number, scrambled by the seed), so complaint pages and the APIs find them;
- the event log in time order, as the bot appends it: filed and routed; 2 % transferred to another
  district the next day; acknowledged a few office hours after routing (7 % days late); progress
  updates from about a day after acknowledging, then every two weeks; resolved after about a week
  (long tail), 45 % of LINE resolutions rated; rejected (6 %, before or after acknowledging); some never
  acknowledged (0.5 %), acknowledged without progress (1 %), or long works still in progress (6.5 %).
  Officers act in office hours of working days (Thai holidays from the app's working calendar). Every
  event after `now` is left out, so the status of each row is what its log says at `now`: recent rows
  are still open, old ones mostly closed. The first rows cover every status and channel even at 300;
- the deadline columns (ack_due_at, first_progress_due_at, next_checkpoint_on, ...) computed from the
  events with `models.deadlines` and the stored working calendar, once per day and looked up per row;
- no photos (a resolution in the app needs an "after" photo; the benchmarks do not read them).

Deterministic for a seed, a `now`, the same sample file and calendar, on a database without complaints
(a second run continues the ids and draws other values). Three officers per district and the API keys
are added when missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models.api_keys import ApiKey, issue_key, key_by_name
from models.categories import SEED, ensure_categories
from models.clock import BANGKOK, clock
from models.complaints import Channel, Complaint, ComplaintStatus
from models.db import make_engine, make_session_factory, transaction
from models.deadlines import (
    ack_due,
    end_of_day,
    first_progress_due,
    local_date,
    next_due_checkpoint,
)
from models.districts import BANGKOK_DISTRICTS, District, ensure_districts
from models.migrate import upgrade
from models.people import Officer
from models.sections import ensure_sections, section_for
from models.tracking_codes import ALPHABET
from models.working_days import WorkingCalendar, load_calendar

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "traffy_sample.csv"
BOUNDARIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "bangkok_districts.geojson"

US = 1_000_000  # times are int64 microseconds since 1970-01-01 UTC
HOUR = 3600 * US
DAY = 24 * HOUR
BKK = 7 * HOUR  # Bangkok is UTC+7 all year (no daylight saving since 1920)
EPOCH = date(1970, 1, 1)
OFFICE_OPEN, OFFICE_CLOSE = 8 * HOUR + 30 * 60 * US, 16 * HOUR + 30 * 60 * US
CHUNK = 100_000  # rows formatted and written at a time (bounded memory for a million)

CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)  # line, phone, walk_in, letter, web, api
CHANNEL_SHARES = {"line": 0.72, "phone": 0.12, "walk_in": 0.04, "letter": 0.02, "web": 0.05, "api": 0.05}
OFFICE_CHANNELS = ("walk_in", "letter", "web")  # typed in by staff at the counter or from the post
NO_POINT_SHARE = {"phone": 0.25, "walk_in": 0.25, "letter": 0.25}  # the district chosen by name
API_KEYS = (("traffy-fondue", 0.6), ("bkk-city-app", 0.3), ("fixmystreet-th", 0.1))

# Planned outcomes; what happened by `now` decides the status.
RESOLVE, REJECT_EARLY, REJECT_LATE, NEVER_ACK, STUCK_ACK, LONG_WORKS = range(6)
OUTCOME_SHARES = (0.855, 0.025, 0.035, 0.005, 0.010, 0.070)
# One of each first, so even 300 rows show every status: resolved, rejected, routed, acknowledged,
# in progress.
COVERING_OUTCOMES = (RESOLVE, REJECT_LATE, NEVER_ACK, STUCK_ACK, LONG_WORKS)
TRANSFER_SHARE = 0.02
LATE_ACK_SHARE = 0.07
MAX_PROGRESS = 8
PROGRESS_EVERY = 14 * DAY
LINE_RATED_SHARE = 0.45
PHONE_RATED_SHARE = 0.08  # reporters without LINE who give a rating when staff call back
STARS = (1, 2, 3, 4, 5)
STAR_SHARES = (0.08, 0.07, 0.15, 0.25, 0.45)
CITIZENS_PER_LINE_COMPLAINT = 0.4
OFFICERS_PER_DISTRICT = 3

# Local hours of filing (relative weights).
LINE_HOURS = (1, 0.5, 0.3, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 7, 6.5, 6, 6, 5.5, 5, 5, 5, 5, 4.5, 4, 3, 2)
PHONE_HOURS = (0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 1, 3, 6, 7, 7, 6, 6, 6, 6, 5, 4, 3, 2, 1.5, 1, 0.8, 0.5, 0.3)

# Rough district centroids (lat, lon) and a jitter scale in degrees, from the shared GeoJSON: the points
# when no boundary is at hand.
CENTROIDS: dict[str, tuple[float, float, float]] = {
    "1001": (13.7554, 100.4980, 0.0053), "1002": (13.7801, 100.5182, 0.0077),
    "1003": (13.8542, 100.8575, 0.0354), "1004": (13.7270, 100.5242, 0.0046),
    "1005": (13.8668, 100.6305, 0.0146), "1006": (13.7693, 100.6401, 0.0120),
    "1007": (13.7395, 100.5356, 0.0065), "1008": (13.7508, 100.5113, 0.0036),
    "1009": (13.6925, 100.6138, 0.0084), "1010": (13.8092, 100.7549, 0.0179),
    "1011": (13.7440, 100.7933, 0.0259), "1012": (13.6906, 100.5393, 0.0081),
    "1013": (13.7386, 100.5087, 0.0027), "1014": (13.7819, 100.5450, 0.0069),
    "1015": (13.7153, 100.4849, 0.0066), "1016": (13.7351, 100.4762, 0.0057),
    "1017": (13.7675, 100.5831, 0.0092), "1018": (13.7228, 100.5024, 0.0056),
    "1019": (13.7717, 100.4352, 0.0137), "1020": (13.7628, 100.4717, 0.0080),
    "1021": (13.5927, 100.4278, 0.0253), "1022": (13.7234, 100.4414, 0.0100),
    "1023": (13.6957, 100.3552, 0.0138), "1024": (13.6735, 100.4995, 0.0080),
    "1025": (13.7873, 100.4945, 0.0079), "1026": (13.7751, 100.5633, 0.0067),
    "1027": (13.8087, 100.6513, 0.0111), "1028": (13.7141, 100.5310, 0.0062),
    "1029": (13.8200, 100.5285, 0.0082), "1030": (13.8265, 100.5651, 0.0131),
    "1031": (13.6968, 100.5093, 0.0066), "1032": (13.6990, 100.6769, 0.0168),
    "1033": (13.7164, 100.5720, 0.0083), "1034": (13.7262, 100.6281, 0.0112),
    "1035": (13.6863, 100.4629, 0.0110), "1036": (13.9252, 100.5936, 0.0138),
    "1037": (13.7573, 100.5386, 0.0061), "1038": (13.8244, 100.6085, 0.0105),
    "1039": (13.7317, 100.5842, 0.0082), "1040": (13.7163, 100.3950, 0.0158),
    "1041": (13.8798, 100.5681, 0.0109), "1042": (13.9062, 100.6530, 0.0151),
    "1043": (13.8211, 100.6775, 0.0115), "1044": (13.7626, 100.6915, 0.0121),
    "1045": (13.7786, 100.6096, 0.0094), "1046": (13.8769, 100.7392, 0.0251),
    "1047": (13.6677, 100.6184, 0.0099), "1048": (13.7751, 100.3669, 0.0164),
    "1049": (13.6284, 100.4961, 0.0131), "1050": (13.6558, 100.3900, 0.0137),
}  # fmt: skip

# ---- words -------------------------------------------------------------------------------------

# When the sample file is not there: a problem of the category, a place, how long, a request.
PROBLEMS: dict[str, tuple[str, ...]] = {
    "ถนน": ("ถนนเป็นหลุมเป็นบ่อ", "ผิวถนนทรุดตัว รถตกหลุมบ่อย"),
    "ทางเท้า": ("ทางเท้าชำรุด กระเบื้องแตก", "ฟุตบาทยุบ เดินลำบาก"),
    "ความปลอดภัย": ("ซอยเปลี่ยวไม่มีไฟ มีคนมามั่วสุม", "รั้วกั้นริมคลองพัง อันตรายกับเด็ก"),
    "ความสะอาด": ("มีขยะกองไม่มีคนมาเก็บ ส่งกลิ่นเหม็น", "มีคนมาทิ้งขยะริมถนนทุกคืน"),
    "แสงสว่าง": ("ไฟส่องสว่างในซอยดับ", "เสาไฟถนนดับหลายต้น มืดมาก"),
    "ท่อระบายน้ำ": ("ท่อระบายน้ำอุดตัน", "ฝาท่อระบายน้ำหาย เป็นหลุมอันตราย"),
    "กีดขวาง": ("มีรถจอดขวางทางเข้าออกซอย", "แผงลอยตั้งบนทางเท้า คนเดินไม่ได้"),
    "น้ำท่วม": ("ฝนตกนิดเดียวน้ำก็ท่วมขัง", "น้ำท่วมขังไม่ระบายหลายวัน"),
    "เสียงรบกวน": ("เสียงดังจากไซต์ก่อสร้างตอนกลางคืน", "ร้านเปิดเพลงเสียงดังถึงตีสอง"),
    "จราจร": ("สัญญาณไฟจราจรเสีย รถติดยาว", "ทางม้าลายสีจางจนมองไม่เห็น"),
    "ป้าย": ("ป้ายโฆษณาผิดกฎหมายติดบนเสาไฟ", "ป้ายบอกทางล้มลงมา"),
    "ต้นไม้": ("กิ่งไม้ใหญ่ยื่นมาเกือบโดนสายไฟ", "ต้นไม้ล้มขวางถนน"),
    "คลอง": ("ผักตบชวาเต็มคลอง น้ำไม่ไหล", "น้ำในคลองเน่าเหม็น"),
    "สะพาน": ("สะพานลอยชำรุด ราวจับหลุด", "พื้นสะพานเป็นรูอันตราย"),
    "สัตว์จรจัด": ("มีสุนัขจรจัดหลายตัวไล่กัดคน", "แมวจรจัดเยอะมาก ส่งกลิ่น"),
    "สายไฟ": ("สายสื่อสารห้อยต่ำเกือบถึงพื้น", "สายไฟระโยงระยางรกมาก"),
    "PM2.5": ("มีการเผาขยะ ควันเต็มซอย", "ฝุ่นจากไซต์ก่อสร้างเยอะมาก"),
    "คนจรจัด": ("มีคนไร้บ้านนอนบนทางเท้าหลายคน", "มีขอทานนั่งบนสะพานลอยทุกวัน"),
    "อื่น ๆ": ("อยากให้เขตมาตรวจสอบพื้นที่", "ขอให้ช่วยดูแลพื้นที่สาธารณะ"),
}
PLACES = ("หน้าปากซอย", "ริมถนนใหญ่", "หน้าตลาด", "ใกล้ป้ายรถเมล์", "หน้าโรงเรียน", "ในซอยหมู่บ้าน", "ใต้ทางด่วน")
SINCE = ("มาสามวันแล้ว", "มาเป็นอาทิตย์แล้ว", "ตั้งแต่เมื่อวาน", "นานเป็นเดือนแล้ว", "")
ASKS = ("ช่วยมาดูด้วยครับ", "รบกวนช่วยแก้ไขด้วยค่ะ", "ขอบคุณครับ", "อันตรายมาก ช่วยด่วนค่ะ")
MAX_DESCRIPTION = 1000

PROGRESS_TEXTS = (
    "ส่งเจ้าหน้าที่ลงพื้นที่ตรวจสอบแล้ว",
    "อยู่ระหว่างประสานหน่วยงานที่เกี่ยวข้อง",
    "อยู่ระหว่างจัดหาวัสดุเพื่อซ่อมแซม",
    "ดำเนินการแก้ไขไปแล้วบางส่วน จะแจ้งความคืบหน้าอีกครั้ง",
    "บรรจุในแผนงานซ่อมบำรุงประจำเดือนแล้ว",
)
RESULT_TEXTS = (
    "ดำเนินการแก้ไขเรียบร้อยแล้ว",
    "ซ่อมแซมเรียบร้อยแล้ว ตามภาพหลังดำเนินการ",
    "เจ้าหน้าที่เก็บกวาดเรียบร้อยแล้ว",
    "ตรวจสอบแล้ว แก้ไขเสร็จสิ้น ขอบคุณที่แจ้งเรื่อง",
    "ประสานหน่วยงานเจ้าของพื้นที่ดำเนินการเรียบร้อยแล้ว",
)
REJECT_TEXTS = (
    "ไม่อยู่ในอำนาจหน้าที่ของสำนักงานเขต ได้ประสานหน่วยงานที่รับผิดชอบแล้ว",
    "เป็นเรื่องซ้ำกับเรื่องที่แจ้งไว้ก่อนหน้า",
    "ข้อมูลไม่เพียงพอ ไม่พบจุดที่แจ้งในพื้นที่",
    "เป็นพื้นที่เอกชน ไม่อยู่ในความรับผิดชอบของเขต",
)
TRANSFER_TEXTS = ("จุดที่แจ้งอยู่ในพื้นที่เขตข้างเคียง", "ไม่ใช่พื้นที่รับผิดชอบของเขต ส่งต่อเขตที่รับผิดชอบ")

# Made-up people: reporters' names (Thai, with a romanisation for e-mail addresses), officers, LINE names.
FIRST_NAMES = (
    ("สมชาย", "somchai"), ("สมศรี", "somsri"), ("วิไล", "wilai"), ("ประเสริฐ", "prasert"),
    ("สุภาพร", "supaporn"), ("ณัฐพล", "nattapon"), ("กนกวรรณ", "kanokwan"), ("ธนากร", "thanakorn"),
    ("ปิยะนุช", "piyanuch"), ("อนุชา", "anucha"), ("จันทร์เพ็ญ", "chanpen"), ("วีระ", "weera"),
    ("ศิริพร", "siriporn"), ("พงศกร", "pongsakorn"), ("มาลี", "malee"), ("ชัยวัฒน์", "chaiwat"),
)  # fmt: skip
LAST_NAMES = (
    "ใจดี", "สุขสวัสดิ์", "ทองดี", "ศรีสุข", "แก้วมณี", "บุญมา", "วงศ์ไทย", "มั่นคง", "รุ่งเรือง", "พรหมมา",
    "ชื่นชม", "เพชรรัตน์",
)  # fmt: skip
NICKNAMES = ("Nok", "Bee", "Aom", "พี่ต้น", "Joy", "Mint", "แม่น้อย", "Pim", "Golf", "Ploy", "ลุงชัย", "Fern")
MAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved: nobody's real address
CALL_TAKERS = tuple(f"callcentre-{i:02d}" for i in range(1, 13))  # staff accounts (the event keeps the name)


# ---- what the rows are drawn from ----------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    """Descriptions per category (Thai name) and the weights of categories and districts."""

    texts: dict[str, list[str]]
    category_weights: dict[str, float]
    district_weights: dict[str, float]
    source: str


def load_corpus(path: Path | None = SAMPLE) -> Corpus:
    """The Traffy sample's texts and frequencies (smoothed, so every category and district occurs),
    or texts composed from fragments with even weights when the file is not there."""
    categories = [s.name_th for s in SEED]
    districts = [code for code, _, _ in BANGKOK_DISTRICTS]
    if path is not None and path.is_file():
        by_name = {name: code for code, name, _ in BANGKOK_DISTRICTS}
        texts: dict[str, list[str]] = {c: [] for c in categories}
        cat_counts = dict.fromkeys(categories, 3.0)
        district_counts = dict.fromkeys(districts, 3.0)
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                labels = [x.strip() for x in (row.get("type") or "").strip("{}").split(",")]
                category = next((x for x in labels if x in cat_counts), "อื่น ๆ")
                cat_counts[category] += 1
                district = by_name.get((row.get("district") or "").strip())
                if district:
                    district_counts[district] += 1
                comment = " ".join((row.get("comment") or "").split())  # one line, as typed in a chat
                if len(comment) >= 5:
                    texts[category].append(comment[:MAX_DESCRIPTION])
        composed = _composed()
        for category in categories:
            texts[category] = texts[category] or composed[category]
        n = sum(len(t) for t in texts.values())
        return Corpus(texts, cat_counts, district_counts, f"{n:,} texts of the Traffy Fondue sample")
    return Corpus(
        _composed(),
        dict.fromkeys(categories, 1.0),
        dict.fromkeys(districts, 1.0),
        "composed from fragments (no Traffy sample)",
    )


def _composed() -> dict[str, list[str]]:
    return {
        name: [
            " ".join(x for x in (problem, place, since, ask) if x)
            for problem in PROBLEMS.get(name, PROBLEMS["อื่น ๆ"])
            for place in PLACES
            for since in SINCE
            for ask in ASKS
        ]
        for name in (s.name_th for s in SEED)
    }


def _day_number(d: date) -> int:
    return (d - EPOCH).days


def _day(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass(frozen=True)
class DayTables:
    """Per Bangkok calendar day (numbered from 1970-01-01): the working calendar and the deadlines a
    moment on that day gives (`models.deadlines`), computed once a day so a million rows need no loop."""

    first: int
    working: np.ndarray  # bool
    next_working: np.ndarray  # day numbers
    ack_due: np.ndarray  # the day of the acknowledgement deadline of a complaint routed that day
    first_progress_due: np.ndarray  # ... of the first-progress deadline of one acknowledged that day
    checkpoint_after_due: np.ndarray  # next_due_checkpoint(end of that day as first-progress due, None)
    checkpoint_after_update: np.ndarray  # the checkpoint due after a progress update that day

    @classmethod
    def build(cls, cal: WorkingCalendar, first: int, last: int) -> DayTables:
        long_ago = end_of_day(date(1970, 1, 2))  # a first-progress deadline that never decides the max
        cols: dict[str, list[int]] = {k: [] for k in ("next", "ack", "first", "after_due", "after_update")}
        working = []
        for n in range(first, last + 1):
            day = _day(n)
            noon = datetime.combine(day, clock_time(12), tzinfo=BANGKOK)
            working.append(cal.is_working_day(day))
            cols["next"].append(_day_number(cal.next_working_day(day)))
            cols["ack"].append(_day_number(local_date(ack_due(noon, cal))))
            cols["first"].append(_day_number(local_date(first_progress_due(noon, cal))))
            checkpoint = next_due_checkpoint(end_of_day(day), None)
            cols["after_due"].append(_day_number(checkpoint) if checkpoint else 0)
            checkpoint = next_due_checkpoint(long_ago, noon)
            cols["after_update"].append(_day_number(checkpoint) if checkpoint else 0)
        return cls(
            first,
            np.array(working, dtype=bool),
            *(
                np.array(cols[k], dtype=np.int64)
                for k in ("next", "ack", "first", "after_due", "after_update")
            ),
        )

    def look(self, table: np.ndarray, days: np.ndarray) -> np.ndarray:
        return table[np.clip(days - self.first, 0, len(table) - 1)]

    def office(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Each moment, or when it falls outside office hours (08:30-16:30 on a working day), the next
        opening plus up to 90 minutes: when staff and officers get to it."""
        local = t + BKK
        day = local // DAY
        into = local - day * DAY
        working = self.look(self.working, day)
        in_hours = working & (into >= OFFICE_OPEN) & (into < OFFICE_CLOSE)
        target = np.where(working & (into < OFFICE_OPEN), day, self.look(self.next_working, day))
        moved = target * DAY + OFFICE_OPEN + rng.integers(0, 90 * 60 * US, len(t)) - BKK
        return np.where(in_hours, t, moved)


def local_days(t: np.ndarray) -> np.ndarray:
    return (t + BKK) // DAY


def end_of_days(days: np.ndarray) -> np.ndarray:
    """`models.deadlines.end_of_day` of each day, in microseconds (the day's last microsecond)."""
    return (days + 1) * DAY - BKK - 1


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(math.log(median), sigma, n).astype(np.int64)


def tracking_codes(seed: int, first: int, n: int, years: np.ndarray) -> np.ndarray:
    """Codes `YY-XXXXXX` for rows first .. first+n-1: a bijection of the row number on 30 bits (32**6
    codes), scrambled by the seed, so no two rows share one, whatever their year."""
    mask = np.uint64((1 << 30) - 1)
    salt = np.random.default_rng([seed, 311]).integers(0, 1 << 30, 3, dtype=np.uint64)
    x = (np.arange(first, first + n, dtype=np.uint64) + salt[0]) & mask
    mult = [np.uint64(0x2545F491) | np.uint64(1), (salt[1] << np.uint64(1)) | np.uint64(1)]
    for m in mult:  # xorshift and odd multiplier: each step a bijection of 0 .. 2**30-1
        x ^= x >> np.uint64(15)
        x = (x * m) & mask
        x ^= x >> np.uint64(13)
    x ^= salt[2]
    alphabet = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    out = np.empty((n, 9), dtype=np.uint8)
    yy = (years % 100).astype(np.int64)
    out[:, 0] = ord("0") + yy // 10
    out[:, 1] = ord("0") + yy % 10
    out[:, 2] = ord("-")
    for k in range(6):
        out[:, 3 + k] = alphabet[((x >> np.uint64(5 * (5 - k))) & np.uint64(31)).astype(np.int64)]
    return out.view("S9").ravel().astype(str)


def _thai_years(t: np.ndarray) -> np.ndarray:
    """The Buddhist-Era year of each moment's Bangkok date."""
    return (t + BKK).astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970 + 543


def district_points(
    rng: np.random.Generator, districts: np.ndarray, codes: Sequence[str], shapes: dict[str, BaseGeometry]
) -> tuple[np.ndarray, np.ndarray]:
    """A point per row in its district: uniform inside the boundary (rejection sampling in its box), or
    around the rough centroid when there is no boundary."""
    lat = np.zeros(len(districts))
    lon = np.zeros(len(districts))
    for i, code in enumerate(codes):
        rows = np.flatnonzero(districts == i)
        if not len(rows):
            continue
        geometry = shapes.get(code)
        if geometry is None:
            clat, clon, r = CENTROIDS[code]
            lat[rows] = clat + np.clip(rng.normal(0, r, len(rows)), -2 * r, 2 * r)
            lon[rows] = clon + np.clip(rng.normal(0, r, len(rows)), -2 * r, 2 * r)
            continue
        shapely.prepare(geometry)
        x0, y0, x1, y1 = geometry.bounds
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        got = 0
        while got < len(rows):
            k = 2 * (len(rows) - got) + 16
            x, y = rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)
            inside = shapely.contains_xy(geometry, x, y)
            xs.append(x[inside])
            ys.append(y[inside])
            got += int(inside.sum())
        lon[rows] = np.concatenate(xs)[: len(rows)]
        lat[rows] = np.concatenate(ys)[: len(rows)]
    return np.round(lat, 6), np.round(lon, 6)


def district_boundaries(session: Session) -> dict[str, BaseGeometry]:
    """The districts' boundaries as the app has them, else from the shared GeoJSON, else none."""
    stored = session.execute(select(District.code, District.boundary).where(District.boundary.is_not(None)))
    shapes = {code: shape(json.loads(boundary)) for code, boundary in stored}
    if not shapes and BOUNDARIES.is_file():
        data = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
        shapes = {str(f["properties"]["code"]): shape(f["geometry"]) for f in data["features"]}
    return shapes


# ---- the plan: every row and event as arrays -----------------------------------------------------

FILED, ROUTED, TRANSFERRED, ROUTED_AGAIN, ACKNOWLEDGED, PROGRESS, RESOLVED, REJECTED, RATED = range(9)
KIND_NAMES = ("filed", "routed", "transferred", "routed", "acknowledged", "progress", "resolved", "rejected")
KIND_NAMES += ("rated",)
S_ROUTED, S_ACKNOWLEDGED, S_IN_PROGRESS, S_RESOLVED, S_REJECTED = (s.value for s in ComplaintStatus)


@dataclass
class Plan:
    n: int
    first_id: int
    first_event_id: int
    first_citizen_id: int
    codes: list[str]  # district codes, by index
    categories: list[str]  # Thai names, by index
    sections: list[str]  # by category index
    channel: np.ndarray  # index into CHANNELS
    created: np.ndarray
    routed: np.ndarray
    district_first: np.ndarray  # routed there on filing (its point is there)
    district: np.ndarray  # where it is now (another after a transfer)
    transferred: np.ndarray
    category: np.ndarray
    description: np.ndarray  # object: str
    has_point: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    tracking_code: np.ndarray
    citizen: np.ndarray  # citizen index, -1 for none
    api_key: np.ndarray  # index into api_key_ids, -1 for none
    reporter_name: np.ndarray  # object: str | None
    reporter_phone: np.ndarray
    reporter_email: np.ndarray
    reported_on: np.ndarray  # day number, -1 for none
    call_taker: np.ndarray  # index into CALL_TAKERS
    officer: np.ndarray  # index into officer_ids: who acts in the district it is in now
    officer_first: np.ndarray  # who transferred it away
    status: np.ndarray  # object: str
    ack_due: np.ndarray
    acknowledged: np.ndarray  # -1: not (yet)
    first_progress_due: np.ndarray  # -1
    first_progress: np.ndarray  # -1
    last_progress: np.ndarray  # -1
    checkpoint: np.ndarray  # day number, -1
    resolved: np.ndarray  # -1
    rating: np.ndarray  # 0: none
    officer_ids: list[int]
    officer_names: list[str]
    api_key_ids: list[int]
    api_key_names: list[str]
    citizens: int
    citizen_created: np.ndarray
    citizen_line_ids: list[str]
    citizen_names: list[str | None]
    # the event log, in time order
    ev_complaint: np.ndarray
    ev_kind: np.ndarray
    ev_at: np.ndarray
    ev_aux: np.ndarray  # the text's choice; the stars of a rating
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What the database already holds that the rows refer to."""

    codes: list[str]
    categories: list[str]
    sections: list[str]
    officers: dict[str, list[tuple[int, str]]]  # district code -> (id, name)
    api_keys: list[tuple[int, str]]
    shapes: dict[str, BaseGeometry]
    calendar: WorkingCalendar
    first_id: int
    first_event_id: int
    first_citizen_id: int
    taken_codes: set[str]


def plan(ctx: Context, corpus: Corpus, count: int, seed: int, now: datetime, days: int) -> Plan:
    """Every complaint, its events, deadlines and status at `now`, as numpy arrays."""
    rng = np.random.default_rng([seed, ctx.first_id])  # a second run into the same database differs
    n = count
    now_us = int(now.timestamp() * US)
    now_day = int(local_days(np.array([now_us]))[0])
    start_day = now_day - days + 1
    tables = DayTables.build(ctx.calendar, start_day - 3, now_day + 130)
    horizon = now_us + 100 * DAY  # anything later is past `now` anyway: keeps lookups in the tables

    def office(t: np.ndarray) -> np.ndarray:
        return tables.office(rng, np.minimum(t, horizon))

    channel = rng.choice(len(CHANNELS), n, p=[CHANNEL_SHARES[c] for c in CHANNELS])
    outcome = rng.choice(len(OUTCOME_SHARES), n, p=OUTCOME_SHARES)
    covered = min(n, len(CHANNELS))
    channel[:covered] = np.arange(covered)
    outcome[: min(n, len(COVERING_OUTCOMES))] = COVERING_OUTCOMES[: min(n, len(COVERING_OUTCOMES))]

    # Filing: more in recent days; hours by channel; staff channels in office hours.
    weights = 0.5 + np.arange(days) / days
    day = start_day + rng.choice(days, n, p=weights / weights.sum())
    forced = np.arange(n) < max(covered, len(COVERING_OUTCOMES))  # old enough to have their events
    day = np.where(forced, start_day + rng.integers(0, max(1, days // 2), n), day)
    by_line = np.asarray(LINE_HOURS) / sum(LINE_HOURS)
    by_phone = np.asarray(PHONE_HOURS) / sum(PHONE_HOURS)
    is_phone = channel == CHANNELS.index("phone")
    hour = np.where(is_phone, rng.choice(24, n, p=by_phone), rng.choice(24, n, p=by_line))
    created = day * DAY - BKK + hour * HOUR + rng.integers(0, HOUR, n)
    at_office = np.isin(channel, [CHANNELS.index(c) for c in OFFICE_CHANNELS])
    created = np.where(at_office, office(created), created)
    late = created > now_us
    created = np.where(late, now_us - rng.integers(0, 2 * HOUR, n), created)

    # Ids in time order, as the app assigns them.
    order = np.argsort(created, kind="stable")
    channel, outcome, created = channel[order], outcome[order], created[order]

    n_districts = len(ctx.codes)
    dw = np.array([corpus.district_weights.get(c, 1.0) for c in ctx.codes])
    district_first = rng.choice(n_districts, n, p=dw / dw.sum())
    cw = np.array([corpus.category_weights.get(c, 1.0) for c in ctx.categories])
    category = rng.choice(len(ctx.categories), n, p=cw / cw.sum())
    flat: list[str] = []
    offsets, lengths = [], []
    for name in ctx.categories:
        texts = corpus.texts.get(name) or _composed().get(name) or _composed()["อื่น ๆ"]
        offsets.append(len(flat))
        lengths.append(len(texts))
        flat.extend(texts)
    pick = np.asarray(offsets)[category] + (rng.random(n) * np.asarray(lengths)[category]).astype(np.int64)
    description = np.asarray(flat, dtype=object)[pick]

    no_point = np.zeros(n, dtype=bool)
    for name, share in NO_POINT_SHARE.items():
        no_point |= (channel == CHANNELS.index(name)) & (rng.random(n) < share)
    has_point = ~no_point
    lat, lon = district_points(rng, district_first, ctx.codes, ctx.shapes)

    # Transfers: the next working day or so, to another district; the clocks restart there.
    transfer_at = office(created + rng.integers(HOUR, 26 * HOUR, n))
    transferred = (rng.random(n) < TRANSFER_SHARE) & (n_districts > 1) & (transfer_at <= now_us)
    other = (district_first + rng.integers(1, max(2, n_districts), n)) % n_districts
    district = np.where(transferred, other, district_first)
    routed = np.where(transferred, transfer_at, created)

    # Acknowledgement, first progress, the end (resolved or rejected), the updates between.
    acked_plan = ~np.isin(outcome, [REJECT_EARLY, NEVER_ACK])
    ack_delay = _lognormal(rng, 3 * HOUR, 1.2, n)
    ack_delay += np.where(rng.random(n) < LATE_ACK_SHARE, rng.integers(DAY, 6 * DAY, n), 0)
    ack = office(routed + ack_delay)
    first_prog = office(ack + _lognormal(rng, 30 * HOUR, 0.8, n))
    progress_plan = acked_plan & (outcome != STUCK_ACK)
    resolve_at = office(ack + np.clip(_lognormal(rng, 6 * DAY, 1.0, n), 2 * HOUR, 240 * DAY))
    reject_late_at = office(ack + _lognormal(rng, 2 * DAY, 0.9, n))
    reject_early_at = office(routed + _lognormal(rng, 5 * HOUR, 1.0, n))
    never = np.int64(np.iinfo(np.int64).max // 4)
    end = np.select(
        [outcome == RESOLVE, outcome == REJECT_LATE, outcome == REJECT_EARLY],
        [resolve_at, reject_late_at, reject_early_at],
        never,
    )
    progress = np.empty((n, MAX_PROGRESS), dtype=np.int64)
    progress[:, 0] = first_prog
    for k in range(1, MAX_PROGRESS):
        progress[:, k] = office(first_prog + k * PROGRESS_EVERY + rng.integers(0, 2 * DAY, n))
    made = progress_plan[:, None] & (progress < end[:, None]) & (progress <= now_us)

    rated_plan = (outcome == RESOLVE) & (
        ((channel == CHANNELS.index("line")) & (rng.random(n) < LINE_RATED_SHARE))
        | (
            np.isin(channel, [CHANNELS.index(c) for c in NO_POINT_SHARE])
            & (rng.random(n) < PHONE_RATED_SHARE)
        )
    )
    by_staff = channel != CHANNELS.index("line")
    rated_at = np.where(
        by_staff,
        office(resolve_at + rng.integers(DAY, 3 * DAY, n)),
        resolve_at + _lognormal(rng, 4 * HOUR, 1.0, n),
    )
    stars = np.asarray(STARS)[rng.choice(len(STARS), n, p=STAR_SHARES)]

    # What happened by `now`.
    acked = acked_plan & (ack <= now_us)
    resolved = (outcome == RESOLVE) & (resolve_at <= now_us)
    rejected = ((outcome == REJECT_LATE) & (reject_late_at <= now_us)) | (
        (outcome == REJECT_EARLY) & (reject_early_at <= now_us)
    )
    rejected_at = np.where(outcome == REJECT_EARLY, reject_early_at, reject_late_at)
    rated = rated_plan & resolved & (rated_at <= now_us)
    n_made = made.sum(axis=1)
    status = np.select(
        [resolved, rejected, n_made > 0, acked],
        [S_RESOLVED, S_REJECTED, S_IN_PROGRESS, S_ACKNOWLEDGED],
        S_ROUTED,
    ).astype(object)
    last_made = np.where(n_made > 0, progress[np.arange(n), np.maximum(n_made - 1, 0)], -1)

    # The row's deadline columns, as the operations keep them (RULES §2, §3).
    ack_due_at = end_of_days(tables.look(tables.ack_due, local_days(routed)))
    fp_due_day = tables.look(tables.first_progress_due, local_days(ack))
    first_progress_due_at = np.where(acked, end_of_days(fp_due_day), -1)
    after_due = tables.look(tables.checkpoint_after_due, fp_due_day)
    after_update = tables.look(tables.checkpoint_after_update, local_days(np.maximum(last_made, 0)))
    checkpoint = np.select(
        [status == S_ACKNOWLEDGED, status == S_IN_PROGRESS],
        [after_due, np.maximum(after_due, after_update)],
        -1,
    )

    # People.
    line = channel == CHANNELS.index("line")
    n_line = int(line.sum())
    citizens = max(1, round(n_line * CITIZENS_PER_LINE_COMPLAINT)) if n_line else 0
    citizen = np.full(n, -1, dtype=np.int64)
    citizen[line] = (citizens * rng.random(n_line) ** 2).astype(np.int64)  # some citizens file a lot
    citizen_created = (
        start_day * DAY - BKK + rng.integers(0, days * DAY, citizens) if citizens else np.zeros(0)
    )
    if citizens:
        first_filed = np.full(citizens, np.iinfo(np.int64).max)
        np.minimum.at(first_filed, citizen[line], created[line])
        joined = first_filed - rng.integers(60 * US, HOUR, citizens)  # followed the bot just before
        citizen_created = np.where(first_filed < np.iinfo(np.int64).max, joined, citizen_created)
        citizen_created = np.minimum(citizen_created, now_us)
    hex_ids = rng.bytes(16 * citizens).hex()
    citizen_line_ids = ["U" + hex_ids[32 * i : 32 * i + 32] for i in range(citizens)]
    nick = rng.integers(0, len(NICKNAMES) + 1, citizens)
    citizen_names = [NICKNAMES[k] if k < len(NICKNAMES) else None for k in nick.tolist()]

    api = channel == CHANNELS.index("api")
    api_key = np.full(n, -1, dtype=np.int64)
    shares = np.asarray([s for _, s in API_KEYS][: len(ctx.api_keys)])
    api_key[api] = rng.choice(len(ctx.api_keys), int(api.sum()), p=shares / shares.sum())
    names, phones, emails = _reporters(rng, channel, line)
    reported_on = np.full(n, -1, dtype=np.int64)
    for name, back in (("letter", (1, 8)), ("web", (0, 3))):
        mask = channel == CHANNELS.index(name)
        reported_on[mask] = local_days(created[mask]) - rng.integers(*back, int(mask.sum()))

    officer_ids, officer_names, officer_pick = _officer_table(ctx)
    officer = _pick_officer(rng, officer_pick, district)
    officer_first = _pick_officer(rng, officer_pick, district_first)

    # The event log; kinds in lifecycle order, so a stable sort by time keeps filed before routed.
    parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
    rows = np.arange(n)
    text_choice = rng.integers(0, 1 << 15, n)

    def add(kind: int, mask: np.ndarray, at: np.ndarray, aux: np.ndarray | None = None) -> None:
        parts.append((rows[mask], kind, at[mask], (text_choice if aux is None else aux)[mask]))

    everyone = np.ones(n, dtype=bool)
    add(FILED, everyone, created)
    add(ROUTED, everyone, created)
    add(TRANSFERRED, transferred, transfer_at)
    add(ROUTED_AGAIN, transferred, transfer_at)
    add(ACKNOWLEDGED, acked, ack)
    for k in range(MAX_PROGRESS):
        add(PROGRESS, made[:, k], progress[:, k], text_choice + k)
    add(RESOLVED, resolved, resolve_at)
    add(REJECTED, rejected, rejected_at)
    add(RATED, rated, rated_at, stars)
    ev_complaint = np.concatenate([p[0] for p in parts])
    ev_kind = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int8) for p in parts])
    ev_at = np.concatenate([p[2] for p in parts])
    ev_aux = np.concatenate([p[3] for p in parts])
    order = np.argsort(ev_at, kind="stable")
    by_kind = {k: int(v) for k, v in zip(*np.unique(ev_kind, return_counts=True), strict=True)}
    counts: dict[str, int] = {}
    for k, v in by_kind.items():
        counts[KIND_NAMES[k]] = counts.get(KIND_NAMES[k], 0) + v

    years = _thai_years(created)
    codes = tracking_codes(seed, ctx.first_id, n, years)
    if ctx.taken_codes:  # rows already there (random codes of the app): skip any clash
        spare = ctx.first_id + n
        for i in np.flatnonzero(np.isin(codes, list(ctx.taken_codes))):
            while (code := str(tracking_codes(seed, spare, 1, years[i : i + 1])[0])) in ctx.taken_codes:
                spare += 1
            codes[i], spare = code, spare + 1

    return Plan(
        n=n,
        first_id=ctx.first_id,
        first_event_id=ctx.first_event_id,
        first_citizen_id=ctx.first_citizen_id,
        codes=ctx.codes,
        categories=ctx.categories,
        sections=ctx.sections,
        channel=channel,
        created=created,
        routed=routed,
        district_first=district_first,
        district=district,
        transferred=transferred,
        category=category,
        description=description,
        has_point=has_point,
        lat=lat,
        lon=lon,
        tracking_code=codes,
        citizen=citizen,
        api_key=api_key,
        reporter_name=names,
        reporter_phone=phones,
        reporter_email=emails,
        reported_on=reported_on,
        call_taker=rng.integers(0, len(CALL_TAKERS), n),
        officer=officer,
        officer_first=officer_first,
        status=status,
        ack_due=ack_due_at,
        acknowledged=np.where(acked, ack, -1),
        first_progress_due=first_progress_due_at,
        first_progress=np.where(n_made > 0, progress[:, 0], -1),
        last_progress=last_made,
        checkpoint=checkpoint,
        resolved=np.where(resolved, resolve_at, -1),
        rating=np.where(rated, stars, 0),
        officer_ids=officer_ids,
        officer_names=officer_names,
        api_key_ids=[k for k, _ in ctx.api_keys],
        api_key_names=[name for _, name in ctx.api_keys],
        citizens=citizens,
        citizen_created=citizen_created,
        citizen_line_ids=citizen_line_ids,
        citizen_names=citizen_names,
        ev_complaint=ev_complaint[order],
        ev_kind=ev_kind[order],
        ev_at=ev_at[order],
        ev_aux=ev_aux[order],
        by_kind=counts,
    )


def _reporters(
    rng: np.random.Generator, channel: np.ndarray, line: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name, phone (digits only) and e-mail of reporters without LINE, each given or not; None for LINE."""
    n = len(channel)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    full = np.asarray([f"{th} {sur}" for th, _ in FIRST_NAMES for sur in LAST_NAMES], dtype=object)
    names = full[first * len(LAST_NAMES) + last]
    # Mobiles (06/08/09 and 8 digits) and Bangkok's land lines (02 and 7 digits), digits only.
    prefix = np.asarray(["06", "08", "09", "02"])[rng.choice(4, n, p=[0.2, 0.45, 0.25, 0.1])].tolist()
    digits = rng.integers(0, 10**8, n).tolist()
    phones = np.asarray(
        [f"02{d % 10**7:07d}" if x == "02" else f"{x}{d:08d}" for x, d in zip(prefix, digits, strict=True)],
        dtype=object,
    )
    roman = np.asarray([r for _, r in FIRST_NAMES], dtype=object)[first]
    domain = np.asarray(MAIL_DOMAINS, dtype=object)[rng.integers(0, len(MAIL_DOMAINS), n)]
    emails = np.asarray(
        [f"{r}.{d % 10000}@{m}" for r, d, m in zip(roman.tolist(), digits, domain.tolist(), strict=True)],
        dtype=object,
    )
    api = channel == CHANNELS.index("api")
    walk_or_letter = np.isin(channel, [CHANNELS.index("walk_in"), CHANNELS.index("letter")])
    give_name = np.where(walk_or_letter, 0.98, np.where(api, 0.6, 0.85))
    give_phone = np.where(channel == CHANNELS.index("letter"), 0.6, np.where(api, 0.5, 0.9))
    give_mail = np.where(api | (channel == CHANNELS.index("web")), 0.4, 0.05)
    none = np.full(n, None, dtype=object)
    names = np.where(~line & (rng.random(n) < give_name), names, none)
    phones = np.where(~line & (rng.random(n) < give_phone), phones, none)
    emails = np.where(~line & (rng.random(n) < give_mail), emails, none)
    return names, phones, emails


def _officer_table(ctx: Context) -> tuple[list[int], list[str], list[list[int]]]:
    ids: list[int] = []
    names: list[str] = []
    pick: list[list[int]] = []
    for code in ctx.codes:
        here = []
        for officer_id, name in ctx.officers.get(code, []):
            here.append(len(ids))
            ids.append(officer_id)
            names.append(name)
        pick.append(here)
    return ids, names, pick


def _pick_officer(rng: np.random.Generator, pick: list[list[int]], district: np.ndarray) -> np.ndarray:
    width = max(1, max(len(p) for p in pick))
    table = np.array([(p * width)[:width] if p else [-1] * width for p in pick], dtype=np.int64)
    return table[district, rng.integers(0, width, len(district))]


# ---- rows ----------------------------------------------------------------------------------------

COMPLAINT_COLUMNS = (
    "id", "tracking_code", "citizen_id", "channel", "api_key_id", "reporter_name", "reporter_phone",
    "reporter_email", "reported_on", "district_code", "category", "description", "latitude", "longitude",
    "status", "created_at", "routed_at", "section", "ack_due_at", "acknowledged_at", "first_progress_due_at",
    "first_progress_at", "last_progress_at", "next_checkpoint_on", "resolved_at", "rating", "reopen_count",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "complaint_id", "kind", "at", "actor_kind", "actor_id", "actor_name", "district_code", "text",
    "data",
)  # fmt: skip
CITIZEN_COLUMNS = ("id", "line_user_id", "display_name", "language", "following", "created_at", "updated_at")


def _times(us: np.ndarray, pg: bool, valid: np.ndarray | None = None) -> list[str | None]:
    """Moments as the database takes them in text: ISO with Z for PostgreSQL's timestamptz; SQLAlchemy's
    naive UTC text ('YYYY-MM-DD HH:MM:SS.ffffff') for SQLite, whose comparisons are textual."""
    us = us if valid is None else np.where(valid, us, 0)
    text_ = np.datetime_as_string(us.astype("datetime64[us]"), unit="us", timezone="UTC" if pg else "naive")
    if not pg:
        text_ = np.char.replace(text_, "T", " ")
    out = text_.astype(object)
    if valid is not None:
        out[~valid] = None
    return out.tolist()  # type: ignore[no-any-return]


def _dates(days: np.ndarray) -> list[str | None]:
    valid = days >= 0
    out = np.datetime_as_string(np.where(valid, days, 0).astype("datetime64[D]")).astype(object)
    out[~valid] = None
    return out.tolist()  # type: ignore[no-any-return]


def _nullable_ints(values: np.ndarray, valid: np.ndarray) -> list[int | None]:
    out = values.astype(object)
    out[~valid] = None
    return out.tolist()  # type: ignore[no-any-return]


def complaint_rows(p: Plan, pg: bool) -> Iterator[tuple[Any, ...]]:
    codes = np.asarray(p.codes, dtype=object)
    categories = np.asarray(p.categories, dtype=object)
    sections = np.asarray(p.sections, dtype=object)
    channels = np.asarray(CHANNELS, dtype=object)
    key_ids = np.asarray(p.api_key_ids + [0], dtype=np.int64)
    for lo in range(0, p.n, CHUNK):
        s = slice(lo, min(p.n, lo + CHUNK))
        m = s.stop - lo
        point = p.has_point[s]
        cols: list[list[Any]] = [
            list(range(p.first_id + lo, p.first_id + s.stop)),
            p.tracking_code[s].tolist(),
            _nullable_ints(p.first_citizen_id + p.citizen[s], p.citizen[s] >= 0),
            channels[p.channel[s]].tolist(),
            _nullable_ints(key_ids[p.api_key[s]], p.api_key[s] >= 0),
            p.reporter_name[s].tolist(),
            p.reporter_phone[s].tolist(),
            p.reporter_email[s].tolist(),
            _dates(p.reported_on[s]),
            codes[p.district[s]].tolist(),
            categories[p.category[s]].tolist(),
            p.description[s].tolist(),
            np.where(point, p.lat[s].astype(object), None).tolist(),
            np.where(point, p.lon[s].astype(object), None).tolist(),
            p.status[s].tolist(),
            _times(p.created[s], pg),
            _times(p.routed[s], pg),
            sections[p.category[s]].tolist(),
            _times(p.ack_due[s], pg),
            _times(p.acknowledged[s], pg, p.acknowledged[s] >= 0),
            _times(p.first_progress_due[s], pg, p.first_progress_due[s] >= 0),
            _times(p.first_progress[s], pg, p.first_progress[s] >= 0),
            _times(p.last_progress[s], pg, p.last_progress[s] >= 0),
            _dates(p.checkpoint[s]),
            _times(p.resolved[s], pg, p.resolved[s] >= 0),
            _nullable_ints(p.rating[s], p.rating[s] > 0),
            [0] * m,
        ]
        yield from zip(*cols, strict=True)


def citizen_rows(p: Plan, pg: bool) -> Iterator[tuple[Any, ...]]:
    for lo in range(0, p.citizens, CHUNK):
        s = slice(lo, min(p.citizens, lo + CHUNK))
        at = _times(p.citizen_created[s], pg)
        yield from zip(
            range(p.first_citizen_id + lo, p.first_citizen_id + s.stop),
            p.citizen_line_ids[s],
            p.citizen_names[s],
            ["th"] * len(at),
            [True] * len(at),
            at,
            at,
            strict=True,
        )


def _json(value: Any) -> str:
    return json.dumps(value)  # as SQLAlchemy's JSON type writes it


def event_rows(p: Plan, pg: bool) -> Iterator[tuple[Any, ...]]:
    codes = np.asarray(p.codes, dtype=object)
    category_json = [_json(c) for c in p.categories]
    routed_data = np.asarray(
        [[_json({"how": how, "section": sec}) for how in ("location", "staff")] for sec in p.sections],
        dtype=object,
    )
    officer_ids = np.asarray(p.officer_ids + [0], dtype=object)
    officer_names = np.asarray(p.officer_names + [None], dtype=object)
    key_ids = np.asarray(p.api_key_ids + [0], dtype=object)
    key_names = np.asarray(p.api_key_names + [None], dtype=object)
    call_takers = np.asarray(CALL_TAKERS, dtype=object)
    kinds = np.asarray(KIND_NAMES, dtype=object)
    line, api = CHANNELS.index("line"), CHANNELS.index("api")
    texts = {
        TRANSFERRED: np.asarray(TRANSFER_TEXTS, dtype=object),
        PROGRESS: np.asarray(PROGRESS_TEXTS, dtype=object),
        RESOLVED: np.asarray(RESULT_TEXTS, dtype=object),
        REJECTED: np.asarray(REJECT_TEXTS, dtype=object),
    }
    total = len(p.ev_at)
    for lo in range(0, total, CHUNK):
        s = slice(lo, min(total, lo + CHUNK))
        m = s.stop - lo
        c, kind, aux = p.ev_complaint[s], p.ev_kind[s], p.ev_aux[s]
        channel = p.channel[c]
        officer = np.where(kind == TRANSFERRED, p.officer_first[c], p.officer[c])
        by_officer = np.isin(kind, [TRANSFERRED, ROUTED_AGAIN, ACKNOWLEDGED, PROGRESS, RESOLVED, REJECTED])
        by_reporter = (kind == FILED) | (kind == RATED)
        citizen_acts = by_reporter & (channel == line)
        api_acts = (kind == FILED) & (channel == api)
        staff_acts = by_reporter & ~citizen_acts & ~api_acts

        actor_kind = np.full(m, "system", dtype=object)
        actor_kind[by_officer] = "officer"
        actor_kind[citizen_acts] = "citizen"
        actor_kind[staff_acts] = "staff"
        actor_kind[api_acts] = "api"
        actor_id = np.full(m, None, dtype=object)
        actor_id[by_officer] = officer_ids[officer[by_officer]]
        actor_id[citizen_acts] = p.first_citizen_id + p.citizen[c[citizen_acts]]
        actor_id[api_acts] = key_ids[p.api_key[c[api_acts]]]
        actor_name = np.full(m, None, dtype=object)
        actor_name[by_officer] = officer_names[officer[by_officer]]
        actor_name[staff_acts] = call_takers[p.call_taker[c[staff_acts]]]
        actor_name[api_acts] = key_names[p.api_key[c[api_acts]]]

        first_place = (kind == ROUTED) | (kind == TRANSFERRED)
        district = np.where(first_place, codes[p.district_first[c]], codes[p.district[c]])
        district[kind == FILED] = None

        body = np.full(m, None, dtype=object)
        filed = kind == FILED
        body[filed] = p.description[c[filed]]
        for k, choices in texts.items():
            mask = kind == k
            body[mask] = choices[aux[mask] % len(choices)]

        data = np.full(m, "{}", dtype=object)
        routed = kind == ROUTED
        data[routed] = routed_data[p.category[c[routed]], (~p.has_point[c[routed]]).astype(np.int64)]
        for i in np.flatnonzero(filed | (kind == TRANSFERRED) | (kind == ROUTED_AGAIN) | (kind == RATED)):
            ci, k = int(c[i]), int(kind[i])
            if k == FILED:
                data[i] = _filed_data(p, ci, category_json)
            elif k == TRANSFERRED:
                to, away = p.codes[p.district[ci]], p.codes[p.district_first[ci]]
                data[i] = _json({"to_district": to, "from_district": away})
            elif k == ROUTED_AGAIN:
                data[i] = _json({"how": "transfer", "from_district": p.codes[p.district_first[ci]]})
            else:
                data[i] = _json({"stars": int(aux[i])} | ({} if channel[i] == line else {"via": "phone"}))
        yield from zip(
            range(p.first_event_id + lo, p.first_event_id + s.stop),
            (p.first_id + c).tolist(),
            kinds[kind].tolist(),
            _times(p.ev_at[s], pg),
            actor_kind.tolist(),
            actor_id.tolist(),
            actor_name.tolist(),
            district.tolist(),
            body.tolist(),
            data.tolist(),
            strict=True,
        )


def _filed_data(p: Plan, i: int, category_json: list[str]) -> str:
    """The "filed" event's data as `file_complaint` writes it (an f-string: a million json.dumps is slow)."""
    point = bool(p.has_point[i])
    lat = repr(float(p.lat[i])) if point else "null"
    lon = repr(float(p.lon[i])) if point else "null"
    reported = f', "reported_on": "{_day(p.reported_on[i]).isoformat()}"' if p.reported_on[i] >= 0 else ""
    return (
        f'{{"category": {category_json[p.category[i]]}, "latitude": {lat}, "longitude": {lon}, '
        f'"possible_duplicates": [], "channel": "{CHANNELS[p.channel[i]]}"{reported}}}'
    )


# ---- the database --------------------------------------------------------------------------------


@dataclass
class Summary:
    complaints: int
    events: int
    citizens: int
    first_id: int
    last_id: int
    by_status: dict[str, int]
    by_channel: dict[str, int]
    events_by_kind: dict[str, int]
    period: tuple[datetime, datetime]
    texts: str
    backend: str
    seconds: dict[str, float]  # plan, write, indexes, analyse, total

    def describe(self) -> str:
        def share(d: dict[str, int]) -> str:
            total = max(1, sum(d.values()))
            return ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))

        start, end = (m.astimezone(BANGKOK).strftime("%Y-%m-%d") for m in self.period)
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items() if k != "total")
        return (
            f"{self.complaints:,} complaints (ids {self.first_id:,}..{self.last_id:,}), "
            f"{self.events:,} events ({self.events / max(1, self.complaints):.1f} each), "
            f"{self.citizens:,} LINE citizens, "
            f"{start} .. {end}, on {self.backend}, in {self.seconds['total']:.1f} s ({times})\n"
            f"  status: {share(self.by_status)}\n  channel: {share(self.by_channel)}\n"
            f"  events: {', '.join(f'{k} {v:,}' for k, v in sorted(self.events_by_kind.items()))}\n"
            f"  descriptions: {self.texts}"
        )


def read_context(session: Session, now: datetime, days: int, seed: int) -> Context:
    """Districts, categories, sections, officers and API keys the rows refer to (added when missing)."""
    ensure_districts(session)
    ensure_sections(session, now)
    ensure_categories(session, now)
    start = now - timedelta(days=days)
    codes = [code for code, _, _ in BANGKOK_DISTRICTS]
    rng = np.random.default_rng([seed, 7])
    officers: dict[str, list[tuple[int, str]]] = {}
    for code in codes:
        rows = session.execute(
            select(Officer.id, Officer.name).where(Officer.district_code == code, Officer.active.is_(True))
        ).all()
        if not rows:
            for k in range(OFFICERS_PER_DISTRICT):
                first, _ = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
                officer = Officer(
                    district_code=code,
                    name=f"{first} {LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]}",
                    role="head" if k == 0 else "officer",
                    line_user_id="U" + rng.bytes(16).hex(),
                    active=True,
                    created_at=start,
                )
                session.add(officer)
            session.flush()
            rows = session.execute(
                select(Officer.id, Officer.name).where(
                    Officer.district_code == code, Officer.active.is_(True)
                )
            ).all()
        officers[code] = [(r[0], r[1]) for r in rows]
    keys: list[tuple[int, str]] = []
    for name, _ in API_KEYS:
        row: ApiKey | None = key_by_name(session, name)
        if row is None:
            row, _secret = issue_key(session, name, start, posts_per_minute=600)  # the secret is not needed
        keys.append((row.id, row.name))
    categories = [s.name_th for s in SEED]
    years = range((now - timedelta(days=days + 7)).year, now.year + 2)
    has_codes = session.scalar(select(func.count(Complaint.id))) or 0
    taken = set(session.scalars(select(Complaint.tracking_code))) if has_codes else set()

    def next_id(table: str) -> int:
        return int(session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one())

    return Context(
        codes=codes,
        categories=categories,
        sections=[section_for(session, c) for c in categories],
        officers=officers,
        api_keys=keys,
        shapes=district_boundaries(session),
        calendar=load_calendar(session, years),
        first_id=next_id("complaints"),
        first_event_id=next_id("complaint_events"),
        first_citizen_id=next_id("citizens"),
        taken_codes=taken,
    )


def generate(
    engine: Engine,
    count: int = 1_000_000,
    seed: int = 1,
    now: datetime | None = None,
    days: int = 900,
    sample: Path | None = SAMPLE,
    log: Any = None,
) -> Summary:
    """Add `count` complaints (with citizens, events, deadlines) to the migrated database of `engine`,
    filed over the `days` before `now` (default: the app clock's now). PostgreSQL loads by COPY with the
    secondary indexes dropped and rebuilt when the tables start empty, then VACUUM ANALYZE."""

    def say(msg: str) -> None:
        if log is not None:
            print(msg, file=log, flush=True)

    if count < 1:
        raise ValueError("count must be at least 1")
    now = (now or clock.now()).astimezone(UTC)
    started = time.perf_counter()
    with transaction(make_session_factory(engine)) as session:
        ctx = read_context(session, now, days, seed)
    corpus = load_corpus(sample)
    p = plan(ctx, corpus, count, seed, now, days)
    seconds = {"plan": time.perf_counter() - started}
    say(f"planned {count:,} complaints and {len(p.ev_at):,} events in {seconds['plan']:.1f} s; writing …")
    pg = engine.dialect.name == "postgresql"
    if pg:
        seconds.update(_write_postgresql(engine, p, say))
    else:
        seconds.update(_write_sqlite(engine, p))
    seconds["total"] = time.perf_counter() - started
    by_status: dict[str, int] = {}
    for value, k in zip(*np.unique(p.status.astype(str), return_counts=True), strict=True):
        by_status[str(value)] = int(k)
    by_channel = {
        CHANNELS[int(i)]: int(k) for i, k in zip(*np.unique(p.channel, return_counts=True), strict=True)
    }
    return Summary(
        complaints=count,
        events=len(p.ev_at),
        citizens=p.citizens,
        first_id=p.first_id,
        last_id=p.first_id + count - 1,
        by_status=by_status,
        by_channel=by_channel,
        events_by_kind=p.by_kind,
        period=(now - timedelta(days=days), now),
        texts=corpus.source,
        backend="PostgreSQL" if pg else "SQLite",
        seconds=seconds,
    )


TABLES = (
    ("citizens", CITIZEN_COLUMNS),
    ("complaints", COMPLAINT_COLUMNS),
    ("complaint_events", EVENT_COLUMNS),
)


def _rows(p: Plan, table: str, pg: bool) -> Iterator[tuple[Any, ...]]:
    if table == "citizens":
        return citizen_rows(p, pg)
    if table == "complaints":
        return complaint_rows(p, pg)
    return event_rows(p, pg)


def _write_sqlite(engine: Engine, p: Plan) -> dict[str, float]:
    started = time.perf_counter()
    with engine.begin() as conn:
        for table, columns in TABLES:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            batch: list[tuple[Any, ...]] = []
            for row in _rows(p, table, pg=False):
                batch.append(row)
                if len(batch) >= 10_000:
                    conn.exec_driver_sql(sql, batch)
                    batch = []
            if batch:
                conn.exec_driver_sql(sql, batch)
    return {"write": time.perf_counter() - started}


# Indexes on the loaded tables, except those of constraints (primary keys, unique tracking codes).
SECONDARY_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename IN ('citizens', 'complaints', 'complaint_events')
  AND NOT EXISTS (
      SELECT 1 FROM pg_constraint c
      WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
"""


def _write_postgresql(engine: Engine, p: Plan, say: Any) -> dict[str, float]:
    seconds: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert conn is not None
        with conn.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Generated rows are consistent by construction: skip the per-row foreign-key triggers (needs a
            # superuser; without one the load is only slower).
            cur.execute("SAVEPOINT replica")
            try:
                cur.execute("SET LOCAL session_replication_role = replica")
                cur.execute("RELEASE SAVEPOINT replica")
            except Exception:
                cur.execute("ROLLBACK TO SAVEPOINT replica")
            cur.execute("SELECT count(*) FROM complaints")
            empty = cur.fetchone()[0] == 0  # type: ignore[index]
            indexes: list[tuple[str, str]] = []
            if empty:  # building an index once beats updating it a million times
                cur.execute(SECONDARY_INDEXES)
                indexes = list(cur.fetchall())
                for name, _ in indexes:
                    cur.execute(f'DROP INDEX "{name}"')
            started = time.perf_counter()
            for table, columns in TABLES:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in _rows(p, table, pg=True):
                        copy.write_row(row)
                say(f"  {table}: copied ({time.perf_counter() - started:.1f} s so far)")
            seconds["write"] = time.perf_counter() - started
            started = time.perf_counter()
            for _, create in indexes:
                cur.execute(create)
            seconds["indexes"] = time.perf_counter() - started
            for table in ("citizens", "complaints", "complaint_events"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    started = time.perf_counter()
    with engine.connect() as conn2:
        # VACUUM too: the visibility map lets index-only scans skip the heap, as after autovacuum.
        conn2 = conn2.execution_options(isolation_level="AUTOCOMMIT")
        conn2.execute(text("VACUUM ANALYZE citizens, complaints, complaint_events"))
        # And written out: otherwise the server spends the next minutes flushing the load's gigabytes
        # to disk, and what is measured then is that flush (commits wait behind it), not the app.
        try:
            conn2.execute(text("CHECKPOINT"))
        except DBAPIError as exc:  # needs a superuser (or pg_checkpoint): measured without it then
            print(f"no CHECKPOINT after the load ({str(exc.orig).strip()})", file=sys.stderr)
    seconds["analyse"] = time.perf_counter() - started
    return seconds


# ---- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.complaint_generator", description=__doc__.splitlines()[0]
    )
    p.add_argument("--database-url", required=True, help="a database (migrated here first when it is not)")
    p.add_argument("--count", type=int, default=1_000_000, help="complaints to add (default %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="the random seed (default %(default)s)")
    p.add_argument("--now", help="the end of the period, ISO (default: the app clock's now)")
    p.add_argument("--days", type=int, default=900, help="the period's length in days (default %(default)s)")
    a = p.parse_args(argv)
    if a.count < 1 or a.days < 1:
        p.error("--count and --days must be at least 1")
    now = None
    if a.now:
        now = datetime.fromisoformat(a.now)
        now = now if now.tzinfo else now.replace(tzinfo=BANGKOK)
    url = a.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = make_engine(url)
    try:
        upgrade(engine)
        summary = generate(engine, a.count, a.seed, now, a.days, log=sys.stderr)
    finally:
        engine.dispose()
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
