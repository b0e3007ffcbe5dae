"""One participant's signalling session: the owner of its state, fed one message at a time.

The websocket glue (signalling/ws.py) reads frames and calls `handle_text`; the session answers
through `send` (non-blocking enqueue) and asks to close through `close`. Handlers await aiortc
negotiation but never while a room is half-changed: room methods are synchronous.

The session itself checks and dispatches frames, joins meetings (`hello`, the lobby) and
answers `leave`, `ping` and the feed's messages; media messages go to MediaControl
(signalling/media.py) and stage messages to StageControl (signalling/townhall.py), which work
on the session's MeetingContext (signalling/context.py) and never see the session.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rooms.community.community import Community
from rooms.errors import DomainError
from rooms.meeting import grants, handover, meeting_access
from rooms.meeting.egress.egress import EgressSettings
from rooms.meeting.events import bye
from rooms.meeting.meeting import Meeting, Participant
from rooms.meeting.registry import MeetingRegistry, NodeId, Placement
from rooms.meeting.stage import Stage
from sfu.errors import NegotiationError, NegotiationStateError
from sfu.ice_servers import IceServers
from signalling.cascade.home import Cascade, RemoteSubscriber
from signalling.context import Close, MeetingContext, Send
from signalling.egress import EgressControl
from signalling.errors import ProtocolError, error_event
from signalling.events import Welcome
from signalling.feed import AUTH_CONCURRENCY, Feed
from signalling.media import MediaControl
from signalling.messages import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    Auth,
    Hello,
    Leave,
    Ping,
    Read,
    Typing,
    parse_client_message,
    type_name,
)
from signalling.peers import PeerFactory
from signalling.ratelimit import Dropped, FrameLimits
from signalling.townhall import StageControl, stage_snapshot

log = logging.getLogger(__name__)
# Work a session started and does not wait for: strong references until it ends.
_BACKGROUND: set[asyncio.Future[None]] = set()


def _finished_in_background(task: asyncio.Future[None]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("a background step failed: %r", task.exception())


@dataclass
class Services:
    """What every session shares: the node's meetings, secret and media settings
    (server/wiring.py chooses the registry and placement)."""

    registry: MeetingRegistry
    placement: Placement
    secret: str
    peers: PeerFactory  # how sessions get their media connections (signalling/peers.py)
    clock: Callable[[], float]
    # STUN and TURN for the participants: each gets TURN credentials of its own in `welcome`.
    ice: IceServers = field(default_factory=IceServers)
    # The most participants this process serves at once; 0: no limit but the machine's.
    max_participants: int = 0
    # Shutting down gracefully (server/drain.py): meetings live here go on, no new one starts.
    draining: bool = False
    # Draining, and its meetings moved to other nodes (server/drain.py): it takes no socket.
    moved_out: bool = False
    # Sessions whose socket is open or whose media is still closing: shutdown waits for them.
    live_sessions: set[Session] = field(default_factory=set)
    # Accounts, rooms, chat and agenda; opened when the server starts (server/app.py).
    community: Community | None = None
    # Bounds the account look-ups of `auth` and of members' `hello` across all sockets
    # (signalling/feed.py AUTH_CONCURRENCY).
    auth_gate: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(AUTH_CONCURRENCY)
    )
    # Live out and recording (rooms/meeting/egress/); None: not offered by this server.
    egress: EgressSettings | None = None
    # Links to the other nodes (signalling/cascade/): a participant carried here from another
    # node receives media on that node. None on a single node.
    cascade: Cascade | None = None


class Session:
    def __init__(self, services: Services, send: Send, close: Close) -> None:
        self._services = services
        self._send = send
        self._close = close
        # The meeting's handlers see this, not the session.
        self.meeting = MeetingContext(send, close, services.clock, lambda: services.community)
        self.media = MediaControl(self.meeting, services.peers)
        self.stage = StageControl(self.meeting)
        self.egress = EgressControl(self.meeting, services.egress)
        self.feed: Feed | None = None
        # The node hosting the meeting this socket's hello asked for and its URL, when that is
        # another node: signalling/ws.py then carries the socket there (docs/cluster.md).
        self.relay_to: str | None = None
        self.relay_node: NodeId | None = None
        # The node that carried this socket here over its link (signalling/cascade/tunnel.py):
        # the participant receives media there (the cascade).
        self.came_through: str | None = None
        self._limits = FrameLimits()
        self._handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
            Hello: self._on_hello,
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
        return self.meeting.participant

    @property
    def room(self) -> Meeting | None:
        return self.meeting.room

    @property
    def joined(self) -> bool:
        return self.meeting.joined

    @property
    def in_lobby(self) -> bool:
        return self.meeting.in_lobby

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

    # -- handlers ----------------------------------------------------------------------------

    def _verified_grant(self, hello: Hello) -> grants.JoinGrant:
        """The join grant a first `hello` carries, checked: version, signature and expiry,
        and the room it names."""
        if self.participant is not None:
            raise ProtocolError("bad_state", "hello was already received", in_reply_to="hello")
        if hello.v != PROTOCOL_VERSION:
            raise ProtocolError(
                "version_unsupported",
                f"this server speaks protocol version {PROTOCOL_VERSION}, not {hello.v}",
            )
        try:
            grant = grants.verify(hello.token, self._services.secret, int(self._services.clock()))
        except grants.GrantError as exc:
            log.info("session %s: join token refused: %s (%s)", self.label, exc, exc.__cause__)
            raise ProtocolError(exc.code, str(exc)) from exc
        if hello.room is not None and hello.room != grant.room:
            raise ProtocolError(
                "wrong_room", f"this join token is for room {grant.room!r}, not {hello.room!r}"
            )
        return grant

    async def _on_hello(self, hello: Hello) -> None:
        grant = self._verified_grant(hello)
        await self._still_a_member(grant)
        registry = self._services.registry
        if self._services.moved_out and registry.find(grant.room) is None:
            # Its meetings went to other nodes (server/drain.py): carrying a socket would
            # keep this node running; the load balancer sends the next one elsewhere.
            raise ProtocolError("draining", "this server is shutting down; connect again")
        self.relay_to = await self._hosted_here(grant.room)
        if self.relay_to is not None:
            return  # signalling/ws.py carries this socket, this hello first, to that node
        await self._receive_where_it_came_through()
        handed = await self._handed_over(grant.room)
        existing = registry.find(grant.room)
        if existing is None and self._services.draining:
            raise ProtocolError(
                "draining", "this server is shutting down; connect again to reach another one"
            )
        stage = existing.stage if existing is not None else handed
        role = grant.meeting_role
        if hello.watch:
            role = "audience"  # an HLS viewer has no media to speak with
        elif stage is not None and role != "moderator":
            # Brought on stage (or sent back) earlier in this meeting: a reconnect keeps that.
            role = stage.roles_given.get(grant.identity, role)
        participant = Participant(
            id=registry.new_participant_id(),
            identity=grant.identity,
            name=grant.name,
            deliver=self._send,
            disconnect=self._close,
            can_subscribe=grant.can_subscribe and not hello.watch,
            role=role,
            # A raised hand stays up across a reconnect, and a move to another node.
            hand=stage.hands.get(grant.identity) if stage and role == "audience" else None,
            left_stage=self.media.left_stage,
            watching=hello.watch,
        )
        if not hello.watch:
            self._refuse_when_full(grant)
        admission = stage.admission(grant.identity, role) if stage else "admit"
        if admission == "banned":
            raise ProtocolError("banned", "you were removed from this meeting")
        if admission == "locked":
            raise ProtocolError("meeting_locked", "this meeting is locked; ask a moderator")
        room = registry.open(grant.room, handed)
        if existing is None and handed is not None:
            self._handover_taken(grant.room)
        meeting = self.meeting
        meeting.participant, meeting.room, meeting.event_id = participant, room, grant.event_id
        if admission == "wait":
            meeting.in_lobby = True
            room.wait_in_lobby(participant, lambda: self._enter(room, participant))
            self._send({"type": "lobby_wait", "message": "a moderator will let you in shortly"})
            return
        self._enter(room, participant)

    def _enter(self, room: Meeting, participant: Participant) -> None:
        """Join the room for real: now, or when a moderator admits from the lobby."""
        if self.meeting.ended:
            return
        self.meeting.in_lobby = False
        replaced = room.join(participant)
        if replaced is not None:
            replaced.deliver(bye("replaced"))
            replaced.disconnect("replaced")
        welcome: Welcome = {
            "type": "welcome",
            "v": PROTOCOL_VERSION,
            "room": room.name,
            "participant": participant.public(),
            "participants": room.others(participant.id),
            "ice_servers": [
                server.as_dict()
                for server in self._services.ice.for_identity(participant.id, self.clock())
            ],
            "max_message_bytes": MAX_MESSAGE_BYTES,
            "stage": stage_snapshot(room, participant),
        }
        self._send(welcome)
        if participant.role == "moderator":
            self._send(room.lobby_event())
        self.media.start_receiving(room, participant)

    async def _still_a_member(self, grant: grants.JoinGrant) -> None:
        """A member's token admits only while they are in the room and have not signed out
        everywhere since it was minted (rooms/meeting/meeting_access.py)."""
        member = meeting_access.member_grant(grant)
        community = self._services.community
        if member is None or community is None:
            return
        try:
            async with self._services.auth_gate:  # a reconnect storm queues (feed.py)
                await meeting_access.check_member(community.db, member)
        except DomainError as exc:
            raise ProtocolError(exc.code, exc.message) from exc

    async def _hosted_here(self, meeting: str) -> str | None:
        """A meeting lives on one node (rooms/meeting/registry.py). None when it is this one;
        else the URL of the node hosting it, where this socket is to be carried (docs/
        cluster.md). A node that cannot be reached is `wrong_node`, before anything joined."""
        placement = self._services.placement
        host = await placement.claim(meeting)
        if host == self._services.registry.node:
            return None
        self.relay_node = host
        url = await placement.address(host)
        if url is None:
            raise ProtocolError(
                "wrong_node", f"this meeting runs on another node ({host}); connect again"
            )
        return url

    async def _handed_over(self, meeting: str) -> Stage | None:
        """The stage a draining node left when it moved `meeting` here (rooms/meeting/
        handover.py), when the meeting is not live here yet."""
        if self._services.registry.find(meeting) is not None:
            return None
        state = await self._services.placement.handed_over(meeting)
        if state is None:
            return None
        try:
            return handover.restored_stage(state)
        except ValueError as exc:
            log.warning("meeting %s: its stage did not survive the move (%s)", meeting, exc)
            return None

    def _handover_taken(self, meeting: str) -> None:
        """Drop the stage state once the meeting lives here; without waiting for Redis, since
        nothing depends on it: a state left over expires by itself."""
        task = asyncio.ensure_future(self._services.placement.handover_taken(meeting))
        _BACKGROUND.add(task)
        task.add_done_callback(_finished_in_background)

    async def _receive_where_it_came_through(self) -> None:
        """Carried from another node: the participant's subscribe connection goes there, fed
        by tracks that cross once (docs/cluster.md), when the link to it opens."""
        cascade = self._services.cascade
        node = self.came_through
        if cascade is None or node is None or node == self._services.registry.node:
            return
        link = await cascade.link(node)
        if link is not None:
            self.media.receive_elsewhere = functools.partial(RemoteSubscriber, link)

    def _refuse_when_full(self, grant: grants.JoinGrant) -> None:
        """A full server says so before any media, rather than degrading everyone's meeting.
        Someone joining again (a reload, a second device) replaces their old connection, so
        they never count twice and are never refused."""
        limit = self._services.max_participants
        registry = self._services.registry
        if not limit or registry.participant_count < limit:
            return
        room = registry.find(grant.room)
        if room is not None and room.by_identity(grant.identity) is not None:
            return
        raise ProtocolError(
            "server_full",
            f"this server is full ({limit} participants); please try again later",
        )

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
        """Leave the room and close media. Idempotent; called once the socket is gone."""
        if self.meeting.ended:
            return
        self.meeting.ended = True
        if self.feed is not None:
            self.feed.close()
        if self.participant is not None and self.room is not None:
            self._services.registry.leave(self.room.name, self.participant.id, reason)
        await self.media.close()

    @property
    def label(self) -> str:
        """Who this socket is, for log lines."""
        if self.participant is not None:
            return self.participant.id
        if self.feed is not None and self.feed.user is not None:
            return f"feed of user {self.feed.user.id}"
        return "(before hello)"
