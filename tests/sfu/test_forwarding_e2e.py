"""Real aiortc peers meet through the SFU: media is forwarded packet by packet and decodes."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc


async def test_two_participants_decode_each_others_audio_and_video(kamar: RunningServer) -> None:
    alice = SyntheticParticipant(kamar.ws_url, kamar.token("demo", "alice"), room="demo")
    bob = SyntheticParticipant(kamar.ws_url, kamar.token("demo", "bob"), room="demo")
    try:
        await alice.join()
        await bob.join()
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
    finally:
        await alice.close()
        await bob.close()
