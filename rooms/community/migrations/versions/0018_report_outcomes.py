"""Reports are open until acted on: when and how (hidden, dismissed) each was closed

Revision ID: 0018_report_outcomes
Revises: 0017_signup_facts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_report_outcomes"
down_revision = "0017_signup_facts"
branch_labels = None
depends_on = None

TABLES = ("listing_reports", "direct_reports")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("closed_at", sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column("outcome", sa.String(length=10), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("outcome")
            batch_op.drop_column("closed_at")
