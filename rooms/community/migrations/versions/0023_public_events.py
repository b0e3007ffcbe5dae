"""An agenda event's public page (/e/<id>): the organiser's `public` flag

Revision ID: 0023_public_events
Revises: 0022_announcement_media
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_public_events"
down_revision = "0022_announcement_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Off for every existing event: nothing becomes public without its organiser saying so.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("public")
