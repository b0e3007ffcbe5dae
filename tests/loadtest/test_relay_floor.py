"""`kamar-loadtest floor`: a bare relay's CPU per forwarded packet, read from /proc."""

from __future__ import annotations

from loadtest.relay_floor import PACKETS_PER_SECOND, measure


def test_the_relay_forwards_the_paced_stream_and_its_cpu_is_counted() -> None:
    result = measure(receivers=20, duration=2.0)
    assert result.receivers == 20
    # 2,540 datagrams a second leave the relay: some CPU is always spent on them.
    assert result.relay_cpu_ms_per_s > 0
    assert result.us_per_forwarded_packet is not None
    # Both figures are rounded from the same CPU time (ms/s to 0.01, µs to 0.1).
    per_incoming = result.relay_cpu_ms_per_s * 1000 / PACKETS_PER_SECOND
    assert abs(result.us_per_incoming_packet - per_incoming) <= 0.1
