"""`rongtook photos`: perceptual fingerprints of the photos stored before they existed (issue 17).

`fingerprint` reads each photo without one from PHOTO_DIR, in batches, and stores its fingerprint and
EXIF capture time (models/photo_checks.py). A missing or unreadable file is counted and skipped; a file
that is no image is marked so it is not read again; running it again does nothing new. Photos read by an
older fingerprint version (before migration 0024: the hashes without the looks of stage 2) are read again.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings


def add_parser(sub: Any) -> None:
    photos = sub.add_parser("photos", help="photo fingerprints: fill them in for photos stored before")
    actions = photos.add_subparsers(dest="action", required=True)
    fp = actions.add_parser(
        "fingerprint", help="fingerprint every photo that has none, or an older one (safe to run again)"
    )
    fp.add_argument("--dry-run", action="store_true", help="only count what would be read")
    fp.add_argument("--batch", type=int, default=200, help="photos a transaction (default 200)")


def cmd_photos(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services import Services
    from models.photo_checks import backfill_fingerprints

    services = Services.from_settings(settings)
    try:
        counts = backfill_fingerprints(
            services.sessions, settings.photo_dir, batch=max(1, args.batch), dry_run=args.dry_run
        )
    finally:
        services.engine.dispose()
    if args.dry_run:
        print(
            f"would read {counts.to_read - counts.missing} photo(s); "
            f"missing files: {counts.missing} (dry run: nothing written)"
        )
        return 0
    print(
        f"photos read: {counts.to_read - counts.missing}; fingerprinted: {counts.fingerprinted}; "
        f"not an image Pillow can decode: {counts.no_fingerprint}; with an EXIF time: {counts.with_time}; "
        f"missing files: {counts.missing}"
    )
    return 0
