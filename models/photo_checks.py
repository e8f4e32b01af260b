"""Does an officer's progress or "after" photo show something already seen (issue 17 point 2)?

`check_photo` compares the photo's fingerprint (models/photo_fingerprints.py) with every stored photo
attached to a complaint, through the multi-index lookup `similar_photos`, and reads the photo's EXIF
capture time against the complaint's filing time. What counts:

- "citizen_before": a photo the citizen sent with this same complaint (an "after" that is the "before",
  possibly edited);
- "elsewhere": a photo of another complaint, in any district, except one of the same category within
  `SAME_SPOT_M` (two reports of the same spot look alike by right);
- "older_than_complaint": the photo was taken, by its own EXIF, before the complaint was filed.

A stored photo counts as the same picture when the two stages agree: the hashes (stage 1, the lookup)
and the look (stage 2, `photo_fingerprints.looks_alike`, run only on stage 1's few candidates). When
either photo has no look (fingerprinted before migration 0024, until `rongtook photos fingerprint`
reads it again), the hashes alone decide, as they did before: a missed reuse is worse than a question.

Never the photo itself, nor another row of the same file (sha256) sent in the same turn; never a photo
staff sent earlier on the same complaint (an officer may send the same progress photo again); photos
without a fingerprint are skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Integer, any_, bindparam, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from models.complaints import Complaint, ComplaintEvent, Photo
from models.db import transaction
from models.nearby import distance_m
from models.photo_fingerprints import (
    MATCH_PHASH,
    VERSION,
    Look,
    PhotoFacts,
    Window,
    chunks,
    looks_alike,
    looks_from_bytes,
    match_distance,
    near_chunks,
    probes_from_bytes,
    read_photo,
    signed,
    unsigned,
)

log = logging.getLogger(__name__)
SAME_SPOT_M = 50.0  # another complaint of the same category this close: the same spot, not a reused photo
# A camera's clock is set by hand, often to another time zone, and EXIF rarely says which zone (a time
# without offset is read as Bangkok's): a photo "taken" hours before the filing is a clock, not a reuse.
EXIF_CLOCK_SLACK = timedelta(days=1)
STAGE1_CANDIDATES = 200  # at most this many hash matches get the second look (a million gives a few)
KIND_ORDER = {"citizen_before": 0, "elsewhere": 1, "older_than_complaint": 2}
CHUNK_COLUMNS = (Photo.fp_chunk0, Photo.fp_chunk1, Photo.fp_chunk2, Photo.fp_chunk3)


@dataclass(frozen=True)
class PhotoMatch:
    kind: str  # "citizen_before" | "elsewhere" | "older_than_complaint"
    photo_id: int | None  # the stored photo it matches (None for "older_than_complaint")
    complaint_id: int | None  # that photo's complaint (this complaint's id for "older_than_complaint")
    complaint_code: str | None  # its tracking code
    at: datetime  # when the matched photo was stored (or the EXIF capture time), aware
    distance: int | None  # bits of 128 that differ (photo_fingerprints.MATCH_DISTANCE at most)


@dataclass(frozen=True)
class Similar:
    """A stored photo that looks like the one checked."""

    photo_id: int
    complaint_id: int
    citizen_id: int | None
    event_id: int | None
    sha256: str
    created_at: datetime
    distance: int


def record_facts(photo: Photo, facts: PhotoFacts) -> None:
    """Keep what the image bytes told on the photo's row (all None when they told nothing)."""
    fp = facts.fingerprint
    photo.fingerprint_version = VERSION
    photo.exif_taken_at = facts.taken_at
    if fp is None:
        photo.fp_phash = photo.fp_dhash = photo.fp_probes = None
        photo.fp_chunk0 = photo.fp_chunk1 = photo.fp_chunk2 = photo.fp_chunk3 = None
        photo.fp_look = photo.fp_look_probes = None
        return
    photo.fp_phash, photo.fp_dhash = signed(fp.centre.phash), signed(fp.centre.dhash)
    photo.fp_chunk0, photo.fp_chunk1, photo.fp_chunk2, photo.fp_chunk3 = chunks(fp.centre.phash)
    photo.fp_probes = fp.probes_bytes()
    photo.fp_look, photo.fp_look_probes = fp.centre_look_bytes(), fp.probe_looks_bytes()


def windows_of(photo: Photo) -> tuple[Window, ...]:
    """The photo's centre window and its probes; () when it has no fingerprint."""
    if photo.fp_phash is None or photo.fp_dhash is None:
        return ()
    centre = Window(unsigned(photo.fp_phash), unsigned(photo.fp_dhash))
    return (centre, *probes_from_bytes(photo.fp_probes))


def looks_of(photo: Photo) -> tuple[Look, ...]:
    """The looks of the photo's ten windows, centre first; () when it has none (read before 0024)."""
    centre = looks_from_bytes(photo.fp_look)
    probes = looks_from_bytes(photo.fp_look_probes)
    return (*centre, *probes) if len(centre) == 1 and len(probes) == 9 else ()


def similar_photos(
    session: Session,
    windows: Sequence[Window],
    exclude_ids: Iterable[int] = (),
    limit: int = 20,
    looks: Sequence[Look] = (),
) -> list[Similar]:
    """Stored photos attached to a complaint within MATCH_DISTANCE of any of `windows` and, when both
    have looks, looking alike too (stage 2), closest first.

    Multi-index hashing: a candidate shares one of its pHash's four 16-bit chunks, give or take one bit,
    with one of the windows (each chunk column is indexed); the exact distance then decides; then, for
    those few, the looks."""
    if not windows:
        return []
    probes = [sorted({v for w in windows for v in near_chunks(chunks(w.phash)[i])}) for i in range(4)]
    postgresql = session.get_bind().dialect.name == "postgresql"
    close = _close_in_sql(windows) if postgresql else None
    parts = []
    for column, values in zip(CHUNK_COLUMNS, probes, strict=True):
        # PostgreSQL: one array parameter (a short statement to parse); SQLite: IN (…).
        wanted = (
            column == any_(bindparam(None, values, type_=ARRAY(Integer)))
            if postgresql
            else column.in_(values)
        )
        part = select(Photo.id, Photo.fp_phash, Photo.fp_dhash).where(wanted, Photo.complaint_id.is_not(None))
        # PostgreSQL tests each candidate in the index (the fingerprint rides along: an index-only scan);
        # SQLite has no bit_count: Python tests them below, as it does the few PostgreSQL leaves.
        parts.append(part if close is None else part.where(close))
    excluded = set(exclude_ids)
    distances: dict[int, int] = {}
    for pid, phash, dhash in session.execute(union_all(*parts)):
        if pid in excluded or pid in distances or phash is None or dhash is None:
            continue
        distance = match_distance(windows, Window(unsigned(phash), unsigned(dhash)))
        if distance is not None:
            distances[pid] = distance
    if not distances:
        return []
    # Stage 2 reads every stage-1 candidate's look (a few rows by id), so the limit counts real matches.
    nearest = sorted(distances, key=lambda pid: (distances[pid], pid))[: max(limit, STAGE1_CANDIDATES)]
    rows = session.execute(
        select(
            Photo.id,
            Photo.complaint_id,
            Photo.citizen_id,
            Photo.event_id,
            Photo.sha256,
            Photo.created_at,
            Photo.fp_look,
        ).where(Photo.id.in_(nearest))
    )
    found = [
        Similar(pid, complaint_id, citizen_id, event_id, sha256, created_at, distances[pid])
        for pid, complaint_id, citizen_id, event_id, sha256, created_at, look in rows
        if _looks_alike(looks, look)
    ]
    found.sort(key=lambda s: (s.distance, s.photo_id))
    return found[:limit]


def _looks_alike(looks: Sequence[Look], stored: bytes | None) -> bool:
    """Stage 2 for one candidate; without a look on either side, stage 1 alone decides."""
    centre = looks_from_bytes(stored)
    if not looks or len(centre) != 1:
        return True
    return looks_alike(looks, centre[0])


def _close_in_sql(windows: Sequence[Window]) -> ColumnElement[bool]:
    """On PostgreSQL, the candidates whose pHash is within MATCH_PHASH of a window: tested in the index
    (bit_count), so only those few reach Python, which tests the whole of Window.match."""
    params = {f"w{i}": signed(w.phash) for i, w in enumerate(windows)}
    counts = ", ".join(f"bit_count((photos.fp_phash # CAST(:{name} AS BIGINT))::bit(64))" for name in params)
    return text(f"LEAST({counts}) <= {MATCH_PHASH}").bindparams(**params)  # type: ignore[return-value]


def check_photo(session: Session, photo: Photo, complaint: Complaint) -> list[PhotoMatch]:
    """What an officer's progress/"after" `photo` (already saved, not necessarily attached yet) for
    `complaint` matches, strongest first; [] when it looks new."""
    matches: list[PhotoMatch] = []
    filed = set(
        session.scalars(
            select(ComplaintEvent.id).where(
                ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "filed"
            )
        )
    )
    others: dict[int, Complaint | None] = {}
    for s in similar_photos(session, windows_of(photo), exclude_ids=[photo.id], looks=looks_of(photo)):
        if s.sha256 == photo.sha256 and (s.event_id is None or s.event_id == photo.event_id):
            continue  # the same file sent twice in one turn
        if s.complaint_id == complaint.id:
            if s.citizen_id is None and s.event_id not in filed:
                continue  # staff's own earlier photo of this complaint
            matches.append(
                PhotoMatch(
                    "citizen_before",
                    s.photo_id,
                    complaint.id,
                    complaint.tracking_code,
                    s.created_at,
                    s.distance,
                )
            )
            continue
        if s.complaint_id not in others:
            others[s.complaint_id] = session.get(Complaint, s.complaint_id)
        other = others[s.complaint_id]
        if other is None or _same_spot(complaint, other):
            continue
        matches.append(
            PhotoMatch("elsewhere", s.photo_id, other.id, other.tracking_code, s.created_at, s.distance)
        )
    matches.sort(key=lambda m: (m.distance or 0, KIND_ORDER[m.kind], m.photo_id or 0))
    taken = photo.exif_taken_at
    if taken is not None and taken < complaint.created_at - EXIF_CLOCK_SLACK:
        matches.append(
            PhotoMatch("older_than_complaint", None, complaint.id, complaint.tracking_code, taken, None)
        )
    return matches


def _same_spot(complaint: Complaint, other: Complaint) -> bool:
    """Another report of the same spot: the same category within SAME_SPOT_M."""
    if complaint.category is None or complaint.category != other.category or complaint.latitude is None:
        return False
    if complaint.longitude is None:
        return False
    return distance_m(complaint.latitude, complaint.longitude, other.latitude, other.longitude) <= SAME_SPOT_M


@dataclass
class BackfillCounts:
    """What `rongtook photos fingerprint` did (or, with --dry-run, would do)."""

    to_read: int = 0  # photos never read (or read with an older fingerprint version)
    fingerprinted: int = 0
    no_fingerprint: int = 0  # the file is there but is no image Pillow can decode: marked, not read again
    missing: int = 0  # no file under PHOTO_DIR (restored from a backup later, it is read then)
    with_time: int = 0  # an EXIF capture time was found


def backfill_fingerprints(
    sessions: sessionmaker[Session], photo_dir: Path, batch: int = 200, dry_run: bool = False
) -> BackfillCounts:
    """Fingerprint the photos stored before fingerprints existed, `batch` rows a transaction."""
    counts = BackfillCounts()
    todo = or_(Photo.fingerprint_version.is_(None), Photo.fingerprint_version < VERSION)
    last_id = 0
    while True:
        with transaction(sessions) as session:
            photos = list(
                session.scalars(select(Photo).where(todo, Photo.id > last_id).order_by(Photo.id).limit(batch))
            )
            if not photos:
                return counts
            last_id = photos[-1].id
            for photo in photos:
                counts.to_read += 1
                path = photo_dir / photo.path
                try:
                    data = path.read_bytes()
                except OSError:
                    counts.missing += 1
                    log.warning("photo %s: file %s cannot be read", photo.id, path)
                    continue
                if dry_run:
                    continue
                facts = read_photo(data)
                record_facts(photo, facts)
                if facts.fingerprint is None:
                    counts.no_fingerprint += 1
                else:
                    counts.fingerprinted += 1
                if facts.taken_at is not None:
                    counts.with_time += 1
