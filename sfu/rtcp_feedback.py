"""What a subscriber asks of the SFU, read from its compound RTCP packets.

A receiving browser sends, besides its receiver reports: picture loss indications (RFC 4585
6.3.1) and full intra requests (RFC 5104 4.3.1) when it needs a key frame, generic NACKs (RFC
4585 6.2.1) for packets that did not arrive, and its downlink estimate as REMB
(draft-alvestrand-rmcat-remb-03 2.2). aiortc would queue each datagram for a task, decrypt it
with a Python wrapper, parse every packet into objects and route each to every sender it names;
the subscriber's connection now reads only what the SFU acts on, here, and ignores the rest
(SDES, BYE). Of the receiver reports (RFC 3550 6.4) it reads each stream's losses and the
sender report it answers (for the round trip, sfu/round_trip.py):
REMB comes from a delay-based estimator, which a link whose queue stays full (constant delay,
heavy tail drop) does not move, so loss must lower the estimate too (sfu/downlink.py).

Sans-I/O: plain (decrypted) RTCP in, a list of requests out. Malformed packets end the parse:
what came before them still counts, as in a compound packet each part stands alone.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

SR, RR = 200, 201  # sender and receiver reports (RFC 3550 6.4.1, 6.4.2)
RTPFB = 205  # transport-layer feedback (RFC 4585 6.1)
PSFB = 206  # payload-specific feedback
FMT_NACK = 1
FMT_PLI = 1
FMT_FIR = 4
FMT_APP = 15  # application layer feedback: REMB

_COMMON = struct.Struct("!BBHII")  # V P FMT | PT | length | sender SSRC | media source SSRC
_NACK_ITEM = struct.Struct("!HH")  # PID, BLP
_REMB_HEADER = struct.Struct("!4sBBH")  # "REMB", SSRC count, exponent and mantissa


class KeyframeRequest(NamedTuple):
    ssrc: int  # the stream the subscriber needs a key frame of


class Nack(NamedTuple):
    ssrc: int
    lost: list[int]  # sequence numbers, in the order the packet lists them


class Remb(NamedTuple):
    bitrate: int  # bit/s
    ssrcs: list[int]  # the streams the estimate covers


class LossReport(NamedTuple):
    ssrc: int  # the stream the report block is about
    fraction_lost: float  # since the previous report, 0.0-1.0 (RFC 3550 6.4.1)
    lost: int = 0  # cumulative number of packets lost, signed (duplicates can make it < 0)
    highest: int = 0  # extended highest sequence number received (cycles << 16 | seq)
    lsr: int = 0  # the middle 32 bits of the last sender report's NTP time; 0: none yet
    dlsr: int = 0  # how long ago that report came, in 1/65536 s


Feedback = KeyframeRequest | Nack | Remb | LossReport
REPORT_BLOCK = 24  # bytes: SSRC, fraction and cumulative lost, highest sequence, jitter, LSR, DLSR
_REPORT_BLOCK = struct.Struct("!IB3sIIII")  # SSRC, fraction, lost, highest, jitter, LSR, DLSR


def _signed24(field: bytes) -> int:
    return int.from_bytes(field, "big", signed=True)


def parse_feedback(data: bytes | bytearray) -> list[Feedback]:
    """The requests in one compound RTCP packet (RFC 3550 6.1), in order."""
    requests: list[Feedback] = []
    position = 0
    size = len(data)
    while position + 4 <= size:
        first, packet_type, length_words = struct.unpack_from("!BBH", data, position)
        end = position + 4 * (length_words + 1)
        if first >> 6 != 2 or end > size:
            break
        if packet_type in (RTPFB, PSFB) and end - position >= _COMMON.size:
            _read(data, position, end, packet_type, first & 0x1F, requests)
        elif packet_type in (SR, RR):
            # After the sender's SSRC (and an SR's 20 bytes of sender info): RC blocks.
            block = position + (28 if packet_type == SR else 8)
            for _ in range(first & 0x1F):
                if block + REPORT_BLOCK > end:
                    break
                ssrc, fraction, lost, highest, _jitter, lsr, dlsr = _REPORT_BLOCK.unpack_from(
                    data, block
                )
                requests.append(
                    LossReport(ssrc, fraction / 256, _signed24(lost), highest, lsr, dlsr)
                )
                block += REPORT_BLOCK
        position = end
    return requests


def _read(
    data: bytes | bytearray,
    start: int,
    end: int,
    packet_type: int,
    fmt: int,
    requests: list[Feedback],
) -> None:
    _first, _type, _length, _sender, media = _COMMON.unpack_from(data, start)
    fci = start + _COMMON.size
    if packet_type == RTPFB and fmt == FMT_NACK:
        lost: list[int] = []
        for item in range(fci, end - 3, _NACK_ITEM.size):
            pid, blp = _NACK_ITEM.unpack_from(data, item)
            lost.append(pid)
            lost.extend((pid + bit + 1) & 0xFFFF for bit in range(16) if blp >> bit & 1)
        if lost:
            requests.append(Nack(media, lost))
    elif packet_type == PSFB and fmt == FMT_PLI:
        requests.append(KeyframeRequest(media))
    elif packet_type == PSFB and fmt == FMT_FIR:
        # The FCI entries name the streams (8 bytes each: SSRC, command sequence, reserved);
        # the header's media source SSRC is unused (RFC 5104 4.3.1.2).
        for entry in range(fci, end - 7, 8):
            requests.append(KeyframeRequest(int.from_bytes(data[entry : entry + 4], "big")))
    elif packet_type == PSFB and fmt == FMT_APP and end - fci >= _REMB_HEADER.size:
        name, count, high, low = _REMB_HEADER.unpack_from(data, fci)
        listed = fci + _REMB_HEADER.size
        if name != b"REMB" or listed + 4 * count > end:
            return
        exponent, mantissa = high >> 2, (high & 0x03) << 16 | low
        ssrcs = list(struct.unpack_from(f"!{count}I", data, listed))
        requests.append(Remb(mantissa << exponent, ssrcs))
