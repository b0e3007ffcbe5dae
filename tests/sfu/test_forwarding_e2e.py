"""Real aiortc peers meet through the SFU: media is forwarded packet by packet and decodes."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


async def test_two_participants_decode_each_others_audio_and_video(kamar: RunningServer) -> None:
    async with participants(kamar, "demo", "alice", "bob") as (alice, bob):
        await alice.publish([AudioStreamTrack(), VideoStreamTrack()])
        await bob.publish([AudioStreamTrack(), VideoStreamTrack()])

        def both_decoding() -> bool:
            a, b = alice.received.frames, bob.received.frames
            return all(
                counter[(sender.id, kind)] >= 10
                for counter, sender in ((a, bob), (b, alice))
                for kind in ("audio", "video")
            )

        await eventually(both_decoding, timeout=20, what="decoded frames both ways")
