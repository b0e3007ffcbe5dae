"""RTP header helpers: RFC 3550 header, RFC 8285 extension ids, RFC 7741 VP8 key frames."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from sfu import native, rtp


def one_byte_element(element_id: int, data: bytes) -> bytes:
    # RFC 8285 4.2: ID(4) L(4), L is the data length minus one.
    return bytes([(element_id << 4) | (len(data) - 1)]) + data


def two_byte_element(element_id: int, data: bytes) -> bytes:
    # RFC 8285 4.3: ID(8) L(8), L is the data length (0 allowed).
    return bytes([element_id, len(data)]) + data


def extension(profile: int, elements: bytes) -> bytes:
    """RFC 3550 5.3.1 header extension: profile, length in 32-bit words, padded elements."""
    padded = elements + b"\x00" * (-len(elements) % 4)
    return struct.pack("!HH", profile, len(padded) // 4) + padded


def packet(
    *,
    pt: int = 96,
    seq: int = 1,
    ts: int = 1000,
    ssrc: int = 0x11223344,
    marker: bool = False,
    csrcs: tuple[int, ...] = (),
    ext: bytes | None = None,
    payload: bytes = b"payload",
    version: int = 2,
) -> bytes:
    first = (version << 6) | (0x10 if ext is not None else 0) | len(csrcs)
    second = (0x80 if marker else 0) | pt
    header = struct.pack("!BBHII", first, second, seq, ts, ssrc)
    header += b"".join(struct.pack("!I", c) for c in csrcs)
    return header + (ext or b"") + payload


@pytest.mark.parametrize(
    ("second_byte", "expected"),
    [(192, True), (200, True), (201, True), (223, True), (191, False), (224, False), (96, False)],
)
def test_is_rtcp_uses_the_rfc_5761_packet_type_range(second_byte: int, expected: bool) -> None:
    assert rtp.is_rtcp(bytes([0x80, second_byte, 0, 1])) is expected


def test_a_one_byte_datagram_is_not_rtcp() -> None:
    assert rtp.is_rtcp(b"\x80") is False


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 12),
        ({"csrcs": (1, 2)}, 20),
        ({"ext": extension(0xBEDE, one_byte_element(1, b"\x01\x02"))}, 20),
        ({"csrcs": (7,), "ext": extension(0xBEDE, one_byte_element(3, b"\x01" * 5))}, 28),
        ({"ext": extension(0xBEDE, b"")}, 16),
    ],
)
def test_payload_offset_skips_csrcs_and_the_extension(
    kwargs: dict[str, object], expected: int
) -> None:
    data = packet(**kwargs)  # type: ignore[arg-type]
    assert rtp.payload_offset(data) == expected
    assert data[expected:] == b"payload"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (packet()[:11], "shorter than its fixed header"),
        (packet(version=1), "version is not 2"),
        (packet(version=3), "version is not 2"),
        (packet(ext=b"", payload=b""), "extension truncated"),
        (packet(ext=b"", payload=b"\xbe\xde\x00"), "extension truncated"),
        (bytes([0x82]) + packet(payload=b"")[1:], "longer than the packet"),
        (packet(ext=struct.pack("!HH", 0xBEDE, 5), payload=b"\x00" * 8), "longer than the packet"),
    ],
)
def test_payload_offset_rejects_malformed_headers(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rtp.payload_offset(data)


def test_payload_offset_accepts_a_header_that_ends_exactly_at_the_packet_end() -> None:
    data = packet(csrcs=(1,), payload=b"")
    assert rtp.payload_offset(data) == len(data) == 16


def test_extension_block_is_none_without_the_x_bit() -> None:
    assert rtp.extension_block(packet()) is None


def test_extension_block_gives_profile_and_element_bounds_after_csrcs() -> None:
    ext = extension(0x1000, two_byte_element(5, b"abc"))
    data = packet(csrcs=(9, 10), ext=ext)
    assert rtp.extension_block(data) == (0x1000, 12 + 8 + 4, 12 + 8 + len(ext))


@pytest.mark.parametrize(
    "data",
    [
        packet(ext=b"", payload=b"\xbe\xde"),  # X set, only half the extension header
        packet(ext=struct.pack("!HH", 0xBEDE, 2), payload=b"\x10\x00\x00"),  # 7 of 8 bytes
    ],
)
def test_extension_block_rejects_a_truncated_extension(data: bytes) -> None:
    with pytest.raises(ValueError, match="RTP header extension"):
        rtp.extension_block(data)


Rewrite = Callable[..., None]


@pytest.fixture(params=["python", "native"])
def rewrite(request: pytest.FixtureRequest) -> Rewrite:
    """sfu.rtp's id rewrite, or the native step's (sfu/_header_ids.c), which must agree."""
    if request.param == "python":
        return rtp.rewrite_extension_ids
    if native.rtpsend is None:
        pytest.skip("needs sfu/_rtpsend.c (tests/sfu/test_native.py insists)")
    function: Rewrite = native.rtpsend.rewrite_extension_ids
    return function


def remap(changes: dict[int, int] | None = None) -> bytes:
    """A 256-byte id table: identity except for `changes`."""
    table = bytearray(range(256))
    for old, new in (changes or {}).items():
        table[old] = new
    return bytes(table)


def test_one_byte_ids_are_renumbered_in_place_keeping_lengths_and_data(rewrite: Rewrite) -> None:
    elements = one_byte_element(1, b"\xaa") + one_byte_element(3, b"\x01\x02\x03")
    data = packet(ext=extension(0xBEDE, elements))
    buf = bytearray(data)
    rewrite(buf, remap({1: 4, 3: 9}))
    expected = one_byte_element(4, b"\xaa") + one_byte_element(9, b"\x01\x02\x03")
    assert bytes(buf) == packet(ext=extension(0xBEDE, expected))
    assert len(buf) == len(data)


def test_one_byte_padding_between_elements_is_skipped(rewrite: Rewrite) -> None:
    elements = one_byte_element(2, b"\x10") + b"\x00\x00" + one_byte_element(5, b"\x20\x21")
    buf = bytearray(packet(ext=extension(0xBEDE, elements)))
    rewrite(buf, remap({2: 7, 5: 11}))
    expected = one_byte_element(7, b"\x10") + b"\x00\x00" + one_byte_element(11, b"\x20\x21")
    assert bytes(buf) == packet(ext=extension(0xBEDE, expected))


def test_one_byte_id_15_stops_processing_of_the_rest(rewrite: Rewrite) -> None:
    # RFC 8285 4.2: id 15 is reserved; a receiver stops at it, and so does the rewriter.
    elements = one_byte_element(1, b"\x01") + bytes([0xF0, 0x00]) + one_byte_element(2, b"\x02")
    buf = bytearray(packet(ext=extension(0xBEDE, elements)))
    rewrite(buf, remap({1: 6, 2: 8}))
    expected = one_byte_element(6, b"\x01") + bytes([0xF0, 0x00]) + one_byte_element(2, b"\x02")
    assert bytes(buf) == packet(ext=extension(0xBEDE, expected))


@pytest.mark.parametrize("profile", [0x1000, 0x1005, 0x100F])
def test_two_byte_ids_are_renumbered_for_any_appbits(profile: int, rewrite: Rewrite) -> None:
    elements = (
        two_byte_element(1, b"")
        + b"\x00"
        + two_byte_element(20, b"\x01\x02\x03")
        + two_byte_element(3, b"\xff")
    )
    buf = bytearray(packet(ext=extension(profile, elements)))
    rewrite(buf, remap({1: 2, 20: 30, 3: 14}))
    expected = (
        two_byte_element(2, b"")
        + b"\x00"
        + two_byte_element(30, b"\x01\x02\x03")
        + two_byte_element(14, b"\xff")
    )
    assert bytes(buf) == packet(ext=extension(profile, expected))


def test_the_element_renumbered_to_abs_send_time_gets_the_sfus_send_time(
    rewrite: Rewrite,
) -> None:
    # The publisher's own send time (id 5 here) would make its uplink's queueing look like
    # the subscriber's congestion; the subscriber's id for it is 3.
    elements = one_byte_element(1, b"\xaa") + one_byte_element(5, b"\x01\x02\x03")
    buf = bytearray(packet(ext=extension(0xBEDE, elements)))
    rewrite(buf, remap({5: 3}), 3, 0xABCDEF)
    expected = one_byte_element(1, b"\xaa") + one_byte_element(3, b"\xab\xcd\xef")
    assert bytes(buf) == packet(ext=extension(0xBEDE, expected))


@pytest.mark.parametrize("profile", [0xBEDE, 0x1000])
def test_only_a_three_byte_element_takes_the_stamp(profile: int, rewrite: Rewrite) -> None:
    element = one_byte_element if profile == 0xBEDE else two_byte_element
    elements = element(3, b"\x01\x02") + element(4, b"\x01\x02\x03")  # 2 bytes: not one
    buf = bytearray(packet(ext=extension(profile, elements)))
    rewrite(buf, remap(), 4, 0x123456)
    expected = element(3, b"\x01\x02") + element(4, b"\x12\x34\x56")
    assert bytes(buf) == packet(ext=extension(profile, expected))


def test_without_a_stamp_id_send_times_stay_as_they_came(rewrite: Rewrite) -> None:
    elements = one_byte_element(3, b"\x01\x02\x03")
    buf = bytearray(packet(ext=extension(0xBEDE, elements)))
    rewrite(buf, remap(), 0, 0x123456)
    assert bytes(buf) == packet(ext=extension(0xBEDE, elements))


def test_a_send_time_stamp_is_seconds_in_6_18_fixed_point_wrapping_at_64() -> None:
    assert rtp.send_time_stamp(1.5) == 3 << 17
    assert rtp.send_time_stamp(64.0 + 0.25) == 1 << 16  # 24 bits: wraps every 64 s


def test_two_byte_data_bytes_that_look_like_ids_are_left_alone(rewrite: Rewrite) -> None:
    elements = two_byte_element(4, b"\x04\x04\x04\x04")
    buf = bytearray(packet(ext=extension(0x1000, elements)))
    rewrite(buf, remap({4: 9}))
    assert bytes(buf) == packet(ext=extension(0x1000, two_byte_element(9, b"\x04" * 4)))


@pytest.mark.parametrize("ext", [None, extension(0xABCD, b"\x11\x22\x33\x44")])
def test_packets_without_a_known_extension_profile_are_untouched(
    ext: bytes | None, rewrite: Rewrite
) -> None:
    data = packet(ext=ext)
    buf = bytearray(data)
    rewrite(buf, remap({1: 5, 2: 6}))
    assert bytes(buf) == data


def test_rewrite_raises_on_an_extension_longer_than_the_packet(rewrite: Rewrite) -> None:
    buf = bytearray(packet(ext=struct.pack("!HH", 0xBEDE, 3), payload=b"\x10\x00"))
    with pytest.raises(ValueError):
        rewrite(buf, remap())


MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TWCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


def test_id_map_translates_shared_uris_and_parks_the_rest_on_an_unused_id() -> None:
    source = {MID: 4, ABS_SEND_TIME: 2, TWCC: 3}
    target = {MID: 1, ABS_SEND_TIME: 5}
    table = rtp.build_id_map(source, target)
    assert len(table) == 256
    assert table[4] == 1 and table[2] == 5
    assert table[3] == 14  # TWCC is unknown to the subscriber: highest free id
    assert 14 not in target.values()


def test_id_map_parks_every_unnamed_one_byte_id_and_keeps_0_and_15() -> None:
    table = rtp.build_id_map({MID: 1}, {MID: 3, TWCC: 14})
    assert table[0] == 0 and table[15] == 15
    assert table[1] == 3
    assert [table[i] for i in range(2, 15)] == [13] * 13
    assert list(table[16:]) == list(range(16, 256))


def test_id_map_sends_dropped_uris_to_the_parking_id_even_if_the_target_knows_them() -> None:
    table = rtp.build_id_map(
        {MID: 1, AUDIO_LEVEL: 2}, {MID: 1, AUDIO_LEVEL: 2}, drop=frozenset({AUDIO_LEVEL})
    )
    assert table[1] == 1
    assert table[2] == 14


def test_id_map_parking_ignores_two_byte_target_ids() -> None:
    table = rtp.build_id_map({TWCC: 7}, {MID: 20, ABS_SEND_TIME: 14})
    assert table[7] == 13


def test_id_map_fails_when_the_target_uses_every_one_byte_id() -> None:
    target = {f"urn:x-test:{i}": i for i in range(1, 15)}
    with pytest.raises(ValueError, match="nothing to park on"):
        rtp.build_id_map({MID: 1}, target)


def test_a_parked_element_is_skipped_by_a_receiver_that_looks_up_target_ids(
    rewrite: Rewrite,
) -> None:
    source = {MID: 1, TWCC: 2, AUDIO_LEVEL: 3}
    target = {MID: 9, AUDIO_LEVEL: 1}
    elements = (
        one_byte_element(1, b"0") + one_byte_element(2, b"\x00\x07") + one_byte_element(3, b"\x85")
    )
    buf = bytearray(packet(ext=extension(0xBEDE, elements)))
    rewrite(buf, rtp.build_id_map(source, target))
    _profile, pos, end = rtp.extension_block(buf) or (0, 0, 0)
    seen: dict[int, bytes] = {}
    while pos < end and buf[pos]:
        length = (buf[pos] & 0x0F) + 1
        seen[buf[pos] >> 4] = bytes(buf[pos + 1 : pos + 1 + length])
        pos += 1 + length
    by_uri = {uri: seen.get(i) for uri, i in target.items()}
    assert by_uri == {MID: b"0", AUDIO_LEVEL: b"\x85"}
    assert seen[14] == b"\x00\x07"


# RFC 7741 4.2 payload descriptor: X R N S R PID(3); extension I L T K; then 4.3 payload header.
KEY_HEADER = bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])  # P bit 0, then the VP8 start code
DELTA_HEADER = bytes([0x31, 0x05, 0x00])  # P bit 1


def vp8(first: int, *rest: int, header: bytes = KEY_HEADER) -> bytes:
    return bytes([first, *rest]) + header


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (vp8(0x10), True),
        (vp8(0x10, header=DELTA_HEADER), False),
        (vp8(0x00), False),  # S=0: continuation of a partition
        (vp8(0x11), False),  # PID=1: not partition 0
        (vp8(0x30), True),  # N bit does not matter
        (vp8(0x90, 0x80, 0x05), True),  # 7-bit picture id
        (vp8(0x90, 0x80, 0x85, 0x10), True),  # 15-bit picture id
        (vp8(0x90, 0x80, 0x85, 0x01, header=DELTA_HEADER), False),
        (vp8(0x90, 0x40, 0x03), True),  # TL0PICIDX
        (vp8(0x90, 0x20, 0x40), True),  # TID
        (vp8(0x90, 0x10, 0x01), True),  # KEYIDX
        (vp8(0x90, 0xF0, 0x80, 0x01, 0x02, 0x40), True),  # everything, 15-bit picture id
        (vp8(0x90, 0xF0, 0x80, 0x01, 0x02, 0x40, header=DELTA_HEADER), False),
        (vp8(0x90, 0xF0, 0x7F, 0x02, 0x40, header=b"\x01"), False),  # 7-bit id, delta
    ],
)
def test_vp8_keyframe_detection_follows_the_payload_descriptor(
    payload: bytes, expected: bool
) -> None:
    data = packet(payload=payload)
    assert rtp.is_vp8_keyframe(data, rtp.payload_offset(data)) is expected


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x10", b"\x90", b"\x90\x80", b"\x90\x80\x85", b"\x90\xc0\x05\x01", b"\x90\x30\x01"],
)
def test_truncated_vp8_payloads_are_not_keyframes(payload: bytes) -> None:
    data = packet(payload=payload)
    assert rtp.is_vp8_keyframe(data, 12) is False


def test_vp8_keyframe_detection_reads_at_the_offset_after_extensions() -> None:
    ext = extension(0xBEDE, one_byte_element(1, b"\x01"))
    data = packet(csrcs=(5,), ext=ext, payload=vp8(0x10))
    assert rtp.payload_offset(data) == 24
    assert rtp.is_vp8_keyframe(data, 24) is True
    assert rtp.is_vp8_keyframe(data, 16) is False  # the extension header, not a descriptor
    assert rtp.is_vp8_keyframe(data, len(data)) is False


def test_id_map_parks_a_one_byte_source_whose_target_id_needs_the_two_byte_form() -> None:
    table = rtp.build_id_map({"urn:a": 3, "urn:b": 20}, {"urn:a": 16, "urn:b": 21})
    assert table[3] not in (16, 3) and 1 <= table[3] <= 14
    assert table[20] == 21


def test_rewrite_raises_on_an_extension_header_cut_short(rewrite: Rewrite) -> None:
    buf = bytearray(packet(ext=b"", payload=b"\xbe\xde"))  # the X bit, two of four bytes
    with pytest.raises(ValueError):
        rewrite(buf, remap())


def test_the_native_rewrite_refuses_arguments_it_cannot_use() -> None:
    if native.rtpsend is None:
        pytest.skip("needs sfu/_rtpsend.c (tests/sfu/test_native.py insists)")
    rewrite = native.rtpsend.rewrite_extension_ids
    with pytest.raises(TypeError):
        rewrite(packet(), remap())  # bytes cannot be rewritten in place
    with pytest.raises(ValueError):
        rewrite(bytearray(packet()), bytes(8))  # too short for the one-byte ids
    with pytest.raises(TypeError):
        rewrite(bytearray(packet()))
    with pytest.raises(TypeError):
        rewrite(bytearray(packet()), remap(), 3)  # a stamp id without its stamp
    with pytest.raises(ValueError):
        rewrite(bytearray(packet()), remap(), 3, 1 << 24)  # more than 24 bits


def test_a_packet_loses_its_header_extension_and_keeps_the_rest() -> None:
    ext = b"\xbe\xde\x00\x02" + b"\x10\xaa\x32\x01\x02\x03\x00\x00"  # level, abs-send-time
    with_ext = bytearray(b"\x90\x6f\x00\x07" + b"\x00\x00\x03\xc0" + b"\x00\x00\x00\x09" + ext)
    with_ext += b"opus-frame"
    bare = rtp.without_extensions(with_ext)
    assert bare == bytearray(b"\x80\x6f\x00\x07\x00\x00\x03\xc0\x00\x00\x00\x09opus-frame")
    plain = bytearray(b"\x80\x6f\x00\x07\x00\x00\x03\xc0\x00\x00\x00\x09opus")
    assert rtp.without_extensions(plain) is plain
