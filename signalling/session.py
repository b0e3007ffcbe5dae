"""One participant's signalling session: the owner of its state, fed one message at a time.

The websocket glue (signalling/ws.py) reads frames and calls `handle_text`; the session answers
through `send` (non-blocking enqueue) and asks to close through `close`. Handlers await aiortc
negotiation but never while a meeting is half-changed: meeting methods are synchronous.

The session itself checks and dispatches frames and answers `leave`, `ping` and the feed's
messages; `hello` goes to Joining (signalling/joining.py), media messages to MediaControl
(signalling/media.py), stage messages to StageControl (signalling/townhall.py) and egress
messages to EgressControl (signalling/egress.py), which work on the session's MeetingContext
(signalling/context.py) and never see the session. What every session shares is Services
(signalling/services.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rooms.meeting.events import bye
from rooms.meeting.meeting import Meeting, Participant
from sfu.errors import NegotiationError, NegotiationStateError
from signalling.context import Close, MeetingContext, Send
from signalling.egress import EgressControl
from signalling.errors import ProtocolError, error_event
from signalling.feed import Feed
from signalling.joining import Joining
from signalling.media import MediaControl
from signalling.messages import (
    Auth,
    Hello,
    Leave,
    Ping,
    Read,
    Typing,
    parse_client_message,
    type_name,
)
from signalling.ratelimit import Dropped, FrameLimits
from signalling.services import Services
from signalling.townhall import StageControl

log = logging.getLogger(__name__)


class Session:
    def __init__(self, services: Services, send: Send, close: Close) -> None:
        self._services = services
        self._send = send
        self._close = close
        # The meeting's handlers see this, not the session.
        self.context = MeetingContext(send, close, services.clock, lambda: services.community)
        self.media = MediaControl(self.context, services.peers)
        self.stage = StageControl(self.context)
        self.egress = EgressControl(self.context, services.egress)
        self.joining = Joining(services, self.context, self.media, lambda: self.label)
        self.feed: Feed | None = None
        self._limits = FrameLimits()
        self._handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
            **self.joining.handlers(),
            Leave: self._on_leave,
            Ping: self._on_ping,
            Auth: self._on_auth,
            Typing: self._on_typing,
            Read: self._on_read,
            **self.media.handlers(),
            **self.stage.handlers(),
            **self.egress.handlers(),
        }

    def clock(self) -> float:
        return self._services.clock()

    @property
    def participant(self) -> Participant | None:
        return self.context.participant

    @property
    def meeting(self) -> Meeting | None:
        return self.context.meeting

    @property
    def joined(self) -> bool:
        return self.context.joined

    @property
    def in_lobby(self) -> bool:
        return self.context.in_lobby

    @property
    def identified(self) -> bool:
        """Joined a meeting (hello) or follows the community feed (auth)."""
        return (
            self.joined or self.in_lobby or (self.feed is not None and self.feed.user is not None)
        )

    async def handle_text(self, text: str) -> None:
        """Handle one frame. Every failure becomes an `error` reply and changes nothing."""
        message_type: str | None = None
        try:
            now = self.clock()
            self._limits.frame(now)  # before parsing: bad frames cost the same as good ones
            message = parse_client_message(text)
            message_type = type_name(message)
            self._limits.message(message_type, now)
            if not self.identified and not isinstance(message, Hello | Auth):
                raise ProtocolError("unauthorized", "the first message must be hello or auth")
            if self.in_lobby and not isinstance(message, Ping | Leave | Auth | Typing | Read):
                raise ProtocolError("bad_state", "wait until a moderator lets you in")
            await self._handlers[type(message)](message)
        except Dropped:
            return
        except ProtocolError as exc:
            if exc.closes or not self.identified:
                self.fail(exc)
            else:
                self._send(error_event(exc, message_type))
        except NegotiationError as exc:
            self._send(error_event(ProtocolError("bad_sdp", str(exc)), message_type))
        except NegotiationStateError as exc:
            self._send(error_event(ProtocolError("bad_state", str(exc)), message_type))
        except Exception as exc:
            log.exception("session %s: %s failed", self.label, message_type)
            self._send(error_event(exc, message_type))

    def fail(self, exc: ProtocolError) -> None:
        """Tell the client why, then close (the reason goes to the websocket close frame)."""
        self._send(error_event(exc))
        self._close(exc.code)

    # -- the feed and the small messages ----------------------------------------------------

    async def _on_auth(self, auth: Auth) -> None:
        community = self._services.community
        if community is None:
            raise ProtocolError("unavailable", "the community service is not running")
        if self.feed is None:
            self.feed = Feed(
                community,
                self._services.secret,
                self._services.clock,
                self._send,
                self._close,
                gate=self._services.auth_gate,
            )
        self._send(await self.feed.authenticate(auth.token))

    async def _on_typing(self, typing: Typing) -> None:
        await self._feed("typing").typing(typing.room_id)

    async def _on_read(self, read: Read) -> None:
        self._send(await self._feed("read").read(read.room_id, read.message_id))

    def _feed(self, kind: str) -> Feed:
        if self.feed is None or self.feed.user is None:
            raise ProtocolError("bad_state", "send auth first", in_reply_to=kind)
        return self.feed

    def move(self) -> None:
        """Its meeting moved to another node (or, for a socket carried from here, this node
        stops): the client connects again at once (docs/protocol.md, `bye` `moved`)."""
        self._send(bye("moved"))
        self._close("moved")

    async def _on_leave(self, _leave: Leave) -> None:
        self._send(bye("left"))
        self._close("left")

    async def _on_ping(self, ping: Ping) -> None:
        self._send({"type": "pong", "id": ping.id})

    # -- teardown ----------------------------------------------------------------------------

    async def end(self, reason: str) -> None:
        """Leave the meeting and close media. Idempotent; called once the socket is gone."""
        if self.context.ended:
            return
        self.context.ended = True
        if self.feed is not None:
            self.feed.close()
        if self.participant is not None and self.meeting is not None:
            self._services.registry.leave(self.meeting.name, self.participant.id, reason)
        await self.media.close()

    @property
    def label(self) -> str:
        """Who this socket is, for log lines."""
        if self.participant is not None:
            return self.participant.id
        if self.feed is not None and self.feed.user is not None:
            return f"feed of user {self.feed.user.id}"
        return "(before hello)"
