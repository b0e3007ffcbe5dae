"""RED (RFC 2198) for Opus: the primary frame taken out of a RED packet, and the SDP that makes
a publisher send RED and offers it to subscribers."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfu import red, sdp
from sfu.consumer import Consumer
from sfu.forwarding import AUDIO
from tests.sfu.test_forwarding import Output, fields, producer, rtp

OPUS_PT, RED_PT = 111, 63


def red_payload(primary: bytes, *redundant: tuple[int, bytes]) -> bytes:
    """RED blocks: (timestamp offset, data) of each older frame, then the primary."""
    headers = b"".join(
        struct.pack(
            "!BBBB",
            0x80 | OPUS_PT,
            offset >> 6,
            ((offset & 0x3F) << 2) | len(data) >> 8,
            len(data) & 0xFF,
        )
        for offset, data in redundant
    )
    return headers + bytes([OPUS_PT]) + b"".join(data for _, data in redundant) + primary


def test_the_primary_is_the_newest_frame_after_every_redundant_one() -> None:
    packet = rtp(7, 960, red_payload(b"NEW", (960, b"old"), (1920, b"older!")), pt=RED_PT)
    out = red.primary(packet)
    assert out is not None and out[:12] == packet[:12] and bytes(out[12:]) == b"NEW"


def test_without_redundancy_the_one_byte_header_goes() -> None:
    out = red.primary(rtp(7, 960, red_payload(b"ONLY"), pt=RED_PT))
    assert out is not None and bytes(out[12:]) == b"ONLY"


def test_header_extensions_and_csrcs_stay_and_padding_goes() -> None:
    extension = b"\xbe\xde\x00\x01\x10\x7f\x00\x00"  # one-byte extensions, one word
    packet = bytearray(rtp(7, 960, red_payload(b"NEW", (960, b"old")), pt=RED_PT, ext=extension))
    packet[0] |= 0x20  # padding: 4 bytes, the last one says how many
    packet += b"\x00\x00\x00\x04"
    out = red.primary(packet)
    assert out is not None
    assert out[0] & 0x20 == 0 and bytes(out[12:20]) == extension and bytes(out[20:]) == b"NEW"


@pytest.mark.parametrize(
    "payload",
    [
        b"",  # nothing after the header
        b"\x80\x00",  # a 4-byte block header cut short
        bytes([0x80 | OPUS_PT, 0, 0, 9, OPUS_PT]) + b"short",  # redundant data longer than the rest
        bytes([0x80 | OPUS_PT, 0, 0, 0]),  # no final block header
    ],
)
def test_what_is_not_red_gives_none(payload: bytes) -> None:
    assert red.primary(rtp(7, 960, payload, pt=RED_PT)) is None


@given(st.binary(max_size=300))
def test_any_bytes_give_none_or_a_packet_no_longer_than_them(data: bytes) -> None:
    out = red.primary(data)
    assert out is None or (12 <= len(out) <= len(data))


def test_a_consumer_that_strips_red_sends_the_primary_as_its_own_opus() -> None:
    source, _requests = producer(AUDIO, pt=RED_PT, clock_rate=48000)
    source.red = True
    out = Output()
    consumer = Consumer(source, 0xCCCC0001, 109, out.send, strip_red=True)
    source.add_consumer(consumer)
    source.receive(rtp(10, 960, red_payload(b"frame-2", (960, b"frame-1")), pt=RED_PT))
    # Block headers fine, redundant data longer than the packet: skipped, not sent.
    source.receive(rtp(11, 1920, bytes([0x80 | OPUS_PT, 0, 0, 9, OPUS_PT]) + b"x", pt=RED_PT))
    assert len(out.packets) == 1 and consumer.packets_skipped == 1
    assert fields(out.packets[0])[1] == 109 and out.packets[0][12:] == b"frame-2"


CHROMIUM_AUDIO = """v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
m=audio 9 UDP/TLS/RTP/SAVPF 111 63
a=mid:0
a=sendonly
a=rtpmap:111 opus/48000/2
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
"""

AIORTC_ANSWER = """v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
m=audio 9 UDP/TLS/RTP/SAVPF 111
a=mid:0
a=recvonly
a=rtpmap:111 opus/48000/2
"""


def test_a_publisher_offering_red_is_answered_with_red_first() -> None:
    answer = red.answer_red(sdp.parse(CHROMIUM_AUDIO), AIORTC_ANSWER)
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 63 111" in answer
    (section,) = sdp.parse(answer)
    assert [c.name for c in section.codecs] == ["opus", "red"]  # rtpmap order; the m-line leads
    assert "a=fmtp:63 111/111" in answer


def test_an_offer_without_red_is_answered_unchanged() -> None:
    offer = CHROMIUM_AUDIO.replace(" 111 63", " 111").replace("a=rtpmap:63 red/48000/2\n", "")
    assert red.answer_red(sdp.parse(offer), AIORTC_ANSWER) == AIORTC_ANSWER


def test_a_subscriber_is_offered_red_after_opus_on_a_free_payload_type() -> None:
    offer = (
        AIORTC_ANSWER.replace("recvonly", "sendonly")
        + "m=video 9 UDP/TLS/RTP/SAVPF 96 97\na=mid:1\n"
    )
    offered = red.offer_red(offer, 111)
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 111 98" in offered  # 96 and 97 are taken by video
    assert "a=rtpmap:98 red/48000/2" in offered and "a=fmtp:98 111/111" in offered
    (audio, _video) = sdp.parse(offered)
    assert red.accepted(audio, 98) == 98
    assert red.accepted(sdp.parse(AIORTC_ANSWER)[0], 98) is None  # an answer without red


def test_renumbering_names_one_codec_in_every_block_and_keeps_the_f_bits() -> None:
    packet = bytearray(rtp(7, 960, red_payload(b"NEW", (960, b"old")), pt=RED_PT))
    assert red.renumber(packet, 96)
    assert packet[12] == 0x80 | 96 and packet[16] == 96
    assert red.primary(packet) is not None and bytes(red.primary(packet) or b"")[12:] == b"NEW"
    assert not red.renumber(bytearray(rtp(7, 960, b"\x80\x00", pt=RED_PT)), 96)


def test_a_red_producer_hands_its_consumers_blocks_in_the_subscribers_opus_numbering() -> None:
    source, _requests = producer(AUDIO, pt=RED_PT, clock_rate=48000)
    source.red = True
    out = Output()
    source.add_consumer(Consumer(source, 0xCCCC0001, 99, out.send))
    source.receive(rtp(10, 960, red_payload(b"frame-2", (960, b"frame-1")), pt=RED_PT))
    source.receive(rtp(11, 1920, b"\x80\x00", pt=RED_PT))  # not RED: dropped at the door
    assert len(out.packets) == 1 and source.packets_dropped == 1
    packet = out.packets[0]
    assert fields(packet)[1] == 99
    assert packet[12] & 0x7F == red.SUBSCRIBER_OPUS_PT and packet[16] == red.SUBSCRIBER_OPUS_PT


def test_a_consumer_switches_between_red_and_its_primary_without_a_gap() -> None:
    # A data saver switches RED off (it doubles the audio) and on again, mid-stream.
    source, _requests = producer(AUDIO, pt=RED_PT, clock_rate=48000)
    source.red = True
    out = Output()
    consumer = Consumer(source, 0xCCCC0001, 99, out.send)
    source.add_consumer(consumer)
    payload = red_payload(b"new", (960, b"old"))
    source.receive(rtp(10, 960, payload, pt=RED_PT))
    consumer.strip_red(True, 109)
    source.receive(rtp(11, 1920, payload, pt=RED_PT))
    consumer.strip_red(False, 99)
    source.receive(rtp(12, 2880, payload, pt=RED_PT))
    types = [fields(packet)[1] for packet in out.packets]
    sequences = [fields(packet)[2] for packet in out.packets]
    assert types == [99, 109, 99] and out.packets[1][12:] == b"new"
    assert len(out.packets[0]) == len(out.packets[2]) > len(out.packets[1])
    assert sequences == [sequences[0], (sequences[0] + 1) & 0xFFFF, (sequences[0] + 2) & 0xFFFF]
