"""Who attended which meeting of a community room, from when to when: "meeting minutes
attended" and "actual attendance" beside RSVPs for member insight and recruitment reports.

The live meeting is one node's memory (rooms/meeting/) and tells of every arrival and
departure; server/wiring.py turns those into `joined` and `left` calls here for members of
community rooms (guests are not recorded). `OpenStays` is the pure core: it pairs each
member's arrival with their departure and hands back the finished stay. `AttendanceRecord`
writes each finished stay as one row of meeting_attendance, in the background (the meeting's
methods never wait), and on shutdown ends every stay still open at that moment (`close`). A
crash loses the stays still open: an hour-long meeting is recorded when each member leaves.

A stay in a room's own meeting (`kamar-ROOM`) is counted for the agenda event of that room
going on then (from EARLY_MS before its start to its end), if any, so RSVPs can be compared
with who came; a town hall's meeting names its event itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.database import Database
from rooms.community.schema.agenda import events, meeting_attendance

log = logging.getLogger(__name__)

EARLY_MS = 30 * 60_000  # members come in early; reminders go out 15 minutes before


@dataclass(frozen=True)
class Stay:
    user_id: int
    room_id: int
    event_id: int | None
    joined_at: int  # ms since the epoch
    left_at: int


Key = tuple[int, int, int | None]  # member, room, event


class OpenStays:
    """Open stays by member and meeting. Pure: times come in as arguments."""

    def __init__(self) -> None:
        self._open: dict[Key, tuple[int, int]] = {}  # key -> (joined at, connections)

    def joined(self, key: Key, now: int) -> None:
        # A second device or a reload joins before the old connection leaves: one stay.
        since, connections = self._open.get(key, (now, 0))
        self._open[key] = (since, connections + 1)

    def left(self, key: Key, now: int) -> Stay | None:
        """The finished stay when the member's last connection to the meeting left."""
        found = self._open.pop(key, None)
        if found is None:
            return None
        since, connections = found
        if connections > 1:
            self._open[key] = (since, connections - 1)
            return None
        return Stay(*key, joined_at=since, left_at=max(since, now))

    def close_all(self, now: int) -> list[Stay]:
        stays = [
            Stay(*key, joined_at=since, left_at=max(since, now))
            for key, (since, _) in self._open.items()
        ]
        self._open.clear()
        return stays


class AttendanceRecord:
    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock
        self._stays = OpenStays()
        self._writing: set[asyncio.Task[None]] = set()

    def joined(self, user_id: int, room_id: int, event_id: int | None) -> None:
        self._stays.joined((user_id, room_id, event_id), self._now())

    def left(self, user_id: int, room_id: int, event_id: int | None) -> None:
        stay = self._stays.left((user_id, room_id, event_id), self._now())
        if stay is not None:
            task = asyncio.get_running_loop().create_task(self.write(stay))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)

    async def close(self) -> None:
        """End every open stay now and wait for every row to be written."""
        for stay in self._stays.close_all(self._now()):
            await self.write(stay)
        await self.written()

    async def written(self) -> None:
        """Return once the rows of the stays ended so far are written (`left` writes each in
        the background)."""
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

    async def write(self, stay: Stay) -> None:
        try:
            async with self._db.write() as conn:
                event_id = await _event_of(conn, stay)
                await conn.execute(
                    insert(meeting_attendance).values(
                        room_id=stay.room_id,
                        event_id=event_id,
                        user_id=stay.user_id,
                        joined_at=stay.joined_at,
                        left_at=stay.left_at,
                    )
                )
        except IntegrityError:  # the room or the account was deleted during the meeting
            log.debug("attendance of a deleted room or account not kept: %s", stay)
        except Exception:  # a database hiccup costs one row, never the meeting
            log.exception("attendance not recorded: %s", stay)

    def _now(self) -> int:
        return int(self._clock() * 1000)


async def _event_of(conn: AsyncConnection, stay: Stay) -> int | None:
    """The agenda event of the room the stay belongs to: the one named, if it is still there
    and in that room, else the room's event going on when the member came in."""
    query = select(events.c.id).where(events.c.room_id == stay.room_id)
    if stay.event_id is not None:
        query = query.where(events.c.id == stay.event_id)
    else:
        query = query.where(
            events.c.starts_at - EARLY_MS <= stay.joined_at, events.c.ends_at >= stay.joined_at
        ).order_by(events.c.starts_at.desc())
    return (await conn.execute(query.limit(1))).scalar_one_or_none()
