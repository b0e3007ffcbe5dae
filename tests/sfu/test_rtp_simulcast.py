"""RTP helpers simulcast needs: the VP8 descriptor's picture numbering (RFC 7741), the size a
key frame announces (RFC 6386) and the RFC 8852 rid header extension."""

from __future__ import annotations

import pytest

from sfu.rtp import Vp8Fields, rtp_stream_id, vp8_keyframe_size, write_picture_id


def descriptor(
    picture_id: int | None = 0x1234, tl0: int | None = 7, long_id: bool = True, start: bool = True
) -> bytes:
    """A VP8 payload descriptor with X set, and the I, L and T fields as asked."""
    ext = (0x80 if picture_id is not None else 0) | (0x40 if tl0 is not None else 0) | 0x20
    out = bytes([0x90 if start else 0x80, ext])
    if picture_id is not None:
        out += (
            bytes([0x80 | picture_id >> 8, picture_id & 0xFF])
            if long_id
            else bytes([picture_id & 0x7F])
        )
    if tl0 is not None:
        out += bytes([tl0])
    return out + bytes([0x40])  # TID 1


def keyframe_header(width: int, height: int) -> bytes:
    # Frame tag with P=0 (key frame), start code, 14-bit sizes with scaling bits set on top.
    return (
        bytes([0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A])
        + (width | 0x4000).to_bytes(2, "little")
        + (height | 0x8000).to_bytes(2, "little")
    )


DELTA_HEADER = bytes([0x31, 0x05, 0x00])


@pytest.mark.parametrize(
    ("desc", "picture_id", "bits", "tl0"),
    [
        (descriptor(0x1234, 7), 0x1234, 15, 7),
        (descriptor(0x55, 200, long_id=False), 0x55, 7, 200),
        (descriptor(None, 9), None, 0, 9),
        (descriptor(0x7FFF, None), 0x7FFF, 15, None),
        (bytes([0x10]), None, 0, None),  # no X bit: nothing to renumber
    ],
)
def test_the_picture_id_and_tl0picidx_are_found_where_the_descriptor_puts_them(
    desc: bytes, picture_id: int | None, bits: int, tl0: int | None
) -> None:
    packet = bytes(12) + desc + DELTA_HEADER
    fields = Vp8Fields()
    fields.tl0_at = 99  # left over from an earlier packet: must be cleared
    fields.read(packet, 12)
    assert (fields.picture_id_at != 0) == (picture_id is not None)
    if picture_id is not None:
        assert (fields.picture_id, fields.picture_id_bits) == (picture_id, bits)
    assert (fields.tl0 if fields.tl0_at else None) == tl0


@pytest.mark.parametrize(
    "packet", [bytes(12) + bytes([0x90, 0x80]), bytes(12) + bytes([0x90, 0x80, 0x81])]
)
def test_a_descriptor_cut_short_has_no_picture_id(packet: bytes) -> None:
    fields = Vp8Fields()
    fields.read(packet, 12)
    assert fields.picture_id_at == 0 and fields.tl0_at == 0


@pytest.mark.parametrize(("bits", "value"), [(15, 0x0102), (15, 0x7FFF), (7, 0x7F)])
def test_a_written_picture_id_reads_back_in_the_same_width(bits: int, value: int) -> None:
    packet = bytearray(bytes(12) + descriptor(0, 0, long_id=bits == 15) + DELTA_HEADER)
    fields = Vp8Fields()
    fields.read(packet, 12)
    write_picture_id(packet, fields.picture_id_at, bits, value)
    fields.read(packet, 12)
    assert (fields.picture_id, fields.picture_id_bits) == (value, bits)


@pytest.mark.parametrize(
    ("payload", "size"),
    [
        (descriptor() + keyframe_header(640, 360), (640, 360)),
        (descriptor(None, None) + keyframe_header(160, 90), (160, 90)),
        (bytes([0x10]) + keyframe_header(1280, 720), (1280, 720)),
        (descriptor() + DELTA_HEADER + bytes(8), None),  # a delta frame
        (descriptor(start=False) + keyframe_header(640, 360), None),  # not a frame's start
        (descriptor() + keyframe_header(640, 360)[:8], None),  # truncated
        (descriptor() + bytes([0x50, 0x02, 0x00, 0, 0, 0]) + bytes(4), None),  # no start code
    ],
)
def test_a_key_frame_tells_its_size(payload: bytes, size: tuple[int, int] | None) -> None:
    assert vp8_keyframe_size(bytes(12) + payload, 12) == size


def with_extension(elements: bytes) -> bytes:
    padded = elements + bytes(-len(elements) % 4)
    header = bytes([0x90, 96]) + bytes(10)
    return header + b"\xbe\xde" + (len(padded) // 4).to_bytes(2, "big") + padded + b"payload"


@pytest.mark.parametrize(
    ("elements", "element_id", "rid"),
    [
        (bytes([0xA0, ord("q")]), 10, "q"),
        (bytes([0x40, 0x01, 0xA1]) + b"hi", 10, "hi"),  # after another element
        (bytes([0xA1]) + b"f\x00", 10, "f"),  # NUL padding inside the value
        (bytes([0xB0, ord("q")]), 10, None),  # another id
        (bytes([0xA0, 0xFF]), 10, None),  # not ASCII
    ],
)
def test_the_rid_header_extension_names_the_layer(
    elements: bytes, element_id: int, rid: str | None
) -> None:
    assert rtp_stream_id(with_extension(elements), element_id) == rid


def test_a_packet_without_extensions_has_no_rid() -> None:
    assert rtp_stream_id(bytes([0x80, 96]) + bytes(10) + b"payload", 10) is None
