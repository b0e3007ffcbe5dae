"""A subscriber that stops reading its socket costs the others nothing."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


def stop_reading(member: SyntheticParticipant) -> None:
    """Stop the member's UDP socket from being read, as a frozen phone would."""
    assert member.subscribe_pc is not None
    dtls: Any = member.subscribe_pc.getTransceivers()[0].receiver.transport
    dtls.transport._connection._nominated[1].protocol.transport.pause_reading()


def lost_and_expected(member: SyntheticParticipant) -> tuple[int, int]:
    trackers = member.received.sequences.values()
    return sum(t.lost for t in trackers), sum(t.expected for t in trackers)


async def test_others_lose_nothing_while_one_subscriber_stops_reading(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "ani", "budi", "cici", "dedi", receive="count") as (
        ani,
        *watchers,
    ):
        await ani.publish([VideoStreamTrack()])
        for member in watchers:
            await eventually(lambda m=member: m.received.packets[(ani.id, "video")] > 0)
        stalled, *others = watchers
        stop_reading(stalled)
        stalled_count = stalled.received.packets[(ani.id, "video")]
        for member in others:
            member.received.start_measuring()
        await eventually(
            lambda: all(lost_and_expected(m)[1] >= 60 for m in others),
            what="two seconds of video at the others",
        )
        for member in others:
            assert lost_and_expected(member)[0] == 0
        assert stalled.received.packets[(ani.id, "video")] == stalled_count
