"""Town-hall questions and comments taken once: a client names each with a `client_id`, and
sends it again after a reconnect when it does not know whether the first sending arrived (a
phone's socket can die after the server read the question but before the page saw it come
back). The second sending is answered with what the first made, never a second copy; chat
messages have the same rule (rooms/community/chat.py)."""

from __future__ import annotations

from typing import Generic, TypeVar

MAX_CLIENT_ID = 64  # characters: the web client's ids are 22
REMEMBERED = 2000  # per meeting: far more than anyone resends after a reconnect

Made = TypeVar("Made")


class TypedOnce(Generic[Made]):
    """What each (identity, client id) made in one meeting, the oldest forgotten first."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._made: dict[tuple[str, str], Made] = {}
        self._remembered = remembered

    def earlier(self, identity: str, client_id: str | None) -> Made | None:
        """What this member's earlier sending with this id made, or None (a first sending)."""
        if client_id is None:
            return None
        return self._made.get((identity, client_id))

    def remember(self, identity: str, client_id: str | None, made: Made) -> None:
        if client_id is None:
            return
        self._made[(identity, client_id)] = made
        while len(self._made) > self._remembered:
            del self._made[next(iter(self._made))]
