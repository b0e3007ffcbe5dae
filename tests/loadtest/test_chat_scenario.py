"""The chat fan-out scenario: its arithmetic. One small run against a real server is in
tests/whole/loadtest/test_scenario_runs.py."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from loadtest import chat, chat_clients, chat_stats
from loadtest.chat_cli import client_counts
from rooms.community.bus import LocalBus
from signalling.events import encode


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.99, 7.0),
        ([float(n) for n in range(1, 101)], 0.5, 50.0),
        ([float(n) for n in range(1, 101)], 0.99, 99.0),
        ([float(n) for n in range(1, 101)], 1.0, 100.0),
        ([float(n) for n in range(1, 101)], 0.0, 1.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),  # unsorted input
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),  # nearest rank: no interpolation
        ([1.0] * 98 + [50.0, 90.0], 0.99, 50.0),
    ],
)
def test_percentile_is_the_nearest_rank(
    values: list[float], fraction: float, expected: float | None
) -> None:
    assert chat_stats.percentile(values, fraction) == expected


@pytest.mark.parametrize("microseconds", [1.5, 80.0, 999.0, 1_234.5, 45_000.0, 9_876_543.0])
def test_a_bucket_holds_its_delays_within_half_a_percent(microseconds: float) -> None:
    middle = chat_stats.bucket_value(chat_stats.bucket_of(microseconds))
    assert abs(middle - microseconds) / microseconds < 0.006


def test_buckets_grow_with_the_delay_and_tiny_delays_share_bucket_zero() -> None:
    assert chat_stats.bucket_of(0.0) == chat_stats.bucket_of(1.0) == 0
    buckets = [chat_stats.bucket_of(us) for us in (2.0, 10.0, 100.0, 1_000.0, 1e6)]
    assert buckets == sorted(set(buckets))


@pytest.mark.parametrize(
    ("delays_ms", "fraction", "expected_ms"),
    [
        ([5.0] * 99 + [300.0], 0.5, 5.0),
        ([5.0] * 99 + [300.0], 0.99, 5.0),
        ([5.0] * 98 + [300.0] * 2, 0.99, 300.0),
        ([float(n) for n in range(1, 1001)], 0.5, 500.0),
        ([float(n) for n in range(1, 1001)], 0.99, 990.0),
        ([2.0], 0.99, 2.0),
    ],
)
def test_histogram_percentiles_match_the_exact_ones_within_half_a_percent(
    delays_ms: list[float], fraction: float, expected_ms: float
) -> None:
    histogram = chat_stats.Histogram()
    for delay in delays_ms:
        histogram.add(delay * 1000)
    assert chat_stats.percentile(delays_ms, fraction) == expected_ms
    assert histogram.percentile_ms(fraction) == pytest.approx(expected_ms, rel=0.005)


def test_histograms_merge_and_keep_the_exact_maximum() -> None:
    first, second = chat_stats.Histogram(), chat_stats.Histogram()
    for us in (1_000.0, 2_000.0):
        first.add(us)
    for us in (3_000.0, 123_456.0):
        second.add(us)
    first.merge(second)
    assert first.total == 4 and first.max_us == 123_456.0
    assert first.percentile_ms(1.0) == 123.456  # capped at the exact maximum
    assert chat_stats.Histogram().percentile_ms(0.5) is None


@pytest.mark.parametrize(
    ("rate", "duration", "senders", "expected"),
    [
        (5, 1, 1, [(0.0, 0), (0.2, 0), (0.4, 0), (0.6, 0), (0.8, 0)]),
        (2, 2, 2, [(0.0, 0), (0.5, 1), (1.0, 0), (1.5, 1)]),
        (3, 1, 3, [(0.0, 0), (1 / 3, 1), (2 / 3, 2)]),
        (0.5, 1, 1, [(0.0, 0)]),  # at least one message
        (10, 0.3, 1, [(0.0, 0), (0.1, 0), (0.2, 0)]),  # 10 * 0.3 is 2.9999999999999996
    ],
)
def test_the_schedule_spaces_messages_evenly_and_senders_take_turns(
    rate: float, duration: float, senders: int, expected: list[tuple[float, int]]
) -> None:
    schedule = chat_stats.send_schedule(rate, duration, senders)
    assert [sender for _, sender in schedule] == [sender for _, sender in expected]
    assert [offset for offset, _ in schedule] == pytest.approx([o for o, _ in expected])


def test_a_long_schedule_has_rate_times_duration_messages() -> None:
    schedule = chat_stats.send_schedule(200, 600, 10)
    assert len(schedule) == 120_000 and schedule[-1][0] < 600


@pytest.mark.parametrize(("rate", "duration", "senders"), [(0, 1, 1), (1, 0, 1), (1, 1, 0)])
def test_the_schedule_refuses_nonsense(rate: float, duration: float, senders: int) -> None:
    with pytest.raises(ValueError):
        chat_stats.send_schedule(rate, duration, senders)


@pytest.mark.parametrize(
    ("clients", "accounts", "expected"),
    [(5, 2, [0, 1, 0, 1, 0]), (3, 50, [0, 1, 2]), (4, 1, [0, 0, 0, 0])],
)
def test_sockets_are_spread_over_the_accounts(
    clients: int, accounts: int, expected: list[int]
) -> None:
    assert chat_stats.socket_accounts(clients, accounts) == expected


@pytest.mark.parametrize(
    ("count", "parts", "expected"),
    [(2000, 2, [1000, 1000]), (5, 2, [3, 2]), (7, 3, [3, 2, 2]), (1, 2, [1, 0])],
)
def test_clients_are_split_over_workers_evenly(count: int, parts: int, expected: list[int]) -> None:
    assert chat_stats.split(count, parts) == expected


def _frame(event: dict[str, Any]) -> str:
    """The text the server's bus sends a feed socket for `event`."""
    bus, frames = LocalBus(encode), []
    bus.subscribe("room:1", lambda text, _event: frames.append(text))
    bus.publish("room:1", event)
    return frames[0]


def _message(text: str) -> dict[str, Any]:
    author = {"id": 3, "display_name": 'Ana "A" 🌱', "organisation": "", "region": None}
    return {"id": 9, "room_id": 1, "author": author, "text": text, "reply_to": None}


def test_the_stamp_is_read_back_from_the_frame_the_server_sends() -> None:
    text = chat_clients.stamp(41, 123_456_789_012)
    frame = _frame({"type": "chat_message", "room_id": 1, "message": _message(text)})
    assert chat_clients.read_stamp(frame) == (41, 123_456_789_012)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "chat_edited", "room_id": 1, "message": _message(chat_clients.stamp(1, 2))},
        {"type": "chat_message", "room_id": 1, "message": _message("hello kamar-lt 1 2")},
        {"type": "typing", "room_id": 1, "user": {"id": 3, "display_name": "kamar-lt 1 2"}},
    ],
)
def test_other_frames_carry_no_stamp(event: dict[str, Any]) -> None:
    assert chat_clients.read_stamp(_frame(event)) is None


def _group(delivered: int, delays_ms: list[float], cpu: float, dropped: int = 0) -> Any:
    histogram = chat_stats.Histogram()
    for delay in delays_ms:
        histogram.add(delay * 1000)
    return chat_stats.GroupReport(
        delivered=delivered, duplicates=0, dropped=dropped, delays=histogram, cpu_seconds=cpu
    )


def _summary(**changes: Any) -> chat_stats.ChatResult:
    arguments: dict[str, Any] = {
        "clients": 100,
        "accounts": 50,
        "senders": 1,
        "workers": 1,
        "rate": 5.0,
        "send_window": 20.0,
        "measure_window": 25.0,
        "messages": 100,
        "post_errors": 0,
        "groups": [_group(10_000, [4.0] * 99 + [40.0], cpu=5.0)],
        "parent_cpu_seconds": 5.0,
        "ack_ms": [2.0, 3.0],
        "connect_ms": [10.0, 20.0, 30.0],
        "server_cpu_seconds": 2.5,
        "server_wait_seconds": 5.0,
        "rss_mb": 150.0,
        "rss_mb_before_clients": 100.0,
    }
    arguments.update(changes)
    return chat_stats.summarise(**arguments)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {},
            {
                "messages_per_s": 5.0,
                "deliveries_per_s": 500.0,
                "expected_deliveries": 10_000,
                "missing": 0,
                "delivered_ratio": 1.0,
                "delivery_ms_p50": 4.0,
                "delivery_ms_p99": 4.0,
                "delivery_ms_max": 40.0,
                "ack_ms_p50": 2.0,
                "ack_ms_p99": 3.0,
                "connect_ms_p50": 20.0,
                "server_cpu_percent": 10.0,  # 2.5 s over 25 s
                "server_cpu_us_per_delivery": 250.0,
                "rss_kb_per_socket": 512.0,
                "loadgen_cpu_percent": 20.0,  # the clients' CPU is the parent's own
                "loadgen_busiest_percent": 20.0,
                "server_cpu_wait_percent": 20.0,
                "loadgen_cpu_wait_percent": None,
            },
        ),
        (
            {
                "workers": 2,
                "groups": [
                    _group(4_000, [1.0], cpu=20.0),
                    _group(5_000, [2.0], cpu=10.0, dropped=3),
                ],
                "parent_cpu_seconds": 1.0,
            },
            {
                "delivered": 9_000,
                "missing": 1_000,
                "delivered_ratio": 0.9,
                "dropped_sockets": 3,
                "deliveries_per_s": 450.0,
                "loadgen_cpu_percent": 124.0,  # (1 + 20 + 10) / 25
                "loadgen_busiest_percent": 80.0,
                "server_cpu_us_per_delivery": round(2.5 / 9_000 * 1e6, 2),
            },
        ),
        (
            {
                "server_cpu_seconds": None,
                "rss_mb": None,
                "messages": 0,
                "groups": [_group(0, [], 0)],
            },
            {
                "server_cpu_percent": None,
                "server_cpu_us_per_delivery": None,
                "rss_mb": None,
                "rss_kb_per_socket": None,
                "delivered_ratio": 0.0,
                "delivery_ms_p50": None,
                "delivery_ms_max": None,
            },
        ),
    ],
)
def test_result_arithmetic(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    result = _summary(**changes).as_dict()
    assert {name: result[name] for name in expected} == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"clients": 0},
        {"clients": chat.MAX_CLIENTS + 1},
        {"rate": 0},
        {"rate": chat.MAX_RATE + 1},
        {"duration": chat.MAX_DURATION + 1},
        {"accounts": chat.MAX_ACCOUNTS + 1},
        {"workers": chat.MAX_WORKERS + 1},
    ],
)
def test_the_scenario_is_bounded(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        chat.ChatScenario(**{"clients": 10, **changes})


def test_accounts_never_outnumber_sockets_nor_senders_the_accounts() -> None:
    assert chat.ChatScenario(clients=3).account_count == 3
    assert chat.ChatScenario(clients=2000).account_count == chat.MAX_ACCOUNTS
    assert chat.ChatScenario(clients=1, senders=2).account_count == 2


@pytest.mark.parametrize("text", ["0", "5001", "10,x", ""])
def test_the_command_line_refuses_client_counts_out_of_bounds(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        client_counts(text)
