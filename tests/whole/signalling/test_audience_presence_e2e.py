"""A town hall over real sockets: audience members are not told of one another, they get the
stage and the `audience` count; the moderator still sees every one of them
(rooms/meeting/presence.py, docs/protocol.md "Who is told about whom")."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc
ROOM = "balai"


def about(member: SyntheticParticipant, kind: str) -> list[str]:
    """The participant ids `member` got events of `kind` about."""
    ids = []
    for event in member.events:
        if event["type"] == kind:
            ids.append(event.get("participant_id") or event["participant"]["id"])
    return ids


def counts(member: SyntheticParticipant) -> list[int]:
    return [event["count"] for event in member.events if event["type"] == "audience"]


async def test_audience_members_get_the_stage_and_a_count_not_each_other(
    kamar: RunningServer,
) -> None:
    roles = {"mod": "moderator", "spk": "speaker", **{f"a{n}": "audience" for n in range(4)}}
    members = {
        name: SyntheticParticipant(
            kamar.ws_url, kamar.token(ROOM, name, role=role), room=ROOM, receive="count"
        )
        for name, role in roles.items()
    }
    mod, spk, first, second, third, fourth = members.values()
    audience = [first, second, third, fourth]
    try:
        for member in members.values():
            await member.join()
        assert [p["id"] for p in fourth.welcome["participants"]] == [mod.id, spk.id]
        assert fourth.welcome["stage"]["audience"] == 4
        assert about(mod, "participant_joined") == [member.id for member in [spk, *audience]]
        # The count follows at most a second later; the joins would have come before it.
        await eventually(lambda: 4 in counts(first) and 4 in counts(spk), what="count 4")
        assert about(first, "participant_joined") == []
        assert about(spk, "participant_joined") == []
        late = SyntheticParticipant(
            kamar.ws_url, kamar.token(ROOM, "mod2", role="moderator"), room=ROOM, receive="count"
        )
        members["mod2"] = late
        await late.join()
        assert [p["id"] for p in late.welcome["participants"]] == [
            member.id for member in [mod, spk, *audience]
        ]

        await second.send({"type": "raise_hand", "raised": True})
        await eventually(lambda: second.id in about(mod, "participant_updated"), what="hand")
        await tell_everyone(mod, audience + [spk])
        assert second.id not in about(first, "participant_updated")
        assert second.id not in about(spk, "participant_updated")
        assert second.id in about(second, "participant_updated")

        await mod.send({"type": "set_role", "participant_id": fourth.id, "role": "speaker"})
        await eventually(lambda: fourth.id in about(first, "participant_joined"), what="joined")
        await third.leave()
        await eventually(lambda: counts(first)[-1:] == [2], what="count 2")
        assert third.id in about(mod, "participant_left")
        assert third.id not in about(first, "participant_left")
    finally:
        for member in members.values():
            await member.close()


async def tell_everyone(mod: SyntheticParticipant, members: list[SyntheticParticipant]) -> None:
    """Something every socket gets after all that was sent to it before (one queue each)."""
    waiters: list[Any] = [
        member.wait_for(lambda e: e["type"] == "meeting_state" and e["locked"])
        for member in members
    ]
    await mod.send({"type": "lock_meeting", "locked": True})
    for waiter in waiters:
        await waiter
