"""The per-packet micro-benchmark forwards every packet to every consumer."""

from __future__ import annotations

import pytest

from loadtest.forward_bench import run_forward


@pytest.mark.parametrize("use_socket", [False, True])
def test_every_packet_reaches_every_consumer(use_socket: bool) -> None:
    result = run_forward(consumers=3, packets=50, use_socket=use_socket)
    assert result.packets_forwarded == 150 and result.us_per_packet >= 0
