"""Real aiortc peers meet through the SFU: media is forwarded packet by packet and decodes."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from sfu.forwarding import Producer
from sfu.publisher import PublisherPeer
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


async def test_published_rtp_takes_the_direct_path_not_aiortcs_queue(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct: list[int] = []
    queued: list[int] = []
    receive, on_queued = Producer.receive, PublisherPeer._on_rtp

    def count_direct(self: Producer, data: bytes, arrival: float | None = None) -> None:
        direct.append(len(data))
        receive(self, data, arrival)

    async def count_queued(self: PublisherPeer, data: bytes, arrival_time_ms: int) -> None:
        queued.append(len(data))
        await on_queued(self, data, arrival_time_ms)

    monkeypatch.setattr(Producer, "receive", count_direct)
    monkeypatch.setattr(PublisherPeer, "_on_rtp", count_queued)
    async with participants(kamar, "demo", "alice", "bob") as (alice, bob):
        await alice.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(
            lambda: bob.received.frames[(alice.id, "video")] >= 10, what="video at bob"
        )
    assert len(direct) >= 10 and queued == []
