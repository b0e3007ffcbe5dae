"""A subscriber's downlink estimate: REMB, lowered by the loss its receiver reports."""

from __future__ import annotations

import pytest

from sfu.downlink import WIRE_OVERHEAD, Downlink, RepairMeter, SentMeter


def test_without_loss_reports_the_estimate_is_the_remb() -> None:
    link = Downlink()
    assert link.estimate is None
    link.remb = 800_000
    assert link.estimate == 800_000 and link.repairs_allowed


def test_heavy_loss_lowers_the_estimate_below_what_was_sent_and_stops_repairs() -> None:
    # The field benchmark's case: a full queue, REMB unmoved, a third of the packets dropped.
    link = Downlink(remb=2_500_000)
    link.on_loss(0.3, sent=2_000_000, now=0.0)
    assert link.estimate == 1_700_000  # 2.0 M x (1 - 0.3 / 2)
    assert not link.repairs_allowed
    link.on_loss(0.3, sent=1_700_000, now=0.1)  # too soon: the same burst
    assert link.estimate == 1_700_000
    link.on_loss(0.3, sent=1_700_000, now=1.0)
    assert link.estimate == 1_445_000


@pytest.mark.parametrize("fraction", [0.02, 0.05, 0.10])
def test_moderate_loss_holds_the_estimate(fraction: float) -> None:
    # Random loss of a mobile link (3 % each way) is not congestion: nothing falls.
    link = Downlink(remb=600_000)
    link.on_loss(fraction, sent=500_000, now=0.0)
    assert link.estimate == 600_000 and link.repairs_allowed


def test_once_loss_is_low_the_cap_rises_but_never_far_above_what_was_sent() -> None:
    link = Downlink(remb=600_000)
    link.on_loss(0.5, sent=800_000, now=0.0)
    assert link.loss_cap == 600_000 and link.estimate == 600_000
    link.on_loss(0.01, sent=500_000, now=1.0)
    assert link.loss_cap == 648_000  # x 1.08: the cap stays, measured from the link
    link.on_loss(0.5, sent=400_000, now=2.0)
    assert link.estimate == 300_000
    for second in range(3, 7):
        link.on_loss(0.0, sent=300_000, now=float(second))
    assert link.loss_cap == 408_146  # 300k x 1.08 four times (rounded down)
    for second in range(7, 12):
        link.on_loss(0.0, sent=300_000, now=float(second))
    assert link.loss_cap == 450_000  # 1.5 x the 300k sent lately: nothing more is known


def test_the_sent_rate_counts_the_wire_bytes_between_two_looks() -> None:
    meter = SentMeter()
    assert meter.update(0.0, octets=1_000, packets=10) == 0
    rate = meter.update(2.0, octets=1_000 + 25_000, packets=10 + 100)
    assert rate == (25_000 + 100 * WIRE_OVERHEAD) * 8 // 2


def test_a_verdict_long_after_the_last_is_still_the_links() -> None:
    # A quiet subscriber (a data saver hearing one voice that paused) reaches a verdict's 50
    # packets only every few seconds while its RTCP flows: what it lost, the link lost. Only
    # RTCP's own silence is an outage (sfu/receiving.py `heard`, then `link_returned`).
    link = Downlink(remb=600_000)
    link.on_loss(0.03, sent=500_000, now=0.0)
    link.on_loss(0.4, sent=500_000, now=6.0)
    assert link.estimate == 400_000 and not link.repairs_allowed


def test_without_a_measured_rate_loss_sets_no_cap() -> None:
    # The first report comes before anything was measured: a cap of 0 would never rise again.
    link = Downlink(remb=300_000)
    link.on_loss(0.3, sent=0, now=0.0)
    assert link.loss_cap is None and link.estimate == 300_000 and not link.repairs_allowed


def test_totals_that_start_over_measure_nothing() -> None:
    meter = SentMeter()
    meter.update(0.0, octets=50_000, packets=100)
    assert meter.update(1.0, octets=1_000, packets=2) == 0  # a consumer was replaced


def test_the_share_of_repairs_is_the_loss_the_reports_hide() -> None:
    meter = RepairMeter()
    assert meter.update(0.0, packets=1_000, repairs=0) == 0.0  # the first look: nothing
    assert meter.update(1.0, packets=1_300, repairs=100) == 0.25  # 100 repairs among 400 sent
    assert meter.update(2.0, packets=1_700, repairs=100) == 0.0
    assert meter.update(3.0, packets=10, repairs=0) == 0.0  # counters that started over


def test_a_few_repairs_among_few_packets_are_no_verdict_on_the_link() -> None:
    meter = RepairMeter()
    meter.update(0.0, packets=0, repairs=0)
    assert meter.update(1.0, packets=30, repairs=5) == 0.0  # 5 of 35: a first key frame's
    assert meter.update(2.0, packets=70, repairs=15) == 0.2  # 10 of 50: enough to count


# A subscriber of three people: Chromium sends one compound RTCP packet per receive stream,
# microseconds apart (seen in the field benchmark's trace), each read as a report.
BURST = [0.0, 0.0001, 0.0002, 0.0003, 0.0004, 0.0005]


def test_a_burst_of_reports_keeps_the_rate_measured_over_the_last_span() -> None:
    meter = SentMeter()
    meter.update(0.0, octets=0, packets=0)
    rate = meter.update(1.0, octets=50_000, packets=100)
    for offset in BURST[1:]:  # before: 0 bit/s (nothing between two of them), then no cap
        assert meter.update(1.0 + offset, octets=50_000, packets=100) == rate
    assert meter.update(1.4, octets=60_000, packets=110) == rate  # still under MIN_SPAN
    assert rate == (50_000 + 100 * WIRE_OVERHEAD) * 8
    # Measured from 1.0 on: 10,000 bytes and 20 packets in half a second.
    assert meter.update(1.5, octets=60_000, packets=120) == (10_000 + 20 * WIRE_OVERHEAD) * 16


def test_a_burst_of_reports_rises_the_cap_once_a_second_not_once_a_report() -> None:
    link = Downlink(remb=2_000_000)
    link.on_loss(0.4, sent=1_000_000, now=0.0)
    assert link.loss_cap == 800_000
    for offset in BURST:
        link.on_loss(0.0, sent=800_000, now=1.0 + offset)
    assert link.loss_cap == 864_000  # 1.08 once; six rises would have been 1,269,000


def test_repairs_stay_off_after_heavy_loss_whatever_the_next_streams_report_says() -> None:
    link = Downlink(remb=600_000)
    link.on_loss(0.3, sent=500_000, now=0.0)  # the video stream's report
    link.on_loss(0.0, sent=500_000, now=0.0001)  # the audio stream's, in the same burst
    assert not link.repairs_allowed
    link.on_loss(0.0, sent=400_000, now=1.0)
    assert link.repairs_allowed


def test_a_burst_of_reports_keeps_the_share_of_repairs_of_the_last_span() -> None:
    meter = RepairMeter()
    meter.update(0.0, packets=0, repairs=0)
    assert meter.update(1.0, packets=300, repairs=100) == 0.25
    for offset in BURST[1:]:  # before: 0 of 0 packets, no verdict, for all but the first
        assert meter.update(1.0 + offset, packets=300, repairs=100) == 0.25


def test_remb_is_the_videos_own_budget_and_a_loss_cap_less_the_audio_replaces_it() -> None:
    # libwebrtc's receive-side estimator reads video packets only: a REMB of 200 kbit/s beside
    # 180 kbit/s of audio left 20 kbit/s for video when the audio came off it, and no video
    # fitted on a 500 kbit/s link carrying 190 (the field benchmark's trace).
    link = Downlink()
    assert link.for_video(audio=180_000) is None
    link.remb = 200_000
    assert link.for_video(audio=180_000) == 200_000
    link.on_loss(0.3, sent=500_000, now=0.0)  # everything sent: 425k carried
    assert link.for_video(audio=180_000) == 245_000  # 425k - 180k, what the link carried
    link.remb = 30_000  # a REMB that fell during the overuse and stays there
    assert link.for_video(audio=180_000) == 245_000
    assert link.for_video(audio=500_000) == 0
    link.remb = None
    assert link.for_video(audio=180_000) == 245_000


def test_a_growing_standing_queue_lowers_the_rate_once_until_it_drains() -> None:
    # The field benchmark: 600 kbit/s into 500 for 25 s, REMB and loss unmoved, the queue full.
    link = Downlink(remb=800_000)
    link.on_loss(0.03, sent=600_000, now=0.0, queue=0.05)
    assert link.loss_cap is None and link.repairs_allowed
    link.on_loss(0.03, sent=600_000, now=1.0, queue=0.4)
    assert link.loss_cap == 510_000 and not link.repairs_allowed  # 600k x 0.85
    link.on_loss(0.03, sent=400_000, now=2.0, queue=0.3)  # draining: no second cut
    assert link.loss_cap == 510_000
    link.on_loss(0.03, sent=400_000, now=3.0, queue=0.35)  # growing again
    assert link.loss_cap == 433_500  # 510k x 0.85: the link carried more than 400k lately


def test_a_queue_cut_starts_from_the_most_sent_lately_not_from_the_audio_left() -> None:
    # The trace: the videos that filled the queue had stopped when it was measured; a cut from
    # the 173k of audio left no room for any video on a link that carries 500k.
    link = Downlink(remb=800_000)
    link.on_loss(0.03, sent=670_000, now=0.0, queue=0.05)
    link.on_loss(0.03, sent=400_000, now=1.0, queue=0.05)
    link.on_loss(0.03, sent=173_000, now=2.0, queue=1.6)
    assert link.loss_cap == 569_500  # 670k x 0.85
    link.on_loss(0.03, sent=173_000, now=4.0, queue=1.65)  # the first reading after the cut
    assert link.loss_cap == 569_500  # says where the queue stands; the next one may cut
    link.on_loss(0.03, sent=173_000, now=5.0, queue=1.7)  # 670k was 3 s ago or more
    assert link.loss_cap == 147_050


def test_without_a_queue_random_loss_does_not_hold_the_rate_down() -> None:
    # A mobile link loses 3 % whatever is sent: with the queue empty the cap rises anyway.
    link = Downlink(remb=800_000)
    link.on_loss(0.3, sent=500_000, now=0.0)
    assert link.loss_cap == 425_000
    link.on_loss(0.03, sent=400_000, now=1.0)  # no queue measured: 3 % holds it
    assert link.loss_cap == 425_000
    link.on_loss(0.03, sent=400_000, now=2.0, queue=0.15)  # some queue: it holds
    assert link.loss_cap == 425_000
    link.on_loss(0.03, sent=400_000, now=3.0, queue=0.02)
    assert link.loss_cap == 459_000  # x 1.08


def test_a_link_back_from_an_outage_starts_over_without_the_old_cap() -> None:
    link = Downlink(remb=300_000)
    link.on_loss(0.5, sent=400_000, now=0.0)
    assert link.loss_cap == 300_000 and not link.repairs_allowed
    link.link_returned()
    assert link.loss_cap is None and link.estimate == 300_000 and link.repairs_allowed


def test_a_meter_with_a_longer_span_smooths_a_bursty_voice() -> None:
    meter = SentMeter(span=3.0)
    meter.update(0.0, octets=0, packets=0)
    assert meter.update(0.5, octets=20_000, packets=25) == 0  # a burst: no rate from it yet
    assert meter.update(3.0, octets=60_000, packets=150) == int((60_000 + 38 * 150) * 8 / 3)


def test_near_the_rate_that_filled_the_link_the_cap_creeps_up() -> None:
    link = Downlink(remb=800_000)
    link.on_loss(0.03, sent=600_000, now=0.0, queue=0.01)
    link.on_loss(0.03, sent=600_000, now=1.0, queue=0.3)  # filled at 600k: cap 510k
    link.on_loss(0.03, sent=500_000, now=2.0, queue=0.01)
    assert link.loss_cap == 550_800  # x 1.08: below 90 % of 600k
    link.on_loss(0.03, sent=500_000, now=3.0, queue=0.01)
    assert link.loss_cap == 561_816  # x 1.02 from 540k on


def test_a_recent_queue_measurement_lets_the_cap_rise_between_measurements() -> None:
    link = Downlink(remb=800_000)
    link.on_loss(0.3, sent=500_000, now=0.0)
    assert link.loss_cap == 425_000
    link.on_loss(0.05, sent=400_000, now=1.0, queue=0.01)
    assert link.loss_cap == 459_000
    link.on_loss(0.05, sent=400_000, now=2.0)  # no round trip of its own: the last one holds
    assert link.loss_cap == 468_180  # x 1.02: near the 500k that filled the link
    link.on_loss(0.05, sent=400_000, now=5.0)  # too old now: 5 % loss holds it
    assert link.loss_cap == 468_180


def test_a_queue_the_last_cut_has_yet_to_drain_cuts_no_more() -> None:
    # The trace: readings of the queue a cut had yet to drain cut four times in 1.5 s (484,
    # 412, 350, 298 kbit/s) on a link of 500, and stopped every video.
    link = Downlink(remb=800_000)
    link.on_loss(0.03, sent=600_000, now=0.0, queue=0.0, queue_from=-0.8)
    link.on_loss(0.03, sent=600_000, now=1.0, queue=0.4, queue_from=0.2)
    assert link.loss_cap == 510_000  # 600k x 0.85
    link.on_loss(0.03, sent=330_000, now=1.5, queue=0.55, queue_from=0.7)  # timed before it
    link.on_loss(0.03, sent=330_000, now=2.0, queue=0.55, queue_from=1.2)  # after: a start
    assert link.loss_cap == 510_000 and link.repairs_allowed
    link.on_loss(0.03, sent=330_000, now=2.5, queue=0.3, queue_from=1.7)  # draining
    assert link.loss_cap == 510_000
    link.on_loss(0.03, sent=330_000, now=3.0, queue=0.35, queue_from=2.2)  # growing again
    assert link.loss_cap == 433_500  # 510k x 0.85: the cut did not make it drain


def test_a_remb_below_what_the_videos_get_counts_only_beside_a_queue() -> None:
    # After an outage (no cap) a restarted video's key frame made the receiver's REMB fall from
    # 267k to 214k below the 250k its videos got, with no queue in the round trips: it stopped
    # a video the link had room for (the field benchmark's trace).
    link = Downlink(remb=214_000)
    assert link.for_video(180_000, video_sent=250_000, now=0.0) == 214_000  # no reading yet
    link.on_loss(0.03, sent=430_000, now=1.0, queue=0.01)
    assert link.for_video(180_000, video_sent=250_000, now=2.0) == 250_000
    assert link.for_video(180_000, video_sent=150_000, now=2.0) == 214_000
    assert link.for_video(180_000, video_sent=250_000, now=5.0) == 214_000  # the reading aged
    link.on_loss(0.03, sent=430_000, now=5.0, queue=0.08)  # some queue: REMB's word counts
    assert link.for_video(180_000, video_sent=250_000, now=5.0) == 214_000


def test_a_queue_cut_comes_down_to_what_the_link_carried_not_from_the_cap() -> None:
    # 600k went into a link of 500k: the queue grows, and what arrived is what it carries.
    link = Downlink(remb=800_000)
    link.on_loss(0.03, sent=450_000, now=0.0, queue=0.0)
    link.on_loss(0.03, sent=600_000, now=1.0, queue=0.3, delivered=500_000)
    assert link.loss_cap == 425_000  # 500k x 0.85, not 600k x 0.85
    link.on_loss(0.03, sent=420_000, now=2.0, queue=0.3, delivered=500_000)  # a start
    link.on_loss(0.03, sent=420_000, now=3.0, queue=0.29, delivered=500_000)  # barely drains
    assert link.loss_cap == 361_250  # below 0.85 x 500k already: the cap itself x 0.85


def test_a_queue_that_drains_too_slowly_after_a_cut_cuts_again() -> None:
    link = Downlink(remb=800_000)
    link.on_loss(0.03, sent=600_000, now=0.0, queue=0.0)
    link.on_loss(0.03, sent=600_000, now=1.0, queue=0.6)
    assert link.loss_cap == 510_000
    link.on_loss(0.03, sent=480_000, now=2.0, queue=0.55)  # the first reading after the cut
    link.on_loss(0.03, sent=480_000, now=3.0, queue=0.4)  # 0.15 s in a second: draining
    assert link.loss_cap == 510_000
    link.on_loss(0.03, sent=480_000, now=4.0, queue=0.35)  # 0.05 s: the link is still full
    assert link.loss_cap == 433_500


def test_the_meter_knows_what_a_packet_took_on_the_wire() -> None:
    meter = SentMeter()
    meter.update(0.0, octets=0, packets=0)
    assert meter.packet_size is None
    meter.update(1.0, octets=100_000, packets=100)
    assert meter.packet_size == 1_000 + WIRE_OVERHEAD


def test_one_report_a_little_above_high_loss_is_noise_two_in_a_row_are_not() -> None:
    # 3 % lost each way reads 3-9 % per report, and now and then above 10 % (the trace: 12.9,
    # 11.5 and 10.4 % once each in one run, each of which stopped a video).
    link = Downlink(remb=600_000)
    link.on_loss(0.05, sent=500_000, now=0.0)
    link.on_loss(0.13, sent=500_000, now=1.0)
    assert link.loss_cap is None and link.repairs_allowed
    link.on_loss(0.06, sent=500_000, now=2.0)
    link.on_loss(0.13, sent=500_000, now=3.0)
    link.on_loss(0.12, sent=500_000, now=4.0)  # twice in a row: the link drops packets
    assert link.loss_cap == 470_000 and not link.repairs_allowed  # 500k x (1 - 0.12 / 2)
