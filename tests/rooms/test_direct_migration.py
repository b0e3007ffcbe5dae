"""Migration 0009, on SQLite and PostgreSQL, on a database with conversations from before
direct messages: each buyer and seller's oldest listing room becomes their direct conversation,
later ones stay plain rooms."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from rooms.community.database import MIGRATIONS_DIR, normalise_url

_numbers = itertools.count()
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


def _migrate_legacy(connection: Connection) -> dict[int, str]:
    """Up to 0008, the old data, then 0009: the rooms' kinds, and the pairs made."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "0008_announcements")
    for statement in LEGACY.split(";"):
        if statement.strip():
            connection.execute(text(statement))
    command.upgrade(config, "0009_direct_and_polls")
    pairs = connection.execute(text("SELECT room_id, user_low, user_high FROM direct_chats"))
    assert [tuple(row) for row in pairs] == [(10, 1, 2)]
    return dict(connection.execute(text("SELECT id, kind FROM rooms ORDER BY id")).all())


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each kind without even the migrations' schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kamar.db'}"
    server: str = request.getfixturevalue("postgres_server")
    name = f"kamar_legacy_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server}/{name}"


async def test_the_oldest_listing_room_of_each_pair_becomes_their_direct_conversation(
    empty_url: str,
) -> None:
    engine = create_async_engine(normalise_url(empty_url))
    try:
        async with engine.begin() as connection:
            kinds = await connection.run_sync(_migrate_legacy)
    finally:
        await engine.dispose()
    # 11: a second room of the same pair stays as it was; 12: Ani had left, so no pair
    assert kinds == {10: "direct", 11: "other", 12: "other"}
