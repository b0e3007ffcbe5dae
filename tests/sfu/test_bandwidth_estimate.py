"""The receive-side uplink estimate behind the REMB publishers get."""

from __future__ import annotations

from sfu.peer import BandwidthEstimator

PACKET_BYTES = 1200
SPACING = 0.0096  # seconds between packets: 1 Mbit/s


def estimate_after(seconds: float, stretch: float) -> int | None:
    """Packets sent at 1 Mbit/s that arrive `stretch` times as far apart as they were sent
    (1.0: a clear path; above 1: a queue building up on the way)."""
    estimator = BandwidthEstimator()
    for index in range(int(seconds / SPACING)):
        sent = index * SPACING
        arrived = sent * stretch + 0.010
        stamp = int(sent * (1 << 18)) & 0xFFFFFF  # abs-send-time, 6.18 fixed point
        estimator.add(int(arrived * 1000), stamp, PACKET_BYTES, ssrc=1)
    return estimator.bitrate


def test_nothing_is_estimated_before_enough_packets() -> None:
    assert estimate_after(0.5, 1.0) is None


def test_a_clear_path_is_estimated_above_what_flows_so_the_sender_may_grow() -> None:
    estimate = estimate_after(10, 1.0)
    assert estimate is not None and estimate > 1_000_000


def test_a_queue_building_up_lowers_the_estimate() -> None:
    clear, congested = estimate_after(10, 1.0), estimate_after(10, 1.15)
    assert clear is not None and congested is not None
    assert congested < clear * 0.7
