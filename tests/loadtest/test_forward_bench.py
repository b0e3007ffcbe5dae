"""The per-packet micro-benchmark forwards every packet to every consumer."""

from __future__ import annotations

import pytest

from loadtest.forward_bench import run_forward
from sfu import native

NATIVE = pytest.mark.skipif(native.rtpsend is None, reason="the native step is off or not built")


@pytest.mark.parametrize(
    ("use_socket", "use_native"),
    [(False, False), (True, False), pytest.param(True, True, marks=NATIVE)],
)
def test_every_packet_reaches_every_consumer(use_socket: bool, use_native: bool) -> None:
    result = run_forward(consumers=3, packets=50, use_socket=use_socket, use_native=use_native)
    assert result.packets_forwarded == 150 and result.us_per_packet >= 0
    assert result.native is use_native


def test_the_native_step_needs_a_real_socket() -> None:
    with pytest.raises(ValueError, match="needs --socket"):
        run_forward(consumers=1, packets=1, use_socket=False, use_native=True)
