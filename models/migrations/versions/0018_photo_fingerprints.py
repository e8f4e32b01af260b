"""photos' perceptual fingerprints and EXIF capture times (issue 17 points 1-2)

`photos.fp_phash`, `fp_dhash`: the 128-bit fingerprint of the photo's centre window (signed 64-bit
integers); `fp_chunk0..3`: the pHash's four 16-bit chunks, each indexed, so that the lookup for a
photo that looks like another (models/photo_checks.py) reads a few index entries instead of every
fingerprint (multi-index hashing). On PostgreSQL each index carries the row id, the fingerprint and
the complaint id, so the candidates are tested by an index-only scan (at a million fingerprints,
plain indexes gave a lookup p95 of 208 ms; see docs/operator-guide.md for the figure with these).
`fp_probes`: the nine shifted and zoomed windows used when the photo is the one being checked;
`fingerprint_version`: which fingerprint was read (None: not yet, and `rongtook photos fingerprint`
fills it in); `exif_taken_at`: when the photo was taken, from its EXIF.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

CHUNKS = ["fp_chunk0", "fp_chunk1", "fp_chunk2", "fp_chunk3"]
INCLUDED = ["id", "fp_phash", "fp_dhash", "complaint_id"]


# Plain ALTER TABLE, not batch mode (as 0011, 0017): SQLite adds and drops a column in place.
def upgrade() -> None:
    op.add_column("photos", sa.Column("fp_phash", sa.BigInteger(), nullable=True))
    op.add_column("photos", sa.Column("fp_dhash", sa.BigInteger(), nullable=True))
    for name in CHUNKS:
        op.add_column("photos", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("photos", sa.Column("fp_probes", sa.LargeBinary(), nullable=True))
    op.add_column("photos", sa.Column("fingerprint_version", sa.SmallInteger(), nullable=True))
    op.add_column("photos", sa.Column("exif_taken_at", sa.DateTime(timezone=True), nullable=True))
    for name in CHUNKS:  # PostgreSQL: the fingerprint in the index, so candidates are tested there
        op.create_index(f"ix_photos_{name}", "photos", [name], postgresql_include=INCLUDED)


def downgrade() -> None:
    for name in CHUNKS:
        op.drop_index(f"ix_photos_{name}", table_name="photos")
    for name in ["exif_taken_at", "fingerprint_version", "fp_probes", *reversed(CHUNKS), "fp_dhash", "fp_phash"]:
        op.execute(f"ALTER TABLE photos DROP COLUMN {name}")
