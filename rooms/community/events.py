"""The community events carried by the bus (rooms/community/bus.py), as typed dicts.

All but `sessions_revoked` go to feed sockets as they are (docs/protocol.md, "Community feed");
that one stays on the server: the feed answers it by closing the sockets it concerns. The one
encoder is signalling/events.py's, handed to the bus by server/wiring.py. Being dicts, each goes
on the wire exactly as written: keys in the order of the constructor call, `type` first.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class ChatPosted(TypedDict):
    type: Literal["chat_message"]
    room_id: int
    message: dict[str, Any]  # rooms/community/message_views.py


class ChatChanged(TypedDict):
    type: Literal["chat_edited", "chat_deleted"]
    room_id: int
    message: dict[str, Any]


class ReadReceipt(TypedDict):
    type: Literal["read_receipt"]
    room_id: int
    user_id: int
    message_id: int


class TypingUser(TypedDict):
    id: int
    display_name: str


class Typing(TypedDict):
    type: Literal["typing"]
    room_id: int
    user: TypingUser


class RoomMember(TypedDict):
    type: Literal["room_member"]
    room_id: int
    user: dict[str, Any]  # User.public()
    role: str | None  # None: left or removed


class RoomUpdated(TypedDict):
    type: Literal["room_updated"]
    room_id: int
    room: dict[str, Any]


class AgendaChanged(TypedDict):
    type: Literal["agenda_event", "rsvp_changed"]
    room_id: int
    event: dict[str, Any]  # rooms/community/agenda.py event_json


class EventReminder(TypedDict):
    type: Literal["event_reminder"]
    room_id: int
    event: dict[str, Any]
    minutes: int


class AnnouncementComment(TypedDict):
    """A comment on an announcement (rooms/organising/announcements.py), sent to every room
    the announcement was posted in: the bus carries the organising context's events too."""

    type: Literal["announcement_comment"]
    room_id: int
    announcement_id: int
    comment: dict[str, Any]


class AnnouncementReactions(TypedDict):
    """An announcement's reaction counts changed (rooms/organising/reactions.py), sent to every
    room it was posted in: `reactions` is every emoji of the set with its count."""

    type: Literal["announcement_reactions"]
    room_id: int
    announcement_id: int
    reactions: list[dict[str, Any]]


class PollChanged(TypedDict):
    """A poll created, voted on or closed (rooms/community/polls.py render)."""

    type: Literal["poll"]
    room_id: int
    poll: dict[str, Any]


class SessionsRevoked(TypedDict):
    type: Literal["sessions_revoked"]
    before_ms: int


class FeedGap(TypedDict):
    """Events may have been missed (a node's link to the other nodes came back,
    rooms/community/redis_bus.py): catch up as after a reconnect."""

    type: Literal["feed_gap"]


CommunityEvent = (
    AnnouncementComment
    | AnnouncementReactions
    | ChatPosted
    | ChatChanged
    | ReadReceipt
    | Typing
    | RoomMember
    | RoomUpdated
    | AgendaChanged
    | EventReminder
    | PollChanged
    | SessionsRevoked
    | FeedGap
)
