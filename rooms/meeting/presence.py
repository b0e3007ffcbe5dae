"""Who is told about whom in a meeting, and the town hall's audience count. Pure.

A town hall's audience is passive: it watches, asks and reacts, and nobody but the moderators
needs to know each of its members. Telling every arrival to everyone costs O(N²) events in a
join storm and a `welcome` that grows with N (docs/cluster.md); LiveKit's hidden participants
and Jitsi's visitors avoid it the same way. So an audience member is announced only to the
moderators (who invite to the stage, mute and remove) and to itself; everyone else learns how
many they are from one `audience` event, sent at most once a second per meeting.

Ordinary room meetings have no audience (everyone is a speaker or a moderator): every
participant is announced to everyone, as before.
"""

from __future__ import annotations

from typing import Protocol

AUDIENCE_INTERVAL = 1.0  # seconds between two `audience` events of one meeting


class Person(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def role(self) -> str: ...


def sees(viewer: Person, subject: Person, subject_role: str | None = None) -> bool:
    """Whether `viewer` is told about `subject` (joins, leaves, updates, `welcome`).
    `subject_role`: the role to judge by, when it is not (or no longer) the current one."""
    role = subject.role if subject_role is None else subject_role
    return role != "audience" or viewer.role == "moderator" or viewer.id == subject.id


class AudienceCount:
    """When to tell a meeting how many are in its audience: at once after a quiet second,
    else at most once per AUDIENCE_INTERVAL, always the latest number. A join storm of any
    size costs each participant one event a second."""

    def __init__(self) -> None:
        # Someone joined or left the audience since the last event. Not "the count differs
        # from the last one sent": a newcomer's `welcome` may carry a number in between.
        self._changed = False
        self._told_at = float("-inf")

    def changed(self) -> None:
        self._changed = True

    def due(self, now: float) -> bool:
        """True (and remembered as told) when the count is to be sent now."""
        if not self._changed or now - self._told_at < AUDIENCE_INTERVAL:
            return False
        self._changed, self._told_at = False, now
        return True
