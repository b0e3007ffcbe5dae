"""A send pacer for the load test's publisher, modelled on what browsers do.

aiortc hands a whole frame's packets to the socket at once; Chromium's pacer spreads them out
at a multiple (2.5 by default) of the target bitrate. Unpaced key frames arrive at the SFU as a
burst, and the last packet of the burst waits for the fan-out of all the others: the delay then
measures the load generator's burstiness, not what real publishers see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from loadtest import latency
from sfu import rtp, sdp

CHROMIUM_PACING_FACTOR = 2.5


class Pacer:
    """Sans-I/O: how long to hold each packet so the stream never exceeds `bits_per_second`."""

    def __init__(self, bits_per_second: float) -> None:
        if bits_per_second <= 0:
            raise ValueError("the pacing rate must be positive")
        self._seconds_per_byte = 8 / bits_per_second
        self._next_free = 0.0

    def delay(self, size: int, now: float) -> float:
        start = max(now, self._next_free)
        self._next_free = start + size * self._seconds_per_byte
        return start - now


def paced(
    send: Callable[[bytes], Awaitable[None]],
    pacer: Pacer | None,
    abs_send_time_id: int,
    transport_cc_id: int = 0,
) -> Callable[[bytes], Awaitable[None]]:
    """Wrap a transport's RTP send: RTP waits for its slot (None: no pacing), is stamped with
    abs-send-time when it really leaves (as browsers stamp it) and, with `transport_cc_id`,
    gets the next transport-wide sequence number as browsers add to every packet once
    transport-cc is negotiated; RTCP goes at once."""
    loop = asyncio.get_running_loop()
    sequence = 0

    async def send_paced(data: bytes) -> None:
        nonlocal sequence
        if len(data) >= 2 and 192 <= data[1] <= 223:  # RTCP (RFC 5761 section 4)
            await send(data)
            return
        wait = 0.0 if pacer is None else pacer.delay(len(data), loop.time())
        if wait > 0:
            await asyncio.sleep(wait)
        if abs_send_time_id:
            data = latency.restamp(data, abs_send_time_id, latency.abs_send_time_now())
        if transport_cc_id:
            data = with_element(data, transport_cc_id, sequence.to_bytes(2, "big"))
            sequence = (sequence + 1) & 0xFFFF
        await send(data)

    return send_paced


def with_element(data: bytes, element_id: int, value: bytes) -> bytes:
    """`data` with one more one-byte header extension element (RFC 8285 4.2) after those it
    has; unchanged when its extension block uses another profile."""
    if not 1 <= element_id <= 14 or not 1 <= len(value) <= 16:
        raise ValueError("a one-byte element has an id of 1-14 and 1-16 bytes of data")
    element = bytes(((element_id << 4) | (len(value) - 1),)) + value
    block = rtp.extension_block(data)
    if block is None:  # no extension yet: the X bit and a block of its own
        start = rtp.FIXED_HEADER_SIZE + 4 * (data[0] & 0x0F)
        used, end = b"", start
        first = data[0] | 0x10
    else:
        profile, position, end = block
        if profile != rtp.ONE_BYTE_PROFILE:
            return data
        start, first = position - 4, data[0]
        last = position
        while position < end:  # past the last element: what follows is padding
            if data[position] == 0:
                position += 1
                continue
            position += 2 + (data[position] & 0x0F)
            last = position
        used = data[start + 4 : last]
    body = used + element
    body += bytes(-len(body) % 4)
    header = rtp.ONE_BYTE_PROFILE.to_bytes(2, "big") + (len(body) // 4).to_bytes(2, "big")
    return bytes((first,)) + data[1:start] + header + body + data[end:]


def offer_transport_cc(offer: str) -> str:
    """`offer` asking for transport-cc on its video, as Chromium's offers do: the transport-wide
    sequence number extension on an id no section uses yet, and `a=rtcp-fb:<vp8> transport-cc`."""
    sections = sdp.parse(offer)
    used = {ext_id for section in sections for ext_id in section.extensions.values()}
    free = next((i for i in range(1, 15) if i not in used), None)
    if free is None:
        raise ValueError("no one-byte header extension id is free for transport-cc")
    wanted: dict[str, list[str]] = {}
    for section in sections:
        codec = section.codec("vp8")
        if section.kind == "video" and codec is not None and section.mid is not None:
            wanted[section.mid] = [
                f"a=extmap:{free} {sdp.TRANSPORT_CC_URI}",
                f"a=rtcp-fb:{codec.payload_type} transport-cc",
            ]
    return sdp.add_to_sections(offer, wanted)
