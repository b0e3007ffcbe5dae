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

    def _meeting(self) -> Meeting:
        meeting, me = self._context.me()
        try:
            stage.require(me.role, "egress")
        except StageError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
        return meeting

    async def _start(self, message: EgressStart) -> None:
        meeting = self._meeting()
        if self._settings is None:
            raise ProtocolError("unavailable", "egress is not set up on this server")
        if meeting.egress is not None:
            raise ProtocolError("bad_state", "egress is already on: stop it first")
        try:
            destinations = parse_destinations(message.rtmp)
            egress = Egress(
                meeting.name,
                self._settings,
                destinations,
                message.record,
                self._clock,
                self._context.event_id,
                message.hls,
                name_of=lambda person: _name(meeting, person),
            )
        except EgressError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
        except OSError as exc:  # no ports, no directory for recordings
            log.error("egress of %s could not start: %s", meeting.name, exc)
            raise ProtocolError("unavailable", "egress could not start on this server") from exc
        meeting.egress = egress
        egress.start()
        egress.follow(list(meeting.media.producers.values()), meeting.speakers.speakers)
        meeting.broadcast(egress.state())

    async def _stop(self, _message: EgressStop) -> None:
        meeting = self._meeting()
        egress = meeting.egress
        if egress is None:
            raise ProtocolError("bad_state", "egress is not on")
        meeting.egress = None
        meeting.broadcast(idle_state())
        # Finishing the file takes ffmpeg a moment: not while this socket waits for it.
        egress.stop_soon()

    def _clock(self) -> float:
        return self._context.clock()


def _name(meeting: Meeting, person: str) -> str:
    participant = meeting.participants.get(ParticipantId(person))
    return participant.name if participant is not None else ""
