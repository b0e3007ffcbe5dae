"""Transport-wide congestion control feedback to a publisher (draft-holmer-rmcat-transport-wide-
cc-extensions-01): the SFU tells the browser when each of its packets arrived, and the browser's
own send-side estimator (libwebrtc's GCC) decides how much its uplink carries. That estimator
probes upwards and sees queues build within a round trip, which the receive-side REMB estimate
cannot: with REMB only, a 720p camera settled near 1.2 Mbit/s and turned its top layer off.

Sans-I/O: the publisher records (transport-wide sequence number, arrival time) per packet and
asks for the feedback packets every FEEDBACK_INTERVAL; sending them is its business.

Wire format (section 3.1 of the draft), an RTCP transport-layer feedback packet (RFC 4585,
PT=205) with FMT=15:
  base sequence number (16) | packet status count (16)
  reference time (24, signed, in 64 ms) | feedback packet count (8)
  packet chunks (16 bits each), then a receive delta (1 or 2 bytes) per received packet.
Statuses: 0 not received, 1 received with a small delta (one unsigned byte of 250 us ticks),
2 received with a large or negative delta (two signed bytes). A chunk is either a run of one
status (T=0: status in 2 bits, run length in 13) or a vector (T=1): 14 one-bit statuses (S=0:
received small or not) or 7 two-bit ones (S=1).
"""

from __future__ import annotations

import struct

FEEDBACK_INTERVAL = 0.1  # seconds between feedback packets (libwebrtc's receivers send ~10/s)

RTPFB = 205  # RFC 4585 transport-layer feedback
FMT_TRANSPORT_CC = 15

NOT_RECEIVED, SMALL_DELTA, LARGE_DELTA = 0, 1, 2
TICK_US = 250  # receive deltas count 250 us
REFERENCE_US = 64_000  # the reference time counts 64 ms
# Statuses per feedback packet: with every delta large that is 400 * 2 bytes of deltas plus
# 58 chunks, well inside one datagram.
MAX_STATUSES = 400
# Arrivals kept waiting for a feedback: a publisher that somehow outruns the timer by this
# much loses its oldest reports rather than the server's memory.
MAX_PENDING = 4_000
MAX_RUN = 0x1FFF  # a run-length chunk's 13 bits
# The most sequence numbers one call reports: far more than 100 ms of any real stream (8,192
# packets is 90 Mbit/s), so a sender that jumps its numbers ahead costs a bounded amount of
# work; what lies before the span is left unreported.
MAX_SPAN = 0x2000

_HEADER = struct.Struct("!BBHIIHHI")


class ArrivalLog:
    """Arrival times of one transport's packets, by transport-wide sequence number, until
    they are reported. Sequence numbers are 16 bits; they are unwrapped against the highest
    seen so far (a step of less than half the space is forwards)."""

    def __init__(self) -> None:
        self._arrivals: dict[int, int] = {}  # unwrapped sequence -> arrival in microseconds
        self._highest: int | None = None
        self._next: int | None = None  # first sequence number not reported yet
        self._feedback_count = 0

    def __len__(self) -> int:
        return len(self._arrivals)

    def record(self, sequence: int, arrival_us: int) -> None:
        if self._highest is None:
            unwrapped = sequence
            self._highest = self._next = sequence
        else:
            step = (sequence - self._highest) & 0xFFFF
            unwrapped = self._highest + (step - 0x10000 if step >= 0x8000 else step)
            self._highest = max(self._highest, unwrapped)
        assert self._next is not None
        if unwrapped < self._next or unwrapped in self._arrivals:
            return  # reported already (as lost, or received), or a duplicate
        self._arrivals[unwrapped] = arrival_us
        if len(self._arrivals) > MAX_PENDING:
            # The first recorded, not min(): that scan cost 33 µs for every packet once the
            # log was full. In order of arrival the first is the lowest but for reordering.
            oldest = next(iter(self._arrivals))
            del self._arrivals[oldest]
            self._next = max(self._next, oldest + 1)

    def feedback(self, sender_ssrc: int, media_ssrc: int) -> list[bytes]:
        """RTCP packets reporting every packet from the first unreported one to the highest
        received, in order; gaps are reported as not received. Empty when nothing arrived
        since the last call."""
        packets: list[bytes] = []
        if not self._arrivals or self._next is None:
            return packets
        end = max(self._arrivals) + 1
        start = max(self._next, end - MAX_SPAN)
        while start < end:
            packet, start = self._one_packet(start, end, sender_ssrc, media_ssrc)
            if packet is not None:
                packets.append(packet)
        self._arrivals.clear()
        self._next = end
        return packets

    def _one_packet(
        self, start: int, end: int, sender_ssrc: int, media_ssrc: int
    ) -> tuple[bytes | None, int]:
        """The feedback packet that starts at `start`, and where the next one starts. It
        stops early where a delta does not fit two bytes (a new reference time follows)."""
        arrivals = self._arrivals
        stretch_end = min(end, start + MAX_STATUSES)
        first = next((s for s in range(start, stretch_end) if s in arrivals), None)
        if first is None:  # nothing received in this stretch: it is implied lost by the next
            return None, stretch_end
        reference = arrivals[first] // REFERENCE_US
        previous_ticks = reference * (REFERENCE_US // TICK_US)
        statuses: list[int] = []
        deltas = bytearray()
        sequence = start
        while sequence < end and len(statuses) < MAX_STATUSES:
            arrival = arrivals.get(sequence)
            if arrival is None:
                statuses.append(NOT_RECEIVED)
            else:
                ticks = arrival // TICK_US
                delta = ticks - previous_ticks
                if 0 <= delta <= 0xFF:
                    statuses.append(SMALL_DELTA)
                    deltas.append(delta)
                elif -0x8000 <= delta <= 0x7FFF:
                    statuses.append(LARGE_DELTA)
                    deltas += delta.to_bytes(2, "big", signed=True)
                else:
                    break
                previous_ticks = ticks
            sequence += 1
        body = encode_chunks(statuses) + bytes(deltas)
        padding = -len(body) % 4
        length_words = (_HEADER.size + len(body) + padding) // 4 - 1
        first_byte = 0x80 | (0x20 if padding else 0) | FMT_TRANSPORT_CC
        header = _HEADER.pack(
            first_byte,
            RTPFB,
            length_words,
            sender_ssrc,
            media_ssrc,
            start & 0xFFFF,
            len(statuses),
            (reference & 0xFFFFFF) << 8 | self._feedback_count,
        )
        self._feedback_count = (self._feedback_count + 1) & 0xFF
        # RFC 3550 6.4.1: the last padding octet counts the padding octets, itself included.
        tail = bytes(padding - 1) + bytes((padding,)) if padding else b""
        return header + body + tail, sequence


def encode_chunks(statuses: list[int]) -> bytes:
    """Packet status chunks for `statuses`, greedily: a run of 14 or more equal statuses as a
    run-length chunk, else 14 one-bit statuses when none is a large delta, else 7 two-bit
    ones. The last vector chunk may hold fewer statuses than it has room for; the status
    count in the header says where they end."""
    out = bytearray()
    index, total = 0, len(statuses)
    while index < total:
        status = statuses[index]
        run = 1
        while index + run < total and statuses[index + run] == status and run < MAX_RUN:
            run += 1
        if run >= 14:
            chunk = status << 13 | run
            index += run
        elif LARGE_DELTA not in statuses[index : index + 14]:
            group = statuses[index : index + 14]
            chunk = 0x8000
            for position, value in enumerate(group):
                chunk |= value << (13 - position)
            index += len(group)
        else:
            group = statuses[index : index + 7]
            chunk = 0xC000
            for position, value in enumerate(group):
                chunk |= value << (12 - 2 * position)
            index += len(group)
        out += chunk.to_bytes(2, "big")
    return bytes(out)
