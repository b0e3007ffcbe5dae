"""What every community service holds: the database, the event bus and the clock."""

from __future__ import annotations

from collections.abc import Callable

from rooms.community.bus import Bus
from rooms.community.database import Database


class CommunityService:
    def __init__(self, db: Database, bus: Bus, clock: Callable[[], float]) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock

    def _now(self) -> int:
        """Milliseconds since the epoch: how every time is stored (rooms/community/schema/)."""
        return int(self._clock() * 1000)
