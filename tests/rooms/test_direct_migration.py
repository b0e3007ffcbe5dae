"""Migration 0009 on a database with conversations from before direct messages: each buyer and
seller's oldest listing room becomes their direct conversation, later ones stay plain rooms."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, text

from rooms.community.database import MIGRATIONS_DIR

LEGACY = """
INSERT INTO users (id, username, password_hash, display_name, created_at) VALUES
  (1, 'siti', 'x', 'Siti', 0), (2, 'budi', 'x', 'Budi', 0), (3, 'ani', 'x', 'Ani', 0);
INSERT INTO rooms (id, name, kind, visibility, created_by, created_at, last_activity_at) VALUES
  (10, 'Lapak: Keripik', 'other', 'invite', 2, 1, 1),
  (11, 'Lapak: Kopi', 'other', 'invite', 2, 2, 2),
  (12, 'Lapak: Teh', 'other', 'invite', 3, 3, 3);
INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES
  (10, 1, 'member', 1), (10, 2, 'member', 1), (11, 1, 'member', 2), (11, 2, 'member', 2),
  (12, 1, 'member', 3);
INSERT INTO listings (id, seller_id, title, pricing, category, condition, region, scope,
  status, created_at, updated_at, expires_at) VALUES
  (5, 1, 'Keripik', 'free', 'food', 'none', '32', 'rooms', 'available', 0, 0, 9),
  (6, 1, 'Kopi', 'free', 'food', 'none', '32', 'rooms', 'available', 0, 0, 9),
  (7, 1, 'Teh', 'free', 'food', 'none', '32', 'rooms', 'available', 0, 0, 9);
INSERT INTO listing_chats (listing_id, buyer_id, room_id, created_at) VALUES
  (5, 2, 10, 1), (6, 2, 11, 2), (7, 3, 12, 3);
"""


def test_the_oldest_listing_room_of_each_pair_becomes_their_direct_conversation(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'kamar.db'}")
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0008_announcements")
        for statement in LEGACY.split(";"):
            if statement.strip():
                connection.execute(text(statement))
        command.upgrade(config, "0009_direct_and_polls")
        kinds = dict(connection.execute(text("SELECT id, kind FROM rooms ORDER BY id")).all())
        pairs = connection.execute(text("SELECT room_id, user_low, user_high FROM direct_chats"))
        assert [tuple(row) for row in pairs] == [(10, 1, 2)]
    # 11: a second room of the same pair stays as it was; 12: Ani had left, so not a pair any more
    assert kinds == {10: "direct", 11: "other", 12: "other"}
    engine.dispose()
