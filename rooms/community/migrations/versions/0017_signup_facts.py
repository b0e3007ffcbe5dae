"""Recruitment reports read referrals alone: each sign-up's region and first activity kept on it

Revision ID: 0017_signup_facts
Revises: 0016_reactions_and_poll_closing

`referrals.region_code` follows `users.region_code` through a trigger (a profile's region is
set in one place, rooms/community/accounts.py, but the community must not know about the
organising context's tables); `referrals.first_at` is kept by the activity roll-up. Both are
filled here from what is there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_signup_facts"
down_revision = "0016_reactions_and_poll_closing"
branch_labels = None
depends_on = None

POSTGRES_TRIGGER = [
    """CREATE FUNCTION referrals_follow_region() RETURNS trigger AS $$
BEGIN
    UPDATE referrals SET region_code = NEW.region_code WHERE user_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER users_region_to_referrals AFTER UPDATE OF region_code ON users
FOR EACH ROW WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code)
EXECUTE FUNCTION referrals_follow_region()""",
]
SQLITE_TRIGGER = [
    """CREATE TRIGGER users_region_to_referrals AFTER UPDATE OF region_code ON users
FOR EACH ROW WHEN OLD.region_code IS NOT NEW.region_code
BEGIN
    UPDATE referrals SET region_code = NEW.region_code WHERE user_id = NEW.id;
END""",
]


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region_code", sa.String(length=13), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("first_at", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE referrals SET"
        " region_code = (SELECT region_code FROM users WHERE users.id = referrals.user_id),"
        " first_at = (SELECT first_at FROM member_first_activity m"
        " WHERE m.user_id = referrals.user_id)"
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGER if postgres else SQLITE_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS users_region_to_referrals"
        + (" ON users" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS referrals_follow_region()")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("first_at")
        batch_op.drop_column("region_code")
