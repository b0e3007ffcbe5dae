"""A participant who makes sound is announced as the active speaker; silence is not."""

from __future__ import annotations

import math
import struct

import av
import pytest
from aiortc.mediastreams import AudioStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone at about -10 dBov: aiortc puts its level in every packet (RFC 6464)."""

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()  # silence with the right timing and format (s16 mono)
        rate, samples = frame.sample_rate, frame.samples
        start = frame.pts or 0
        pcm = b"".join(
            struct.pack("<h", int(10000 * math.sin(2 * math.pi * 440 * (start + i) / rate)))
            for i in range(samples)
        )
        frame.planes[0].update(pcm)
        return frame


def speaker_lists(member: SyntheticParticipant) -> list[list[str]]:
    return [e["speakers"] for e in member.events if e["type"] == "active_speakers"]


async def test_the_one_who_makes_sound_is_announced_as_speaker(kamar: RunningServer) -> None:
    async with participants(kamar, "demo", "ani", "budi", "cici") as (ani, budi, cici):
        await ani.publish([ToneTrack()])
        await budi.publish([AudioStreamTrack()])  # silence
        await eventually(
            lambda: [ani.id] in speaker_lists(cici), timeout=10, what="ani announced as speaker"
        )
        assert all(budi.id not in speakers for speakers in speaker_lists(cici))
        assert [ani.id] in speaker_lists(ani)  # the speaker hears it too (for its own UI)
