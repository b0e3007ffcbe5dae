"""Publish/subscribe for community events (chat, typing, agenda, reminders).

Topics are strings (`room:7`, `user:3`). `Bus` is what services and feeds rely on; `LocalBus`
is the single-node implementation (server/wiring.py chooses it). It encodes the event once and
hands the same text to every subscriber synchronously; subscribers only enqueue
(signalling/ws.py's outbox), so one slow socket never delays the others. A multi-node bus (over
Redis, say) keeps the same two methods: it embeds a `LocalBus` for the subscribers of its own
node, subscribes upstream once per topic that has a local subscriber, and relays what it
publishes; `publish` therefore says nothing about how many received the event, since other
nodes cannot answer that synchronously.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from rooms.community.events import CommunityEvent

log = logging.getLogger(__name__)

Deliver = Callable[[str, CommunityEvent], None]  # (encoded text, event) -> None
Encode = Callable[[CommunityEvent], str]


def user_topic(user_id: int) -> str:
    """Events about one account itself (joins and leaves, signing out), for its own sockets."""
    return f"user:{user_id}"


class Bus(Protocol):
    def subscribe(self, topic: str, deliver: Deliver) -> Callable[[], None]:
        """Start delivering `topic` to `deliver`; returns the function that stops it."""
        ...

    def publish(self, topic: str, event: CommunityEvent) -> None:
        """Deliver `event` to every subscriber of `topic` on every node, without blocking:
        called after the change is committed, from code that must not wait on the network."""
        ...

    async def ready(self) -> None:
        """Return once the subscriptions made so far receive what any node publishes (a feed
        says `authed` only then, so nothing published afterwards can pass it by)."""
        ...


class LocalBus:
    """Subscribers of this process only."""

    def __init__(self, encode: Encode) -> None:
        self._encode = encode  # the protocol's one encoder (signalling/events.py)
        self._subscribers: dict[str, dict[int, Deliver]] = {}
        self._next_token = 0

    def subscribe(self, topic: str, deliver: Deliver) -> Callable[[], None]:
        """Start delivering `topic` to `deliver`; returns the function that stops it."""
        self._next_token += 1
        token = self._next_token
        self._subscribers.setdefault(topic, {})[token] = deliver

        def unsubscribe() -> None:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.pop(token, None)
                if not subscribers:
                    del self._subscribers[topic]

        return unsubscribe

    async def ready(self) -> None:
        """In one process a subscription is in place as soon as it is made."""

    def publish(self, topic: str, event: CommunityEvent) -> None:
        """Deliver to everyone subscribed now."""
        if topic in self._subscribers:
            self.deliver(topic, self._encode(event), event)

    def deliver(self, topic: str, text: str, event: CommunityEvent) -> None:
        """Hand an event already encoded as `text` to this process's subscribers of `topic`
        (a multi-node bus calls this for what other nodes published)."""
        subscribers = self._subscribers.get(topic)
        if not subscribers:
            return
        for deliver in list(subscribers.values()):
            try:
                deliver(text, event)
            except Exception:  # one broken subscriber must not stop the rest
                log.exception("bus subscriber failed on %s", topic)
