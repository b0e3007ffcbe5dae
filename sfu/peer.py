"""The aiortc boundary: the only module of Kamar that imports aiortc, and the only one that uses
its private packet hooks (aiortc's public API stops at decoded frames; see aiortc issues #449
and #627). Everything above it (publisher.py, subscriber.py) sees plain functions.

Sending to subscribers lives beside it in sfu/packet_output.py (pylibsrtp only, no aiortc), and
sorting what arrives on aioice's sockets in sfu/ice_demux.py. Private names used by the three,
all pinned by `aiortc==1.16.0` / `aioice==0.13.0` and checked by
tests/sfu/test_aiortc_contract.py:
  RTCDtlsTransport._handle_rtp_data   decrypted RTP in from a publisher (we replace it; a
                                      subscriber's is dropped)
  RTCDtlsTransport._handle_rtcp_data  decrypted RTCP parsed and routed in aiortc's DTLS task
                                      (we wrap it: nothing raised there may end that task)
  RTCDtlsTransport._rx_srtp, aioice Connection.data_received
                                      RTP from publishers and RTCP from subscribers in
                                      without aiortc's queue and tasks (we wrap it; for
                                      publishers, in C where built: sfu/_ingress.c)
  RTCDtlsTransport._tx_srtp           SRTP session that protects RTP out to a subscriber
  RTCDtlsTransport._rtp_router, _rtp_header_extensions_map   matching an unknown SSRC
  RtpRouter.ssrc_table                sender reports of a simulcast layer to its receiver
  aioice Connection._nominated        the selected candidate pair we send on
  RTCRtpReceiver._send_rtcp_pli, _send_rtcp_nack   PLI and NACK to a publisher
  RTCRtpReceiver.__rtcp_ssrc          the SSRC the SFU's RTCP to a publisher carries
  RTCRtpReceiver._send_rtcp           receiver reports sent through aiortc (the load test)
  aiortc.rate.RemoteBitrateEstimator  the delay-based uplink estimate behind that REMB
  RTCRtpReceiver._handle_rtcp_packet  a publisher's sender reports (we wrap it)
  RTCRtpSender._run_rtcp, __rtcp_started, __rtcp_exited, __cname
                                      aiortc's per-sender RTCP loop, replaced (the SFU sends
                                      the sender reports of forwarded streams itself)
  aioice.ice.get_host_addresses       which addresses ICE gathers on (loopback included)
  aioice Connection._query_consent_task, query_consent, build_request, remote_password
                                      consent freshness checks of our own, with
                                      retransmissions (sfu/consent_freshness.py)
  aioice Connection._protocols, StunProtocol.datagram_received, local_candidate, _closing,
  local_username, local_password, remote_username, ice_controlling, _check_list
                                      media past aioice's STUN parser, junk dropped at the
                                      door and consent checks answered without it
                                      (sfu/ice_demux.py)
  pylibsrtp Session._srtp, _cdata, _buffer, pylibsrtp._binding   unprotect without per-call
                                      allocation (pylibsrtp==1.0.0); protecting is in
                                      sfu/packet_output.py, the other module allowed pylibsrtp
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import aioice.stun
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.codecs import HEADER_EXTENSIONS
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
)
from pylibsrtp._binding import ffi as _srtp_ffi
from pylibsrtp._binding import lib as _srtp_lib

from sfu import native
from sfu.forwarding import AUDIO, VIDEO
from sfu.ice_servers import IceServer
from sfu.packet_output import srtp_session_address
from sfu.reception import ReportBlock

log = logging.getLogger(__name__)

# A STUN transaction that timed out or got an error answer (sfu/consent_freshness.py).
StunTransactionError = aioice.stun.TransactionError
CODEC_OF_KIND = {AUDIO: "opus", VIDEO: "vp8"}
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"  # RFC 6464
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

PeerConnection = RTCPeerConnection


def no_ice_servers() -> Sequence[IceServer]:
    return ()


@dataclass(frozen=True)
class PeerSettings:
    # The SFU's own STUN/TURN servers, asked for at every new connection so that TURN
    # credentials are fresh (sfu/ice_servers.py); none: host candidates only, no traffic out.
    ice_servers: Callable[[], Sequence[IceServer]] = no_ice_servers
    announce: dict[str, str] = field(default_factory=dict)  # local address -> advertised address
    # The most a publisher may send per camera (REMB): every subscriber receives that much.
    max_video_bitrate: int = 1_000_000
    # The Opus bitrate a publisher is asked for (maxaveragebitrate, RFC 7587 6.1).
    max_audio_bitrate: int = 24_000

    def configuration(self) -> RTCConfiguration:
        # An explicit list: aiortc's default (None) would contact a public STUN server.
        servers = [
            RTCIceServer(urls=list(server.urls), username=server.username or None,
                         credential=server.credential or None)
            for server in self.ice_servers()
        ]  # fmt: skip
        # max-bundle: with aiortc's default ("balanced") every transceiver added later gathers
        # a transport of its own, which BUNDLE then drops without closing its socket.
        return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)

    def new_connection(self) -> RTCPeerConnection:
        return RTCPeerConnection(self.configuration())


async def close_connection(pc: RTCPeerConnection) -> None:
    """Close `pc`, whatever state a refused or failed negotiation left it in: aiortc's close
    raises on a connection whose offer bundled tracks onto an m-line that was not there, and
    a close that raises would leave a session's teardown half done."""
    try:
        await pc.close()
    except Exception:
        log.exception("closing a peer connection failed; its sockets may stay open")


def gather_on(addresses: Sequence[str]) -> None:
    """Make ICE gather host candidates on exactly `addresses` (aioice skips 127.0.0.1).

    Process-wide: aioice reads the module-level function at every gathering.
    """
    chosen = list(addresses)
    if not chosen:
        return

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


def description(text: str, kind: str) -> RTCSessionDescription:
    return RTCSessionDescription(sdp=text, type=kind)


def prefer_codecs(transceiver: Any) -> None:
    """Negotiate only the codec the SFU forwards for this kind (and its RTX)."""
    kind = transceiver.kind
    wanted = {f"{kind}/{CODEC_OF_KIND[kind]}", f"{kind}/rtx"}
    codecs = RTCRtpSender.getCapabilities(kind).codecs
    transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() in wanted])


def subscriber_extension_ids(kind: str) -> dict[str, int]:
    """Header-extension ids on every subscribe connection: the SFU always offers there, and an
    answerer keeps the offered ids (RFC 8285 section 6)."""
    return {ext.uri: ext.id for ext in HEADER_EXTENSIONS[kind]}


class IdleTrack(MediaStreamTrack):
    """A track that never yields a frame: forwarded packets bypass the sender's encoder loop,
    and a sender with no track at all would wake every 20 ms."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.Future()


# -- publisher side -----------------------------------------------------------------------------


def hook_rtp_in(transport: Any, handler: Callable[[bytes, int], Awaitable[None]]) -> None:
    """Route a DTLS transport's decrypted RTP to `handler` instead of aiortc's receivers.

    `handler` runs in aiortc's DTLS task, whose death would end the connection's media: what
    it raises is logged and the packet dropped."""

    async def contained(data: bytes, arrival_time_ms: int) -> None:
        try:
            await handler(data, arrival_time_ms)
        except Exception:
            log.exception("handling a decrypted RTP packet failed; dropped")

    transport._handle_rtp_data = contained


def refuse_rtp_in(transport: Any) -> None:
    """Drop the RTP a subscriber sends (it has nothing to publish on that connection): aiortc
    would otherwise route it to a receiver by payload type and decode it, on our CPU."""

    async def drop(data: bytes, arrival_time_ms: int) -> None:
        return None

    transport._handle_rtp_data = drop


def contain_rtcp_in(transport: Any) -> None:
    """Keep an exception raised while aiortc parses and routes a peer's RTCP (our sender
    report hook included) from ending aiortc's DTLS task, and with it the connection's media:
    it is logged and the packet dropped. Calling this again changes nothing."""
    original = transport._handle_rtcp_data
    if getattr(original, "contained", False):
        return

    async def contained(data: bytes) -> None:
        try:
            await original(data)
        except Exception:
            log.exception("handling a decrypted RTCP packet failed; dropped")

    contained.contained = True  # type: ignore[attr-defined]
    transport._handle_rtcp_data = contained


def receive_rtp_directly(dtls_transport: Any, handler: Callable[[bytes], None]) -> None:
    """Hand decrypted RTP to `handler` straight from the socket callback.

    aiortc queues every datagram for a task that awaits it, so each packet costs a queue
    round-trip and a few task switches before the SFU sees it; with browsers pacing their
    packets that is one event-loop wake-up per packet. Here RTP is unprotected (libsrtp via
    pylibsrtp's binding, no per-call allocation) inside aioice's `datagram_received` and
    forwarded at once. STUN, DTLS and RTCP still take aiortc's path.
    """
    _unprotect_in_callback(dtls_transport, handler, rtcp=False)


def receive_rtp_natively(
    dtls_transport: Any, handler: Callable[[bytes], None], on_arrivals: Callable[[], None]
) -> Any | None:
    """`receive_rtp_directly` in C (sfu/_ingress.c), which also notes the arrival of every
    packet with a transport-wide sequence number once its `transport_cc_id` is set; it calls
    `on_arrivals()` when Python should take them (sfu/arrival_reports.py). Returns the
    `sfu._rtpsend.Ingress`, or None where the native step was not built."""
    if native.rtpsend is None:
        return None
    connection = dtls_transport.transport._connection
    ingress = native.rtpsend.Ingress(
        dtls_transport, handler, connection.data_received, srtp_session_address, on_arrivals
    )
    connection.data_received = ingress
    return ingress


def match_receiver(transport: Any, data: bytes) -> tuple[Any, int] | None:
    """(receiver, payload type) aiortc's router picks for a packet (by MID, SSRC or PT)."""
    try:
        packet = RtpPacket.parse(data, transport._rtp_header_extensions_map)
    except ValueError:
        return None
    receiver = transport._rtp_router.route_rtp(packet)
    return None if receiver is None else (receiver, packet.payload_type)


def route_rtcp_from(transport: Any, ssrc: int, receiver: Any) -> None:
    """Deliver RTCP of `ssrc` (sender reports) to `receiver`. A simulcast layer's SSRC is
    learned from its rid extension, never through aiortc's router, which would have matched
    every layer to the first by payload type; its RTCP routing table is set here instead."""
    transport._rtp_router.ssrc_table[ssrc] = receiver


def send_nack(receiver: Any, media_ssrc: int, lost: list[int]) -> Awaitable[None]:
    """RFC 4585 section 6.2.1 generic NACK to the publisher of `media_ssrc`."""
    coro: Awaitable[None] = receiver._send_rtcp_nack(media_ssrc, lost)
    return coro


def receiver_report(
    receiver: Any, blocks: list[tuple[int, ReportBlock]], remb: tuple[int, list[int]] | None
) -> bytes | None:
    """RFC 3550 receiver report with a block per (SSRC, facts), then a REMB (bitrate, SSRCs;
    draft-alvestrand-rmcat-remb) capping the publisher's video, in one compound packet (RFC
    3550 6.1), sent as from aiortc's receiver (its RTCP SSRC): aiortc's own reports say nothing,
    since its receivers never see the packets. None until aiortc has chosen that SSRC."""
    sender = rtcp_ssrc(receiver)
    if sender is None:
        return None
    reports = [
        RtcpReceiverInfo(
            ssrc=ssrc,
            fraction_lost=block.fraction_lost,
            packets_lost=block.packets_lost,
            highest_sequence=block.highest_sequence,
            jitter=block.jitter,
            lsr=block.lsr,
            dlsr=block.dlsr,
        )
        for ssrc, block in blocks
    ]
    compound = bytes(RtcpRrPacket(ssrc=sender, reports=reports))
    if remb is not None:
        fci = pack_remb_fci(*remb)
        compound += bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=sender, media_ssrc=0, fci=fci))
    return compound


async def send_receiver_report(
    receiver: Any, blocks: list[tuple[int, ReportBlock]], remb: tuple[int, list[int]] | None
) -> None:
    """`receiver_report` protected and sent through aiortc's receiver, for peers without a
    PacketOutput (the load test's subscribers)."""
    packet = receiver_report(receiver, blocks, remb)
    if packet is not None:
        await _send_rtcp(receiver, packet)


class BandwidthEstimator:
    """How much a publisher's uplink carries, estimated on the receiving side from how the
    gaps between its abs-send-time stamps stretch on arrival (delay-based, the estimator
    behind REMB in libwebrtc, as ported by aiortc). Fed per incoming video packet."""

    def __init__(self) -> None:
        self._estimator = RemoteBitrateEstimator()
        self.bitrate: int | None = None  # bit/s, once the estimator has produced a value

    def add(self, arrival_ms: int, abs_send_time: int, size: int, ssrc: int) -> None:
        estimate = self._estimator.add(arrival_ms, abs_send_time, size, ssrc)
        if estimate is not None:
            self.bitrate = estimate[0]


def rtcp_ssrc(receiver: Any) -> int | None:
    """The SSRC a receiver's RTCP goes out with; None until aiortc has chosen it."""
    ssrc: int | None = receiver._RTCRtpReceiver__rtcp_ssrc
    return ssrc


def _send_rtcp(receiver: Any, packet: bytes) -> Awaitable[None]:
    """An RTCP packet the SFU built itself, protected (SRTCP) and sent as aiortc's receiver
    sends its own (a closed transport drops it)."""
    coro: Awaitable[None] = receiver._send_rtcp(packet)
    return coro


def send_pli(receiver: Any, media_ssrc: int) -> Awaitable[None]:
    """RFC 4585 section 6.3.1 Picture Loss Indication to the publisher of `media_ssrc`."""
    coro: Awaitable[None] = receiver._send_rtcp_pli(media_ssrc)
    return coro


# -- subscriber side ----------------------------------------------------------------------------


def receive_rtcp_directly(dtls_transport: Any, handler: Callable[[bytes], None]) -> None:
    """Hand a subscriber's decrypted RTCP to `handler` straight from the socket callback.

    aiortc queues each datagram for a task, decrypts it through pylibsrtp's Python wrapper,
    parses every packet into objects and routes each to every sender it names: about 125 µs
    of server CPU per report a subscriber sends each second (docs/benchmarks.md). Here SRTCP
    (RFC 3711 3.4) is undone in place with libsrtp and `handler` reads what it needs; aiortc
    sees none of the subscriber's RTCP (its senders' RTT statistics stay empty).
    """
    _unprotect_in_callback(dtls_transport, handler, rtcp=True)


def _unprotect_in_callback(
    dtls_transport: Any, handler: Callable[[bytes], None], rtcp: bool
) -> None:
    """Wrap the ICE connection's `data_received` so that RTP (or, with `rtcp`, RTCP) is
    unprotected in place with libsrtp (pylibsrtp's binding, no per-call allocation) and handed
    to `handler`; everything else still goes to aiortc's queue."""
    connection = dtls_transport.transport._connection
    queue_for_aiortc = connection.data_received
    unprotect = _srtp_lib.srtp_unprotect_rtcp if rtcp else _srtp_lib.srtp_unprotect
    smallest = 8 if rtcp else 12  # an RTCP header and sender SSRC; an RTP fixed header
    length = _srtp_ffi.new("int *")
    session: list[Any] = [None, None, None, None]  # Session, its srtp_t, cdata, buffer

    def data_received(data: bytes, component: int) -> None:
        srtp = dtls_transport._rx_srtp
        size = len(data)
        # RFC 7983: 128..191 is RTP or RTCP; RFC 5761 section 4: RTCP types are 192..223.
        wanted = size >= smallest and 127 < data[0] < 192 and (191 < data[1] < 224) == rtcp
        if srtp is None or not wanted:
            queue_for_aiortc(data, component)
            return
        if size > 1500:
            return  # beyond libsrtp's buffer here: no valid packet is that large
        if srtp is not session[0]:
            session[:] = [srtp, srtp._srtp[0], srtp._cdata, srtp._buffer]
        buffer = session[3]
        buffer[0:size] = data
        length[0] = size
        if unprotect(session[1], session[2], length):
            return  # not authentic, or a replay (RFC 3711 3.3): dropped, as aiortc would
        try:
            handler(buffer[0 : length[0]])
        except Exception:  # a bug in the SFU must not take the socket callback down
            log.exception("handling a decrypted %s packet failed", "RTCP" if rtcp else "RTP")

    connection.data_received = data_received


def hook_sender_reports(receiver: Any, on_report: Callable[[int, int, int], None]) -> None:
    """Call `on_report(ssrc, ntp, rtp)` for each RTCP sender report (RFC 3550 6.4.1) a
    publisher sends for this receiver's track; aiortc still sees it (stats, LSR for RTT)."""
    original = receiver._handle_rtcp_packet

    async def handle(packet: Any) -> None:
        if isinstance(packet, RtcpSrPacket):
            info = packet.sender_info
            on_report(packet.ssrc, info.ntp_timestamp, info.rtp_timestamp)
        await original(packet)

    receiver._handle_rtcp_packet = handle


def take_over_sender_reports(sender: Any) -> None:
    """Keep aiortc's RTCP loop for this sender from running: the SFU sends the sender reports
    of forwarded streams itself (sfu/sender_reports.py). aiortc's loop would report NTP 0 for
    them, and wake a task per sender. `send()` starts the loop by this attribute, and `stop()`
    waits for the two events the loop sets."""

    async def no_rtcp_loop() -> None:
        sender._RTCRtpSender__rtcp_started.set()
        sender._RTCRtpSender__rtcp_exited.set()

    sender._run_rtcp = no_rtcp_loop


def rtcp_cname(sender: Any) -> bytes:
    """The CNAME (RFC 3550 6.5.1) aiortc announced for this sender's connection in the SDP."""
    cname: str | None = sender._RTCRtpSender__cname
    return (cname or "kamar").encode()


def wrap_rtp_out(
    dtls_transport: Any,
    wrap: Callable[[Callable[[bytes], Awaitable[None]]], Callable[[bytes], Awaitable[None]]],
) -> None:
    """Put `wrap(send)` between aiortc's RTP/RTCP senders and SRTP on this transport (the load
    test paces its publisher with it)."""
    dtls_transport._send_rtp = wrap(dtls_transport._send_rtp)


def sender_transport(sender: Any) -> Any:
    return sender.transport
