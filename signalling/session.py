"""One participant's signalling session: the owner of its state, fed one message at a time.

The websocket glue (signalling/ws.py) reads frames and calls `handle_text`; the session answers
through `send` (non-blocking enqueue) and asks to close through `close`. Handlers await aiortc
negotiation but never while a room is half-changed: room methods are synchronous.
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
from rooms.meeting import grants, meeting_access
from rooms.meeting.room import Participant, Room, RoomRegistry, new_participant_id
from sfu.errors import NegotiationError, NegotiationStateError
from sfu.peer import PeerSettings
from sfu.publisher import PublisherPeer
from sfu.router import CAMERA, SCREEN, owner_key, person_of, source_of
from sfu.subscriber import SubscriberPeer
from signalling.errors import ProtocolError, error_event
from signalling.feed import AUTH_CONCURRENCY, Feed
from signalling.messages import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    Auth,
    DataSaver,
    Hello,
    Leave,
    Mute,
    PauseVideo,
    Ping,
    PublishOffer,
    Read,
    SubscribeAnswer,
    Typing,
    Unpublish,
    VideoSize,
    parse_client_message,
    type_name,
)
from signalling.ratelimit import Dropped, FrameLimits
from signalling.townhall import StageControl, stage_snapshot
from signalling.turn import TurnSettings, ice_servers

log = logging.getLogger(__name__)

# A message for the socket: a dict, or text already encoded (community events,
# rooms/community/bus.py).
Send = Callable[[dict[str, Any] | str], None]
Close = Callable[[str], None]


@dataclass
class Services:
    """What every session shares: the process's rooms, secret and media settings."""

    registry: RoomRegistry
    secret: str
    peer_settings: PeerSettings
    clock: Callable[[], float]
    ice_servers: list[str] = field(default_factory=list)
    turn: TurnSettings | None = None
    # The most participants this process serves at once; 0: no limit but the machine's.
    max_participants: int = 0
    # Sessions whose socket is open or whose media is still closing: shutdown waits for them.
    live_sessions: set[Session] = field(default_factory=set)
    # Accounts, rooms, chat and agenda; opened when the server starts (server/app.py).
    community: Community | None = None
    # Bounds the account look-ups of `auth` and of members' `hello` across all sockets
    # (signalling/feed.py AUTH_CONCURRENCY).
    auth_gate: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(AUTH_CONCURRENCY)
    )


class Session:
    def __init__(self, services: Services, send: Send, close: Close) -> None:
        self._services = services
        self._send = send
        self._close = close
        self.participant: Participant | None = None
        self.room: Room | None = None
        # Publish connections by source: "camera" (camera and microphone) and "screen".
        self._publishers: dict[str, PublisherPeer] = {}
        self.subscriber: SubscriberPeer | None = None
        self.feed: Feed | None = None
        self.in_lobby = False
        self.event_id: int | None = None
        self.stage = StageControl(self)
        self._closing: set[asyncio.Future[None]] = set()
        self._ended = False
        self._limits = FrameLimits()
        self._handlers: dict[type, Callable[[Any], Awaitable[None]]] = {
            Hello: self._on_hello,
            PublishOffer: self._on_publish_offer,
            SubscribeAnswer: self._on_subscribe_answer,
            Mute: self._on_mute,
            PauseVideo: self._on_pause_video,
            VideoSize: self._on_video_size,
            DataSaver: self._on_data_saver,
            Unpublish: self._on_unpublish,
            Leave: self._on_leave,
            Ping: self._on_ping,
            Auth: self._on_auth,
            Typing: self._on_typing,
            Read: self._on_read,
            **self.stage.handlers(),
        }

    def clock(self) -> float:
        return self._services.clock()

    @property
    def community(self) -> Community | None:
        return self._services.community

    @property
    def joined(self) -> bool:
        return self.participant is not None and not self._ended and not self.in_lobby

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

    async def _on_hello(self, hello: Hello) -> None:
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
        await self._still_a_member(grant)
        registry = self._services.registry
        existing = registry.rooms.get(grant.room)
        role = grant.meeting_role
        if existing is not None and role != "moderator":
            # Brought on stage (or sent back) earlier in this meeting: a reconnect keeps that.
            role = existing.stage.roles_given.get(grant.identity, role)
        participant = Participant(
            id=new_participant_id(),
            identity=grant.identity,
            name=grant.name,
            deliver=self._send,
            disconnect=self._close,
            can_subscribe=grant.can_subscribe,
            role=role,
            left_stage=self._left_stage,
        )
        self._refuse_when_full(grant)
        admission = existing.stage.admission(grant.identity, role) if existing else "admit"
        if admission == "banned":
            raise ProtocolError("banned", "you were removed from this meeting")
        if admission == "locked":
            raise ProtocolError("meeting_locked", "this meeting is locked; ask a moderator")
        room = registry.room(grant.room)
        self.participant, self.room, self.event_id = participant, room, grant.event_id
        if admission == "wait":
            self.in_lobby = True
            room.wait_in_lobby(participant, lambda: self._enter(room, participant))
            self._send({"type": "lobby_wait", "message": "a moderator will let you in shortly"})
            return
        self._enter(room, participant)

    def _enter(self, room: Room, participant: Participant) -> None:
        """Join the room for real: now, or when a moderator admits from the lobby."""
        if self._ended:
            return
        self.in_lobby = False
        replaced = room.join(participant)
        if replaced is not None:
            replaced.deliver({"type": "bye", "reason": "replaced"})
            replaced.disconnect("replaced")
        self._send(
            {
                "type": "welcome",
                "v": PROTOCOL_VERSION,
                "room": room.name,
                "participant": participant.public(),
                "participants": room.others(participant.id),
                "ice_servers": ice_servers(
                    self._services.ice_servers, self._services.turn, participant.id, self.clock()
                ),
                "max_message_bytes": MAX_MESSAGE_BYTES,
                "stage": stage_snapshot(room, participant),
            }
        )
        if participant.role == "moderator":
            self._send(room.lobby_event())
        if participant.can_subscribe:
            self.subscriber = SubscriberPeer(
                participant.id,
                self._services.peer_settings,
                self._send_offer,
                self._media_failed,
                self._video_suspended,
            )
            room.media.add_subscriber(self.subscriber)

    def _left_stage(self) -> None:
        """Sent back to the audience: the publish connections close (their producers have
        already left the room), so a later promotion negotiates fresh ones."""
        publishers, self._publishers = list(self._publishers.values()), {}
        for publisher in publishers:
            task = asyncio.ensure_future(publisher.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

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

    def _refuse_when_full(self, grant: grants.JoinGrant) -> None:
        """A full server says so before any media, rather than degrading everyone's meeting.
        Someone joining again (a reload, a second device) replaces their old connection, so
        they never count twice and are never refused."""
        limit = self._services.max_participants
        registry = self._services.registry
        if not limit or registry.participant_count < limit:
            return
        room = registry.rooms.get(grant.room)
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

    def _in_meeting(self, kind: str) -> None:
        if not self.joined:
            raise ProtocolError("bad_state", "join a meeting with hello first", in_reply_to=kind)

    async def _on_publish_offer(self, offer: PublishOffer) -> None:
        self._in_meeting("publish_offer")
        assert self.participant is not None and self.room is not None
        if not self.participant.can_publish:
            raise ProtocolError("forbidden", "your role does not allow publishing")
        if self._publishers.get(offer.source) is not None:
            raise NegotiationStateError(f"the {offer.source} is already published")
        owner = owner_key(self.participant.id, offer.source)
        publisher = PublisherPeer(
            owner,
            self._services.peer_settings,
            self._media_failed,
            functools.partial(self._publish_layers, offer.source),
        )
        self._publishers[offer.source] = publisher  # claimed while negotiating
        try:
            answer = await publisher.accept_offer(offer.sdp)
        except BaseException:
            self._publishers.pop(offer.source, None)
            await publisher.close()
            raise
        # Left, or sent back to the audience, while we negotiated: keep nothing.
        if self._ended or self._publishers.get(offer.source) is not publisher:
            await publisher.close()
            return
        self._send({"type": "publish_answer", "sdp": answer, "source": offer.source})
        for producer in publisher.producers:
            self.room.media.add_producer(producer)
        if offer.source == SCREEN:
            self.room.set_screen(self.participant.id, True)

    async def _on_unpublish(self, unpublish: Unpublish) -> None:
        self._in_meeting("unpublish")
        assert self.participant is not None and self.room is not None
        publisher = self._publishers.pop(unpublish.source, None)
        if publisher is None:
            raise NegotiationStateError(f"you are not sharing your {unpublish.source}")
        for producer in self.room.media.producers_of(publisher.owner):
            self.room.media.remove_producer(producer)
        self.room.set_screen(self.participant.id, False)
        await publisher.close()

    @property
    def publisher(self) -> PublisherPeer | None:
        """The camera and microphone connection."""
        return self._publishers.get(CAMERA)

    async def _on_subscribe_answer(self, answer: SubscribeAnswer) -> None:
        self._in_meeting("subscribe_answer")
        if self.subscriber is None:
            raise NegotiationStateError("you do not receive media in this room")
        self.subscriber.handle_answer(answer.sdp, answer.revision)

    async def _on_mute(self, mute: Mute) -> None:
        self._in_meeting("mute")
        assert self.participant is not None and self.room is not None
        self.room.set_muted(self.participant.id, mute.kind, mute.muted)

    async def _on_pause_video(self, pause: PauseVideo) -> None:
        self._in_meeting("pause_video")
        self._receiving_from(pause.participant_id).set_video_paused(
            owner_key(pause.participant_id, pause.source), pause.paused
        )

    async def _on_video_size(self, size: VideoSize) -> None:
        self._in_meeting("video_size")
        self._receiving_from(size.participant_id).set_video_size(
            owner_key(size.participant_id, size.source), size.width, size.height
        )

    async def _on_data_saver(self, saver: DataSaver) -> None:
        self._in_meeting("data_saver")
        assert self.room is not None
        if self.subscriber is None:
            raise NegotiationStateError("you do not receive media in this room")
        self.subscriber.hear_speakers_only(saver.on, self.room.speakers.speakers)

    def _receiving_from(self, participant_id: str) -> SubscriberPeer:
        """This session's subscriber, when another participant `participant_id` is here."""
        assert self.room is not None
        if self.subscriber is None:
            raise NegotiationStateError("you do not receive media in this room")
        if participant_id not in self.room.participants or (
            self.participant is not None and participant_id == self.participant.id
        ):
            raise NegotiationStateError(f"no other participant {participant_id!r} here")
        return self.subscriber

    async def _on_leave(self, _leave: Leave) -> None:
        self._send({"type": "bye", "reason": "left"})
        self._close("left")

    async def _on_ping(self, ping: Ping) -> None:
        self._send({"type": "pong", "id": ping.id})

    # -- media callbacks ---------------------------------------------------------------------

    def _send_offer(self, sdp: str, revision: int, tracks: dict[str, dict[str, str]]) -> None:
        self._send({"type": "subscribe_offer", "sdp": sdp, "revision": revision, "tracks": tracks})

    def _publish_layers(self, source: str, rids: list[str]) -> None:
        """Only these simulcast layers of our `source` video have a receiver now."""
        self._send({"type": "publish_layers", "source": source, "active": rids})

    def _video_suspended(self, owner: str, suspended: bool) -> None:
        """This participant's downlink cannot carry `owner`'s video now, or can again."""
        self._send(
            {
                "type": "video_suspended",
                "participant_id": person_of(owner),
                "source": source_of(owner),
                "suspended": suspended,
            }
        )

    def _media_failed(self) -> None:
        log.info("session %s: media connection failed; disconnecting", self.label)
        self._send(error_event(ProtocolError("media_failed", "the media connection failed")))
        self._close("media_failed")

    # -- teardown ----------------------------------------------------------------------------

    async def end(self, reason: str) -> None:
        """Leave the room and close media. Idempotent; called once the socket is gone."""
        if self._ended:
            return
        self._ended = True
        if self.feed is not None:
            self.feed.close()
        if self.participant is not None and self.room is not None:
            self._services.registry.leave(self.room.name, self.participant.id, reason)
        for peer in (self.subscriber, *self._publishers.values()):
            if peer is not None:
                await peer.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    @property
    def label(self) -> str:
        """Who this socket is, for log lines."""
        if self.participant is not None:
            return self.participant.id
        if self.feed is not None and self.feed.user is not None:
            return f"feed of user {self.feed.user.id}"
        return "(before hello)"
