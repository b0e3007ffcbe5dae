"""egress_start and egress_stop: only moderators, every bad request a clear error that changes
nothing, and newcomers told in their welcome whether the meeting is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer

ROOM = "rapat-egress"


async def _join(kamar: RunningServer, identity: str, role: str) -> SyntheticParticipant:
    member = SyntheticParticipant(
        kamar.ws_url, kamar.token(ROOM, identity, role=role), room=ROOM, receive="count"
    )
    await member.join()
    return member


async def _answer(member: SyntheticParticipant, message: dict[str, Any]) -> dict[str, Any]:
    waiter = member.wait_for(lambda e: e["type"] in ("error", "egress"))
    await member.send(message)
    answer: dict[str, Any] = await waiter
    return answer


@pytest.mark.parametrize(
    ("message", "code", "text"),
    [
        ({"type": "egress_start"}, "bad_message", "give a destination, record or hls"),
        ({"type": "egress_start", "rtmp": "x"}, "bad_message", "'rtmp' must be a list"),
        (
            {"type": "egress_start", "rtmp": [{"url": "http://x/live", "key": "rahasia"}]},
            "bad_message",
            "rtmp:// or rtmps://",
        ),
        ({"type": "egress_start", "record": "yes"}, "bad_message", "must be true or false"),
        ({"type": "egress_stop"}, "bad_state", "egress is not on"),
    ],
)
async def test_bad_egress_requests_get_clear_errors(
    kamar: RunningServer, message: dict[str, Any], code: str, text: str
) -> None:
    host = await _join(kamar, "ketua", "moderator")
    try:
        assert host.welcome["stage"]["egress"] == {
            "type": "egress",
            "live": False,
            "recording": False,
            "seconds": 0.0,
            "destinations": [],
            "hls": False,
        }
        answer = await _answer(host, message)
        assert answer["type"] == "error" and answer["code"] == code
        assert text in answer["message"] and "rahasia" not in answer["message"]
    finally:
        await host.close()


async def test_only_a_moderator_may_start_egress(kamar: RunningServer) -> None:
    speaker = await _join(kamar, "pembicara", "speaker")
    try:
        answer = await _answer(speaker, {"type": "egress_start", "record": True})
        assert (answer["type"], answer["code"]) == ("error", "forbidden")
    finally:
        await speaker.close()
