"""In-process publish/subscribe for community events (chat, typing, agenda, reminders).

Topics are strings (`room:7`, `user:3`). `publish` encodes the event once and hands the same
text to every subscriber synchronously; subscribers only enqueue (signalling/ws.py's outbox),
so one slow socket never delays the others. A multi-node deployment replaces this class with
one that relays through Redis and keeps the same three methods.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Deliver = Callable[[str, dict[str, Any]], None]  # (encoded text, event) -> None


def user_topic(user_id: int) -> str:
    """Events about one account itself (joins and leaves, signing out), for its own sockets."""
    return f"user:{user_id}"


class Bus:
    def __init__(self) -> None:
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

    def publish(self, topic: str, event: dict[str, Any]) -> int:
        """Deliver to everyone subscribed now; returns how many that was."""
        subscribers = self._subscribers.get(topic)
        if not subscribers:
            return 0
        text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        for deliver in list(subscribers.values()):
            try:
                deliver(text, event)
            except Exception:  # one broken subscriber must not stop the rest
                log.exception("bus subscriber failed on %s", topic)
        return len(subscribers)

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))
