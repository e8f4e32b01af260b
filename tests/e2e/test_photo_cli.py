"""`rongtook photos fingerprint`, run as the operator runs it: fills in the photos stored before
fingerprints existed, counts and skips missing or broken files, and does nothing new the second time."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from models import Photo
from models.db import make_engine, transaction
from tests.e2e.test_settings import run_cli
from tests.unit.test_photo_fingerprints import exif_block, jpeg, scene

STORED = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def old_photo(photo_dir: Path, name: str, data: bytes | None) -> Photo:
    """A row as photos were stored before migration 0018: no fingerprint; `data` None: the file is gone."""
    relative = f"2026/06/{name}.jpg"
    if data is not None:
        (photo_dir / "2026/06").mkdir(parents=True, exist_ok=True)
        (photo_dir / relative).write_bytes(data)
    body = data or b""
    return Photo(
        path=relative,
        content_type="image/jpeg",
        size_bytes=len(body),
        sha256=hashlib.sha256(body + name.encode()).hexdigest(),
        created_at=STORED,
    )


def test_backfill_fills_old_photos_skips_bad_files_and_is_idempotent(db_url, tmp_path):
    photo_dir = tmp_path / "photos"
    engine = make_engine(db_url)
    sessions = sessionmaker(engine)
    with transaction(sessions) as s:
        rows = [
            old_photo(photo_dir, "a", jpeg(scene(1), exif=exif_block(original="2026:05:30 14:00:00"))),
            old_photo(photo_dir, "b", jpeg(scene(2))),
            old_photo(photo_dir, "c", b"this file is not an image"),
            old_photo(photo_dir, "d", None),
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(photo_dir)}

    dry = run_cli(tmp_path, "photos", "fingerprint", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert "would read 3 photo(s); missing files: 1" in dry.stdout
    with transaction(sessions) as s:
        assert s.scalars(select(Photo.fingerprint_version).where(Photo.id.in_(ids))).all() == [None] * 4

    first = run_cli(tmp_path, "photos", "fingerprint", "--batch", "2", **env)
    assert first.returncode == 0, first.stderr
    assert (
        "photos read: 3; fingerprinted: 2; not an image Pillow can decode: 1; with an EXIF time: 1; "
        "missing files: 1" in first.stdout
    )
    assert "Traceback" not in first.stdout + first.stderr
    with transaction(sessions) as s:
        a, b, c, d = (s.get(Photo, i) for i in ids)
        assert a is not None and b is not None and c is not None and d is not None
        assert a.fp_phash is not None and a.fp_probes is not None and a.fingerprint_version == 2
        assert a.fp_look is not None and a.fp_look_probes is not None  # stage 2 of the photo check
        assert a.exif_taken_at == datetime(2026, 5, 30, 7, 0, tzinfo=UTC)
        assert b.fp_phash is not None and b.exif_taken_at is None
        assert c.fingerprint_version == 2 and c.fp_phash is None  # read once, marked: not read again
        assert d.fingerprint_version is None  # the file may come back from a backup
        before = [(p.fp_phash, p.fp_dhash, p.fp_chunk0) for p in (a, b)]

    second = run_cli(tmp_path, "photos", "fingerprint", **env)
    assert second.returncode == 0, second.stderr
    assert "photos read: 0; fingerprinted: 0;" in second.stdout and "missing files: 1" in second.stdout
    with transaction(sessions) as s:
        again = [s.get(Photo, i) for i in ids[:2]]
        assert [(p.fp_phash, p.fp_dhash, p.fp_chunk0) for p in again if p] == before
    engine.dispose()


def test_photos_fingerprinted_before_stage_2_get_their_looks_on_the_next_run(db_url, tmp_path):
    photo_dir = tmp_path / "photos"
    engine = make_engine(db_url)
    sessions = sessionmaker(engine)
    with transaction(sessions) as s:
        row = old_photo(photo_dir, "v1", jpeg(scene(3)))
        row.fingerprint_version, row.fp_phash, row.fp_dhash = 1, 12345, 678  # hashes, no looks (before 0024)
        s.add(row)
        s.flush()
        row_id = row.id
    env = {"DATABASE_URL": db_url, "PHOTO_DIR": str(photo_dir)}
    run = run_cli(tmp_path, "photos", "fingerprint", **env)
    assert run.returncode == 0, run.stderr
    assert "photos read: 1; fingerprinted: 1;" in run.stdout
    with transaction(sessions) as s:
        again = s.get(Photo, row_id)
        assert again is not None and again.fingerprint_version == 2
        assert again.fp_look is not None and len(again.fp_look) == 304
        assert again.fp_phash != 12345  # read from the file again, hashes and all
    again_run = run_cli(tmp_path, "photos", "fingerprint", **env)
    assert "photos read: 0; fingerprinted: 0;" in again_run.stdout
    engine.dispose()
