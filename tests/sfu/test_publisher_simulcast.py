"""A publisher's simulcast offer: the answer accepts its layers, and each layer's SSRC is
learned from the rid header extension, never merged with another by payload type."""

from __future__ import annotations

import struct

import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from sfu import sdp
from sfu.errors import NegotiationError
from sfu.owner import CAMERA
from sfu.peer import PeerSettings
from sfu.publisher import PublisherPeer

pytestmark = pytest.mark.webrtc

RID_ID, RRID_ID = 10, 11


async def simulcast_offer() -> str:
    """An offer from an aiortc peer, made to look like Chromium's with three encodings."""
    pc = RTCPeerConnection()
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    lines = [
        line
        for line in pc.localDescription.sdp.splitlines()
        if not line.startswith(("a=ssrc", "a=ssrc-group"))
    ]
    await pc.close()
    return (
        "\r\n".join(
            [
                *lines,
                f"a=extmap:{RID_ID} {sdp.RID_URI}",
                f"a=extmap:{RRID_ID} {sdp.REPAIRED_RID_URI}",
                "a=rid:q send",
                "a=rid:h send",
                "a=rid:f send",
                "a=simulcast:send q;h;f",
            ]
        )
        + "\r\n"
    )


def packet(ssrc: int, seq: int, pt: int, rid: str | None = None, element: int = RID_ID) -> bytes:
    ext = b""
    if rid is not None:
        body = bytes([(element << 4) | (len(rid) - 1)]) + rid.encode()
        body += bytes(-len(body) % 4)
        ext = b"\xbe\xde" + (len(body) // 4).to_bytes(2, "big") + body
    first = 0x90 if ext else 0x80
    header = struct.pack("!BBHII", first, pt, seq, 1000 * seq, ssrc)
    return header + ext + bytes([0x10, 0x31, 0x05, 0x00, 0x00])


async def test_each_layer_is_learned_from_its_rid_and_rtx_from_the_repaired_rid() -> None:
    publisher = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)
    try:
        answer = await publisher.accept_offer(await simulcast_offer())
        assert "a=simulcast:recv q;h;f" in answer and f"a=extmap:{RID_ID} {sdp.RID_URI}" in answer
        (video,) = publisher.producers
        assert [layer.rid for layer in video.layers] == ["q", "h", "f"]
        vp8 = video.payload_type
        (rtx,) = [c for c in sdp.parse(answer)[0].codecs if c.name == "rtx" and c.apt == vp8]

        publisher._on_rtp_now(packet(0x1111, 1, vp8))  # no rid yet: not learned, not ignored
        for ssrc, rid in ((0x1111, "h"), (0x2222, "q"), (0x3333, "f")):
            publisher._on_rtp_now(packet(ssrc, 2, vp8, rid))
        publisher._on_rtp_now(packet(0x1111, 3, vp8))  # once learned, the rid may go
        assert [layer.ssrc for layer in video.layers] == [0x2222, 0x1111, 0x3333]
        assert [layer.packets_received for layer in video.layers] == [1, 2, 1]
        assert video.packets_received == 0  # the track itself carries no stream

        # RTX of layer h, named by the repaired-rid extension: the packet inside goes to h.
        inner = packet(0x4444, 9, rtx.payload_type, "h", RRID_ID)
        rtx_packet = inner[:-5] + (3).to_bytes(2, "big") + inner[-5:]  # OSN 3, then payload
        publisher._on_rtp_now(rtx_packet)
        assert video.layers[1].packets_received == 3
    finally:
        await publisher.close()


async def test_an_offer_with_a_rid_missing_its_line_is_refused() -> None:
    offer = (await simulcast_offer()).replace("a=rid:h send\r\n", "")
    publisher = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)
    try:
        with pytest.raises(NegotiationError, match="without an a=rid:h send line"):
            await publisher.accept_offer(offer)
        assert publisher.producers == []
    finally:
        await publisher.close()
