"""Redundant audio (RED, RFC 2198) for Opus: negotiated, forwarded as it is, stripped when needed.

On a lossy mobile link Opus' in-band FEC helps little: it carries a low-rate copy of the
previous frame only when the encoder sees loss on its own uplink, and loss on the subscriber's
downlink is invisible to it. With RED each packet carries the previous frame(s) again in full, so
an isolated loss anywhere on the path costs nothing audible. Chromium offers `red/48000/2` with
`a=fmtp:<red> <opus>/<opus>` and sends every Opus packet inside RED when the answer lists red
first in the audio m-line.

The SFU forwards RED untouched (only the payload type is rewritten) to subscribers whose answer
accepts red, and strips it to the primary Opus frame for those that do not (aiortc, older
clients), so both play the same stream. Decided per negotiation; the strip runs per packet on
the Python path only for the consumers that need it.
"""

from __future__ import annotations

from sfu import sdp
from sfu.sdp import MediaSection

RED = "red"
RED_CLOCK = "red/48000/2"
# RFC 3551 dynamic payload types: the offer's red takes the first one free in the whole SDP.
DYNAMIC_TYPES = range(96, 128)


# Opus' payload type in every subscribe offer (aiortc numbers its codecs from one fixed table).
# A producer renumbers the blocks inside RED to it once per packet, so the RED that reaches a
# subscriber names a codec that subscriber negotiated and the fan-out rewrites only the RTP
# header, on the native path like any stream.
SUBSCRIBER_OPUS_PT = 96


def _payload_start(packet: bytes | bytearray) -> int | None:
    """Where an RTP packet's payload starts (after CSRCs and a header extension), or None."""
    size = len(packet)
    if size < 12 or packet[0] >> 6 != 2:
        return None
    offset = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:  # RFC 3550 5.3.1 header extension: 4 bytes, then its length in words
        if offset + 4 > size:
            return None
        offset += 4 + 4 * int.from_bytes(packet[offset + 2 : offset + 4], "big")
    return offset if offset <= size else None


def renumber(packet: bytearray, payload_type: int) -> bool:
    """Give every block of a RED packet the codec payload type `payload_type`, in place.
    False when the block headers run past the end (the packet is not RED)."""
    cursor = _payload_start(packet)
    if cursor is None:
        return False
    end = len(packet)
    while cursor < end:
        more = packet[cursor] & 0x80
        packet[cursor] = more | payload_type
        if not more:
            return True
        cursor += 4
    return False


def primary(packet: bytes | bytearray) -> bytearray | None:
    """The RTP packet with its RED payload replaced by the primary block (the newest frame):
    same header, extensions and CSRCs, without padding. None when the payload is not valid RED
    (a header block runs past the end, or the blocks are longer than the payload)."""
    offset = _payload_start(packet)
    if offset is None:
        return None
    end = len(packet)
    if packet[0] & 0x20:  # padding: its count is the last byte, never 0
        if not packet[-1]:
            return None
        end -= packet[-1]
    if offset >= end:
        return None
    header_end = offset
    redundant = 0
    cursor = offset
    while True:  # RFC 2198 section 3: 4-byte headers while F=1, then a 1-byte one
        if cursor >= end:
            return None
        if not packet[cursor] & 0x80:
            cursor += 1
            break
        if cursor + 4 > end:
            return None
        redundant += ((packet[cursor + 2] & 0x03) << 8) | packet[cursor + 3]
        cursor += 4
    start = cursor + redundant
    if start > end:
        return None
    out = bytearray(packet[:header_end])
    out[0] &= 0xDF  # the padding went with the RED payload
    out += packet[start:end]
    return out


def answer_red(offered: list[MediaSection], answer: str) -> str:
    """Accept RED in a publish answer where the offer had red for Opus: its payload type is
    listed first in the audio m-line (what makes libwebrtc send it), with its rtpmap and its
    fmtp naming Opus as every block's codec."""
    wanted: dict[str, tuple[int, int]] = {}
    for section in offered:
        red, opus = section.codec(RED), section.codec("opus")
        if section.kind == "audio" and red is not None and opus is not None and section.mid:
            wanted[section.mid] = (red.payload_type, opus.payload_type)

    def edit(m_line: str, mid: str) -> tuple[str, list[str]]:
        red_pt, opus_pt = wanted[mid]
        fields = m_line.split(" ")
        formats = [f for f in fields[3:] if f != str(red_pt)]
        if str(opus_pt) not in formats:
            return m_line, []  # the answer did not take Opus: no RED either
        return " ".join([*fields[:3], str(red_pt), *formats]), _red_lines(red_pt, opus_pt)

    return sdp.edit_sections(answer, _audio_only(edit, set(wanted)))


def offer_red(offer: str, opus_pt: int) -> str:
    """Offer a subscriber RED beside Opus (after it, so a client that takes the first codec
    still has Opus): a payload type free everywhere in the SDP, rtpmap and fmtp."""
    used: set[int] = set()
    for line in offer.splitlines():
        if line.startswith("m="):
            used.update(int(f) for f in line.split(" ")[3:] if f.isdigit())
    free = next((pt for pt in DYNAMIC_TYPES if pt not in used), None)
    if free is None:
        return offer

    def edit(m_line: str, mid: str) -> tuple[str, list[str]]:
        if str(opus_pt) not in m_line.split(" ")[3:]:
            return m_line, []
        return f"{m_line} {free}", _red_lines(free, opus_pt)

    return sdp.edit_sections(offer, _audio_only(edit, None))


def accepted(answer: MediaSection | None, offered_pt: int | None) -> int | None:
    """The red payload type a subscriber's answer kept, or None."""
    if answer is None or offered_pt is None:
        return None
    red = answer.codec(RED)
    return red.payload_type if red is not None and red.payload_type == offered_pt else None


def _red_lines(red_pt: int, opus_pt: int) -> list[str]:
    return [f"a=rtpmap:{red_pt} {RED_CLOCK}", f"a=fmtp:{red_pt} {opus_pt}/{opus_pt}"]


def _audio_only(edit: sdp.SectionEdit, mids: set[str] | None) -> sdp.SectionEdit:
    """`edit` for the audio sections (of `mids`, or all); every other section unchanged."""

    def audio(m_line: str, mid: str) -> tuple[str, list[str]]:
        if m_line.startswith("m=audio ") and (mids is None or mid in mids):
            return edit(m_line, mid)
        return m_line, []

    return audio
