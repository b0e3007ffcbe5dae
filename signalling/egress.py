"""Egress messages of a meeting session: a moderator starts and stops the live stream and the
recording; everyone in the meeting is told (`egress`), since being recorded is a matter of
consent and trust. The work is rooms/meeting/egress/; this module checks who asks and maps
its errors to wire errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rooms.meeting import stage
from rooms.meeting.egress.destinations import EgressError, parse_destinations
from rooms.meeting.egress.egress import Egress, EgressSettings, idle_state
from rooms.meeting.meeting import Meeting, ParticipantId
from rooms.meeting.stage import StageError
from signalling.context import MeetingContext
from signalling.errors import ProtocolError
from signalling.messages import EgressStart, EgressStop

log = logging.getLogger(__name__)


class EgressControl:
    def __init__(self, context: MeetingContext, settings: EgressSettings | None) -> None:
        self._context = context
        self._settings = settings

    def handlers(self) -> dict[type, Callable[[Any], Awaitable[None]]]:
        return {EgressStart: self._start, EgressStop: self._stop}

    def _room(self) -> Meeting:
        room, me = self._context.me()
        try:
            stage.require(me.role, "egress")
        except StageError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
        return room

    async def _start(self, message: EgressStart) -> None:
        room = self._room()
        if self._settings is None:
            raise ProtocolError("unavailable", "egress is not set up on this server")
        if room.egress is not None:
            raise ProtocolError("bad_state", "egress is already on: stop it first")
        try:
            destinations = parse_destinations(message.rtmp)
            egress = Egress(
                room.name,
                self._settings,
                destinations,
                message.record,
                self._clock,
                self._context.event_id,
                message.hls,
                name_of=lambda person: _name(room, person),
            )
        except EgressError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
        except OSError as exc:  # no ports, no directory for recordings
            log.error("egress of %s could not start: %s", room.name, exc)
            raise ProtocolError("unavailable", "egress could not start on this server") from exc
        room.egress = egress
        egress.start()
        egress.follow(list(room.media.producers.values()), room.speakers.speakers)
        room.broadcast(egress.state())

    async def _stop(self, _message: EgressStop) -> None:
        room = self._room()
        egress = room.egress
        if egress is None:
            raise ProtocolError("bad_state", "egress is not on")
        room.egress = None
        room.broadcast(idle_state())
        # Finishing the file takes ffmpeg a moment: not while this socket waits for it.
        egress.stop_soon()

    def _clock(self) -> float:
        return self._context.clock()


def _name(room: Meeting, person: str) -> str:
    participant = room.participants.get(ParticipantId(person))
    return participant.name if participant is not None else ""
