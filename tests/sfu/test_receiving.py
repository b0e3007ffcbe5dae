"""sfu/receiving.py: one subscriber's receiver reports, and its link coming back after an outage."""

from __future__ import annotations

from sfu.forwarding import VIDEO
from sfu.receiving import Receiving
from sfu.rtcp_feedback import LossReport
from sfu.subscriber_slot import Slot
from tests.sfu.test_forwarding import VP8_DELTA, VP8_KEY, attach, fields, producer, rtp

SSRC = 0xBBBB0001


class Subscriber:
    """Bob receives Alice's video through one slot; the test plays the network."""

    def __init__(self) -> None:
        self.source, self.requests = producer()
        self.consumer, self.out = attach(self.source, ssrc=SSRC)
        self.slot = Slot(None, VIDEO, self.source, self.consumer, ssrc=SSRC)
        self.receiving = Receiving("bob", lambda: [self.slot], None)
        self.receiving.on_remb(400_000)
        self.seq = 1000
        self.source.receive(rtp(self.seq, 0, VP8_KEY))

    def send(self, packets: int) -> None:
        for _ in range(packets):
            self.seq += 1
            self.source.receive(rtp(self.seq, 3000 * (self.seq - 1000), VP8_DELTA))

    @property
    def last_sent(self) -> int:
        return fields(self.out.packets[-1])[2]

    def report(self, now: float, highest: int, lost: int) -> None:
        self.receiving.heard(now)
        self.receiving.on_reports([LossReport(SSRC, 0.0, lost, highest)], now)


def test_heavy_loss_over_enough_packets_lowers_the_estimate() -> None:
    bob = Subscriber()
    first = bob.last_sent
    bob.report(0.0, first, 0)
    bob.send(200)
    bob.report(1.0, first + 200, 60)  # 30 % of 200 packets
    assert bob.receiving.estimate is not None and bob.receiving.estimate < 400_000


def test_one_packet_lost_of_three_lowers_nothing() -> None:
    bob = Subscriber()
    first = bob.last_sent
    bob.report(0.0, first, 0)
    bob.send(3)
    bob.report(1.0, first + 3, 1)  # 33 % of a restarted video's first packets
    assert bob.receiving.estimate == 400_000


def test_after_an_outage_what_was_sent_into_it_lowers_nothing_and_videos_restart() -> None:
    bob = Subscriber()
    first = bob.last_sent
    bob.report(0.0, first, 0)
    bob.send(100)
    bob.report(1.0, first + 100, 1)
    received = bob.last_sent
    bob.send(150)  # five seconds into a dead link
    asked = bob.requests.count
    bob.report(6.0, received, 1)  # the link is back: nothing new has arrived yet
    assert bob.consumer.waiting_for_keyframe and bob.requests.count == asked + 1
    bob.out.packets.clear()
    bob.consumer.nack([received + 1], now=6.0)
    assert bob.out.packets == []  # no repair of what the outage took
    bob.source.receive(rtp(bob.seq + 1, 3000 * (bob.seq + 1 - 1000), VP8_KEY))
    bob.seq += 1
    bob.send(99)
    # Its receiver now counts the 150 packets of the outage lost: not the link's verdict.
    bob.report(7.0, received + 250, 151)
    assert bob.receiving.estimate == 400_000
    bob.send(100)
    bob.report(8.0, received + 350, 151)
    bob.send(100)
    bob.report(9.0, received + 450, 200)  # loss after the return does count
    assert bob.receiving.estimate is not None and bob.receiving.estimate < 400_000
