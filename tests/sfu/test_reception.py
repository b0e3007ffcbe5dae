"""Receiver-report facts about an incoming stream (RFC 3550 6.4.1, A.3)."""

from __future__ import annotations

import pytest

from sfu.reception import Reception


def received(seqs: list[int]) -> Reception:
    reception = Reception()
    for seq in seqs:
        reception.add(seq)
    return reception


def test_nothing_received_means_nothing_to_report() -> None:
    assert Reception().report(now=1.0) is None


@pytest.mark.parametrize(
    ("seqs", "fraction", "lost", "highest"),
    [
        ([10, 11, 12, 13], 0, 0, 13),
        ([10, 11, 13], 256 // 4, 1, 13),  # one of four expected is missing
        ([65534, 65535, 0, 1], 0, 0, 65536 + 1),  # the extended number counts the wrap
        ([10, 12, 11], 0, 0, 12),  # reordered, nothing lost
        ([10, 10, 11], 0, -1, 11),  # a duplicate makes the cumulative count negative
    ],
)
def test_a_report_counts_loss_and_the_extended_highest_sequence(
    seqs: list[int], fraction: int, lost: int, highest: int
) -> None:
    block = received(seqs).report(now=1.0)
    assert block is not None
    assert (block.fraction_lost, block.packets_lost, block.highest_sequence) == (
        fraction,
        lost,
        highest,
    )


def test_the_fraction_is_per_interval_and_the_count_cumulative() -> None:
    reception = received([1, 2, 4])  # one lost
    first = reception.report(now=1.0)
    for seq in range(5, 13):  # eight more, none lost
        reception.add(seq)
    second = reception.report(now=2.0)
    assert first is not None and second is not None
    assert (first.fraction_lost, first.packets_lost) == (256 // 4, 1)
    assert (second.fraction_lost, second.packets_lost) == (0, 1)


def test_lsr_and_dlsr_come_from_the_last_sender_report() -> None:
    reception = received([1])
    block = reception.report(now=5.0)
    assert block is not None and (block.lsr, block.dlsr) == (0, 0)
    reception.sender_report(ntp=0x1234_5678_9ABC_DEF0, now=10.0)
    block = reception.report(now=10.5)
    assert block is not None
    assert block.lsr == 0x5678_9ABC and block.dlsr == 65536 // 2


def test_steady_arrivals_mean_no_jitter() -> None:
    reception = Reception(clock_rate=90000)
    for n in range(50):
        reception.add(n, timestamp=3000 * n, arrival=10.0 + n / 30)
    block = reception.report(now=20.0)
    assert block is not None and block.jitter == 0


def test_arrivals_wobbling_by_10_ms_converge_to_900_units_of_jitter() -> None:
    reception = Reception(clock_rate=90000)
    for n in range(400):
        wobble = 0.010 if n % 2 else 0.0  # every other packet 10 ms late
        reception.add(n, timestamp=3000 * n, arrival=10.0 + n / 30 + wobble)
    block = reception.report(now=30.0)
    assert block is not None and 880 <= block.jitter <= 900  # 10 ms at 90 kHz


def test_jitter_survives_the_rtp_timestamp_wrap() -> None:
    reception = Reception(clock_rate=90000)
    for n in range(50):
        reception.add(n, timestamp=(2**32 - 3000 * 25 + 3000 * n) % 2**32, arrival=n / 30)
    block = reception.report(now=5.0)
    assert block is not None and block.jitter == 0


def test_without_arrival_times_jitter_stays_zero() -> None:
    reception = received([1, 2, 3])
    block = reception.report(now=1.0)
    assert block is not None and block.jitter == 0
