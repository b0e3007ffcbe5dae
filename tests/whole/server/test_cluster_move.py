"""SIGTERM to the home of a live meeting, with another node alive: the meeting moves (docs/
cluster.md, "Moving a live meeting"). Its participants are told `bye` `moved`, come back through
the other node at once and receive media there, the stage goes with them, the meeting's claim
names the other node, and the drained node exits long before --drain-seconds. Real `kamar
serve` processes, a real Redis and PostgreSQL, aiortc participants, all on loopback."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis_asyncio
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from rooms.meeting import grants
from rooms.meeting.stage import MeetingRole
from server.config import load_secret
from sfu.peer import gather_on
from tests.conftest import eventually
from tests.databases import database_url_postgresql, postgres_server
from tests.redis_server import RedisServer, redis_server
from tests.whole.server.test_cluster_failover import Node

__all__ = ["database_url_postgresql", "postgres_server", "redis_server"]  # fixtures
pytestmark = pytest.mark.webrtc
DRAIN_SECONDS = 120  # the drained node must be gone long before this
EXIT_WITHIN = 30.0  # seconds from SIGTERM to the drained node's exit, on a loaded machine
assert EXIT_WITHIN < DRAIN_SECONDS / 2


def _token(data: Path, room: str, identity: str, role: MeetingRole) -> str:
    grant = grants.JoinGrant(meeting=room, identity=identity, name=identity.title(), role=role)
    return grants.mint(grant, load_secret(data), int(time.time()), ttl=600)


def _ws(node: Node) -> str:
    return f"ws://127.0.0.1:{node.port}/ws"


async def _node_id(node: Node) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{node.base}/healthz") as answer:
        return str((await answer.json())["node"])


async def _claim_of(redis_url: str, meeting: str) -> str | None:
    client = redis_asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        holder: str | None = await client.get(f"kamar:meeting:{meeting}")
        return holder
    finally:
        await client.aclose()


def _moved(member: SyntheticParticipant) -> bool:
    told = any(e["type"] == "bye" and e["reason"] == "moved" for e in member.events)
    return told and member.closed.is_set()


def _videos_from(member: SyntheticParticipant, sender: SyntheticParticipant) -> int:
    return member.received.packets[(sender.id, "video")]


async def test_a_draining_home_moves_its_meeting_to_the_other_node(
    tmp_path: Path, database_url_postgresql: str, redis_server: RedisServer
) -> None:
    first = Node(tmp_path, database_url_postgresql, redis_server.url,
                 ("--drain-seconds", str(DRAIN_SECONDS)))  # fmt: skip
    second = Node(tmp_path, database_url_postgresql, redis_server.url)
    members: list[SyntheticParticipant] = []
    gather_on(["127.0.0.1"])  # the participants' ICE, in this process: only loopback here

    def member(node: Node, room: str, identity: str, role: MeetingRole) -> SyntheticParticipant:
        token = _token(tmp_path, room, identity, role)
        members.append(SyntheticParticipant(_ws(node), token, room=room, receive="count"))
        return members[-1]

    try:
        async with aiohttp.ClientSession() as http:
            await first.ready(http)
            await second.ready(http)
        # "balai" lives on `first`: Ketua there, Budi carried to it from `second`.
        ketua = member(first, "balai", "ketua", "moderator")
        await ketua.join()
        budi = member(second, "balai", "budi", "audience")
        await budi.join()
        await ketua.publish([AudioStreamTrack(), VideoStreamTrack()])
        await _stage_before_the_move(ketua, budi)
        await eventually(lambda: _videos_from(budi, ketua) > 10, what="ketua's video at budi")
        # "rapat" lives on `second`; Citra's socket is carried there from `first`.
        await member(second, "rapat", "dewi", "speaker").join()
        citra = member(first, "rapat", "citra", "speaker")
        await citra.join()

        terminated_at = time.monotonic()
        first.process.send_signal(signal.SIGTERM)
        await eventually(
            lambda: all(_moved(m) for m in (ketua, budi, citra)),
            what="bye moved, then the socket closed, for everyone",
        )
        # Each comes straight back through the live node, as a load balancer sends it there.
        ketua = member(second, "balai", "ketua", "moderator")
        await ketua.join()
        budi = member(second, "balai", "budi", "audience")
        welcome = await budi.join()  # let in though the meeting is locked: he was in it
        await member(second, "rapat", "citra", "speaker").join()
        await ketua.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(lambda: _videos_from(budi, ketua) > 0, what="video again at budi")
        print(f"video back at budi {time.monotonic() - terminated_at:.2f} s after SIGTERM")

        _assert_stage_carried(welcome)
        assert await _claim_of(redis_server.url, "balai") == await _node_id(second)
        await asyncio.to_thread(first.process.wait, EXIT_WITHIN)
        assert first.process.returncode == 0
        print(f"drained node exited {time.monotonic() - terminated_at:.2f} s after SIGTERM")
    finally:
        for each in members:
            await each.close()
        first.stop()
        second.stop()


async def _stage_before_the_move(ketua: SyntheticParticipant, budi: SyntheticParticipant) -> None:
    """Ketua brings Budi on stage and locks the meeting; Budi asks a question."""
    await ketua.send({"type": "set_role", "participant_id": budi.id, "role": "speaker"})
    await ketua.send({"type": "lock_meeting", "locked": True})
    await budi.send({"type": "ask", "text": "Kapan rapat berikutnya?"})
    await eventually(
        lambda: (
            any(e["type"] == "question" for e in ketua.events)
            and any(e["type"] == "meeting_state" and e["locked"] for e in budi.events)
        ),
        what="the question and the lock seen",
    )


def _assert_stage_carried(welcome: dict[str, Any]) -> None:
    assert welcome["participant"]["role"] == "speaker"  # given by Ketua before the move
    assert welcome["stage"]["locked"] is True
    assert [q["text"] for q in welcome["stage"]["questions"]] == ["Kapan rapat berikutnya?"]
