"""Which rooms an announcement goes to (rooms/organising/announcements.py): by region, room kind
and/or a list of ids, all the conditions given together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_

from rooms.community.directory import KINDS
from rooms.community.regions.index import check_code_shape
from rooms.community.schema.rooms import rooms
from rooms.errors import Invalid

MAX_ROOMS = 5000


@dataclass(frozen=True)
class Selection:
    """Which rooms: all conditions given must hold (a region and a kind: that kind there)."""

    region_code: str | None = None  # the room's region or any region inside it
    kinds: tuple[str, ...] = ()
    room_ids: tuple[int, ...] = ()

    def check(self) -> Selection:
        if not (self.region_code or self.kinds or self.room_ids):
            raise Invalid("choose rooms by region, kind or list", "rooms")
        if self.region_code:
            check_code_shape(self.region_code)
        for kind in self.kinds:
            if kind not in KINDS:
                raise Invalid(f"kinds must be of {', '.join(KINDS)}", "kinds")
        if len(self.room_ids) > MAX_ROOMS:
            raise Invalid(f"at most {MAX_ROOMS} rooms", "room_ids")
        return self

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.region_code:
            conditions.append(
                or_(
                    rooms.c.region_code == self.region_code,
                    rooms.c.region_code.like(self.region_code + ".%"),
                )
            )
        if self.kinds:
            conditions.append(rooms.c.kind.in_(self.kinds))
        if self.room_ids:
            conditions.append(rooms.c.id.in_(self.room_ids))
        return conditions
