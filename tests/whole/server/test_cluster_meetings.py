"""Meetings with several nodes (docs/cluster.md): each meeting lives on one node, placed through
Redis on the least-loaded live node, and a socket that reaches another node is relayed there, so
participants who came in through different nodes meet, see and hear each other."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from rooms.meeting import grants
from rooms.meeting.redis_placement import RedisPlacement
from rooms.meeting.registry import NodeId
from rooms.meeting.stage import MeetingRole
from server.app import build_app
from server.cascade import MEDIA_HOST_KEY
from server.config import Config, load_secret
from sfu.cascade.media_link import RelaySocket
from signalling.cascade.node_link import LinkRefused, dial
from signalling.ws import SERVICES_KEY
from tests.conftest import eventually
from tests.databases import database_url_postgresql, postgres_server
from tests.ports import free_port
from tests.redis_server import RedisServer, redis_server
from tests.rooms.conftest import CHEAP_HASHER

__all__ = ["database_url_postgresql", "postgres_server", "redis_server"]  # fixtures


@pytest.fixture
async def two_nodes(
    tmp_path: Path, database_url_postgresql: str, redis_server: RedisServer
) -> AsyncIterator[list[TestServer]]:
    servers: list[TestServer] = []
    try:
        for _ in range(2):
            port = free_port()
            config = Config(
                host="127.0.0.1",
                port=port,
                data_dir=tmp_path,  # shared by the nodes (docs/cluster.md)
                ice_hosts=("127.0.0.1",),
                database_url=database_url_postgresql,
                redis_url=redis_server.url,
                node_url=f"http://127.0.0.1:{port}",
            )
            app = build_app(config, password_hasher=CHEAP_HASHER)
            servers.append(TestServer(app, host="127.0.0.1", port=port))
            await servers[-1].start_server()
        yield servers
    finally:
        for server in servers:
            await server.close()


def token(data_dir: Path, room: str, identity: str) -> str:
    grant = grants.JoinGrant(meeting=room, identity=identity, name=identity.title())
    return grants.mint(grant, load_secret(data_dir), int(time.time()), ttl=600)


async def scrape(server: TestServer) -> dict[str, float]:
    """A node's /metrics as {name with labels: value}."""
    async with aiohttp.ClientSession() as http:
        async with http.get(server.make_url("/metrics")) as answer:
            text = await answer.text()
    pairs = (line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
    return {name: float(value) for name, value in pairs}


def ws_url(server: TestServer) -> str:
    return str(server.make_url("/ws")).replace("http://", "ws://")


@pytest.mark.webrtc
async def test_participants_entering_through_different_nodes_meet_on_one(
    two_nodes: list[TestServer], tmp_path: Path
) -> None:
    a, b = two_nodes
    ani = SyntheticParticipant(ws_url(a), token(tmp_path, "rapat", "ani"), room="rapat")
    budi = SyntheticParticipant(
        ws_url(b), token(tmp_path, "rapat", "budi"), room="rapat", receive="count"
    )
    try:
        await ani.join()  # node a is as loaded as b: the meeting goes where ani asked
        await budi.join()  # through node b, relayed to node a
        hosts = [s.app[SERVICES_KEY].registry.participant_count for s in (a, b)]
        assert hosts == [2, 0]
        await ani.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(
            lambda: (
                budi.received.packets[(ani.id, "video")] > 10
                and budi.received.packets[(ani.id, "audio")] > 10
            ),
            what="ani's media at budi, who came in through the other node",
        )
        # budi's socket is carried to node a over b's sealed link, not a websocket of its own.
        (carrying,) = a.app[MEDIA_HOST_KEY].links
        assert carrying.channel.peer == b.app[SERVICES_KEY].registry.node
        assert carrying.carried.sockets == 1
        # The cascade: budi receives on node b, where ani's two tracks crossed once.
        host = b.app[MEDIA_HOST_KEY]
        (link,) = host.links
        assert list(link.subscribers) == [budi.id]
        assert len(link.imports.tracks) == 2
        assert link.channel.media.packets_received > 20
        (home_link,) = a.app[SERVICES_KEY].cascade.links  # type: ignore[union-attr]
        assert home_link.exports.tracks == 2
        home, other = await scrape(a), await scrape(b)
        assert home['kamar_cascade_links{side="home"}'] == 1
        assert home['kamar_cascade_tracks{direction="out"}'] == 2
        assert other['kamar_cascade_tracks{direction="in"}'] == 2
        assert other['kamar_cascade_packets_total{direction="in"}'] > 20
        assert other["kamar_forwarded_packets_total"] > 20  # budi's, forwarded on node b
    finally:
        for member in (budi, ani):
            await member.close()


async def test_a_new_meeting_goes_to_the_least_loaded_node_and_a_dead_nodes_is_taken_over(
    redis_server: RedisServer,
) -> None:
    busy, idle = _Load(NodeId("busy0001"), 3), _Load(NodeId("idle0002"), 0)
    ttl: dict[str, Any] = {"heartbeat": 0.05, "node_ttl": 0.3, "claim_ttl": 0.6}
    on_busy = RedisPlacement(redis_server.url, busy, "http://10.0.0.1:8080", **ttl)  # type: ignore[arg-type]
    on_idle = RedisPlacement(redis_server.url, idle, "http://10.0.0.2:8080", **ttl)  # type: ignore[arg-type]
    await on_busy.start()
    await on_idle.start()
    try:
        assert await on_busy.claim("rapat-baru") == "idle0002"  # 3 participants against 0
        assert await on_busy.address(NodeId("idle0002")) == "http://10.0.0.2:8080"
        assert await on_idle.claim("rapat-baru") == "idle0002"  # one claim, seen by both
        await on_idle.close()  # as after SIGKILL its key expires; close drops it at once
        assert await on_busy.address(NodeId("idle0002")) is None
        assert await on_busy.claim("rapat-baru") == "busy0001"  # taken over
        on_busy.drain()
        await eventually(lambda: _draining_seen(on_busy), what="the drain in the heartbeat")
    finally:
        await on_busy.close()
        await on_idle.close()


async def test_a_reconnect_storm_waits_for_redis_connections_instead_of_failing(
    redis_server: RedisServer,
) -> None:
    """Hundreds of participants of a dead node say hello at once: every claim is answered
    (with a pool that failed instead of waiting, 200 at once got "Too many connections")."""
    node = _Load(NodeId("node0001"), 0)
    placement = RedisPlacement(redis_server.url, node, "http://10.0.0.1:8080")  # type: ignore[arg-type]
    await placement.start()
    try:
        claims = await asyncio.gather(*(placement.claim(f"rapat-{i % 7}") for i in range(400)))
        assert set(claims) == {"node0001"}
    finally:
        await placement.close()


class _Load:
    """A node's registry as placement sees it: its id and how many participants it holds."""

    def __init__(self, node: NodeId, participants: int) -> None:
        self.node, self.participant_count = node, participants

    def meetings(self) -> list[Any]:
        return []


async def _draining_seen(placement: RedisPlacement) -> bool:
    return any(n.draining for n in await placement.nodes())


async def test_a_node_link_without_the_deployments_secret_is_refused(
    two_nodes: list[TestServer],
) -> None:
    _a, b = two_nodes
    host = b.app[MEDIA_HOST_KEY]
    relay = await RelaySocket.bind("127.0.0.1")
    try:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(LinkRefused):
                await dial(http, str(b.make_url("")).rstrip("/"), "intruder", host.node,
                           "not the deployment's secret", relay, lambda p, t: None)  # fmt: skip
    finally:
        relay.close()
    assert host.refused == 1 and not host.links


def moderated_token(data_dir: Path, room: str, identity: str, role: MeetingRole) -> str:
    grant = grants.JoinGrant(meeting=room, identity=identity, name=identity.title(), role=role)
    return grants.mint(grant, load_secret(data_dir), int(time.time()), ttl=600)


@pytest.mark.webrtc
async def test_a_moderator_on_one_node_mutes_a_speaker_who_came_through_another(
    two_nodes: list[TestServer], tmp_path: Path
) -> None:
    a, b = two_nodes
    ketua = SyntheticParticipant(
        ws_url(a), moderated_token(tmp_path, "sidang", "ketua", "moderator"), room="sidang"
    )
    sari = SyntheticParticipant(
        ws_url(b), moderated_token(tmp_path, "sidang", "sari", "speaker"), room="sidang"
    )
    try:
        await ketua.join()
        await sari.join()  # relayed to node a, where the meeting lives
        await sari.publish([AudioStreamTrack()])
        room = a.app[SERVICES_KEY].registry.find("sidang")
        assert room is not None
        await eventually(lambda: bool(room.media.producers_of(sari.id)), what="sari's audio")
        await ketua.send({"type": "mute_participant", "participant_id": sari.id, "kind": "audio"})
        await eventually(
            lambda: any(e["type"] == "muted_by_moderator" for e in sari.events),
            what="the mute at sari, through node b",
        )
        (audio,) = room.media.producers_of(sari.id)
        assert audio.silenced
        await eventually(
            lambda: any(
                e["type"] == "participant_updated"
                and e["participant"]["id"] == sari.id
                and e["participant"]["audio_muted"]
                for e in ketua.events
            ),
            what="the moderator told of the mute",
        )
    finally:
        for member in (sari, ketua):
            await member.close()
