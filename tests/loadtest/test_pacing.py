"""The load test's browser-like publisher pacing."""

from __future__ import annotations

import pytest

from loadtest import latency
from loadtest.pacing import Pacer, paced
from sfu import rtp
from tests.loadtest.test_latency import packet


def test_a_burst_is_spread_at_the_pacing_rate() -> None:
    pacer = Pacer(bits_per_second=8_000)  # 1000 bytes a second
    delays = [pacer.delay(100, now=10.0) for _ in range(4)]
    assert delays == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_an_idle_pacer_sends_at_once_and_does_not_bank_credit() -> None:
    pacer = Pacer(bits_per_second=8_000)
    assert pacer.delay(100, now=0.0) == 0.0
    assert pacer.delay(100, now=5.0) == 0.0  # long idle: no wait
    assert pacer.delay(100, now=5.0) == pytest.approx(0.1)  # but no burst allowance either


@pytest.mark.parametrize("rate", [0, -1])
def test_the_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(rate)


def test_restamping_rewrites_only_the_abs_send_time_value() -> None:
    data = packet(bytes([0x10, 0x07, 0x32, 0x00, 0x00, 0x01]))
    out = latency.restamp(data, 3, 0xABCDEF)
    assert rtp.abs_send_time(out, 3) == 0xABCDEF
    assert len(out) == len(data) and out[:17] == data[:17] and out[-7:] == data[-7:]
    assert latency.restamp(data, 9, 0xABCDEF) == data  # no such element: unchanged


async def test_rtp_waits_for_its_slot_and_leaves_with_a_fresh_stamp_while_rtcp_goes_at_once() -> (
    None
):
    sent: list[bytes] = []

    async def send(data: bytes) -> None:
        sent.append(data)

    send_paced = paced(send, Pacer(bits_per_second=8_000_000), abs_send_time_id=3)
    media = packet(bytes([0x32, 0x00, 0x00, 0x01]))
    rtcp = bytes([0x80, 200]) + b"\x00" * 26
    await send_paced(media)
    await send_paced(rtcp)
    assert sent[1] == rtcp
    stamp = rtp.abs_send_time(sent[0], 3)
    assert stamp is not None and stamp != 1
    assert latency.delay_seconds(stamp, latency.abs_send_time_now()) < 1.0
