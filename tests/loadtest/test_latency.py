"""abs-send-time arithmetic of the load test's delay measurement."""

from __future__ import annotations

import socket
import time

import pytest

from loadtest import latency
from sfu import rtp


@pytest.mark.parametrize(
    ("sent", "now", "seconds"),
    [
        (0, 1 << 18, 1.0),
        (100, 100, 0.0),
        ((1 << 24) - (1 << 17), 1 << 17, 1.0),  # across the 64 s wrap
        (0, 4, 4 / (1 << 18)),
    ],
)
def test_delay_is_measured_in_6_18_fixed_point_across_the_wrap(
    sent: int, now: int, seconds: float
) -> None:
    assert latency.delay_seconds(sent, now) == pytest.approx(seconds)


def packet(extensions: bytes) -> bytes:
    padded = extensions + b"\x00" * (-len(extensions) % 4)
    header = bytes([0x90, 96]) + b"\x00\x01" + b"\x00" * 8
    return header + b"\xbe\xde" + (len(padded) // 4).to_bytes(2, "big") + padded + b"payload"


def test_the_stamp_is_found_by_its_id_after_other_elements_and_padding() -> None:
    data = packet(bytes([0x10, 0x07]) + b"\x00" + bytes([0x32, 0xAB, 0xCD, 0xEF]))
    assert rtp.abs_send_time(data, 3) == 0xABCDEF
    assert rtp.abs_send_time(data, 4) is None


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x80, 96]) + b"\x00" * 20,  # no extension bit
        packet(bytes([0x31, 0xAB, 0xCD])),  # id matches but 2 bytes, not 3
        packet(bytes([0xF0, 0x32, 0xAB, 0xCD, 0xEF])),  # id 15 stops the walk
        b"\x90\x60",  # truncated
    ],
)
def test_packets_without_a_well_formed_stamp_give_none(data: bytes) -> None:
    assert rtp.abs_send_time(data, 3) is None


def test_now_is_a_24_bit_value() -> None:
    assert 0 <= latency.abs_send_time_now() < 1 << 24


def test_a_csrc_count_pointing_past_the_packet_gives_none() -> None:
    assert rtp.abs_send_time(bytes([0x9F, 96]) + b"\x00" * 20, 3) is None


def test_the_kernel_stamps_a_datagrams_arrival_on_the_abs_send_time_clock() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
    ):
        receiver.bind(("127.0.0.1", 0))
        latency.stamp_arrivals(receiver.fileno())
        time.sleep(0.2)  # Linux turns the stamps on from a work queue
        before = latency.abs_send_time_now()
        sender.sendto(b"second", receiver.getsockname())
        time.sleep(0.05)  # it arrived at once; the stamp must say so, not when it is read
        receiver.recv(100)
        arrived = latency.kernel_arrival(receiver.fileno())
        assert arrived is not None
        assert latency.delay_seconds(before, arrived) < 0.02
        assert latency.delay_seconds(arrived, latency.abs_send_time_now()) >= 0.04
