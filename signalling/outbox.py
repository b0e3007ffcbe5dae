"""One socket's queue of outgoing events: bounded, and coalescing events that carry a whole state.

`participant_updated`, `question`/`question_removed`, `meeting_state`, `lobby`,
`active_speakers` and `audience` each say everything about their subject, so a newer one makes a
queued older one about the same subject worthless: the older is dropped and the newer goes to
the end of the queue (so it is never delivered before an event that was queued ahead of it).
However fast someone toggles, a reader that falls behind holds at most one such event per
subject, and the `limit` counts only events still to be sent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

Item = dict[str, Any] | str | object  # an event, pre-encoded text, or a sentinel

_SUBJECT: dict[str, Callable[[dict[str, Any]], object]] = {
    "participant_updated": lambda event: ("participant", event["participant"]["id"]),
    "question": lambda event: ("question", event["question"]["id"]),
    "question_removed": lambda event: ("question", event["question_id"]),
    "meeting_state": lambda _event: "meeting_state",
    "lobby": lambda _event: "lobby",
    "active_speakers": lambda _event: "active_speakers",
    "audience": lambda _event: "audience",
}


def subject_of(item: Item) -> object | None:
    """What a whole-state event is about (the key it is coalesced by), else None."""
    if not isinstance(item, dict):
        return None
    subject = _SUBJECT.get(item.get("type", ""))
    return None if subject is None else subject(item)


class _Slot:
    __slots__ = ("item", "subject", "live")

    def __init__(self, item: Item, subject: object | None) -> None:
        self.item, self.subject, self.live = item, subject, True


class Outbox:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.peak = 0  # the most events ever waiting at once (tests, diagnostics)
        self._slots: deque[_Slot] = deque()
        self._latest: dict[object, _Slot] = {}
        self._waiting = 0  # live slots
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return self._waiting

    def put(self, item: Item) -> bool:
        """Queue `item`, replacing a queued older state of the same subject. False (nothing
        queued) when `limit` events are already waiting."""
        subject = subject_of(item)
        older = self._latest.get(subject) if subject is not None else None
        if older is None and self._waiting >= self.limit:
            return False
        if older is not None:
            older.live = False
            self._waiting -= 1
        self._append(_Slot(item, subject))
        return True

    def put_last(self, item: Item) -> None:
        """Queue `item` even past the limit (the close sentinel, once)."""
        self._append(_Slot(item, None))

    async def get(self) -> Item:
        while True:
            while not self._slots:
                self._ready.clear()
                await self._ready.wait()
            slot = self._slots.popleft()
            if not slot.live:
                continue
            self._waiting -= 1
            if slot.subject is not None and self._latest.get(slot.subject) is slot:
                del self._latest[slot.subject]
            return slot.item

    def _append(self, slot: _Slot) -> None:
        self._slots.append(slot)
        self._waiting += 1
        self.peak = max(self.peak, self._waiting)
        if slot.subject is not None:
            self._latest[slot.subject] = slot
        dead = len(self._slots) - self._waiting
        if dead > max(64, self._waiting):  # replaced slots are skipped by get(); drop them now
            self._slots = deque(s for s in self._slots if s.live)
        self._ready.set()
