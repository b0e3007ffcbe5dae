"""The server events a meeting's participants receive (docs/protocol.md), as typed dicts.

They are built here and in signalling/ (which may import this module; the reverse is not
allowed), and encoded by the one encoder, signalling/events.py. Being dicts, each goes on the
wire exactly as written: keys in the order of the constructor call, `type` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

ByeReason = Literal["left", "replaced", "shutdown", "removed", "banned", "ended", "moved"]


class ParticipantInfo(TypedDict):
    id: str
    identity: str
    name: str
    can_publish: bool
    audio_muted: bool
    video_muted: bool
    role: str
    hand: int | None
    screen: bool
    watching: bool  # follows the HLS stream: questions and comments, no media


class ParticipantJoined(TypedDict):
    type: Literal["participant_joined"]
    participant: ParticipantInfo


class ParticipantLeft(TypedDict):
    type: Literal["participant_left"]
    participant_id: str
    reason: str


class ParticipantUpdated(TypedDict):
    type: Literal["participant_updated"]
    participant: ParticipantInfo


class AudienceSize(TypedDict):
    """How many are in a town hall's audience (rooms/meeting/presence.py): at most one a
    second per meeting, instead of one `participant_joined` per audience member."""

    type: Literal["audience"]
    count: int


class ActiveSpeakers(TypedDict):
    type: Literal["active_speakers"]
    speakers: list[str]


class MutedByModerator(TypedDict):
    type: Literal["muted_by_moderator"]
    kind: str


class Waiting(TypedDict):
    id: str
    name: str


class Lobby(TypedDict):
    type: Literal["lobby"]
    waiting: list[Waiting]


class MeetingState(TypedDict):
    type: Literal["meeting_state"]
    locked: bool
    lobby: bool


class QuestionChanged(TypedDict):
    type: Literal["question"]
    question: dict[str, Any]  # rooms/community/townhall_record.py Question.public()


class QuestionRemoved(TypedDict):
    type: Literal["question_removed"]
    question_id: int


class CommentEntry(TypedDict):
    id: int
    participant_id: str
    name: str
    text: str
    at: float


class CommentPosted(TypedDict):
    type: Literal["comment"]
    comment: CommentEntry


class Reaction(TypedDict):
    type: Literal["reaction"]
    participant_id: str
    emoji: str


class EgressState(TypedDict):
    """Egress of the meeting (rooms/meeting/egress/): everyone is told it is recorded."""

    type: Literal["egress"]
    live: bool  # pushed to RTMP destinations
    recording: bool
    seconds: float  # how long it has been on
    destinations: list[str]  # the destinations' hosts (never their stream keys)
    hls: bool  # on the web as HLS: GET /api/events/{id}/live has a link to play


class Bye(TypedDict):
    type: Literal["bye"]
    reason: ByeReason


@dataclass(frozen=True)
class Presence:
    """Someone came into a meeting (past the lobby) or left it. Not sent to participants: the
    meeting reports it to whoever listens (server/wiring.py connects the community's
    attendance record, rooms/community/attendance.py), synchronously and without waiting."""

    meeting: str
    identity: str
    joined: bool


PresenceListener = Callable[[Presence], None]


def bye(reason: ByeReason) -> Bye:
    """The server is about to close the socket, and why."""
    return {"type": "bye", "reason": reason}


class _ErrorFields(TypedDict):
    type: Literal["error"]
    code: str
    message: str


class Error(_ErrorFields, total=False):
    in_reply_to: str  # only when known


MeetingEvent = (
    ParticipantJoined
    | ParticipantLeft
    | ParticipantUpdated
    | AudienceSize
    | ActiveSpeakers
    | MutedByModerator
    | Lobby
    | MeetingState
    | QuestionChanged
    | QuestionRemoved
    | CommentPosted
    | Reaction
    | EgressState
    | Bye
    | Error
)
