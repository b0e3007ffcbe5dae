"""A synthetic participant: speaks signalling protocol v1 over `websockets` and media over
aiortc, like the web client does. Used by the integration tests and the load test.

Receiving has two modes: "decode" consumes tracks through aiortc's decoder (proves the media
is playable); "count" replaces the receive pipeline with a packet counter (costs almost nothing,
so one machine can host many subscribers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import websockets
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from loadtest import latency, pacing, subscriber_rtcp
from sfu import peer as sfu_peer
from sfu import rtp as sfu_rtp
from sfu import sdp
from sfu.owner import CAMERA, owner_key
from sfu.reception import Reception, ReportBlock

RECEIVE_MODES = ("decode", "count")


class ServerError(Exception):
    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__(f"{event.get('code')}: {event.get('message')}")
        self.code = event.get("code")
        self.event = event


@dataclass
class ReceivedMedia:
    """What one participant received, keyed by the sender's participant id and kind."""

    frames: Counter[tuple[str, str]] = field(default_factory=Counter)
    packets: Counter[tuple[str, str]] = field(default_factory=Counter)
    bytes: int = 0
    first_packet_at: float | None = None
    last_packet_at: float | None = None
    # While `measuring`: one-way delays (seconds) of packets carrying abs-send-time, and
    # sequence tracking per SSRC for loss.
    measuring: bool = False
    delays: list[float] = field(default_factory=list)  # to the subscriber's event loop
    socket_delays: list[float] = field(default_factory=list)  # to its socket (kernel stamp)
    sequences: dict[int, Reception] = field(default_factory=dict)

    def start_measuring(self) -> None:
        self.delays.clear()
        self.socket_delays.clear()
        self.sequences.clear()
        self.measuring = True


class SyntheticParticipant:
    def __init__(
        self,
        ws_url: str,
        token: str,
        room: str | None = None,
        receive: str = "decode",
        report: bool = False,
    ):
        """`report`: in "count" mode, send receiver reports and REMB about once a second as a
        browser does (aiortc's receivers send none, as they never see the packets)."""
        if receive not in RECEIVE_MODES:
            raise ValueError(f"receive must be one of {RECEIVE_MODES}")
        self.ws_url = ws_url
        self.token = token
        self.room = room
        self.receive_mode = receive
        self.report = report
        self.welcome: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.tracks: dict[str, dict[str, str]] = {}
        self.received = ReceivedMedia()
        self.publish_pcs: dict[str, RTCPeerConnection] = {}  # by source: camera, screen
        self.subscribe_pc: RTCPeerConnection | None = None
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._waiters: list[tuple[Callable[[dict[str, Any]], bool], asyncio.Future[Any]]] = []
        self._consumers: set[asyncio.Task[None]] = set()
        self._offers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._offer_task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self._counting = False
        self._ssrc_mid: dict[int, str] = {}  # the streams received ("count" mode)

    @property
    def publish_pc(self) -> RTCPeerConnection | None:
        """The camera and microphone connection."""
        return self.publish_pcs.get("camera")

    @property
    def id(self) -> str:
        return str(self.welcome["participant"]["id"])

    async def join(self, timeout: float = 10.0) -> dict[str, Any]:
        self._ws = await websockets.connect(self.ws_url, max_size=None)
        self._reader = asyncio.create_task(self._read_loop())
        self._offer_task = asyncio.create_task(self._answer_offers())
        hello: dict[str, Any] = {"type": "hello", "v": 1, "token": self.token}
        if self.room is not None:
            hello["room"] = self.room
        waiter = self.wait_for(lambda e: e["type"] in ("welcome", "error"), timeout)
        await self.send(hello)
        event: dict[str, Any] = await waiter
        if event["type"] == "error":
            raise ServerError(event)
        self.welcome = event
        return event

    async def send(self, message: dict[str, Any]) -> None:
        await self._ws.send(json.dumps(message))

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> asyncio.Future[Any]:
        """A future for the first later event matching `predicate` (register before sending)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return asyncio.ensure_future(asyncio.wait_for(future, timeout))

    async def _read_loop(self) -> None:
        try:
            async for raw in self._ws:
                event = json.loads(raw)
                self.events.append(event)
                if event["type"] == "subscribe_offer":
                    self._offers.put_nowait(event)
                for predicate, future in list(self._waiters):
                    if not future.done() and predicate(event):
                        future.set_result(event)
                        self._waiters.remove((predicate, future))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()

    # -- publishing --------------------------------------------------------------------------

    async def publish(
        self,
        tracks: Sequence[MediaStreamTrack],
        timeout: float = 10.0,
        pace_bps: float | None = None,
        source: str = "camera",
        transport_cc: bool = False,
    ) -> None:
        """Offer `tracks` on the publish connection. `pace_bps` spreads RTP out at that rate,
        as browsers do (loadtest/pacing.py); None sends each frame's packets at once. With
        `transport_cc` the offer asks for transport-cc on video and every packet carries a
        transport-wide sequence number, as a browser's would (aiortc has neither)."""
        previous = self.publish_pcs.pop(source, None)
        if previous is not None:  # publishing again (after leaving the stage)
            await previous.close()
        pc = self.publish_pcs[source] = sfu_peer.PeerSettings().new_connection()
        for track in tracks:
            pc.addTransceiver(track, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        if transport_cc:
            offer = pacing.offer_transport_cc(offer)
        waiter = self.wait_for(lambda e: e["type"] in ("publish_answer", "error"), timeout)
        await self.send({"type": "publish_offer", "sdp": offer, "source": source})
        event = await waiter
        if event["type"] == "error":
            await pc.close()
            raise ServerError(event)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=event["sdp"], type="answer"))
        answered_cc = transport_cc and sdp.TRANSPORT_CC_URI in event["sdp"]
        if pace_bps is not None or answered_cc:
            abs_id = _local_extension_id(pc, sfu_peer.ABS_SEND_TIME_URI)
            cc_id = sdp.extension_id(offer, sdp.TRANSPORT_CC_URI) if answered_cc else 0
            pacer = None if pace_bps is None else pacing.Pacer(pace_bps)
            transport = pc.getTransceivers()[0].sender.transport
            sfu_peer.wrap_rtp_out(transport, lambda send: pacing.paced(send, pacer, abs_id, cc_id))

    # -- subscribing -------------------------------------------------------------------------

    async def _answer_offers(self) -> None:
        while True:
            offer = await self._offers.get()
            self.tracks = offer["tracks"]
            pc = self.subscribe_pc
            if pc is None:
                pc = self.subscribe_pc = sfu_peer.PeerSettings().new_connection()
                pc.on("track", self._on_track)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            if self.receive_mode == "count":
                self._hook_counter(pc)
            await self.send(
                {
                    "type": "subscribe_answer",
                    "sdp": pc.localDescription.sdp,
                    "revision": offer["revision"],
                }
            )

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self.receive_mode != "decode" or self.subscribe_pc is None:
            return
        transceiver = next(
            (t for t in self.subscribe_pc.getTransceivers() if t.receiver.track is track), None
        )
        mid = transceiver.mid if transceiver else None
        task = asyncio.create_task(self._consume(track, mid))
        self._consumers.add(task)
        task.add_done_callback(self._consumers.discard)

    async def _consume(self, track: MediaStreamTrack, mid: str | None) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                info = self.tracks.get(mid or "", {})
                self.received.frames[(_sender(info), track.kind)] += 1

    def _hook_counter(self, pc: RTCPeerConnection) -> None:
        """Count RTP straight from the socket callback (installed once: later offers reuse
        the transport, and `self.tracks` is read live)."""
        transceivers = pc.getTransceivers()
        if not transceivers or self._counting:
            return
        self._counting = True
        ssrc_mid = self._ssrc_mid
        received = self.received
        abs_id = _local_extension_id(pc, sfu_peer.ABS_SEND_TIME_URI)
        transport = transceivers[0].receiver.transport
        fd = [-1]  # the socket of ICE's selected pair, looked up at the first packet

        def count(data: bytes) -> None:
            ssrc = int.from_bytes(data[8:12], "big")
            mid = ssrc_mid.get(ssrc)
            if mid is None:
                mid = _mid_of_ssrc(pc, ssrc)
                if mid is None:
                    return
                ssrc_mid[ssrc] = mid
            info = self.tracks.get(mid)
            if info is not None:
                received.packets[(_sender(info), info["kind"])] += 1
            received.bytes += len(data)
            if received.measuring:
                seq = (data[2] << 8) | data[3]
                reception = received.sequences.get(ssrc)
                if reception is None:
                    reception = received.sequences[ssrc] = Reception()
                reception.add(seq)
                stamp = sfu_rtp.abs_send_time(data, abs_id) if abs_id else None
                if stamp is not None:
                    received.delays.append(
                        latency.delay_seconds(stamp, latency.abs_send_time_now())
                    )
                    if fd[0] < 0:
                        fd[0] = _selected_socket(transport)
                    arrived = latency.kernel_arrival(fd[0]) if fd[0] >= 0 else None
                    if arrived is not None:
                        received.socket_delays.append(latency.delay_seconds(stamp, arrived))
            now = time.monotonic()
            if received.first_packet_at is None:
                received.first_packet_at = now
            received.last_packet_at = now

        async def never_decode(data: bytes, arrival_time_ms: int) -> None:
            """RTP that arrives before SRTP keys exist: aiortc's receivers must not get it."""

        sfu_peer.hook_rtp_in(transport, never_decode)
        sfu_peer.receive_rtp_directly(transport, count)
        if self.report:
            task = asyncio.create_task(
                subscriber_rtcp.report_periodically(transceivers[0].receiver, self._streams)
            )
            self._consumers.add(task)
            task.add_done_callback(self._consumers.discard)

    def _streams(self, now: float) -> list[tuple[int, ReportBlock | None]]:
        """Every SSRC received so far, with a report block while the load test measures."""
        sequences = self.received.sequences
        streams: list[tuple[int, ReportBlock | None]] = []
        for ssrc in self._ssrc_mid:
            reception = sequences.get(ssrc)
            streams.append((ssrc, None if reception is None else reception.report(now)))
        return streams

    async def leave(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.send({"type": "leave"})
        await self.close()

    async def close(self) -> None:
        for task in [self._offer_task, *self._consumers]:
            if task is not None:
                task.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for pc in (*self.publish_pcs.values(), self.subscribe_pc):
            if pc is not None:
                await pc.close()


def _sender(info: dict[str, str]) -> str:
    """Counts are kept per sender: a participant's id for its camera and microphone,
    "ID:screen" for its screen share (sfu/owner.py)."""
    return owner_key(info.get("participant_id", "?"), info.get("source", CAMERA))


def _selected_socket(dtls_transport: Any) -> int:
    """The descriptor of the socket ICE's selected pair receives on, -1 if none yet."""
    pair = dtls_transport.transport._connection._nominated.get(1)
    udp = None if pair is None else pair.protocol.transport
    if udp is None:
        return -1
    fd = int(udp.get_extra_info("socket").fileno())
    latency.stamp_arrivals(fd)
    return fd


def _local_extension_id(pc: RTCPeerConnection, uri: str) -> int:
    """The id this side negotiated for header extension `uri`, 0 if none."""
    return sdp.extension_id(pc.localDescription.sdp, uri)


def _mid_of_ssrc(pc: RTCPeerConnection, ssrc: int) -> str | None:
    for section in sdp.parse(pc.remoteDescription.sdp):
        if ssrc in section.ssrcs:
            return section.mid
    return None
