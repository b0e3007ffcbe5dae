"""What a town hall's joins cost in signalling: the presence events each member received
(docs/protocol.md "Who is told about whom") and the server's CPU while the audience joined.

Counted from what the synthetic participants kept: the stage traffic's inbox keeps every event
but questions, comments and reactions (loadtest/stage_traffic.py), so presence events are all
there. Cheap: one pass over each member's events at the end of the run.
"""

from __future__ import annotations

from collections import Counter

from loadtest.client import SyntheticParticipant
from loadtest.measuring import MeasuredServer

PRESENCE_TYPES = ("participant_joined", "participant_left", "participant_updated", "audience")


def presence_events(
    moderator: SyntheticParticipant, audience: list[SyntheticParticipant]
) -> dict[str, float]:
    """Presence events of each type: per audience member on average, and the moderator's; and
    how many participants the last audience member's `welcome` listed."""
    per_member: Counter[str] = Counter()
    for member in audience:
        per_member.update(e["type"] for e in member.events if e["type"] in PRESENCE_TYPES)
    figures = {f"{kind} / audience member": 0.0 for kind in PRESENCE_TYPES}
    for kind, count in per_member.items():
        figures[f"{kind} / audience member"] = round(count / max(1, len(audience)), 1)
    told = Counter(e["type"] for e in moderator.events if e["type"] in PRESENCE_TYPES)
    for kind in PRESENCE_TYPES:
        figures[f"{kind} to the moderator"] = float(told[kind])
    if audience and audience[-1].welcome:
        figures["last audience welcome lists"] = float(len(audience[-1].welcome["participants"]))
    return figures


def cpu_total(server: MeasuredServer) -> float | None:
    """The server's user and system CPU seconds so far."""
    seconds = server.cpu_seconds()
    return None if seconds is None else sum(seconds)
