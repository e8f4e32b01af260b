"""check_photo (models/photo_checks.py) on SQLite and PostgreSQL: what an officer's progress or "after"
photo matches — the citizen's own "before" photo, another complaint's photo, or an EXIF time older than
the complaint — and what it must not (the same spot, staff's own earlier photo, itself)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance
from sqlalchemy.orm import Session, sessionmaker

from models import Citizen, Complaint, ComplaintEvent, Photo
from models.clock import BANGKOK
from models.complaint_operations import filed_complaint
from models.db import make_engine, transaction
from models.photo_checks import PhotoMatch, check_photo
from models.photos import save_photo
from tests.unit.test_photo_fingerprints import exif_block, jpeg, scene
from tests.unit.test_photo_fingerprints_looks import recoloured

FILED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LATER = FILED + timedelta(days=3)
SPOT = (13.8000, 100.5500)
FAR = (13.9000, 100.6500)  # about 15 km away
NEAR = (13.8002, 100.5502)  # about 30 m away


@dataclass
class World:
    sessions: sessionmaker[Session]
    photo_dir: Path
    citizens: int = 0

    def photo(
        self, session: Session, data: bytes, at: datetime = LATER, citizen: Citizen | None = None
    ) -> Photo:
        return save_photo(session, self.photo_dir, data, "image/jpeg", at, citizen)

    def complaint(
        self,
        session: Session,
        photos: list[bytes] = (),  # type: ignore[assignment]
        category: str = "ถนน",
        where: tuple[float, float] = SPOT,
        at: datetime = FILED,
    ) -> Complaint:
        self.citizens += 1
        citizen = Citizen(line_user_id=f"U{self.citizens:032d}", created_at=at, updated_at=at)
        session.add(citizen)
        session.flush()
        stored = [self.photo(session, data, at, citizen) for data in photos]
        complaint, _ = filed_complaint(
            session,
            citizen,
            description="ทางเท้าชำรุด",
            category=category,
            district_code=None,
            latitude=where[0],
            longitude=where[1],
            photos=stored,
            at=at,
        )
        return complaint

    def staff_sent(self, session: Session, complaint: Complaint, data: bytes, at: datetime = LATER) -> Photo:
        """An officer's progress update with this photo, on the record."""
        event = ComplaintEvent(
            complaint_id=complaint.id, kind="progress", at=at, actor_kind="officer", actor_id=1
        )
        session.add(event)
        session.flush()
        photo = self.photo(session, data, at)
        photo.complaint_id, photo.event_id = complaint.id, event.id
        session.flush()
        return photo


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    engine = make_engine(db_url)
    yield World(sessionmaker(engine, expire_on_commit=False), tmp_path / "photos")
    engine.dispose()


def brighter(image: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(1.2)


def kinds(matches: list[PhotoMatch]) -> list[str]:
    return [m.kind for m in matches]


def test_an_after_photo_that_is_the_citizens_before_photo_edited(world):
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(1))])
        before = s.query(Photo).filter_by(complaint_id=complaint.id).one()
        after = world.photo(s, jpeg(brighter(scene(1)), 60))
        matches = check_photo(s, after, complaint)
    assert kinds(matches) == ["citizen_before"]
    (m,) = matches
    assert (m.photo_id, m.complaint_id, m.complaint_code) == (
        before.id,
        complaint.id,
        complaint.tracking_code,
    )
    assert m.at == FILED and m.distance is not None and 0 < m.distance <= 20


def test_a_photo_of_another_complaint_in_another_district_is_elsewhere(world):
    with transaction(world.sessions) as s:
        other = world.complaint(s, [jpeg(scene(2))], category="ไฟฟ้า", where=FAR)
        mine = world.complaint(s, [jpeg(scene(3))])
        reused = world.photo(s, jpeg(scene(2).resize((320, 240)), 60))
        matches = check_photo(s, reused, mine)
    assert [(m.kind, m.complaint_code) for m in matches] == [("elsewhere", other.tracking_code)]
    assert matches[0].at == FILED


def test_another_report_of_the_same_spot_and_category_is_not_a_match(world):
    with transaction(world.sessions) as s:
        world.complaint(s, [jpeg(scene(4))], category="ถนน", where=NEAR)
        mine = world.complaint(s, [jpeg(scene(5))], category="ถนน", where=SPOT)
        after = world.photo(s, jpeg(scene(4), 70))
        assert check_photo(s, after, mine) == []


@pytest.mark.parametrize(
    ("category", "where"),
    [("ถนน", FAR), ("ไฟฟ้า", NEAR)],
    ids=["same category far away", "other category near"],
)
def test_the_same_spot_exemption_needs_both_category_and_distance(world, category, where):
    with transaction(world.sessions) as s:
        other = world.complaint(s, [jpeg(scene(6))], category=category, where=where)
        mine = world.complaint(s, [jpeg(scene(7))], category="ถนน", where=SPOT)
        after = world.photo(s, jpeg(scene(6), 70))
        matches = check_photo(s, after, mine)
    assert [(m.kind, m.complaint_id) for m in matches] == [("elsewhere", other.id)]


def test_staff_sending_their_own_progress_photo_again_is_not_a_match(world):
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(8))])
        world.staff_sent(s, complaint, jpeg(scene(9)))
        again = world.photo(s, jpeg(scene(9), 75))
        assert check_photo(s, again, complaint) == []


def test_staffs_photo_of_one_complaint_sent_for_another_is_elsewhere(world):
    with transaction(world.sessions) as s:
        first = world.complaint(s, [jpeg(scene(10))], category="ขยะ", where=FAR)
        world.staff_sent(s, first, jpeg(scene(11)))
        second = world.complaint(s, [jpeg(scene(12))])
        reused = world.photo(s, jpeg(scene(11), 75))
        matches = check_photo(s, reused, second)
    assert [(m.kind, m.complaint_code) for m in matches] == [("elsewhere", first.tracking_code)]


def test_a_new_photo_matches_nothing_and_never_itself(world):
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(13))])
        world.complaint(s, [jpeg(scene(14))], where=FAR)
        fresh = world.photo(s, jpeg(scene(15)))
        assert check_photo(s, fresh, complaint) == []
        fresh.complaint_id = complaint.id  # attached to its update already: still not a match with itself
        s.flush()
        assert check_photo(s, fresh, complaint) == []


def test_the_same_file_sent_twice_in_one_turn_is_not_a_match(world):
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(16))])
        data = jpeg(scene(17))
        first, second = world.photo(s, data), world.photo(s, data)
        event = ComplaintEvent(complaint_id=complaint.id, kind="resolved", at=LATER, actor_kind="officer")
        s.add(event)
        s.flush()
        for p in (first, second):
            p.complaint_id, p.event_id = complaint.id, event.id
        s.flush()
        assert check_photo(s, second, complaint) == []


def test_unattached_photos_are_not_elsewhere(world):
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(18))])
        world.photo(s, jpeg(scene(19)))  # sent, never attached to a complaint (a dialog left half-way)
        after = world.photo(s, jpeg(scene(19), 70))
        assert check_photo(s, after, complaint) == []


def test_an_exif_time_before_the_complaint_was_filed(world):
    taken = FILED - timedelta(days=40)
    exif = exif_block(original=taken.astimezone(UTC).strftime("%Y:%m:%d %H:%M:%S"), offset="+00:00")
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(20))])
        old = world.photo(s, jpeg(scene(21), exif=exif))
        matches = check_photo(s, old, complaint)
    assert matches == [
        PhotoMatch("older_than_complaint", None, complaint.id, complaint.tracking_code, taken, None)
    ]


def test_an_exif_time_a_few_hours_before_filing_is_a_camera_clock_not_a_reuse(world):
    # A phone whose clock is on another time zone: its EXIF time, read as Bangkok time, is hours early.
    clock_off = (FILED - timedelta(hours=7)).astimezone(BANGKOK).strftime("%Y:%m:%d %H:%M:%S")
    two_days = (FILED - timedelta(days=2)).astimezone(BANGKOK).strftime("%Y:%m:%d %H:%M:%S")
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(26))])
        assert (
            check_photo(s, world.photo(s, jpeg(scene(27), exif=exif_block(original=clock_off))), complaint)
            == []
        )
        old = world.photo(s, jpeg(scene(28), exif=exif_block(original=two_days)))
        assert kinds(check_photo(s, old, complaint)) == ["older_than_complaint"]


def test_an_exif_time_after_filing_is_fine_and_image_matches_come_first(world):
    after_filing = exif_block(original="2026:12:02 10:00:00")  # Bangkok, the day after filing
    before_filing = exif_block(original="2026:11:02 10:00:00")
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(22))])
        assert check_photo(s, world.photo(s, jpeg(scene(23), exif=after_filing)), complaint) == []
        both = world.photo(s, jpeg(scene(22), 70, exif=before_filing))
        assert kinds(check_photo(s, both, complaint)) == ["citizen_before", "older_than_complaint"]


def test_photos_without_a_fingerprint_are_skipped(world):
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(24))])
        stored = s.query(Photo).filter_by(complaint_id=complaint.id).one()
        stored.fp_phash = stored.fp_dhash = stored.fp_probes = None  # as before the backfill
        stored.fp_chunk0 = stored.fp_chunk1 = stored.fp_chunk2 = stored.fp_chunk3 = None
        s.flush()
        assert check_photo(s, world.photo(s, jpeg(scene(24), 70)), complaint) == []
        blank = world.photo(s, jpeg(Image.new("RGB", (640, 480), (0, 0, 0))))
        assert blank.fp_phash is None
        assert check_photo(s, blank, complaint) == []


def test_save_photo_stores_the_fingerprint_and_exif_time(world):
    with transaction(world.sessions) as s:
        photo = world.photo(s, jpeg(scene(25), exif=exif_block(original="2026:11:30 08:15:00")))
        photo_id = photo.id
    with transaction(world.sessions) as s:
        again = s.get(Photo, photo_id)
        assert again is not None
        assert again.fingerprint_version == 2
        assert None not in (again.fp_phash, again.fp_dhash, again.fp_chunk0, again.fp_chunk3)
        assert again.fp_probes is not None and len(again.fp_probes) == 9 * 16
        assert again.fp_look is not None and len(again.fp_look) == 304  # stage 2: the centre's look
        assert again.fp_look_probes is not None and len(again.fp_look_probes) == 9 * 304
        assert again.exif_taken_at == datetime(2026, 11, 30, 1, 15, tzinfo=UTC)


def test_save_photo_of_a_blank_or_tiny_image_stores_no_fingerprint_and_no_error(world):
    with transaction(world.sessions) as s:
        tiny = world.photo(s, jpeg(Image.new("RGB", (4, 3), (200, 30, 30))))
        assert tiny.fingerprint_version == 2 and tiny.fp_phash is None and tiny.exif_taken_at is None
        assert tiny.fp_look is None and tiny.fp_look_probes is None


def test_a_photo_the_hashes_confuse_but_that_looks_different_is_not_a_match(world):
    # The same grey picture in the opposite colours: the grey hashes call it the same, stage 2 does not.
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(30))])
        world.complaint(s, [jpeg(scene(31))], category="ไฟฟ้า", where=FAR)
        assert check_photo(s, world.photo(s, jpeg(recoloured(scene(30)))), complaint) == []
        assert check_photo(s, world.photo(s, jpeg(recoloured(scene(31)))), complaint) == []
        # …while the real photos, edited, are still found by both stages.
        assert kinds(check_photo(s, world.photo(s, jpeg(brighter(scene(30)), 60)), complaint)) == [
            "citizen_before"
        ]


def test_a_photo_fingerprinted_before_stage_2_is_matched_by_the_hashes_alone(world):
    # Until `rongtook photos fingerprint` reads it again, a photo without a look is judged as before 0024.
    with transaction(world.sessions) as s:
        complaint = world.complaint(s, [jpeg(scene(32))])
        stored = s.query(Photo).filter_by(complaint_id=complaint.id).one()
        assert check_photo(s, world.photo(s, jpeg(recoloured(scene(32)))), complaint) == []
        stored.fp_look = stored.fp_look_probes = None
        s.flush()
        assert kinds(check_photo(s, world.photo(s, jpeg(recoloured(scene(32)))), complaint)) == [
            "citizen_before"
        ]
        # The same when the photo being checked is the old one (no looks of its own).
        stored.fp_look = world.photo(s, jpeg(scene(32))).fp_look
        checked = world.photo(s, jpeg(recoloured(scene(32))))
        checked.fp_look = checked.fp_look_probes = None
        s.flush()
        assert kinds(check_photo(s, checked, complaint)) == ["citizen_before"]
