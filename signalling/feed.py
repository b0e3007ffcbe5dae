"""The community feed of one websocket: chat, typing, receipts, agenda and reminders of every
room the signed-in account is in, pushed as they happen.

Events arrive from the bus already encoded (rooms/community/bus.py) and go to the socket's outbox as
they are, so a message to a room of 2,000 members is encoded once, not 2,000 times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from rooms.community import sessions
from rooms.community.accounts import User
from rooms.community.bus import user_topic
from rooms.community.calendar_links import calendar_url
from rooms.community.chat import room_topic
from rooms.community.community import Community
from rooms.community.direct_pairs import blocked_in, peer_id
from rooms.community.events import CommunityEvent
from rooms.community.membership import account_and_room_ids
from rooms.errors import DomainError
from signalling.errors import ProtocolError
from signalling.events import Authed, Unread, encode, error

log = logging.getLogger(__name__)

SendText = Callable[[str], None]


TYPING_INTERVAL = 2.0  # seconds: the most often one socket relays typing for one room
# Sockets of the whole process looking up their account at once. A reconnect storm (thousands
# of phones after a restart) would otherwise take every pooled database connection (SQLAlchemy's
# default: 5, and 10 more on demand) and leave everyone else's requests waiting behind it; so
# the storm queues here, first come first served, and the pool keeps room for the rest.
AUTH_CONCURRENCY = 4


class Feed:
    def __init__(
        self,
        community: Community,
        secret: str,
        clock: Callable[[], float],
        send: SendText,
        close: Callable[[str], None] = lambda reason: None,
        *,
        gate: asyncio.Semaphore,  # shared by every socket of the process (AUTH_CONCURRENCY)
    ) -> None:
        self._community = community
        self._gate = gate
        self._secret = secret
        self._clock = clock
        self._send = send
        self._close = close
        self._issued_ms: int | None = None
        self.user: User | None = None
        self._rooms: dict[int, Callable[[], None]] = {}
        self._own_topic: Callable[[], None] | None = None
        self._last_typing: dict[int, float] = {}
        self._direct: dict[int, bool] = {}  # room -> whether it is a direct conversation

    async def authenticate(self, token: str) -> Authed:
        if self.user is not None:
            raise ProtocolError("bad_state", "auth was already received", in_reply_to="auth")
        try:
            verified = sessions.decode(token, self._secret, int(time.time()))
            async with self._gate, self._community.db.read() as conn:
                user, room_ids = await account_and_room_ids(conn, verified.user_id)
        except (sessions.TokenError, DomainError) as exc:
            log.info("feed: session token refused: %s", exc)  # the why is for the log only
            raise ProtocolError("unauthorized", "sign in again") from exc
        if not sessions.still_valid(verified, user.sessions_valid_after):
            raise ProtocolError("unauthorized", "this session was signed out; sign in again")
        self._issued_ms = verified.issued_ms
        self.user = user
        bus = self._community.bus
        self._own_topic = bus.subscribe(user_topic(user.id), self._on_own_event)
        for room_id in room_ids:
            self._follow(room_id)
        await bus.ready()  # nothing published from here on passes this feed by
        own = {
            **user.own(),
            "calendar_url": calendar_url(user.id, self._secret, user.calendar_generation),
        }
        return {"type": "authed", "user": own, "rooms": sorted(room_ids)}

    async def typing(self, room_id: int) -> None:
        user = self._signed_in("typing")
        if room_id not in self._rooms:
            raise ProtocolError("not_found", "no such room among yours", in_reply_to="typing")
        now = self._clock()
        if now - self._last_typing.get(room_id, -TYPING_INTERVAL) < TYPING_INTERVAL:
            return
        self._last_typing[room_id] = now
        if await self._blocked_in(room_id, user.id):
            return  # the blocker sees nothing from them, typing included
        self._community.bus.publish(
            room_topic(room_id),
            {
                "type": "typing",
                "room_id": room_id,
                "user": {"id": user.id, "display_name": user.display_name},
            },
        )

    async def _blocked_in(self, room_id: int, user_id: int) -> bool:
        """Whether a block stands in this direct room. Whether a room is a direct one never
        changes, so that is asked once per room; blocks only in direct rooms."""
        if room_id not in self._direct:
            async with self._community.db.read() as conn:
                self._direct[room_id] = await peer_id(conn, room_id, user_id) is not None
        if not self._direct[room_id]:
            return False
        async with self._community.db.read() as conn:
            return await blocked_in(conn, room_id, user_id)

    async def read(self, room_id: int, message_id: int) -> Unread:
        user = self._signed_in("read")
        try:
            unread = await self._community.chat.mark_read(user, room_id, message_id)
        except DomainError as exc:
            raise ProtocolError(exc.code, exc.message, in_reply_to="read") from exc
        return {"type": "unread", "room_id": room_id, "unread": unread}

    def close(self) -> None:
        for unsubscribe in self._rooms.values():
            unsubscribe()
        self._rooms.clear()
        if self._own_topic is not None:
            self._own_topic()
            self._own_topic = None

    def _signed_in(self, kind: str) -> User:
        if self.user is None:
            raise ProtocolError("bad_state", "send auth first", in_reply_to=kind)
        return self.user

    def _follow(self, room_id: int) -> None:
        if room_id not in self._rooms:
            self._rooms[room_id] = self._community.bus.subscribe(
                room_topic(room_id), self._on_room_event
            )

    def _on_room_event(self, text: str, event: CommunityEvent) -> None:
        if event["type"] == "typing" and self.user and event["user"]["id"] == self.user.id:
            return  # nobody needs to see their own typing indicator
        self._send(text)

    def _on_own_event(self, text: str, event: CommunityEvent) -> None:
        """Membership changes of this account: follow rooms joined elsewhere, drop rooms left.
        The room topic is published first (rooms/community/directory.py), so a room just joined is
        not followed yet when its event passes: it is passed on here instead."""
        if event["type"] == "sessions_revoked":
            if self._issued_ms is None or self._issued_ms < event["before_ms"]:
                signed_out = "this session was signed out; sign in again"
                self._send(encode(error("unauthorized", signed_out)))
                self._close("unauthorized")
            return
        if event["type"] == "feed_gap":
            self._send(text)  # the client catches up (docs/protocol.md)
            return
        if event["type"] != "room_member":
            return
        room_id = event["room_id"]
        if event["role"] is None:
            # The room's topic delivered this event just before; now stop following.
            unsubscribe = self._rooms.pop(room_id, None)
            if unsubscribe is not None:
                unsubscribe()
        elif room_id not in self._rooms:
            self._follow(room_id)
            self._send(text)
