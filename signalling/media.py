"""Media messages of a meeting session: publish and unpublish, the subscribe answer, mute,
pausing and sizing others' videos, the data saver. Works on the session's MeetingContext and
gets its peer connections from a PeerFactory (signalling/peers.py); it owns those connections
and closes them when the session ends."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rooms.meeting.meeting import Meeting, Participant
from sfu.errors import NegotiationStateError
from sfu.forwarding import Producer
from sfu.owner import CAMERA, SCREEN, owner_key
from sfu.publisher import PublisherPeer
from signalling.context import MeetingContext
from signalling.errors import ProtocolError, error_event
from signalling.messages import (
    DataSaver,
    Mute,
    PauseVideo,
    PublishOffer,
    SubscribeAnswer,
    Unpublish,
    VideoSize,
)
from signalling.peers import PeerFactory, SubscribeEndpoint, SubscriberFactory

log = logging.getLogger(__name__)


class MediaControl:
    def __init__(self, context: MeetingContext, peers: PeerFactory) -> None:
        self._context = context
        self._peers = peers
        # Publish connections by source: "camera" (camera and microphone) and "screen".
        self.publishers: dict[str, PublisherPeer] = {}
        self.subscriber: SubscribeEndpoint | None = None
        # Where the subscribe connection is made when not here: another node's, for a
        # participant who came in through it (signalling/cascade/home.py).
        self.receive_elsewhere: SubscriberFactory | None = None
        self._closing: set[asyncio.Future[None]] = set()

    def handlers(self) -> dict[type, Callable[[Any], Awaitable[None]]]:
        return {
            PublishOffer: self._publish_offer,
            SubscribeAnswer: self._subscribe_answer,
            Mute: self._mute,
            PauseVideo: self._pause_video,
            VideoSize: self._video_size,
            DataSaver: self._data_saver,
            Unpublish: self._unpublish,
        }

    @property
    def publisher(self) -> PublisherPeer | None:
        """The camera and microphone connection."""
        return self.publishers.get(CAMERA)

    def start_receiving(self, meeting: Meeting, participant: Participant) -> None:
        """Just joined: the subscribe connection, which the server offers on."""
        if participant.can_subscribe:
            make = self.receive_elsewhere or self._peers.subscriber
            self.subscriber = make(
                participant.id, self._send_offer, self._media_failed, self._video_suspended
            )
            meeting.media.add_subscriber(self.subscriber)

    def left_stage(self) -> None:
        """Sent back to the audience: the publish connections close (their producers have
        already left the meeting), so a later promotion negotiates fresh ones."""
        publishers, self.publishers = list(self.publishers.values()), {}
        for publisher in publishers:
            task = asyncio.ensure_future(publisher.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for peer in (self.subscriber, *self.publishers.values()):
            if peer is not None:
                await peer.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _publish_offer(self, offer: PublishOffer) -> None:
        meeting, me = self._context.me()
        if not me.can_publish:
            raise ProtocolError("forbidden", "your role does not allow publishing")
        if self.publishers.get(offer.source) is not None:
            raise NegotiationStateError(f"the {offer.source} is already published")
        publisher = self._peers.publisher(
            me.id,
            offer.source,
            self._media_failed,
            functools.partial(self._publish_layers, offer.source),
        )
        self.publishers[offer.source] = publisher  # claimed while negotiating
        try:
            answer = await publisher.accept_offer(offer.sdp)
        except BaseException:
            self.publishers.pop(offer.source, None)
            await publisher.close()
            raise
        # Left, or sent back to the audience, while we negotiated: keep nothing.
        if self._context.ended or self.publishers.get(offer.source) is not publisher:
            await publisher.close()
            return
        self._context.send({"type": "publish_answer", "sdp": answer, "source": offer.source})
        for producer in publisher.producers:
            meeting.media.add_producer(producer)
        if offer.source == SCREEN:
            meeting.set_screen(me.id, True)

    async def _unpublish(self, unpublish: Unpublish) -> None:
        meeting, me = self._context.me()
        publisher = self.publishers.pop(unpublish.source, None)
        if publisher is None:
            raise NegotiationStateError(f"you are not sharing your {unpublish.source}")
        for producer in meeting.media.producers_of(publisher.owner):
            meeting.media.remove_producer(producer)
        meeting.set_screen(me.id, False)
        await publisher.close()

    async def _subscribe_answer(self, answer: SubscribeAnswer) -> None:
        self._context.me()
        if self.subscriber is None:
            raise NegotiationStateError("you do not receive media in this room")
        self.subscriber.handle_answer(answer.sdp, answer.revision)

    async def _mute(self, mute: Mute) -> None:
        meeting, me = self._context.me()
        meeting.set_muted(me.id, mute.kind, mute.muted)

    async def _pause_video(self, pause: PauseVideo) -> None:
        self._receiving_from(pause.participant_id).set_video_paused(
            owner_key(pause.participant_id, pause.source), pause.paused
        )

    async def _video_size(self, size: VideoSize) -> None:
        self._receiving_from(size.participant_id).set_video_size(
            owner_key(size.participant_id, size.source), size.width, size.height
        )

    async def _data_saver(self, saver: DataSaver) -> None:
        meeting, me = self._context.me()
        if self.subscriber is None:
            raise NegotiationStateError("you do not receive media in this room")
        self.subscriber.hear_speakers_only(saver.on, meeting.speakers.speakers)
        me.saves_data = saver.on

    def _receiving_from(self, participant_id: str) -> SubscribeEndpoint:
        """This session's subscriber, when another participant `participant_id` is here."""
        meeting, me = self._context.me()
        if self.subscriber is None:
            raise NegotiationStateError("you do not receive media in this room")
        if participant_id not in meeting.participants or participant_id == me.id:
            raise NegotiationStateError(f"no other participant {participant_id!r} here")
        return self.subscriber

    def _send_offer(self, sdp: str, revision: int, tracks: dict[str, dict[str, str]]) -> None:
        self._context.send(
            {"type": "subscribe_offer", "sdp": sdp, "revision": revision, "tracks": tracks}
        )

    def _publish_layers(self, source: str, rids: list[str]) -> None:
        """Only these simulcast layers of our `source` video have a receiver now."""
        self._context.send({"type": "publish_layers", "source": source, "active": rids})

    def _video_suspended(self, producer: Producer, suspended: bool) -> None:
        """This participant's downlink cannot carry `producer`'s video now, or can again."""
        self._context.send(
            {
                "type": "video_suspended",
                "participant_id": producer.person,
                "source": producer.source,
                "suspended": suspended,
            }
        )

    def _media_failed(self) -> None:
        participant = self._context.participant
        who = participant.id if participant is not None else "(before hello)"
        log.info("session %s: media connection failed; disconnecting", who)
        self._context.send(
            error_event(ProtocolError("media_failed", "the media connection failed"))
        )
        self._context.close("media_failed")
