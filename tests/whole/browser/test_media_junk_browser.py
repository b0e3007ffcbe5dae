"""100,000 random datagrams (empty ones included, of every kind RFC 7983 names and of none)
from a foreign socket at every media port of a meeting, while one Chromium page publishes its
fake camera and another decodes it: the door (sfu/ice_demux.py) drops and counts them, and the
video keeps decoding without a reconnect."""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from typing import Any

import pytest
from playwright.async_api import Browser

from signalling.session import Session
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import open_room, participant_id, stats

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

ROOM = "rapat-gangguan"
DATAGRAMS = 100_000
# RFC 7983 section 7: STUN 0-3, DTLS 20-63, RTP/RTCP 128-191, and anything else.
FIRST_BYTES = [range(0, 4), range(20, 64), range(128, 192), range(0, 256)]


def media_connections(kamar: RunningServer) -> list[Any]:
    """The server's publish and subscribe connections (PublisherPeer, SubscriberPeer) in ROOM
    that exist (a subscriber's once there is something to receive)."""
    sessions: set[Session] = kamar.server.app[SERVICES_KEY].live_sessions
    found = []
    for session in sessions:
        if session.meeting is not None and session.meeting.name == ROOM:
            peers = (session.media.subscriber, *session.media.publishers.values())
            found += [p for p in peers if p is not None and p._pc is not None]
    return found


def ice_ports(connection: Any) -> set[tuple[str, int]]:
    """Every socket ICE gathered for the connection (all of its transceivers' transports)."""
    ports = set()
    for transceiver in connection._pc.getTransceivers():
        ice = transceiver.receiver.transport.transport._connection
        for protocol in ice._protocols:
            ports.add(protocol.transport.get_extra_info("sockname")[:2])
    return ports


def dropped(connections: list[Any]) -> tuple[int, int]:
    """(datagrams dropped at the doors, failures behind them) over `connections`."""
    counters = [c.dropped for c in connections if c.dropped is not None]
    return sum(d.total - d.failed for d in counters), sum(d.failed for d in counters)


def barrage(ports: list[tuple[str, int]], count: int, seed: int) -> None:
    """`count` datagrams of random size (0..1500) and first byte, spread over `ports`, sent in
    bursts so that the server (this process's event loop) reads most of them."""
    rng = random.Random(seed)
    pool = os.urandom(4096)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as foreign:
        foreign.bind(("127.0.0.1", 0))
        for number in range(count):
            size = 0 if number % 20 == 0 else rng.randrange(1, 1501)
            start = rng.randrange(0, len(pool) - size + 1)
            first = rng.choice(rng.choice(FIRST_BYTES))
            datagram = bytes([first]) + pool[start : start + size - 1] if size else b""
            foreign.sendto(datagram, ports[number % len(ports)])
            if number % 100 == 99:
                time.sleep(0.001)  # the server's loop runs in this process


async def test_random_datagrams_at_every_media_port_leave_video_decoding(
    kamar: RunningServer, chromium: Browser
) -> None:
    speaker = await open_room(chromium, kamar, ROOM, "Siti")
    watcher = await open_room(chromium, kamar, ROOM, "Warga", can_publish=False)
    speaker_id, watcher_id = await participant_id(speaker), await participant_id(watcher)

    async def frames() -> int:
        entry = (await stats(watcher)).get(speaker_id)
        return int(entry["video"]["framesDecoded"]) if entry else 0

    await eventually(lambda: _above(frames, 10), timeout=30, what="video decoding at the watcher")
    connections = media_connections(kamar)
    assert len(connections) == 2  # the speaker's publish, the watcher's subscribe connection
    ports = sorted({port for c in connections for port in ice_ports(c)})
    before, _ = dropped(connections)

    sender = threading.Thread(target=barrage, args=(ports, DATAGRAMS, 13))
    started = time.monotonic()
    sender.start()
    await eventually(lambda: not sender.is_alive(), timeout=60, what="the barrage to be sent")
    assert time.monotonic() - started < 30

    decoded = await frames()
    await eventually(lambda: _above(frames, decoded + 30), timeout=20, what="video after it")
    after, failures = dropped(connections)
    # The kernel drops what the socket buffers cannot hold (about 0.5% here); the rest reach
    # the door.
    assert after - before > DATAGRAMS // 2 and failures == 0
    assert set(media_connections(kamar)) == set(connections)  # none failed and was replaced
    assert (await participant_id(speaker), await participant_id(watcher)) == (
        speaker_id,
        watcher_id,
    )  # no reconnect: a new session would have a new participant id
    for page in (speaker, watcher):
        await page.context.close()


async def _above(frames: Any, count: int) -> bool:
    return bool(await frames() > count)


async def test_a_publish_connection_that_dies_makes_the_page_reconnect_and_publish_again(
    kamar: RunningServer, chromium: Browser
) -> None:
    speaker = await open_room(chromium, kamar, ROOM, "Siti")
    watcher = await open_room(chromium, kamar, ROOM, "Warga", can_publish=False)
    first_id = await participant_id(speaker)

    async def decoding_from_speaker(count: int) -> bool:
        speaker_now = await participant_id(speaker)
        entry = (await stats(watcher)).get(speaker_now)
        return bool(entry and entry["video"]["framesDecoded"] > count)

    await eventually(lambda: decoding_from_speaker(10), timeout=30, what="the speaker's video")
    (publisher,) = [c for c in media_connections(kamar) if hasattr(c, "producers")]
    # Behind the door, as a bug would: aiortc's DTLS task reads data[0] and dies.
    publisher._transport.transport._connection._queue.put_nowait((b"", 1))

    # media_failed closes the session; the page reconnects (a new participant) and publishes.
    await eventually(
        lambda: _rejoined(speaker, first_id), timeout=30, what="the speaker's page to rejoin"
    )
    await eventually(lambda: decoding_from_speaker(10), timeout=30, what="video after it")
    for page in (speaker, watcher):
        await page.context.close()


async def _rejoined(page: Any, old_id: str) -> bool:
    phase = await page.evaluate("window.kamarDebug.state.phase")
    return bool(phase == "joined" and await participant_id(page) != old_id)
