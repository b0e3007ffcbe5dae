"""Placement across nodes through Redis: which node hosts each meeting, and which nodes are alive.

- Each node announces itself every `heartbeat` seconds in `kamar:node:<id>` (its URL for the
  other nodes, its participant count, whether it drains), expiring after `node_ttl`: a node
  killed with SIGKILL disappears by itself.
- A meeting's claim `kamar:meeting:<name>` names its node and expires after `claim_ttl`; the
  hosting node renews the claims of the meetings its registry lists at each heartbeat, and
  drops them when it stops.
- A meeting nobody hosts goes to the least-loaded live node that is not draining (this node
  on a tie). A claim whose node is gone (its heartbeat expired) is taken over the same way,
  with a compare-and-set so that two nodes racing agree on one winner.
- A draining node moves its meetings (server/drain.py): in one step it deletes its claim and
  leaves the meeting's stage in `kamar:handover:<name>` (for `handover_ttl`), which the node
  that opens the meeting next starts from (rooms/meeting/handover.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from rooms.meeting.registry import MeetingRegistry, NodeId

log = logging.getLogger(__name__)
POOL_SIZE = 32  # connections to Redis at most; more callers wait their turn
POOL_WAIT = 10.0  # seconds a caller may wait for one before it fails

# Replace a claim only if it still names the node we found dead (KEYS[1] claim; ARGV: dead
# node, new node, ttl in ms).
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
# Renew (ARGV[2] ms) or drop (ARGV[2] = 0) a claim only while it is ours (ARGV[1]).
_RENEW_OR_DROP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Release our claim (KEYS[1]) and leave the stage (KEYS[2]) in one step, only while the claim
# is ours (ARGV: node, stage state, its ttl in ms): the next claim then finds the state there.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class NodeInfo:
    node: NodeId
    url: str
    participants: int
    draining: bool


class RedisPlacement:
    """Implements rooms.meeting.registry.Placement for the nodes sharing one Redis server."""

    def __init__(
        self,
        url: str,
        registry: MeetingRegistry,
        node_url: str,
        heartbeat: float = 1.0,
        node_ttl: float = 3.0,
        claim_ttl: float = 10.0,
        prefix: str = "kamar:",
        handover_ttl: float = 60.0,
    ) -> None:
        """`node_url`: how the other nodes reach this one (they relay sockets to it)."""
        self._url = url
        self._registry = registry
        self.node = registry.node
        self.node_url = node_url
        self._draining = False
        self._heartbeat, self._node_ttl, self._claim_ttl = heartbeat, node_ttl, claim_ttl
        # Members reconnect within seconds of a move; a state nobody took by then is stale.
        self._handover_ttl = handover_ttl
        self._prefix = prefix
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Every `hello` asks for a claim: a reconnect storm (hundreds of participants of a dead
        # node at once) must queue for a connection, not fail with "Too many connections"
        # and take the heartbeat down with it (seen at 200 at once, docs/benchmarks.md).
        pool = redis_asyncio.BlockingConnectionPool.from_url(
            self._url, decode_responses=True, max_connections=POOL_SIZE, timeout=POOL_WAIT
        )
        self._client = redis_asyncio.Redis(connection_pool=pool)
        await self._beat()  # known to the others before the first socket arrives
        self._task = asyncio.create_task(self._beat_forever(), name="placement-heartbeat")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is None:
            return
        with contextlib.suppress(RedisError, OSError):
            for meeting in self._registry.meetings():
                key = self._claim_key(meeting.name)
                await self._client.eval(_RENEW_OR_DROP, 1, key, self.node, 0)
            await self._client.delete(self._node_key(self.node))
        await self._client.aclose()
        await self._client.connection_pool.disconnect()  # a pool we made, so ours to close
        self._client = None

    async def claim(self, meeting: str) -> NodeId:
        key = self._claim_key(meeting)
        holder = await self._client.get(key)
        if holder is not None and await self._client.exists(self._node_key(holder)):
            return NodeId(holder)
        target = await self._least_loaded()
        ttl_ms = int(self._claim_ttl * 1000)
        if holder is None:
            won = await self._client.set(key, target, nx=True, px=ttl_ms)
        else:
            log.info("placement: node %s of %s is gone; moving it to %s", holder, meeting, target)
            won = await self._client.eval(_TAKE_OVER, 1, key, holder, target, ttl_ms)
        if won:
            return target
        return NodeId(await self._client.get(key) or target)  # another node was faster

    async def gone(self, node: NodeId) -> None:
        """Refused connections mean the process is not running (a live node that is merely
        slow or far times out instead), so its heartbeat is removed at once. Should it be
        running after all, its next heartbeat brings it back."""
        if node != self.node:
            log.info("placement: node %s refused a connection; forgetting it", node)
            await self._client.delete(self._node_key(node))

    def drain(self) -> None:
        """Place no new meeting here; the next heartbeat (soon) tells the other nodes."""
        self._draining = True

    async def successor(self) -> NodeId | None:
        """Tells the others at once that this node drains, then waits one heartbeat, so that
        nodes told to drain at the same moment (a supervisor's workers) have said so too,
        before it looks for one that does not."""
        await self._beat()
        await asyncio.sleep(self._heartbeat)
        # The beat above says this node drains, so it is no candidate: itself means none.
        best = await self._least_loaded()
        return None if best == self.node else best

    async def release(self, meeting: str, stage: dict[str, Any]) -> bool:
        state_ms = int(self._handover_ttl * 1000)
        keys = (self._claim_key(meeting), self._handover_key(meeting))
        done = await self._client.eval(_RELEASE, 2, *keys, self.node, json.dumps(stage), state_ms)
        return bool(done)

    async def handed_over(self, meeting: str) -> Any:
        raw = await self._client.get(self._handover_key(meeting))
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("placement: unreadable stage state of %s; starting it afresh", meeting)
            return None

    async def handover_taken(self, meeting: str) -> None:
        await self._client.delete(self._handover_key(meeting))

    async def address(self, node: NodeId) -> str | None:
        """How to reach `node` (its URL), or None when it is not alive."""
        if node == self.node:
            return self.node_url
        info = await self._info(node)
        return info.url if info is not None else None

    async def nodes(self) -> list[NodeInfo]:
        """The live nodes, as their latest heartbeats describe them."""
        found = []
        async for key in self._client.scan_iter(match=self._node_key("*"), count=100):
            info = await self._info(NodeId(key[len(self._node_key("")) :]))
            if info is not None:
                found.append(info)
        return found

    async def _least_loaded(self) -> NodeId:
        candidates = [n for n in await self.nodes() if not n.draining]
        if not candidates:
            return self.node
        # This node first on a tie: no carrying for the socket that asked.
        best = min(candidates, key=lambda n: (n.participants, n.node != self.node))
        return best.node

    async def _info(self, node: NodeId) -> NodeInfo | None:
        raw = await self._client.get(self._node_key(node))
        if raw is None:
            return None
        try:
            fields = json.loads(raw)
            url, participants = str(fields["url"]), int(fields["participants"])
            return NodeInfo(node, url, participants, bool(fields["draining"]))
        except (ValueError, KeyError, TypeError):
            log.warning("placement: unreadable heartbeat of node %s", node)
            return None

    async def _beat(self) -> None:
        beat = {
            "url": self.node_url,
            "participants": self._registry.participant_count,
            "draining": self._draining,
        }
        ttl_ms = int(self._node_ttl * 1000)
        await self._client.set(self._node_key(self.node), json.dumps(beat), px=ttl_ms)
        claim_ms = int(self._claim_ttl * 1000)
        for meeting in self._registry.meetings():
            key = self._claim_key(meeting.name)
            await self._client.eval(_RENEW_OR_DROP, 1, key, self.node, claim_ms)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                await self._beat()
            except (RedisError, OSError) as exc:
                # Missed beats let this node's key expire: the others then take its meetings
                # over for newcomers, which is right for a node that cannot reach Redis.
                log.warning("placement: heartbeat failed (%s)", exc)

    def _node_key(self, node: str) -> str:
        return f"{self._prefix}node:{node}"

    def _claim_key(self, meeting: str) -> str:
        return f"{self._prefix}meeting:{meeting}"

    def _handover_key(self, meeting: str) -> str:
        return f"{self._prefix}handover:{meeting}"
