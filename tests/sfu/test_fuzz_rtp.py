"""Property-based fuzzing of what the SFU reads in a publisher's decrypted RTP (sfu/rtp.py) and
of a producer's whole per-packet path (sfu/forwarding.py, sfu/consumer.py).

A publisher's packets are authenticated but still the client's: whatever they hold, a reader
returns an answer or raises ValueError (the caller drops the packet), and a producer counts
or forwards the packet; nothing else may escape (docs/security.md)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfu import rtp
from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId

pytestmark = pytest.mark.fuzz

PAYLOAD_TYPE = 96
SSRC = 0xAAAA0001


@st.composite
def rtp_packets(draw: st.DrawFn) -> bytes:
    """Packets whose first bytes look like RTP often enough to get past the first checks:
    random flag bits (padding, extension, CSRC count), extension profiles and lengths that may
    lie, random payloads that start VP8 descriptors or not."""
    first = 0x80 | draw(st.integers(0, 0x3F))
    second = draw(st.sampled_from([PAYLOAD_TYPE, PAYLOAD_TYPE | 0x80, 97, 0, 127]))
    header = struct.pack("!BBHII", first, second, draw(st.integers(0, 0xFFFF)), 0, SSRC)
    extension = b""
    if first & 0x10 and draw(st.booleans()):
        profile = draw(st.sampled_from([0xBEDE, 0x1000, 0x1003, 0x0000, 0xFFFF]))
        words = draw(st.integers(0, 6))
        extension = struct.pack("!HH", profile, words) + draw(st.binary(max_size=4 * words + 4))
    return header + extension + draw(st.binary(max_size=80))


anything = st.binary(min_size=12, max_size=200) | rtp_packets()
ids = st.integers(0, 15)


URIS = [f"urn:x:{i}" for i in range(20)]
negotiated = st.dictionaries(st.sampled_from(URIS), st.integers(1, 255), max_size=16)


@given(data=anything, element=ids, source_ids=negotiated, target_ids=negotiated)
def test_reading_a_packet_answers_or_raises_value_error(
    data: bytes, element: int, source_ids: dict[str, int], target_ids: dict[str, int]
) -> None:
    try:  # the id table of a negotiation, as the publisher builds it (sfu/rtp.py)
        id_map = rtp.build_id_map(source_ids, target_ids)
    except ValueError:
        return
    try:
        offset = rtp.payload_offset(data)
    except ValueError:
        return
    rtp.is_rtcp(data)
    rtp.is_vp8_keyframe(data, offset)
    rtp.vp8_keyframe_size(data, offset)
    rtp.Vp8Fields().read(data, offset)
    for read in (rtp.audio_level, rtp.abs_send_time, rtp.transport_sequence, rtp.rtp_stream_id):
        read(data, element)
    rtp.one_byte_element(data, element)
    buffer = bytearray(data)
    rtp.rewrite_extension_ids(buffer, id_map)
    assert len(buffer) == len(data)  # ids change in place; the payload never moves
    rtp.unwrap_rtx(data, PAYLOAD_TYPE, SSRC)
    try:
        rtp.wrap_rtx(data, 97, 0x1234, 1)
    except ValueError:
        pass


def _producer(kind: str) -> tuple[Producer, list[bytes]]:
    sent: list[bytes] = []

    def send(packet: bytes | bytearray) -> bool:
        sent.append(bytes(packet))
        return True

    extension_map = rtp.build_id_map({"urn:a": 1, "urn:b": 14}, {"urn:a": 3, "urn:b": 2})
    producer = Producer(
        ProducerId(f"alice/{kind}/1"),
        "alice",
        kind,
        SSRC,
        PAYLOAD_TYPE,
        90000 if kind == VIDEO else 48000,
        extension_map,
        lambda: None,
        lambda lost: None,
    )
    producer.audio_level_id = 1
    producer.add_consumer(Consumer(producer, 0xBBBB0001, 100, send))
    return producer, sent


@given(packets=st.lists(anything, min_size=1, max_size=30), kind=st.sampled_from([AUDIO, VIDEO]))
def test_a_producer_forwards_or_drops_whatever_its_publisher_sends(
    packets: list[bytes], kind: str
) -> None:
    producer, sent = _producer(kind)
    for number, packet in enumerate(packets):
        producer.receive(packet, float(number) / 50)
    assert producer.packets_received + producer.packets_dropped == len(packets)
    for packet in sent:
        assert struct.unpack_from("!I", packet, 8)[0] == 0xBBBB0001
    producer.close()
