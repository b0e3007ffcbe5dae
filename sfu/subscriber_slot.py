"""One transceiver of a subscriber's connection (a "slot") and the stream it carries now.

A slot outlives its producers: when one leaves, the slot is answered inactive and then reused
for the next producer of its kind (sfu/subscriber.py), its consumer continuing the numbering
(`last_sent`) and its sender reports the publisher's clock (`clock`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sfu import red, sender_reports
from sfu.consumer import Consumer
from sfu.forwarding import VIDEO, Producer


@dataclass
class Slot:
    transceiver: Any
    kind: str
    producer: Producer | None = None
    consumer: Consumer | None = None
    reusable: bool = False  # the client has answered this slot as inactive
    ssrc: int = 0
    payload_type: int = 0
    rtx: tuple[int, int] | None = None  # (payload type, SSRC) when the client accepted RTX
    red_offered: int | None = None  # the red payload type our offer added (audio)
    red_payload_type: int | None = None  # red's payload type when the client accepted it
    last_sent: tuple[int, int] | None = None
    # The publisher's latest NTP/RTP pair in this slot's RTP clock, from its consumer, and
    # when it arrived (monotonic seconds).
    clock: tuple[int, int, float] | None = None

    def red_choice(self, saving_data: bool) -> tuple[bool, int]:
        """(strip RED?, payload type) for this slot's audio. RED goes on as RED to a client
        that accepted it; one that did not, or a data saver (RED doubles the audio's bitrate),
        gets the primary Opus frames (sfu/red.py). The producer numbered RED's blocks for
        SUBSCRIBER_OPUS_PT, so only a slot whose Opus has it can take the RED as it is."""
        assert self.consumer is not None
        if not self.consumer.producer.red:
            return False, self.payload_type
        if (
            self.red_payload_type is not None
            and self.payload_type == red.SUBSCRIBER_OPUS_PT
            and not saving_data
        ):
            return False, self.red_payload_type
        return True, self.payload_type

    def detach(self) -> None:
        if self.consumer is not None:
            self.last_sent = self.consumer.last_sent
            self.consumer.close()
            self.consumer = None
        self.clock = None

    def note_sender_report(self, ntp: int, rtp: int, at: float) -> None:
        self.clock = (ntp, rtp, at)

    def report(self, now: float) -> sender_reports.StreamReport | None:
        """What this slot's next sender report, sent at `now`, says: the publisher's clock
        moved on to `now` (sender_reports.extrapolated); None before the publisher's first
        report (a report without a wall clock only confuses lip sync)."""
        consumer, clock = self.consumer, self.clock
        if consumer is None or clock is None or consumer.closed:
            return None
        ntp, rtp, at = clock
        ntp, rtp = sender_reports.extrapolated(ntp, rtp, now - at, consumer.producer.clock_rate)
        return sender_reports.StreamReport(
            self.ssrc, ntp, rtp, consumer.packets_sent, consumer.octets_sent
        )

    def request_keyframe(self) -> None:
        if self.consumer is not None:
            self.consumer.request_keyframe()

    def apply_pause(self, paused: set[str]) -> None:
        consumer = self.consumer
        if consumer is None or self.kind != VIDEO:
            return
        if consumer.producer.owner in paused:
            consumer.pause()
        else:
            consumer.resume()

    def nack(self, lost: list[int]) -> None:
        if self.consumer is not None:
            self.consumer.nack(lost, time.monotonic())
