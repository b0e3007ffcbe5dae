"""Direct messages (with blocks and reports) and polls; listing chats become direct ones

Revision ID: 0009_direct_and_polls
Revises: 0008_announcements
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0009_direct_and_polls"
down_revision = "0008_announcements"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, cascade: bool = True) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    _direct_tables()
    _poll_tables()
    _listing_chats_to_direct()


def _direct_tables() -> None:
    op.create_table(
        "direct_chats",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_low", sa.Integer(), nullable=False),
        sa.Column("user_high", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("direct_chats", "room_id", "rooms"),
        _fk("direct_chats", "user_low", "users"),
        _fk("direct_chats", "user_high", "users"),
        sa.PrimaryKeyConstraint("room_id", name="pk_direct_chats"),
        sa.UniqueConstraint("user_low", "user_high", name="uq_direct_chats_user_low_user_high"),
    )
    op.create_index("ix_direct_chats_user_high", "direct_chats", ["user_high"])
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("blocks", "blocker_id", "users"),
        _fk("blocks", "blocked_id", "users"),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name="pk_blocks"),
    )
    op.create_table(
        "direct_reports",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("direct_reports", "room_id", "rooms"),
        _fk("direct_reports", "reporter_id", "users"),
        sa.PrimaryKeyConstraint("room_id", "reporter_id", name="pk_direct_reports"),
    )


def _poll_tables() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("multiple", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("closes_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("polls", "room_id", "rooms"),
        _fk("polls", "author_id", "users", cascade=False),
        sa.PrimaryKeyConstraint("id", name="pk_polls"),
    )
    op.create_index("ix_polls_room_id_id", "polls", ["room_id", "id"])
    op.create_table(
        "poll_options",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=100), nullable=False),
        _fk("poll_options", "poll_id", "polls"),
        sa.PrimaryKeyConstraint("poll_id", "position", name="pk_poll_options"),
    )
    op.create_table(
        "poll_votes",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _fk("poll_votes", "poll_id", "polls"),
        _fk("poll_votes", "user_id", "users"),
        sa.PrimaryKeyConstraint("poll_id", "user_id", "position", name="pk_poll_votes"),
    )
    op.create_index(
        "ix_poll_votes_poll_id_position_created_at_user_id",
        "poll_votes",
        ["poll_id", "position", "created_at", "user_id"],
    )


def _listing_chats_to_direct() -> None:
    """ "Chat with the seller" used to make a two-member room per listing and buyer ("Lapak:
    ..."). The oldest such room of each buyer and seller becomes their direct conversation,
    messages and all; any later ones for the same pair stay ordinary two-member rooms, as they
    were, so no message moves and nothing is lost. Rooms someone has left are left alone."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT lc.room_id, lc.buyer_id, l.seller_id FROM listing_chats lc"
            " JOIN listings l ON l.id = lc.listing_id ORDER BY lc.created_at, lc.room_id"
        )
    ).all()
    paired: set[tuple[int, int]] = set()
    now = int(time.time() * 1000)
    for room_id, buyer_id, seller_id in rows:
        pair = (min(buyer_id, seller_id), max(buyer_id, seller_id))
        members = {
            user_id
            for (user_id,) in conn.execute(
                sa.text("SELECT user_id FROM memberships WHERE room_id = :room"),
                {"room": room_id},
            )
        }
        if pair in paired or members != set(pair):
            continue
        paired.add(pair)
        conn.execute(
            sa.text("UPDATE rooms SET kind = 'direct' WHERE id = :room"), {"room": room_id}
        )
        conn.execute(
            sa.text(
                "INSERT INTO direct_chats (room_id, user_low, user_high, created_at)"
                " VALUES (:room, :low, :high, :now)"
            ),
            {"room": room_id, "low": pair[0], "high": pair[1], "now": now},
        )


def downgrade() -> None:
    # Direct rooms go back to being plain two-member rooms.
    op.execute("UPDATE rooms SET kind = 'other' WHERE kind = 'direct'")
    op.drop_table("poll_votes")
    op.drop_table("poll_options")
    op.drop_table("polls")
    op.drop_table("direct_reports")
    op.drop_table("blocks")
    op.drop_table("direct_chats")
