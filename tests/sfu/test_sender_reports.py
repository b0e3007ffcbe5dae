"""Sender reports of forwarded streams carry the publisher's NTP/RTP mapping (RFC 3550 6.4.1)."""

from __future__ import annotations

import inspect

from aiortc import RTCRtpSender

from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, Producer
from sfu.sender_reports import extrapolated
from sfu.subscriber_slot import Slot
from tests.sfu.test_forwarding import VP8_DELTA, VP8_KEY, producer, rtp

# (NTP timestamp, RTP timestamp in the consumer's clock, when the publisher's report arrived)
Report = tuple[int, int, float]


def consumer_with_reports(
    source: Producer, resume: tuple[int, int] | None = None
) -> tuple[Consumer, list[Report]]:
    reports: list[Report] = []
    consumer = Consumer(
        source, 0xBBBB0001, 100, lambda _buf: True, resume, report=lambda *r: reports.append(r)
    )
    source.add_consumer(consumer)
    return consumer, reports


def test_a_report_is_passed_on_in_the_consumers_own_rtp_clock() -> None:
    source, _ = producer()
    # This consumer continues an earlier stream on its SSRC, so its clock is shifted.
    consumer, reports = consumer_with_reports(source, resume=(100, 500_000))
    source.receive(rtp(7000, 1_000_000, VP8_KEY))
    source.receive(rtp(7001, 1_003_000, VP8_DELTA))
    source.sender_report(0xAAAA0001, ntp=0xE000_0000_8000_0000, rtp=1_003_000, now=1.0)
    shift = (500_000 + 90_000 - 1_000_000) & 0xFFFFFFFF
    sent_bytes = 12 + len(VP8_KEY) + 12 + len(VP8_DELTA)
    assert reports == [(0xE000_0000_8000_0000, (1_003_000 + shift) & 0xFFFFFFFF, 1.0)]
    # The report itself counts what was sent when it goes out (sfu/subscriber.py).
    assert (consumer.packets_sent, consumer.octets_sent) == (2, sent_bytes)


def test_a_consumer_that_starts_later_reports_the_latest_mapping_at_once() -> None:
    source, _ = producer(AUDIO, pt=111, clock_rate=48000)
    source.sender_report(0xAAAA0001, ntp=123 << 32, rtp=4800, now=1.0)
    _consumer, reports = consumer_with_reports(source)
    assert reports == []  # nothing sent yet: no numbering to report in
    source.receive(rtp(1, 9600, b"opus", pt=111))
    assert reports == [(123 << 32, 4800, 1.0)]  # when it arrived, not when it is passed on


def test_reports_for_another_ssrc_and_before_the_first_packet_are_not_passed_on() -> None:
    source, _ = producer()
    _consumer, reports = consumer_with_reports(source)
    source.sender_report(0xAAAA0001, ntp=1 << 32, rtp=0, now=1.0)  # waiting for a key frame
    source.receive(rtp(1, 0, VP8_KEY))
    reports.clear()
    source.sender_report(0x1234, ntp=2 << 32, rtp=0, now=1.0)  # e.g. the RTX stream's
    assert reports == [] and source.last_sender_report == (1 << 32, 0)


def test_aiortc_starts_and_stops_the_rtcp_loop_the_sfu_replaces() -> None:
    """take_over_sender_reports relies on these lines of aiortc's sender."""
    send, stop = inspect.getsource(RTCRtpSender.send), inspect.getsource(RTCRtpSender.stop)
    assert "self._run_rtcp()" in send and "self.__cname = parameters.rtcp.cname" in send
    assert "self.__rtcp_started.wait()" in stop and "self.__rtcp_exited.wait()" in stop


def test_a_report_of_the_stream_is_echoed_in_the_next_receiver_report() -> None:
    source, _ = producer()
    source.receive(rtp(1, 0, VP8_KEY))
    source.sender_report(0xAAAA0001, ntp=0x1234_5678_9ABC_DEF0, rtp=0, now=10.0)
    source.sender_report(0x1234, ntp=0x1111_2222_3333_4444, rtp=0, now=10.2)  # not ours
    block = source.reception.report(now=10.5)
    assert block is not None and (block.lsr, block.dlsr) == (0x5678_9ABC, 65536 // 2)


def test_a_slots_reports_move_the_publishers_clock_on_to_when_they_are_sent() -> None:
    """Each report carries its own NTP time, so each receiver report that answers it times one
    round trip (sfu/round_trip.py); NTP and RTP move together, so lip sync is kept."""
    source, _ = producer(AUDIO, pt=111, clock_rate=48000)
    consumer, _reports = consumer_with_reports(source)
    slot = Slot(None, AUDIO, source, consumer, ssrc=0xBBBB0001)
    assert slot.report(now=5.0) is None  # no wall clock from the publisher yet
    slot.note_sender_report(123 << 32, 0xFFFF_F000, at=5.0)
    first, later = slot.report(now=5.0), slot.report(now=5.75)
    assert first is not None and later is not None
    assert (first.ntp, first.rtp) == (123 << 32, 0xFFFF_F000)
    # 0.75 s on: three quarters of an NTP second, 36,000 ticks of 48 kHz (the RTP time wraps).
    assert later.ntp == (123 << 32) + (3 << 30)
    assert later.rtp == (0xFFFF_F000 + 36_000) & 0xFFFF_FFFF
    assert later.ntp >> 16 & 0xFFFF_FFFF != first.ntp >> 16 & 0xFFFF_FFFF  # a distinct LSR


def test_a_report_never_moves_the_clock_back() -> None:
    assert extrapolated(7 << 32, 90_000, -0.002, 90_000) == (7 << 32, 90_000)
    assert extrapolated(7 << 32, 90_000, 0.5, 90_000) == ((7 << 32) + (1 << 31), 135_000)
