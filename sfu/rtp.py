"""RTP header helpers for the forwarding hot path (RFC 3550, RFC 8285, RFC 7741).

Pure functions over bytes: no aiortc, no I/O. Parsers raise ValueError on malformed input; the
caller drops the packet.
"""

from __future__ import annotations

import struct

# RFC 3550 section 5.1: V(2) P X CC(4) | M PT(7) | sequence number (16) | timestamp (32) | SSRC (32)
FIXED_HEADER = struct.Struct("!BBHII")
FIXED_HEADER_SIZE = 12
# Bytes 2..11 of the fixed header: the three fields a consumer rewrites, packed in one call.
SEQ_TS_SSRC = struct.Struct("!HII")

# RFC 8285 section 4.2 / 4.3: profile values of the one-byte and two-byte extension forms.
ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE_MASK = 0xFFF0
TWO_BYTE_PROFILE = 0x1000

_EXT_HEADER = struct.Struct("!HH")


def is_rtcp(data: bytes | bytearray) -> bool:
    """RFC 5761 section 4: RTCP packet types 192..223 occupy the second byte's range."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def payload_offset(data: bytes | bytearray) -> int:
    """Offset of the payload: after the fixed header, CSRCs and any header extension."""
    size = len(data)
    if size < FIXED_HEADER_SIZE:
        raise ValueError("RTP packet shorter than its fixed header")
    first = data[0]
    if first >> 6 != 2:
        raise ValueError("RTP version is not 2")
    offset = FIXED_HEADER_SIZE + 4 * (first & 0x0F)
    if first & 0x10:
        if size < offset + 4:
            raise ValueError("RTP header extension truncated")
        _profile, words = _EXT_HEADER.unpack_from(data, offset)
        offset += 4 + 4 * words
    if offset > size:
        raise ValueError("RTP header longer than the packet")
    return offset


def without_extensions(packet: bytearray) -> bytearray:
    """The packet without its header extension (RFC 3550 5.3.1: X bit cleared, the block
    removed): `packet` itself when it has none. For a data saver's audio, whose extensions
    (audio level, send times) its client never reads but its data plan pays for."""
    block = extension_block(packet)
    if block is None:
        return packet
    _profile, elements, end = block
    out = packet[: elements - 4] + packet[end:]
    out[0] &= 0xEF
    return out


def extension_block(data: bytes | bytearray) -> tuple[int, int, int] | None:
    """(profile, start, end) of the extension elements, or None when the X bit is clear."""
    first = data[0]
    if not first & 0x10:
        return None
    start = FIXED_HEADER_SIZE + 4 * (first & 0x0F)
    if len(data) < start + 4:
        raise ValueError("RTP header extension truncated")
    profile, words = _EXT_HEADER.unpack_from(data, start)
    end = start + 4 + 4 * words
    if end > len(data):
        raise ValueError("RTP header extension longer than the packet")
    return profile, start + 4, end


def rewrite_extension_ids(buf: bytearray, id_map: bytes, stamp_id: int = 0, stamp: int = 0) -> None:
    """Renumber header-extension elements in place (RFC 8285), and stamp the SFU's send time.

    Each side of a forwarded stream negotiates its own extension ids, so a publisher's id 4 may
    mean something else, or nothing, to a subscriber. `id_map[old_id]` gives the new id; mapping
    to an id the subscriber did not negotiate makes it ignore the element (RFC 8285 section 4.1:
    unknown ids are skipped), which keeps the packet length, so the payload never moves.

    The element that ends up with id `stamp_id` (non-zero), when it holds three bytes, gets
    `stamp`: abs-send-time (24 bits, seconds in 6.18 fixed point; `send_time_stamp`). A
    subscriber's delay-based estimate (REMB) compares these stamps with arrival times, so they
    must say when the SFU sent the packet: the publisher's own stamps would count its uplink's
    queueing as the subscriber's downlink congestion (the field benchmark: subscribers' REMB at
    60-75 kbit/s on a 500 kbit/s link while 250-300 kbit/s reached them).
    """
    block = extension_block(buf)
    if block is None:
        return
    profile, pos, end = block
    if profile == ONE_BYTE_PROFILE:
        while pos < end:
            byte = buf[pos]
            if byte == 0:  # padding byte
                pos += 1
                continue
            element_id = byte >> 4
            if element_id == 15:  # RFC 8285 4.2: id 15 stops processing
                return
            new_id = id_map[element_id]
            buf[pos] = (new_id << 4) | (byte & 0x0F)
            if stamp_id and new_id == stamp_id and byte & 0x0F == 2 and pos + 4 <= end:
                _write_stamp(buf, pos + 1, stamp)
            pos += 2 + (byte & 0x0F)
    elif profile & TWO_BYTE_PROFILE_MASK == TWO_BYTE_PROFILE:
        while pos < end:
            element_id = buf[pos]
            if element_id == 0:  # padding byte
                pos += 1
                continue
            if pos + 1 >= end:
                return
            if element_id < len(id_map):
                buf[pos] = id_map[element_id]
            if stamp_id and buf[pos] == stamp_id and buf[pos + 1] == 3 and pos + 5 <= end:
                _write_stamp(buf, pos + 2, stamp)
            pos += 2 + buf[pos + 1]


def _write_stamp(buf: bytearray, at: int, stamp: int) -> None:
    buf[at] = (stamp >> 16) & 0xFF
    buf[at + 1] = (stamp >> 8) & 0xFF
    buf[at + 2] = stamp & 0xFF


def send_time_stamp(seconds: float) -> int:
    """abs-send-time of a steady-clock time: 24 bits of seconds in 6.18 fixed point (it wraps
    every 64 s; receivers only compare nearby stamps)."""
    return int(seconds * (1 << 18)) & 0xFFFFFF


def build_id_map(
    source_ids: dict[str, int], target_ids: dict[str, int], drop: frozenset[str] = frozenset()
) -> bytes:
    """Map extension ids by URI from one negotiation to another, as a 256-byte table.

    URIs missing on the target side, listed in `drop`, or whose target id does not fit the
    one-byte form the source uses, go to an id the target has not negotiated (so the receiver
    skips them). Index 0 and 15 map to themselves.
    """
    used = set(target_ids.values())
    unused = [i for i in range(14, 0, -1) if i not in used]
    if not unused:
        raise ValueError("target negotiated every one-byte extension id; nothing to park on")
    parking = unused[0]
    table = bytearray(range(256))
    for i in range(1, 15):
        table[i] = parking
    for uri, source_id in source_ids.items():
        target = target_ids.get(uri)
        # A one-byte element (ids 1-14, RFC 8285 4.2) cannot carry a target id above 14.
        if target is None or uri in drop or (source_id <= 14 < target):
            target = parking
        table[source_id] = target
    return bytes(table)


def is_vp8_keyframe(data: bytes | bytearray, offset: int) -> bool:
    """True when the payload at `offset` starts a VP8 key frame (RFC 7741 sections 4.2, 4.3).

    The VP8 payload header's P bit is only meaningful at the start of partition 0, i.e. when the
    descriptor has S=1 and PID=0.
    """
    size = len(data)
    if offset >= size:
        return False
    first = data[offset]
    if not first & 0x10 or first & 0x07:  # S bit clear, or not partition 0
        return False
    pos = offset + 1
    if first & 0x80:  # X: extension byte follows
        if pos >= size:
            return False
        ext = data[pos]
        pos += 1
        if ext & 0x80:  # I: picture id, 7 or 15 bits (M bit)
            if pos >= size:
                return False
            pos += 2 if data[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX byte
            pos += 1
    if pos >= size:
        return False
    return not data[pos] & 0x01  # P bit: 0 means key frame


def one_byte_element(data: bytes | bytearray, element_id: int) -> tuple[int, int] | None:
    """(offset, length) of the data of the one-byte extension element `element_id` (RFC 8285
    4.2), or None when the packet has none."""
    try:
        block = extension_block(data)
    except ValueError:
        return None
    if block is None or block[0] != ONE_BYTE_PROFILE:
        return None
    _profile, pos, end = block
    while pos < end:
        byte = data[pos]
        if byte == 0:  # padding
            pos += 1
            continue
        if byte >> 4 == 15:
            return None
        length = (byte & 0x0F) + 1
        if byte >> 4 == element_id:
            return (pos + 1, length) if pos + 1 + length <= end else None
        pos += 1 + length
    return None


def audio_level(data: bytes | bytearray, element_id: int) -> int | None:
    """The RFC 6464 audio level byte (V bit, then the level in -dBov, 127 = silence) carried in
    a one-byte extension element with `element_id`, or None when the packet has none."""
    element = one_byte_element(data, element_id)
    return None if element is None else data[element[0]]


def abs_send_time(data: bytes | bytearray, element_id: int) -> int | None:
    """The 24-bit abs-send-time (6.18 fixed-point seconds) a sender stamped on the packet."""
    element = one_byte_element(data, element_id)
    if element is None or element[1] != 3:
        return None
    return int.from_bytes(data[element[0] : element[0] + 3], "big")


def transport_sequence(data: bytes | bytearray, element_id: int) -> int | None:
    """The 16-bit transport-wide sequence number a sender stamped on the packet
    (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2)."""
    element = one_byte_element(data, element_id)
    if element is None or element[1] != 2:
        return None
    return int.from_bytes(data[element[0] : element[0] + 2], "big")


def unwrap_rtx(data: bytes, payload_type: int, ssrc: int) -> bytes | None:
    """The original packet inside an RTX retransmission (RFC 4588 section 4): sequence number
    from the 2-byte OSN that starts the payload, the media stream's payload type and SSRC,
    header extensions kept, padding dropped. None for padding-only packets (bandwidth probes
    carry no OSN) and malformed ones."""
    try:
        offset = payload_offset(data)
    except ValueError:
        return None
    end = len(data)
    if data[0] & 0x20:  # P bit: the last byte counts the padding (RFC 3550 5.1)
        end -= data[-1]
    if end - offset < 3:  # an OSN and at least one byte of payload
        return None
    first = data[0] & 0xDF  # the unwrapped packet carries no padding
    second = (data[1] & 0x80) | payload_type
    timestamp = data[4:8]
    return (
        bytes((first, second))
        + data[offset : offset + 2]
        + timestamp
        + ssrc.to_bytes(4, "big")
        + data[12:offset]
        + data[offset + 2 : end]
    )


class Vp8Fields:
    """Where the picture id and TL0PICIDX sit in one packet's VP8 payload descriptor (RFC 7741
    section 4.2), read once per packet for a simulcast track so each consumer can renumber
    them: every layer counts its own pictures, and a decoder that sees the picture id jump
    when the SFU switches layers takes frames as lost."""

    __slots__ = ("picture_id_at", "picture_id_bits", "picture_id", "tl0_at", "tl0")

    def __init__(self) -> None:
        self.picture_id_at = 0  # offset in the packet; 0: absent
        self.picture_id_bits = 0  # 7 or 15 (M bit)
        self.picture_id = 0
        self.tl0_at = 0  # offset of TL0PICIDX; 0: absent
        self.tl0 = 0

    def read(self, data: bytes | bytearray, offset: int) -> None:
        """Fill in from the descriptor at `offset`; fields that do not fit are absent."""
        self.picture_id_at = self.tl0_at = 0
        size = len(data)
        if offset + 1 >= size or not data[offset] & 0x80:  # no X: no extension byte
            return
        ext = data[offset + 1]
        pos = offset + 2
        if ext & 0x80:  # I: picture id
            if pos >= size:
                return
            if data[pos] & 0x80:  # M: 15 bits
                if pos + 1 >= size:
                    return
                self.picture_id_bits = 15
                self.picture_id = ((data[pos] & 0x7F) << 8) | data[pos + 1]
                self.picture_id_at = pos
                pos += 2
            else:
                self.picture_id_bits = 7
                self.picture_id = data[pos]
                self.picture_id_at = pos
                pos += 1
        if ext & 0x40 and pos < size:  # L: TL0PICIDX
            self.tl0_at = pos
            self.tl0 = data[pos]


def write_picture_id(buf: bytearray, at: int, bits: int, picture_id: int) -> None:
    """Store a picture id in the width the packet already uses (RFC 7741 4.2)."""
    if bits == 15:
        buf[at] = 0x80 | ((picture_id >> 8) & 0x7F)
        buf[at + 1] = picture_id & 0xFF
    else:
        buf[at] = picture_id & 0x7F


def vp8_keyframe_size(data: bytes | bytearray, offset: int) -> tuple[int, int] | None:
    """(width, height) a VP8 key frame announces (RFC 6386 section 9.1: a 3-byte frame tag,
    the start code 9d 01 2a, then 14-bit width and height, little-endian, 2 scaling bits
    each), given its first packet's payload descriptor at `offset`; None when it is not one."""
    if not is_vp8_keyframe(data, offset):
        return None
    pos = offset + 1
    if data[offset] & 0x80:
        ext = data[pos]
        pos += 1
        if ext & 0x80:
            pos += 2 if data[pos] & 0x80 else 1
        if ext & 0x40:
            pos += 1
        if ext & 0x30:
            pos += 1
    header = data[pos : pos + 10]
    if len(header) < 10 or header[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(header[6:8], "little") & 0x3FFF
    height = int.from_bytes(header[8:10], "little") & 0x3FFF
    return width, height


def rtp_stream_id(data: bytes | bytearray, element_id: int) -> str | None:
    """The RFC 8852 RtpStreamId (or RepairedRtpStreamId) a packet carries in the one-byte
    extension element `element_id`, or None. Senders stop adding it once they have heard a
    receiver report for the SSRC, so it is read only until the SSRC is known."""
    element = one_byte_element(data, element_id)
    if element is None:
        return None
    start, length = element
    try:
        return bytes(data[start : start + length]).rstrip(b"\x00").decode("ascii")
    except UnicodeDecodeError:
        return None


def wrap_rtx(packet: bytes | bytearray, payload_type: int, ssrc: int, seq: int) -> bytearray:
    """An RTX retransmission of `packet` (RFC 4588 4): the same header and timestamp on the
    RTX payload type, SSRC and sequence, the original sequence number (OSN) first in the
    payload. Padding is left out (a repair needs none) and the P bit cleared."""
    offset = payload_offset(packet)
    end = len(packet)
    if packet[0] & 0x20:
        end -= packet[-1]
        if end < offset:
            raise ValueError("padding longer than the payload")
    rtx = bytearray(packet[:offset])
    rtx[0] &= ~0x20 & 0xFF
    rtx[1] = (packet[1] & 0x80) | payload_type
    original_seq = packet[2:4]
    SEQ_TS_SSRC.pack_into(rtx, 2, seq & 0xFFFF, int.from_bytes(packet[4:8], "big"), ssrc)
    rtx += original_seq
    rtx += packet[offset:end]
    return rtx
