"""Anything sent to a meeting's media ports from elsewhere is dropped at the door and counted
(sfu/ice_demux.py), and media keeps flowing; a media connection that dies anyway is told to
its client, which reconnects (docs/protocol.md, `media_failed`)."""

from __future__ import annotations

import random
import socket
from typing import Any

import pytest
from aiortc.mediastreams import AudioStreamTrack

from loadtest.client import SyntheticParticipant
from signalling.session import Session
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually, participants
from tests.whole.sfu.test_meeting_e2e import SmallVideoTrack

pytestmark = pytest.mark.webrtc


def candidate_ports(description: str) -> set[tuple[str, int]]:
    """The (address, port) of each ICE candidate in an SDP: where the server receives."""
    found = set()
    for line in description.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            found.add((parts[4], int(parts[5])))
    return found


def junk(rng: random.Random, count: int) -> list[bytes]:
    """Empty and short datagrams, and datagrams of every kind RFC 7983 names (STUN, DTLS,
    RTP/RTCP) and of none, with random contents."""
    firsts = [0, 1, 2, 3, 20, 22, 23, 63, 64, 127, 128, 129, 144, 191, 200, 255]
    sent = [b"", b"\x00", b"\x80", b"\x16\xfe\xfd", bytes(11), bytes([0x80, 200]) + bytes(10)]
    for _ in range(count):
        size = rng.choice([1, 2, 12, 13, 20, 21, rng.randrange(1, 1500)])
        body = bytearray(rng.randbytes(size))
        body[0] = rng.choice(firsts)
        sent.append(bytes(body))
    return sent


def session_of(kamar: RunningServer, member: SyntheticParticipant) -> Session:
    sessions = kamar.server.app[SERVICES_KEY].live_sessions
    return next(s for s in sessions if s.participant and s.participant.id == member.id)


def server_ports(*members: SyntheticParticipant) -> set[tuple[str, int]]:
    ports: set[tuple[str, int]] = set()
    for member in members:
        for pc in (member.publish_pc, member.subscribe_pc):
            if pc is not None and pc.remoteDescription is not None:
                ports |= candidate_ports(pc.remoteDescription.sdp)
    return ports


def errors(member: SyntheticParticipant) -> list[Any]:
    return [e.get("code") for e in member.events if e["type"] == "error"]


async def test_junk_at_the_media_ports_is_dropped_and_counted_and_media_keeps_flowing(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "alice", "bob", receive="count") as (alice, bob):
        await alice.publish([AudioStreamTrack(), SmallVideoTrack()])
        video = (alice.id, "video")
        await eventually(lambda: bob.received.packets[video] >= 20, timeout=20, what="video")
        ports = server_ports(alice, bob)
        assert len(ports) >= 2  # alice's publish connection and bob's subscribe connection

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as foreign:
            foreign.bind(("127.0.0.1", 0))
            for datagram in junk(random.Random(7), 300):
                for port in ports:
                    foreign.sendto(datagram, port)

        after = bob.received.packets[video]
        await eventually(
            lambda: bob.received.packets[video] >= after + 40,
            timeout=20,
            what="video to keep flowing after the junk",
        )
        publisher = session_of(kamar, alice).media.publisher
        subscriber = session_of(kamar, bob).media.subscriber
        assert publisher is not None and subscriber is not None
        for dropped in (publisher.dropped, subscriber.dropped):
            assert dropped is not None
            assert dropped.empty >= 1 and dropped.short >= 1 and dropped.unknown >= 1
            assert dropped.foreign >= 1 and dropped.failed == 0
        assert errors(alice) == [] and errors(bob) == []
        assert not alice.closed.is_set() and not bob.closed.is_set()


async def test_a_publish_connection_whose_receive_task_dies_is_told_to_its_client(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "alice", receive="count") as (alice,):
        await alice.publish([AudioStreamTrack(), SmallVideoTrack()])
        publisher = session_of(kamar, alice).media.publisher
        assert publisher is not None
        await eventually(lambda: publisher._pc.connectionState == "connected", what="connected")
        # Behind the door, as a bug would: aiortc's DTLS task reads data[0] and dies.
        publisher._transport.transport._connection._queue.put_nowait((b"", 1))
        await eventually(lambda: "media_failed" in errors(alice), what="media_failed")
        await eventually(alice.closed.is_set, what="the websocket to close")


async def test_a_subscribe_connection_the_client_drops_is_told_to_it(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "alice", "bob", receive="count") as (alice, bob):
        await alice.publish([AudioStreamTrack(), SmallVideoTrack()])
        await eventually(lambda: bob.received.packets[(alice.id, "video")] > 0, what="video")
        assert bob.subscribe_pc is not None
        await bob.subscribe_pc.close()  # DTLS close_notify: the server's connection closes
        await eventually(lambda: "media_failed" in errors(bob), what="media_failed")
        await eventually(bob.closed.is_set, what="the websocket to close")
        assert errors(alice) == []


async def test_junk_that_seems_to_come_from_the_remote_leaves_media_flowing(
    kamar: RunningServer,
) -> None:
    """What the door lets through (the remote's address can be forged): random DTLS records,
    SRTP and SRTCP handed straight to the connections behind it. libsrtp and OpenSSL refuse
    them; aiortc's DTLS task must survive every one."""
    async with participants(kamar, "demo", "alice", "bob", receive="count") as (alice, bob):
        await alice.publish([AudioStreamTrack(), SmallVideoTrack()])
        video = (alice.id, "video")
        await eventually(lambda: bob.received.packets[video] >= 20, timeout=20, what="video")
        publisher = session_of(kamar, alice).media.publisher
        subscriber = session_of(kamar, bob).media.subscriber
        assert publisher is not None and subscriber is not None
        connections = [
            publisher._transport.transport._connection,
            subscriber._pc.getTransceivers()[0].sender.transport.transport._connection,
        ]
        rng = random.Random(11)
        for _ in range(2000):
            size = rng.randrange(13, 1500)
            body = bytearray(rng.randbytes(size))
            body[0] = rng.choice([20, 21, 22, 23, 128, 129, 144, 191])
            if rng.random() < 0.5:
                body[1] = rng.choice([96, 111, 200, 201, 205, 206])
            for connection in connections:
                connection.data_received(bytes(body), 1)
        after = bob.received.packets[video]
        await eventually(
            lambda: bob.received.packets[video] >= after + 40,
            timeout=20,
            what="video to keep flowing after the junk",
        )
        assert errors(alice) == [] and errors(bob) == []
        assert publisher._pc.connectionState == subscriber._pc.connectionState == "connected"


async def test_a_screen_share_closed_just_before_its_unpublish_is_no_failure(
    kamar: RunningServer,
) -> None:
    """A page that stops sharing closes the connection and sends `unpublish`: its DTLS
    close_notify (UDP) may arrive before the websocket message."""
    async with participants(kamar, "demo", "alice", "bob", receive="count") as (alice, bob):
        await alice.publish([SmallVideoTrack()], source="screen")
        await eventually(lambda: bob.received.packets[(f"{alice.id}:screen", "video")] > 0)
        screen = session_of(kamar, alice).media.publishers["screen"]
        await alice.publish_pcs["screen"].close()
        await eventually(lambda: screen._pc.connectionState == "closed", what="closed")
        await alice.send({"type": "unpublish", "source": "screen"})
        await eventually(lambda: screen._closed, what="the unpublish to close it")
        assert screen._failure._over and (
            screen._failure._timer is None or screen._failure._timer.cancelled()
        )
        waiter = alice.wait_for(lambda e: e["type"] == "pong")
        await alice.send({"type": "ping", "id": 1})
        await waiter
        assert errors(alice) == [] and not alice.closed.is_set()
