"""sfu/loss_tally.py: a subscriber's losses over all its streams, weighted by their packets."""

from __future__ import annotations

from sfu.downlink import MIN_SPAN
from sfu.loss_tally import MIN_SAMPLE, LossTally

VIDEO, AUDIO = 0xB0000001, 0xB0000002


def test_the_first_block_of_a_stream_only_sets_where_its_count_starts() -> None:
    tally = LossTally()
    tally.add(VIDEO, highest=5_000, lost=900)  # counted since long before: not this window's
    assert tally.take(0.0) is None
    assert tally.take(MIN_SPAN) is None  # nothing counted yet


def test_streams_count_by_their_packets_not_one_report_each() -> None:
    # One packet lost of three just after a video restarted read as 33 % and stopped it, beside
    # 100 packets of audio that lost none: the link lost 1 of 103.
    tally = LossTally()
    tally.add(VIDEO, 100, 0)
    tally.add(AUDIO, 1_000, 0)
    tally.take(0.0)
    tally.add(VIDEO, 103, 1)
    tally.add(AUDIO, 1_100, 0)
    assert tally.take(1.0) == 1 / 103


def test_too_few_packets_or_too_short_a_time_give_no_share_yet() -> None:
    tally = LossTally()
    tally.add(VIDEO, 0, 0)
    tally.take(0.0)
    tally.add(VIDEO, MIN_SAMPLE - 1, 10)
    assert tally.take(5.0) is None  # too few packets, however long
    tally.add(VIDEO, MIN_SAMPLE + 99, 10)
    assert tally.take(5.0 + MIN_SPAN / 2) == 10 / (MIN_SAMPLE + 99)  # the counts added up
    tally.add(VIDEO, MIN_SAMPLE + 999, 10)
    assert tally.take(5.0 + MIN_SPAN) is None  # enough packets, too soon after the last share
    assert tally.take(5.0 + MIN_SPAN * 1.5) == 0.0


def test_duplicates_and_a_stream_that_started_over_count_no_loss_below_zero() -> None:
    tally = LossTally()
    tally.add(VIDEO, 1_000, 5)
    tally.take(0.0)
    tally.add(VIDEO, 1_100, 2)  # duplicates lowered the cumulative count
    tally.add(AUDIO, 10, 0)
    tally.add(AUDIO, 5, 0)  # highest went back: a new start, not -5 packets
    tally.add(AUDIO, 25, 30)  # more lost than expected cannot be: at most all of them
    assert tally.take(1.0) == 20 / 120


def test_the_extended_sequence_number_carries_the_count_across_the_16_bit_wrap() -> None:
    tally = LossTally()
    tally.add(VIDEO, 65_500, 0)
    tally.take(0.0)
    tally.add(VIDEO, 1 << 16 | 60, 3)
    assert tally.take(1.0) == 3 / 96


def test_after_an_outage_blocks_count_again_once_one_reaches_past_the_last_packet_sent() -> None:
    # The trace: after a 5 s outage reports of 50-98 % lost came in for seconds (the packets
    # sent into the dead link) and stopped every video on a link that had just come back.
    tally = LossTally()
    tally.add(VIDEO, 1_000, 0)
    tally.add(AUDIO, 50_000, 0)
    tally.take(0.0)
    tally.add(VIDEO, 1_100, 3)
    tally.link_returned({VIDEO: 1_400, AUDIO: 50_500})  # sent up to there, into the outage
    tally.add(VIDEO, 1_100, 3)  # before anything new arrived
    tally.add(VIDEO, 1_420, 300)  # past the last packet sent: spans the outage
    tally.add(AUDIO, 50_510, 450)  # the same for the audio, in its first block
    assert tally.take(10.0) is None  # the window before the outage was dropped too
    tally.add(VIDEO, 1_520, 302)
    tally.add(AUDIO, 50_610, 451)
    assert tally.take(11.0) == 3 / 200


def test_the_outage_mark_compares_sequence_numbers_across_the_wrap() -> None:
    tally = LossTally()
    tally.add(VIDEO, 65_000, 0)
    tally.link_returned({VIDEO: 65_530})
    tally.add(VIDEO, 65_520, 40)  # not past it yet
    tally.add(VIDEO, 1 << 16 | 10, 500)  # past it, after the wrap: spans the outage
    tally.take(0.0)
    tally.add(VIDEO, 1 << 16 | 110, 501)
    assert tally.take(1.0) == 1 / 100


def test_streams_the_outage_mark_does_not_name_count_on() -> None:
    tally = LossTally()
    tally.link_returned({VIDEO: 10})  # never reported: nothing to mark
    tally.add(VIDEO, 0, 0)
    tally.take(0.0)
    tally.add(VIDEO, 100, 7)
    assert tally.take(1.0) == 7 / 100


def test_what_arrives_is_measured_per_stream_between_its_own_blocks() -> None:
    # Chromium reports video every second and audio every five: counted per share, the audio's
    # five seconds landed in one share and the rate swung 150-690 kbit/s (the trace).
    tally = LossTally()
    assert tally.received_rate(0.0) is None
    tally.add(VIDEO, 0, 0, now=0.0)
    tally.add(AUDIO, 0, 0, now=0.0)
    tally.add(VIDEO, 100, 10, now=1.0)  # 90 arrived in a second
    assert tally.received_rate(1.0) == 90
    tally.add(VIDEO, 200, 10, now=2.0)
    tally.add(AUDIO, 250, 0, now=5.0)  # 250 in five seconds
    assert tally.received_rate(5.0) == 100 + 50
    tally.add(AUDIO, 250, 0, now=5.1)  # the same report again, too soon to time anything
    assert tally.received_rate(5.1) == 150
    assert tally.received_rate(10.5) == 50  # the video's last block is 8.5 s old: stopped
    tally.link_returned({})
    assert tally.received_rate(10.5) is None  # what arrived before an outage says nothing now
