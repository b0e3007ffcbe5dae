"""Meeting attendance, the daily activity roll-up, and the indexes its refresh reads by

Revision ID: 0014_insight_rollup
Revises: 0013_push
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_insight_rollup"
down_revision = "0013_push"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_rsvps_updated_at", "rsvps", ["updated_at"])
    op.create_index("ix_event_questions_asked_at", "event_questions", ["asked_at"])
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.Column("left_at", sa.BigInteger(), nullable=False),
        _fk("meeting_attendance", "room_id", "rooms", "CASCADE"),
        _fk("meeting_attendance", "event_id", "events", "SET NULL"),
        _fk("meeting_attendance", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_attendance"),
    )
    op.create_index("ix_meeting_attendance_joined_at", "meeting_attendance", ["joined_at"])
    op.create_index(
        "ix_meeting_attendance_user_id_joined_at", "meeting_attendance", ["user_id", "joined_at"]
    )
    op.create_index("ix_meeting_attendance_event_id", "meeting_attendance", ["event_id"])
    op.create_table(
        "activity_days",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("rsvps", sa.Integer(), nullable=False),
        sa.Column("going", sa.Integer(), nullable=False),
        sa.Column("meeting_seconds", sa.Integer(), nullable=False),
        _fk("activity_days", "room_id", "rooms", "CASCADE"),
        _fk("activity_days", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("day", "room_id", "user_id", name="pk_activity_days"),
    )
    op.create_index("ix_activity_days_user_id_day", "activity_days", ["user_id", "day"])
    op.create_table(
        "room_days",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("rsvps", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("meeting_seconds", sa.Integer(), nullable=False),
        _fk("room_days", "room_id", "rooms", "CASCADE"),
        sa.PrimaryKeyConstraint("day", "room_id", name="pk_room_days"),
    )
    op.create_table(
        "first_activity",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        _fk("first_activity", "user_id", "users", "CASCADE"),
        _fk("first_activity", "room_id", "rooms", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "room_id", name="pk_first_activity"),
    )
    op.create_table(
        "member_first_activity",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        _fk("member_first_activity", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_member_first_activity"),
    )
    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("until_day", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_rollup_marks"),
    )
    op.create_table(
        "member_windows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "recent_days",
                "before_days",
                "last_day",
                "recent_messages",
                "before_messages",
                "going",
            )
        ),
        _fk("member_windows", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_member_windows"),
    )
    op.create_table(
        "period_counts",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", "start_day", name="pk_period_counts"),
    )


def downgrade() -> None:
    for table in (
        "period_counts",
        "member_windows",
        "rollup_marks",
        "member_first_activity",
        "first_activity",
        "room_days",
        "activity_days",
    ):
        op.drop_table(table)
    op.drop_table("meeting_attendance")
    op.drop_index("ix_event_questions_asked_at", "event_questions")
    op.drop_index("ix_rsvps_updated_at", "rsvps")
    op.drop_index("ix_messages_created_at", "messages")
