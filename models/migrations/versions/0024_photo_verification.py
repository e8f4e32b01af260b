"""a second, independent look at photos that share a fingerprint (issue 17 point 4: false flags at a million)

`photos.fp_look`: how the photo's centre window looks (models/photo_fingerprints.Look: a 16×16 grey and a
4×4 colour thumbnail, 304 bytes), which a stage-1 candidate of the photo check must also agree with;
`fp_look_probes`: the same for the nine probe windows (2,736 bytes), used when the photo is the one
checked. Photos fingerprinted before this revision have neither (the check then relies on the hashes
alone for them) until `rongtook photos fingerprint` reads them again (fingerprint version 2).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode (as 0018): SQLite adds and drops a column in place.
def upgrade() -> None:
    op.add_column("photos", sa.Column("fp_look", sa.LargeBinary(), nullable=True))
    op.add_column("photos", sa.Column("fp_look_probes", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for name in ["fp_look_probes", "fp_look"]:
        op.execute(f"ALTER TABLE photos DROP COLUMN {name}")
