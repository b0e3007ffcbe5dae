"""The town hall's signalling figures (loadtest/presence_cost.py), from kept events."""

from __future__ import annotations

from loadtest.client import SyntheticParticipant
from loadtest.presence_cost import presence_events


def member(*types: str, listed: int = 0) -> SyntheticParticipant:
    someone = SyntheticParticipant("ws://127.0.0.1:1/ws", "token", receive="count")
    someone.events = [{"type": kind} for kind in types]
    someone.welcome = {"participants": [{}] * listed}
    return someone


def test_presence_events_are_averaged_over_the_audience_and_counted_for_the_moderator() -> None:
    moderator = member("participant_joined", "participant_joined", "audience", "pong")
    audience = [
        member("audience", "audience", "participant_joined", "question"),
        member("audience", "subscribe_offer", listed=2),
    ]
    figures = presence_events(moderator, audience)
    assert figures["audience / audience member"] == 1.5
    assert figures["participant_joined / audience member"] == 0.5
    assert figures["participant_left / audience member"] == 0.0
    assert figures["participant_joined to the moderator"] == 2.0
    assert figures["audience to the moderator"] == 1.0
    assert figures["last audience welcome lists"] == 2.0
