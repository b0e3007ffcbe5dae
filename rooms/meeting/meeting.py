"""Live meeting state: a meeting (the call of a community room, a town hall, or a quick-join
meeting) and the participants connected to it. A community room (kamar) is something else:
rooms/community/.

In memory, one owner (the event loop): methods never await, so a meeting's state is never seen
half-changed. Events go out through each participant's non-blocking `deliver` callable; the
signalling layer queues them per connection, so a slow socket never stalls a meeting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NewType

from rooms.meeting.events import ActiveSpeakers as ActiveSpeakersChanged
from rooms.meeting.events import (
    AudienceSize,
    Lobby,
    MeetingEvent,
    MeetingState,
    ParticipantInfo,
    Presence,
    PresenceListener,
    Waiting,
)
from rooms.meeting.presence import AudienceCount, sees
from rooms.meeting.stage import MeetingRole, Stage
from sfu.forwarding import AUDIO
from sfu.router import MediaRouter
from sfu.speakers import ActiveSpeakers

if TYPE_CHECKING:
    from rooms.meeting.egress.egress import Egress

ParticipantId = NewType("ParticipantId", str)
MEDIA_KINDS = ("audio", "video")

DATA_SAVER_SPEAKERS_INTERVAL = 2.0  # seconds between two active_speakers to a data saver


@dataclass(eq=False)
class Participant:
    id: ParticipantId
    identity: str
    name: str
    deliver: Callable[[MeetingEvent], None]
    disconnect: Callable[[str], None]
    can_subscribe: bool = True
    muted: dict[str, bool] = field(default_factory=lambda: {k: False for k in MEDIA_KINDS})
    role: MeetingRole = "speaker"
    hand: int | None = None  # order of a raised hand, None when down
    screen: bool = False  # sharing the screen (a second publish connection)
    # Called when the participant may no longer publish (sent back to the audience): its
    # session closes the publishing peer connection.
    left_stage: Callable[[], None] = lambda: None
    # Data saver (signalling `data_saver`): who speaks is told at most every
    # DATA_SAVER_SPEAKERS_INTERVAL; each list costs a websocket frame and its TCP packet.
    saves_data: bool = False
    speakers_told: list[str] = field(default_factory=list)  # the last active_speakers sent
    speakers_told_at: float = float("-inf")
    # Watches the town hall's HLS stream instead of its WebRTC media (hello `watch`): asks,
    # votes and comments as audience, never publishes or subscribes.
    watching: bool = False

    @property
    def can_publish(self) -> bool:
        """Speakers and moderators publish; the audience only watches (rooms/meeting/stage.py)."""
        return self.role != "audience"

    def public(self) -> ParticipantInfo:
        return {
            "id": self.id,
            "identity": self.identity,
            "name": self.name,
            "can_publish": self.can_publish,
            "audio_muted": self.muted["audio"],
            "video_muted": self.muted["video"],
            "role": self.role,
            "hand": self.hand,
            "screen": self.screen,
            "watching": self.watching,
        }


class Meeting:
    def __init__(
        self, name: str, on_presence: PresenceListener | None = None, stage: Stage | None = None
    ) -> None:
        """`stage`: where a meeting moved from another node left off (rooms/meeting/
        handover.py); a new meeting starts with an empty one."""
        self.name = name
        self._on_presence = on_presence
        self.participants: dict[ParticipantId, Participant] = {}
        self.media = MediaRouter()
        self.speakers = ActiveSpeakers()
        # Someone has not been told the current speakers yet (a newcomer, or a data saver
        # waiting for its interval): only then does a tick without a change look at everyone.
        self._speakers_untold = False
        self.stage = stage if stage is not None else Stage()
        # Newcomers kept in the lobby until a moderator admits them: id -> (participant,
        # the callable that completes their join).
        self.waiting: dict[ParticipantId, tuple[Participant, Callable[[], None]]] = {}
        # The programme going out live or to a recording (rooms/meeting/egress/), if any.
        self.egress: Egress | None = None
        # When to tell everyone the audience's size (rooms/meeting/presence.py).
        self._audience = AudienceCount()

    def update_speakers(self, now: float) -> None:
        """Announce who speaks when that changes (called a few times a second)."""
        # Microphones only: the sound of a shared tab makes nobody a speaker.
        heard = {
            producer.owner: producer.take_loudness()
            for producer in self.media.producers.values()
            if producer.kind == AUDIO
            and producer.audio_level_id
            and producer.owner in self.participants
        }
        speakers = self.speakers.update(heard, now)
        if self.egress is not None:  # every tick: a speaker who left is replaced at once
            self.egress.follow(list(self.media.producers.values()), self.speakers.speakers)
        if speakers is not None:
            for subscriber in list(self.media.subscribers.values()):
                subscriber.follow_speakers(speakers)  # data savers hear the loudest only
        elif not self._speakers_untold:
            return
        self._speakers_untold = False
        # The list is replaced on every change, never changed in place: one event, and one
        # list remembered by everyone told, serve the whole room.
        current = self.speakers.speakers
        event: ActiveSpeakersChanged = {"type": "active_speakers", "speakers": current}
        # Snapshot first: a deliver() that fails may make its session leave the room.
        for participant in list(self.participants.values()):
            if participant.speakers_told == current:
                continue
            if participant.saves_data and (
                now - participant.speakers_told_at < DATA_SAVER_SPEAKERS_INTERVAL
            ):
                self._speakers_untold = True  # the latest list goes out on a later tick
                continue
            participant.speakers_told, participant.speakers_told_at = current, now
            participant.deliver(event)

    def join(self, participant: Participant) -> Participant | None:
        """Add `participant`; returns an older participant with the same identity, already
        removed from the room, whom the caller must disconnect ("replaced")."""
        replaced = self.by_identity(participant.identity)
        if replaced is not None:
            self.leave(replaced.id, "replaced")
        self.stage.returning.discard(participant.identity)  # back: from now on, as anyone
        self.participants[participant.id] = participant
        self._speakers_untold = True
        self._presence(participant, joined=True)
        self._tell_about(
            participant, {"type": "participant_joined", "participant": participant.public()}
        )
        return replaced

    def close(self) -> None:
        """The meeting is over (its last participant left): egress finishes its file."""
        if self.egress is not None:
            self.egress.stop_soon()
            self.egress = None

    def by_identity(self, identity: str) -> Participant | None:
        """The participant connected with `identity` (one at most: a new join replaces)."""
        return next((p for p in self.participants.values() if p.identity == identity), None)

    def others(self, participant_id: ParticipantId) -> list[ParticipantInfo]:
        """Everyone else `participant_id` is told about (in a town hall, an audience member
        is told the stage only; rooms/meeting/presence.py)."""
        viewer = self._get(participant_id)
        return [
            p.public()
            for p in self.participants.values()
            if p.id != participant_id and sees(viewer, p)
        ]

    def audience_count(self) -> int:
        return sum(1 for p in self.participants.values() if p.role == "audience")

    def update_audience(self, now: float) -> None:
        """Tell everyone the audience's size, when it changed, at most once a second
        (called a few times a second with update_speakers)."""
        if self._audience.due(now):
            event: AudienceSize = {"type": "audience", "count": self.audience_count()}
            self.broadcast(event)

    def leave(self, participant_id: ParticipantId, reason: str) -> bool:
        """Remove a participant and its media; False if it was not here (idempotent)."""
        participant = self.participants.pop(participant_id, None)
        if participant is None:
            return False
        self._presence(participant, joined=False)
        for producer in self.media.producers_of_person(participant_id):
            self.media.remove_producer(producer)
        self.media.remove_subscriber(participant_id)
        self._tell_about(
            participant,
            {"type": "participant_left", "participant_id": participant_id, "reason": reason},
        )
        return True

    def _presence(self, participant: Participant, joined: bool) -> None:
        if participant.role == "audience":
            self._audience.changed()
        if self._on_presence is not None:
            self._on_presence(Presence(self.name, participant.identity, joined))

    def set_muted(self, participant_id: ParticipantId, kind: str, muted: bool) -> None:
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}")
        participant = self.participants.get(participant_id)
        if participant is None:
            raise KeyError(participant_id)
        changed = participant.muted[kind] != muted
        participant.muted[kind] = muted
        if not muted:  # its owner turned it back on: a moderator's mute ends here
            for producer in self.media.producers_of(participant_id):
                if producer.kind == kind and producer.silenced:
                    producer.silenced = False
                    producer.request_keyframe()
        if changed:  # a repeated mute tells nobody anything new
            self._updated(participant)

    # -- stage ---------------------------------------------------------------------------

    def set_role(self, participant_id: ParticipantId, role: MeetingRole) -> Participant:
        """Move someone on or off the stage. Leaving the stage stops their media at once:
        their producers leave the room, and their session closes the publishing peer."""
        participant = self._get(participant_id)
        self.stage.roles_given[participant.identity] = role
        was = participant.role
        if was == role:
            return participant
        participant.role = role
        if "audience" in (was, role):
            self._audience.changed()
        # Every stage visit starts with fresh tracks, so with nothing muted.
        participant.muted = {kind: False for kind in MEDIA_KINDS}
        if role != "audience" and participant.hand is not None:
            self.stage.raise_hand(participant.identity, False)
            participant.hand = None
        if not participant.can_publish:
            for producer in self.media.producers_of_person(participant_id):
                self.media.remove_producer(producer)
            participant.screen = False
            participant.left_stage()
        self._updated(participant, was)
        return participant

    def raise_hand(self, participant_id: ParticipantId, raised: bool) -> None:
        participant = self._get(participant_id)
        if self.stage.raise_hand(participant.identity, raised):
            participant.hand = self.stage.hands.get(participant.identity)
            self._updated(participant)

    def silence(self, participant_id: ParticipantId, kind: str) -> None:
        """A moderator's mute: the server stops forwarding the track until its owner unmutes
        it (set_muted False), whatever the owner's client does meanwhile."""
        participant = self._get(participant_id)
        for producer in self.media.producers_of(participant_id):
            if producer.kind == kind:
                producer.silenced = True
        participant.deliver({"type": "muted_by_moderator", "kind": kind})
        self.set_muted(participant_id, kind, True)

    def wait_in_lobby(self, participant: Participant, enter: Callable[[], None]) -> None:
        self.waiting[participant.id] = (participant, enter)
        self._lobby_changed()

    def admit(self, participant_id: ParticipantId) -> None:
        waiting = self.waiting.pop(participant_id, None)
        if waiting is None:
            raise KeyError(participant_id)
        _participant, enter = waiting
        self._lobby_changed()
        enter()

    def leave_lobby(self, participant_id: ParticipantId) -> Participant | None:
        waiting = self.waiting.pop(participant_id, None)
        if waiting is None:
            return None
        self._lobby_changed()
        return waiting[0]

    def moderators(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.role == "moderator"]

    def lobby_event(self) -> Lobby:
        waiting: list[Waiting] = [
            {"id": p.id, "name": p.name} for p, _enter in self.waiting.values()
        ]
        return {"type": "lobby", "waiting": waiting}

    def stage_event(self) -> MeetingState:
        return {"type": "meeting_state", "locked": self.stage.locked, "lobby": self.stage.lobby}

    def _lobby_changed(self) -> None:
        event = self.lobby_event()
        for moderator in self.moderators():
            moderator.deliver(event)

    def set_screen(self, participant_id: ParticipantId, sharing: bool) -> None:
        participant = self._get(participant_id)
        if participant.screen != sharing:
            participant.screen = sharing
            self._updated(participant)

    def _updated(self, participant: Participant, was: MeetingRole | None = None) -> None:
        """Tell who sees `participant` that it changed. `was`: its role before a role change,
        which may make it appear to some (joined) or disappear for others (left, reason
        `audience`: back in a town hall's audience, no longer shown to them)."""
        event: MeetingEvent = {"type": "participant_updated", "participant": participant.public()}
        joined: MeetingEvent = {"type": "participant_joined", "participant": participant.public()}
        left: MeetingEvent = {
            "type": "participant_left",
            "participant_id": participant.id,
            "reason": "audience",
        }
        for viewer in list(self.participants.values()):
            before = sees(viewer, participant, was)
            now = sees(viewer, participant)
            if before or now:
                viewer.deliver(event if before and now else joined if now else left)

    def _tell_about(self, participant: Participant, event: MeetingEvent) -> None:
        """`event` (joined or left) to everyone else who sees `participant`."""
        for viewer in list(self.participants.values()):
            if viewer.id != participant.id and sees(viewer, participant):
                viewer.deliver(event)

    def _get(self, participant_id: ParticipantId) -> Participant:
        participant = self.participants.get(participant_id)
        if participant is None:
            raise KeyError(participant_id)
        return participant

    def broadcast(self, event: MeetingEvent, exclude: ParticipantId | None = None) -> None:
        # Snapshot first: a deliver() that fails may make its session leave the room.
        for participant in list(self.participants.values()):
            if participant.id != exclude:
                participant.deliver(event)
