"""Tables of the whole database, one module per area: accounts, rooms (kamar), chat, agenda,
the activity roll-up, and the tables of the bounded contexts on top of the community (market,
insight, organising).

SQLAlchemy Core, portable between SQLite and PostgreSQL: times are integer milliseconds since
the epoch (UTC), so neither database's date handling leaks into the domain. Alembic migrations
in rooms/community/migrations create exactly these tables; tests/rooms/test_store.py checks
they stay equal.

The contexts' tables live here with the community's, so one `metadata` (base.py) and one
migration chain describe the whole database, while the community still imports none of those
contexts' code. Importing any area runs this file first, and it imports every area: `metadata`
always holds every table, as the migrations' comparison and account erasure (which finds every
foreign key to `users` in it) need.
"""

from __future__ import annotations

from rooms.community.schema import (
    accounts,
    activity,
    agenda,
    chat,
    insight,
    market,
    organising,
    rooms,
)
from rooms.community.schema.base import metadata

__all__ = [
    "accounts",
    "activity",
    "agenda",
    "chat",
    "insight",
    "market",
    "metadata",
    "organising",
    "rooms",
]
