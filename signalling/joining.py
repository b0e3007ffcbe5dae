"""How a session gets into a meeting: `hello`.

A first `hello` carries a signed join grant (rooms/meeting/grants.py). Joining checks it and,
for a member's grant, that they are still in the room; finds the node that hosts the meeting
(rooms/meeting/registry.py Placement), and when that is another node, leaves the socket to be
carried there (signalling/ws.py reads `carry_to`); restores a stage a draining node handed over;
refuses when the server is full, the meeting locked or the person banned; and then joins the
meeting, or waits in its waiting room until a moderator admits (`lobby_wait`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rooms.errors import DomainError
from rooms.meeting import grants, handover, meeting_access
from rooms.meeting.events import bye
from rooms.meeting.meeting import Meeting, Participant
from rooms.meeting.registry import NodeId
from rooms.meeting.stage import Stage
from signalling.cascade.home import RemoteSubscriber
from signalling.context import MeetingContext
from signalling.errors import ProtocolError
from signalling.events import Welcome
from signalling.media import MediaControl
from signalling.messages import MAX_MESSAGE_BYTES, PROTOCOL_VERSION, Hello
from signalling.services import Services
from signalling.townhall import stage_snapshot

log = logging.getLogger(__name__)
# Work a session started and does not wait for: strong references until it ends.
_BACKGROUND: set[asyncio.Future[None]] = set()


def _finished_in_background(task: asyncio.Future[None]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("a background step failed: %r", task.exception())


class Joining:
    """The session's `hello`: works on its MeetingContext and starts its media through its
    MediaControl, and sees nothing else of the session but its name for log lines."""

    def __init__(
        self,
        services: Services,
        context: MeetingContext,
        media: MediaControl,
        label: Callable[[], str],
    ) -> None:
        self._services = services
        self._context = context
        self._media = media
        self._label = label
        # The node hosting the meeting this socket's hello asked for and its URL, when that is
        # another node: signalling/ws.py then carries the socket there (docs/cluster.md).
        self.carry_to: str | None = None
        self.carry_node: NodeId | None = None
        # The node that carried this socket here over its link (signalling/cascade/tunnel.py):
        # the participant receives media there (the cascade).
        self.came_through: str | None = None

    def handlers(self) -> dict[type, Callable[[Any], Awaitable[None]]]:
        return {Hello: self._on_hello}

    def _verified_grant(self, hello: Hello) -> grants.JoinGrant:
        """The join grant a first `hello` carries, checked: version, signature and expiry,
        and the meeting it names."""
        if self._context.participant is not None:
            raise ProtocolError("bad_state", "hello was already received", in_reply_to="hello")
        if hello.v != PROTOCOL_VERSION:
            raise ProtocolError(
                "version_unsupported",
                f"this server speaks protocol version {PROTOCOL_VERSION}, not {hello.v}",
            )
        try:
            grant = grants.verify(hello.token, self._services.secret, int(self._services.clock()))
        except grants.GrantError as exc:
            log.info("session %s: join token refused: %s (%s)", self._label(), exc, exc.__cause__)
            raise ProtocolError(exc.code, str(exc)) from exc
        if hello.room is not None and hello.room != grant.meeting:
            raise ProtocolError(
                "wrong_room", f"this join token is for room {grant.meeting!r}, not {hello.room!r}"
            )
        return grant

    async def _on_hello(self, hello: Hello) -> None:
        grant = self._verified_grant(hello)
        await self._still_a_member(grant)
        registry = self._services.registry
        if self._services.moved_out and registry.find(grant.meeting) is None:
            # Its meetings went to other nodes (server/drain.py): carrying a socket would
            # keep this node running; the load balancer sends the next one elsewhere.
            raise ProtocolError("draining", "this server is shutting down; connect again")
        self.carry_to = await self._hosted_here(grant.meeting)
        if self.carry_to is not None:
            return  # signalling/ws.py carries this socket, this hello first, to that node
        await self._receive_where_it_came_through()
        handed = await self._handed_over(grant.meeting)
        existing = registry.find(grant.meeting)
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
            deliver=self._context.send,
            disconnect=self._context.close,
            can_subscribe=grant.can_subscribe and not hello.watch,
            role=role,
            # A raised hand stays up across a reconnect, and a move to another node.
            hand=stage.hands.get(grant.identity) if stage and role == "audience" else None,
            left_stage=self._media.left_stage,
            watching=hello.watch,
        )
        if not hello.watch:
            self._refuse_when_full(grant)
        admission = stage.admission(grant.identity, role) if stage else "admit"
        if admission == "banned":
            raise ProtocolError("banned", "you were removed from this meeting")
        if admission == "locked":
            raise ProtocolError("meeting_locked", "this meeting is locked; ask a moderator")
        meeting = registry.open(grant.meeting, handed)
        if existing is None and handed is not None:
            self._handover_taken(grant.meeting)
        context = self._context
        context.participant, context.meeting = participant, meeting
        context.event_id = grant.event_id
        if admission == "wait":
            context.in_lobby = True
            meeting.wait_in_lobby(participant, lambda: self._enter(meeting, participant))
            context.send({"type": "lobby_wait", "message": "a moderator will let you in shortly"})
            return
        self._enter(meeting, participant)

    def _enter(self, meeting: Meeting, participant: Participant) -> None:
        """Join the meeting for real: now, or when a moderator admits from the lobby."""
        if self._context.ended:
            return
        self._context.in_lobby = False
        replaced = meeting.join(participant)
        if replaced is not None:
            replaced.deliver(bye("replaced"))
            replaced.disconnect("replaced")
        now = self._services.clock()
        welcome: Welcome = {
            "type": "welcome",
            "v": PROTOCOL_VERSION,
            "room": meeting.name,
            "participant": participant.public(),
            "participants": meeting.others(participant.id),
            "ice_servers": [
                server.as_dict() for server in self._services.ice.for_identity(participant.id, now)
            ],
            "max_message_bytes": MAX_MESSAGE_BYTES,
            "stage": stage_snapshot(meeting, participant),
        }
        self._context.send(welcome)
        if participant.role == "moderator":
            self._context.send(meeting.lobby_event())
        self._media.start_receiving(meeting, participant)

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
        self.carry_node = host
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
            self._media.receive_elsewhere = functools.partial(RemoteSubscriber, link)

    def _refuse_when_full(self, grant: grants.JoinGrant) -> None:
        """A full server says so before any media, rather than degrading everyone's meeting.
        Someone joining again (a reload, a second device) replaces their old connection, so
        they never count twice and are never refused."""
        limit = self._services.max_participants
        registry = self._services.registry
        if not limit or registry.participant_count < limit:
            return
        meeting = registry.find(grant.meeting)
        if meeting is not None and meeting.by_identity(grant.identity) is not None:
            return
        raise ProtocolError(
            "server_full",
            f"this server is full ({limit} participants); please try again later",
        )
