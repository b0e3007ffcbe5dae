"""Live meeting state: rooms (kamar) and the participants connected to them.

In memory, one owner (the event loop): methods never await, so a room's state is never seen
half-changed. Events go out through each participant's non-blocking `deliver` callable; the
signalling layer queues them per connection, so a slow socket never stalls a room.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NewType

from sfu.forwarding import AUDIO
from sfu.router import MediaRouter
from sfu.speakers import ActiveSpeakers

ParticipantId = NewType("ParticipantId", str)
Event = dict[str, Any]
MEDIA_KINDS = ("audio", "video")

_participant_numbers = itertools.count(1)


def new_participant_id() -> ParticipantId:
    # A counter keeps ids short in logs; the random part keeps them unguessable across restarts.
    return ParticipantId(f"p{next(_participant_numbers)}-{secrets.token_hex(3)}")


@dataclass(eq=False)
class Participant:
    id: ParticipantId
    identity: str
    name: str
    deliver: Callable[[Event], None]
    disconnect: Callable[[str], None]
    can_publish: bool = True
    can_subscribe: bool = True
    muted: dict[str, bool] = field(default_factory=lambda: {k: False for k in MEDIA_KINDS})

    def public(self) -> Event:
        return {
            "id": self.id,
            "identity": self.identity,
            "name": self.name,
            "can_publish": self.can_publish,
            "audio_muted": self.muted["audio"],
            "video_muted": self.muted["video"],
        }


class Room:
    def __init__(self, name: str) -> None:
        self.name = name
        self.participants: dict[ParticipantId, Participant] = {}
        self.media = MediaRouter()
        self.speakers = ActiveSpeakers()

    def update_speakers(self, now: float) -> None:
        """Announce who speaks when that changes (called a few times a second)."""
        heard = {
            producer.owner: producer.take_loudness()
            for producer in self.media.producers.values()
            if producer.kind == AUDIO and producer.audio_level_id
        }
        speakers = self.speakers.update(heard, now)
        if speakers is not None:
            self.broadcast({"type": "active_speakers", "speakers": speakers})

    def join(self, participant: Participant) -> Participant | None:
        """Add `participant`; returns an older participant with the same identity, already
        removed from the room, whom the caller must disconnect ("replaced")."""
        replaced = self.by_identity(participant.identity)
        if replaced is not None:
            self.leave(replaced.id, "replaced")
        self.participants[participant.id] = participant
        self.broadcast(
            {"type": "participant_joined", "participant": participant.public()},
            exclude=participant.id,
        )
        return replaced

    def by_identity(self, identity: str) -> Participant | None:
        """The participant connected with `identity` (one at most: a new join replaces)."""
        return next((p for p in self.participants.values() if p.identity == identity), None)

    def others(self, participant_id: ParticipantId) -> list[Event]:
        return [p.public() for p in self.participants.values() if p.id != participant_id]

    def leave(self, participant_id: ParticipantId, reason: str) -> bool:
        """Remove a participant and its media; False if it was not here (idempotent)."""
        participant = self.participants.pop(participant_id, None)
        if participant is None:
            return False
        for producer in self.media.producers_of(participant_id):
            self.media.remove_producer(producer)
        self.media.remove_subscriber(participant_id)
        self.broadcast(
            {"type": "participant_left", "participant_id": participant_id, "reason": reason}
        )
        return True

    def set_muted(self, participant_id: ParticipantId, kind: str, muted: bool) -> None:
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}")
        participant = self.participants.get(participant_id)
        if participant is None:
            raise KeyError(participant_id)
        participant.muted[kind] = muted
        self.broadcast({"type": "participant_updated", "participant": participant.public()})

    def broadcast(self, event: Event, exclude: ParticipantId | None = None) -> None:
        # Snapshot first: a deliver() that fails may make its session leave the room.
        for participant in list(self.participants.values()):
            if participant.id != exclude:
                participant.deliver(event)


class RoomRegistry:
    """Rooms exist while someone is in them."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    def room(self, name: str) -> Room:
        room = self.rooms.get(name)
        if room is None:
            room = self.rooms[name] = Room(name)
        return room

    def leave(self, name: str, participant_id: ParticipantId, reason: str) -> None:
        room = self.rooms.get(name)
        if room is None:
            return
        room.leave(participant_id, reason)
        if not room.participants:
            del self.rooms[name]

    @property
    def participant_count(self) -> int:
        return sum(len(room.participants) for room in self.rooms.values())
