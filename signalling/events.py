"""Server events of signalling protocol v1 (docs/protocol.md) and their one encoder.

messages.py has the client side. Every event the server sends is one of the typed dicts of
`ServerEvent`: those a meeting's participants get are built in rooms/meeting/events.py, the
community feed's in rooms/community/events.py (both below signalling, so they cannot import it),
the rest here. Whoever builds them, `encode` turns them into text: the socket writer
(signalling/ws.py), and the bus, which encodes a room's event once for all its feed sockets.
"""

from __future__ import annotations

import json
import logging
import typing
from typing import Any, Literal, TypedDict

from rooms.community.events import CommunityEvent
from rooms.meeting.events import Error, MeetingEvent, ParticipantInfo


class Welcome(TypedDict):
    type: Literal["welcome"]
    v: int
    room: str
    participant: ParticipantInfo
    participants: list[ParticipantInfo]
    ice_servers: list[dict[str, Any]]
    max_message_bytes: int
    stage: dict[str, Any]  # signalling/townhall.py stage_snapshot


class LobbyWait(TypedDict):
    type: Literal["lobby_wait"]
    message: str


class PublishAnswer(TypedDict):
    type: Literal["publish_answer"]
    sdp: str
    source: str


class SubscribeOffer(TypedDict):
    type: Literal["subscribe_offer"]
    sdp: str
    revision: int
    tracks: dict[str, dict[str, str]]


class PublishLayers(TypedDict):
    type: Literal["publish_layers"]
    source: str
    active: list[str]  # rids


class VideoSuspended(TypedDict):
    type: Literal["video_suspended"]
    participant_id: str
    source: str
    suspended: bool


class Pong(TypedDict):
    type: Literal["pong"]
    id: Any  # whatever the ping carried


class Authed(TypedDict):
    type: Literal["authed"]
    user: dict[str, Any]  # User.own() and the calendar link
    rooms: list[int]


class Unread(TypedDict):
    type: Literal["unread"]
    room_id: int
    unread: int


SessionEvent = (
    Welcome
    | LobbyWait
    | PublishAnswer
    | SubscribeOffer
    | PublishLayers
    | VideoSuspended
    | Pong
    | Authed
    | Unread
)
ServerEvent = SessionEvent | MeetingEvent | CommunityEvent
log = logging.getLogger(__name__)
# Events that stay on the server (the feed turns this one into an `error` and a close).
INTERNAL_TYPES = frozenset({"sessions_revoked"})


def encode(event: ServerEvent) -> str:
    """The wire text of an event: compact JSON, UTF-8 as is (a Javanese or emoji name costs
    its bytes, not a six-byte escape per code unit). Raises TypeError or ValueError for what
    JSON cannot hold; the writer logs and skips such an event."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def encoded(item: ServerEvent | str) -> str | None:
    """The wire text of an event (text already encoded passes through), or None, logged,
    when it cannot be encoded at all: the caller skips it rather than dying."""
    if isinstance(item, str):
        return item
    try:
        return encode(item)
    except (TypeError, ValueError):
        log.exception("an event could not be encoded; skipped: %.200r", item)
        return None


def error(code: str, message: str, in_reply_to: str | None = None) -> Error:
    event: Error = {"type": "error", "code": code, "message": message}
    if in_reply_to:
        event["in_reply_to"] = in_reply_to
    return event


def wire_types() -> frozenset[str]:
    """Every `type` the server may send (docs/protocol.md lists the same ones)."""
    names: set[str] = set()
    for event_type in typing.get_args(ServerEvent):
        names.update(typing.get_args(typing.get_type_hints(event_type)["type"]))
    return frozenset(names - INTERNAL_TYPES)
