"""Loss between the SFU and a subscriber is repaired from the producer's cache on NACK."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack

from sfu import forwarding
from sfu.consumer import Consumer
from sfu.forwarding import VIDEO, Producer
from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


async def test_packets_lost_on_the_way_to_a_subscriber_are_resent_when_it_nacks(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: set[tuple[int, int]] = set()
    resent: list[int] = []
    forward, resend = Consumer.forward, Producer.resend

    def lossy_forward(
        self: Consumer, buf: bytearray, marker: int, seq: int, timestamp: int, keyframe: bool
    ) -> None:
        # Lose every 15th video packet once, after the subscriber has its first key frame.
        if self.producer.kind == VIDEO and not self.waiting_for_keyframe and seq % 15 == 0:
            if (id(self), seq) not in dropped:
                dropped.add((id(self), seq))
                return
        forward(self, buf, marker, seq, timestamp, keyframe)

    real_fan_out = forwarding._fan_out

    def lossy_fan_out(
        routes: list[Any], packet: bytearray, marker: int, seq: int, *rest: int
    ) -> Any:
        # The same losses for consumers that forward through native routes (sfu/native.py).
        kept = []
        for route in routes:
            consumer = route.owner
            if consumer.producer.kind == VIDEO and seq % 15 == 0:
                if (id(consumer), seq) not in dropped:
                    dropped.add((id(consumer), seq))
                    continue
            kept.append(route)
        return real_fan_out(kept, packet, marker, seq, *rest)

    over_rtx: list[bool] = []

    def counting_resend(self: Producer, consumer: Consumer, seq: int) -> None:
        resent.append(seq)
        over_rtx.append(consumer.rtx is not None)
        resend(self, consumer, seq)

    monkeypatch.setattr(Consumer, "forward", lossy_forward)
    monkeypatch.setattr(forwarding, "_fan_out", lossy_fan_out)
    monkeypatch.setattr(Producer, "resend", counting_resend)

    async with participants(kamar, "demo", "alice", "bob") as (alice, bob):
        await alice.publish([VideoStreamTrack()])
        await eventually(
            lambda: bob.received.frames[(alice.id, "video")] >= 60,
            timeout=20,
            what="bob to decode two seconds of alice's video through the losses",
        )
        assert len(dropped) >= 3
        # aiortc's receiver NACKs each gap; every dropped packet was asked for and resent.
        await eventually(lambda: {seq for _c, seq in dropped} <= set(resent), what="resends")
        # aiortc accepts RTX (RFC 4588), so every repair went out on the RTX stream, and the
        # decoder above got them back as media.
        assert over_rtx and all(over_rtx)


async def test_packets_a_publisher_loses_on_the_way_to_the_sfu_are_asked_for_again(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: set[int] = set()
    came_again: set[int] = set()
    receive = Producer.receive

    def lossy_receive(self: Producer, data: bytes, arrival: float | None = None) -> None:
        seq = int.from_bytes(data[2:4], "big")
        if self.kind == VIDEO and seq % 15 == 0:
            if seq not in dropped:
                dropped.add(seq)  # lost between the publisher and the SFU
                return
            came_again.add(seq)
        receive(self, data, arrival)

    monkeypatch.setattr(Producer, "receive", lossy_receive)
    async with participants(kamar, "demo", "alice", "bob") as (alice, bob):
        await alice.publish([VideoStreamTrack()])
        await eventually(
            lambda: bob.received.frames[(alice.id, "video")] >= 60,
            timeout=20,
            what="bob to decode two seconds of alice's video",
        )
        assert len(dropped) >= 3
        # The SFU NACKed each gap and aiortc's sender resent from its history.
        await eventually(lambda: len(came_again) >= len(dropped) - 1, what="resent packets")
