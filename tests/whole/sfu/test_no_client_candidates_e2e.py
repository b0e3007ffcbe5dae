"""A client whose SDP carries no usable candidate still connects (peer-reflexive, RFC 8445
7.3.1.3). Chromium without camera permission hides its host addresses behind mDNS names,
which the server drops, so a watch-only audience member looks exactly like this."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


def without_candidates(sdp: str) -> str:
    return "".join(
        line for line in sdp.splitlines(keepends=True) if not line.startswith("a=candidate:")
    )


def hide_candidates(member: SyntheticParticipant) -> None:
    send = member.send

    async def send_without_candidates(message: dict[str, Any]) -> None:
        if message.get("type") in ("publish_offer", "subscribe_answer"):
            message = {**message, "sdp": without_candidates(message["sdp"])}
        await send(message)

    member.send = send_without_candidates  # type: ignore[method-assign]


async def test_participants_with_no_candidates_in_their_sdp_still_connect(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "alice", "bob") as (alice, bob):
        hide_candidates(alice)  # publishing
        hide_candidates(bob)  # receiving
        await alice.publish([VideoStreamTrack()])
        await eventually(
            lambda: bob.received.frames[(alice.id, "video")] >= 10,
            timeout=20,
            what="bob to decode alice's video with only peer-reflexive candidates",
        )
