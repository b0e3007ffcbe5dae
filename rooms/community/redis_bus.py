"""The community bus across nodes: Redis pub/sub carries each event to every node once, and each
node's embedded `LocalBus` hands it to that node's sockets (rooms/community/bus.py).

- One Redis channel per topic (`<prefix>room:7`), subscribed while this node has a local
  subscriber to it, so a node receives only the rooms its members have open.
- `publish` delivers locally at once (the author's own sockets never wait on Redis), then
  queues the event for Redis; a writer task sends it with the node's id in front, and the
  node skips its own events when they come back.
- Delivery through Redis pub/sub is at most once: an event published while a node's link to
  Redis is down never reaches that node. That is safe because every event here either
  describes a change already committed to the database (chat, receipts, agenda, membership),
  which a client fetches again when it catches up, or is worth nothing late (typing). So when
  the link comes back, the bus tells every local feed `{"type": "feed_gap"}` on its account's
  topic, and the client catches up exactly as after a reconnect of its own socket.
- Outgoing events wait in a bounded queue while Redis is away and go out when it returns; past
  `MAX_QUEUED` the oldest are dropped and counted (`dropped`): they too are in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis_asyncio
from redis.exceptions import RedisError

from rooms.community.bus import Deliver, Encode, LocalBus
from rooms.community.events import CommunityEvent, FeedGap

log = logging.getLogger(__name__)

# How long a feed waits for its subscriptions to reach Redis before it answers anyway: while
# Redis is away the feed still works on this node, and the gap is announced when it returns.
READY_TIMEOUT = 2.0  # seconds
MAX_QUEUED = 10_000  # events waiting for Redis; a few minutes of a busy deployment's chat
RETRY_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0)  # seconds between reconnects, the last repeated
USER_TOPIC_PREFIX = "user:"  # rooms/community/bus.py user_topic: one per signed-in account
GAP: FeedGap = {"type": "feed_gap"}


class RedisBus:
    """Implements rooms.community.bus.Bus over one Redis server shared by all nodes."""

    def __init__(self, url: str, node: str, encode: Encode, prefix: str = "kamar:bus:") -> None:
        self._url = url
        self._node = node.encode()
        self._encode = encode
        self._prefix = prefix
        self._local = LocalBus(encode)
        self._queue: deque[tuple[str, bytes]] = deque()
        self._queued = asyncio.Event()
        self._topics: dict[str, int] = {}  # topic -> local subscribers
        self._subscription_changed = asyncio.Event()
        self._changes = 0  # subscription changes made here so far
        self._applied = 0  # of those, the ones Redis has confirmed
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._client: Any = None
        self.dropped = 0  # events dropped from a full queue while Redis was away
        self.gaps = 0  # times the link to Redis came back after events may have been missed
        self.connected = asyncio.Event()  # set while the subscription is in place

    async def start(self) -> None:
        self._client = redis_asyncio.from_url(self._url)
        self._tasks = [
            asyncio.create_task(self._write(), name="redis-bus-writer"),
            asyncio.create_task(self._read(), name="redis-bus-reader"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def subscribe(self, topic: str, deliver: Deliver) -> Callable[[], None]:
        stop_local = self._local.subscribe(topic, deliver)
        self._topics[topic] = self._topics.get(topic, 0) + 1
        if self._topics[topic] == 1:
            self._changed()
        stopped = False

        def unsubscribe() -> None:
            nonlocal stopped
            if stopped:
                return
            stopped = True
            stop_local()
            self._topics[topic] -= 1
            if not self._topics[topic]:
                del self._topics[topic]
                self._changed()

        return unsubscribe

    def _changed(self) -> None:
        self._changes += 1
        self._subscription_changed.set()

    async def ready(self) -> None:
        if self._applied >= self._changes:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._changes, future))
        try:
            await asyncio.wait_for(asyncio.shield(future), READY_TIMEOUT)
        except TimeoutError:
            log.warning("redis bus: subscriptions not confirmed within %.0f s", READY_TIMEOUT)
        finally:
            if not future.done():
                future.cancel()

    def publish(self, topic: str, event: CommunityEvent) -> None:
        text = self._encode(event)
        self._local.deliver(topic, text, event)
        if len(self._queue) >= MAX_QUEUED:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append((self._prefix + topic, self._node + b" " + text.encode()))
        self._queued.set()

    async def _write(self) -> None:
        failures = 0
        while True:
            await self._queued.wait()
            self._queued.clear()
            while self._queue:
                channel, payload = self._queue[0]
                try:
                    await self._client.publish(channel, payload)
                except (RedisError, OSError) as exc:
                    log.warning("redis bus: publishing failed (%s); retrying", exc)
                    await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
                    failures += 1
                    continue
                failures = 0
                self._queue.popleft()

    async def _read(self) -> None:
        """Keep one subscription connection with exactly the topics wanted here; after any
        break, reconnect, resubscribe and tell every local feed it may have missed events."""
        failures = 0
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    subscribed = await self._reconcile(pubsub, set())
                    self.connected.set()
                    if failures:  # Redis was away: from the start, or since a break
                        self._announce_gap()
                    failures = 0
                    await self._listen(pubsub, subscribed)
            except (RedisError, OSError) as exc:
                self.connected.clear()
                log.warning("redis bus: subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)])
                failures += 1

    async def _listen(self, pubsub: Any, subscribed: set[str]) -> None:
        while True:
            if self._subscription_changed.is_set():
                subscribed = await self._reconcile(pubsub, subscribed)
            if pubsub.connection is None:
                # Never subscribed to anything: no connection to read (redis-py refuses).
                await self._subscription_changed.wait()
                continue
            # A short timeout: subscription changes wait for it (the next turn of this loop).
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message is None:
                continue
            if message["type"] == "message":
                self._deliver(message["channel"], message["data"])
            elif message["type"] == "pong":
                self._confirm(message["data"])

    async def _reconcile(self, pubsub: Any, subscribed: set[str]) -> set[str]:
        """Subscribe and unsubscribe until Redis has exactly the topics wanted here. Redis
        runs one connection's commands in order, so the pong of a PING sent after them, with
        the number of changes made so far, confirms them all (`_confirm`)."""
        self._subscription_changed.clear()
        changes = self._changes
        wanted = {self._prefix + topic for topic in self._topics}
        if wanted - subscribed:
            await pubsub.subscribe(*(wanted - subscribed))
        if subscribed - wanted:
            await pubsub.unsubscribe(*(subscribed - wanted))
        if pubsub.connection is None:
            self._confirm(str(changes).encode())  # nothing was ever subscribed: nothing to wait for
        else:
            await pubsub.ping(str(changes))
        return wanted

    def _confirm(self, data: bytes) -> None:
        """Redis has the subscriptions as they were after change number `data`."""
        if not data.isdigit():
            return
        self._applied = max(self._applied, int(data))
        waiting = []
        for changes, future in self._waiters:
            if changes > self._applied:
                waiting.append((changes, future))
            elif not future.done():
                future.set_result(None)
        self._waiters = waiting

    def _deliver(self, channel: bytes, data: bytes) -> None:
        node, _, text = data.partition(b" ")
        if node == self._node:
            return  # published here, and delivered here already
        topic = channel.decode()[len(self._prefix) :]
        try:
            decoded = text.decode()
            event = self._parse(decoded)
        except ValueError:
            log.warning("redis bus: unreadable event on %s dropped", topic)
            return
        self._local.deliver(topic, decoded, event)

    @staticmethod
    def _parse(text: str) -> CommunityEvent:
        event = json.loads(text)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ValueError("not an event")
        return event  # type: ignore[return-value]

    def _announce_gap(self) -> None:
        self.gaps += 1
        text = self._encode(GAP)
        for topic in list(self._topics):
            if topic.startswith(USER_TOPIC_PREFIX):
                self._local.deliver(topic, text, GAP)
