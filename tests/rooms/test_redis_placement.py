"""A draining node moving its meetings through Redis (rooms/meeting/redis_placement.py): its
claim is released at once with the stage beside it, only while the claim is its own, and the
other live node is found as the place to go. A real redis-server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from rooms.meeting.redis_placement import RedisPlacement
from rooms.meeting.registry import NodeId
from tests.redis_server import RedisServer, redis_server

__all__ = ["redis_server"]  # the fixture, used by the tests below
FAST: dict[str, Any] = {"heartbeat": 0.05, "node_ttl": 0.3, "claim_ttl": 30.0}
STAGE = {"v": 1, "key": "abc", "locked": True}


class _Load:
    """A node's registry as placement sees it: its id, its load and its meetings' names."""

    def __init__(self, node: str, participants: int = 0, meetings: tuple[str, ...] = ()):
        self.node, self.participant_count = NodeId(node), participants
        self._meetings = meetings

    def meetings(self) -> list[Any]:
        return [type("Meeting", (), {"name": name})() for name in self._meetings]


@pytest.fixture
async def pair(redis_server: RedisServer) -> AsyncIterator[tuple[RedisPlacement, RedisPlacement]]:
    a = RedisPlacement(redis_server.url, _Load("nodea", 2, ("rapat",)), "http://a", **FAST)  # type: ignore[arg-type]
    b = RedisPlacement(redis_server.url, _Load("nodeb"), "http://b", **FAST)  # type: ignore[arg-type]
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def _claim_of(redis_server: RedisServer, meeting: str) -> str | None:
    client = redis_asyncio.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        holder: str | None = await client.get(f"kamar:meeting:{meeting}")
        return holder
    finally:
        await client.aclose()


async def test_a_released_claim_goes_at_once_and_the_next_claim_finds_the_stage(
    pair: tuple[RedisPlacement, RedisPlacement], redis_server: RedisServer
) -> None:
    a, b = pair
    assert await a.claim("rapat") == "nodeb"  # b is the less loaded: claimed for it
    assert await b.release("rapat", STAGE) is True
    assert await _claim_of(redis_server, "rapat") is None  # not after claim_ttl: now
    assert await a.handed_over("rapat") == STAGE
    a.drain()
    assert await b.claim("rapat") == "nodeb"  # a drains: the meeting goes to b again
    assert await b.handed_over("rapat") == STAGE  # still there for whoever opens it
    await b.handover_taken("rapat")
    assert await b.handed_over("rapat") is None


async def test_only_the_claims_holder_releases_it(
    pair: tuple[RedisPlacement, RedisPlacement], redis_server: RedisServer
) -> None:
    a, b = pair
    assert await a.claim("rapat") == "nodeb"
    assert await a.release("rapat", STAGE) is False
    assert await _claim_of(redis_server, "rapat") == "nodeb"
    assert await b.handed_over("rapat") is None


async def test_a_draining_node_moves_its_meetings_only_to_a_node_that_does_not_drain(
    pair: tuple[RedisPlacement, RedisPlacement],
) -> None:
    a, b = pair
    a.drain()
    assert await a.successor() == "nodeb"
    b.drain()
    assert await b.successor() is None  # it tells the others first: a drains too
    assert await a.successor() is None
