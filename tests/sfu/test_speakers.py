"""Active speakers from RFC 6464 audio levels: parsing, smoothing, hangover, ordering."""

from __future__ import annotations

import struct

import pytest

from sfu.forwarding import AUDIO, Producer, ProducerId
from sfu.rtp import audio_level
from sfu.speakers import HANGOVER, ActiveSpeakers, Heard


def opus(seq: int, elements: bytes) -> bytes:
    padded = elements + b"\x00" * (-len(elements) % 4)
    header = struct.pack("!BBHII", 0x90, 111, seq, seq * 960, 0xA0D10)
    return header + struct.pack("!HH", 0xBEDE, len(padded) // 4) + padded + b"opus"


@pytest.mark.parametrize(
    ("elements", "element_id", "expected"),
    [
        (bytes([0x10, 0x80 | 25]), 1, 0x80 | 25),  # V bit and -25 dBov
        (bytes([0x31, 0xAA, 0xBB, 0x10, 42]), 1, 42),  # after a 2-byte element of id 3
        (bytes([0x00, 0x00, 0x10, 7]), 1, 7),  # after padding
        (bytes([0x10, 7]), 2, None),  # another id
        (bytes([0xF0, 0x10, 7]), 1, None),  # id 15 ends the block
    ],
)
def test_the_audio_level_is_read_from_its_one_byte_element(
    elements: bytes, element_id: int, expected: int | None
) -> None:
    assert audio_level(opus(1, elements), element_id) == expected


def test_a_packet_without_extensions_or_with_a_truncated_block_has_no_level() -> None:
    plain = struct.pack("!BBHII", 0x80, 111, 1, 960, 1) + b"opus"
    assert audio_level(plain, 1) is None
    assert audio_level(opus(1, bytes([0x10, 7]))[:14], 1) is None


def test_an_audio_producer_counts_loud_packets_until_it_is_taken() -> None:
    producer = Producer(ProducerId("a/audio/1"), "a", AUDIO, 0xA0D10, 111, 48000, None, print)
    producer.audio_level_id = 1
    for seq, level in enumerate([20, 30, 127, 60]):
        producer.receive(opus(seq, bytes([0x10, level])))
    producer.receive(opus(9, bytes([0x20, 5])))  # no level element: not counted
    assert producer.take_loudness() == Heard((127 - 20) + (127 - 30), 2, 4)
    assert producer.take_loudness() == Heard(0, 0, 0)


def talking(share: float, loudness: int = 127 - 20, packets: int = 15) -> Heard:
    loud = round(share * packets)
    return Heard(loud * loudness, loud, packets)


SILENT = Heard(0, 0, 15)


def test_someone_talking_becomes_a_speaker_and_the_change_is_reported_once() -> None:
    speakers = ActiveSpeakers()
    assert speakers.update({"ani": SILENT}, now=0.0) is None
    assert speakers.update({"ani": talking(0.4)}, now=0.3) is None  # one interval is a cough
    assert speakers.update({"ani": talking(0.4)}, now=0.6) == ["ani"]
    assert speakers.update({"ani": talking(0.4)}, now=0.9) is None


def test_a_steady_quiet_hum_or_nothing_at_all_is_not_speech() -> None:
    speakers = ActiveSpeakers()
    for step in range(10):
        heard = {"ani": talking(0.1), "budi": Heard(0, 0, 0)}
        assert speakers.update(heard, now=step * 0.3) is None


def test_a_speaker_stays_through_a_pause_and_goes_after_the_hangover() -> None:
    speakers = ActiveSpeakers()
    for now in (0.0, 0.3, 0.6, 0.9):  # talking until 0.9
        speakers.update({"ani": talking(0.4)}, now=now)
    assert speakers.speakers == ["ani"]
    assert speakers.update({"ani": SILENT}, now=0.9 + HANGOVER - 0.1) is None
    assert speakers.update({"ani": SILENT}, now=0.9 + HANGOVER + 0.1) == []


def test_speakers_are_listed_loudest_first() -> None:
    speakers = ActiveSpeakers()
    for step in range(4):
        heard = {
            "budi": talking(0.5, loudness=127 - 40),
            "ani": talking(0.5, loudness=127 - 15),
            "cici": SILENT,
        }
        speakers.update(heard, now=step * 0.3)
    assert speakers.speakers == ["ani", "budi"]


def test_someone_whose_audio_is_gone_is_dropped_at_once() -> None:
    speakers = ActiveSpeakers()
    for step in range(3):
        speakers.update({"ani": talking(0.5), "budi": talking(0.5)}, now=step * 0.3)
    assert set(speakers.speakers) == {"ani", "budi"}
    assert speakers.update({"budi": talking(0.5)}, now=1.0) == ["budi"]
