"""The load test's publisher numbers its packets for transport-cc, as browsers do."""

from __future__ import annotations

import pytest

from loadtest.pacing import offer_transport_cc, paced, with_element
from sfu import rtp, sdp
from tests.loadtest.test_latency import packet

HEAD = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
VIDEO = (
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid"
    "\r\na=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=sendonly\r\na=rtpmap:97 VP8/90000\r\n"
)
AUDIO = (
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=extmap:3 urn:x\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
)


def test_an_element_goes_after_the_others_even_when_their_data_ends_in_zero() -> None:
    # abs-send-time (id 3) with a value ending in 0x00, then one byte of padding.
    data = packet(bytes([0x32, 0x12, 0x34, 0x00]))
    out = with_element(data, 5, b"\x01\x02")
    assert rtp.abs_send_time(out, 3) == 0x123400
    assert rtp.transport_sequence(out, 5) == 0x0102
    block = rtp.extension_block(out)
    assert block is not None and (block[2] - block[1]) % 4 == 0
    assert out[block[2] :] == data[rtp.extension_block(data)[2] :]  # type: ignore[index]


def test_a_packet_without_extensions_gets_a_block() -> None:
    bare = bytes([0x80, 96]) + bytes(10) + b"payload"
    out = with_element(bare, 4, b"\x00\x07")
    assert out[0] & 0x10 and rtp.transport_sequence(out, 4) == 7
    assert out.endswith(b"payload") and len(out) == len(bare) + 8


def test_bad_elements_are_refused() -> None:
    with pytest.raises(ValueError, match="1-14"):
        with_element(packet(bytes([0x32, 0, 0, 1])), 15, b"\x00")


def test_the_offer_asks_for_transport_cc_on_video_with_a_free_id() -> None:
    offer = offer_transport_cc(HEAD + VIDEO + AUDIO)
    video, audio = sdp.parse(offer)
    assert video.extensions[sdp.TRANSPORT_CC_URI] == 4  # 1, 2 and 3 are taken
    assert video.accepts_feedback(97, "transport-cc")
    assert sdp.TRANSPORT_CC_URI not in audio.extensions
    assert sdp.extension_id(offer, sdp.TRANSPORT_CC_URI) == 4
    assert sdp.extension_id(HEAD + VIDEO, sdp.TRANSPORT_CC_URI) == 0


async def test_numbers_follow_each_other_and_rtcp_is_left_alone() -> None:
    sent: list[bytes] = []

    async def send(data: bytes) -> None:
        sent.append(data)

    send_numbered = paced(send, None, abs_send_time_id=0, transport_cc_id=6)
    media = packet(bytes([0x32, 0x00, 0x00, 0x01]))
    rtcp = bytes([0x80, 200]) + b"\x00" * 26
    for item in (media, rtcp, media):
        await send_numbered(item)
    assert [rtp.transport_sequence(p, 6) for p in (sent[0], sent[2])] == [0, 1]
    assert sent[1] == rtcp
