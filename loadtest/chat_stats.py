"""The arithmetic of the `chat` scenario: percentiles, the delivery-delay histogram, the
send schedule, how sockets and clients are shared out, and the summary of one run.

Everything here is pure: no sockets, no processes, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

_LOG_STEP = math.log1p(0.01)  # delivery histogram buckets are 1 % wide


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least `fraction` of all at or
    below it); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def bucket_of(microseconds: float) -> int:
    """The 1 %-wide logarithmic bucket of a delay; everything under 1 µs goes to bucket 0."""
    if microseconds <= 1.0:
        return 0
    return int(math.log(microseconds) / _LOG_STEP)


def bucket_value(bucket: int) -> float:
    """The geometric middle of a bucket, in µs: within 0.5 % of every delay it holds."""
    return math.exp((bucket + 0.5) * _LOG_STEP)


@dataclass
class Histogram:
    """Delays in 1 % buckets: millions of deliveries in a few kilobytes, merged across
    processes, percentiles within 0.5 %. The maximum is kept exactly."""

    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0
    max_us: float = 0.0

    def add(self, microseconds: float) -> None:
        bucket = bucket_of(microseconds)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1
        if microseconds > self.max_us:
            self.max_us = microseconds

    def merge(self, other: Histogram) -> None:
        for bucket, count in other.counts.items():
            self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.total += other.total
        self.max_us = max(self.max_us, other.max_us)

    def percentile_ms(self, fraction: float) -> float | None:
        """Nearest rank, as `percentile`, to the bucket's middle; None when empty."""
        if not self.total:
            return None
        rank = max(1, math.ceil(fraction * self.total))
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                return min(bucket_value(bucket), self.max_us) / 1000
        raise AssertionError("counts do not add up to total")


def send_schedule(rate: float, duration: float, senders: int) -> list[tuple[float, int]]:
    """(seconds after the start, sender) of every message: evenly spaced at `rate` per second
    in all, the senders taking turns; at least one message."""
    if rate <= 0 or duration <= 0 or senders < 1:
        raise ValueError("rate, duration and senders must be positive")
    count = max(1, math.floor(rate * duration + 1e-9))
    return [(n / rate, n % senders) for n in range(count)]


def socket_accounts(clients: int, accounts: int) -> list[int]:
    """The account each socket signs in as: round robin, so no account has more than one
    socket above another."""
    return [n % accounts for n in range(clients)]


def split(count: int, parts: int) -> list[int]:
    """`count` items in `parts` shares that differ by at most one, larger first."""
    return [count // parts + (1 if n < count % parts else 0) for n in range(parts)]


@dataclass
class GroupReport:
    """What the clients of one process saw while measuring."""

    delivered: int  # distinct (socket, message) pairs
    duplicates: int
    dropped: int  # sockets closed before the end (by the server, or failed)
    delays: Histogram
    cpu_seconds: float  # the process's own user + system time while measuring


@dataclass
class ChatResult:
    clients: int
    accounts: int
    senders: int
    workers: int
    rate: float  # asked for
    duration_s: float  # the sending window
    messages: int  # posted and acknowledged
    post_errors: int
    messages_per_s: float
    deliveries_per_s: float
    expected_deliveries: int
    delivered: int
    missing: int
    duplicates: int
    dropped_sockets: int
    delivered_ratio: float
    delivery_ms_p50: float | None
    delivery_ms_p99: float | None
    delivery_ms_max: float | None
    ack_ms_p50: float | None
    ack_ms_p99: float | None
    connect_ms_p50: float | None
    connect_ms_p99: float | None
    server_cpu_percent: float | None
    server_cpu_us_per_delivery: float | None
    rss_mb: float | None
    rss_kb_per_socket: float | None
    # All load-generator processes together, and the busiest one: near 100 % of a core the
    # clients, not the server, set the delivery latency.
    loadgen_cpu_percent: float
    loadgen_busiest_percent: float
    # Time runnable but waiting for a core (/proc/PID/schedstat), % of the window: high when
    # other work on the machine, not the process itself, holds it back. None: not available.
    server_cpu_wait_percent: float | None
    loadgen_cpu_wait_percent: float | None
    nodes: int = 1
    # With several nodes: each node's sockets and CPU (loadtest/cluster.py NodeFigures).
    per_node: list[Any] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["per_node"] = [asdict(figures) for figures in self.per_node]
        return data


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def summarise(
    *,
    clients: int,
    accounts: int,
    senders: int,
    workers: int,
    rate: float,
    send_window: float,
    measure_window: float,
    messages: int,
    post_errors: int,
    groups: Sequence[GroupReport],
    parent_cpu_seconds: float,
    ack_ms: Sequence[float],
    connect_ms: Sequence[float],
    server_cpu_seconds: float | None,
    rss_mb: float | None,
    rss_mb_before_clients: float | None,
    server_wait_seconds: float | None = None,
    loadgen_wait_seconds: float | None = None,
) -> ChatResult:
    """The figures of one run from its raw counts and times. Pure.

    `send_window`: seconds from the first post to the end of the schedule (rates are per this
    window); `measure_window`: seconds from the first post until every delivery arrived or
    the wait for stragglers ended (CPU percentages are per this window)."""
    deliveries = _deliveries(groups, clients * messages, send_window)
    # The parent process posts, and holds the clients when there are no workers.
    processes = [parent_cpu_seconds]
    if workers > 1:
        processes.extend(group.cpu_seconds for group in groups)
    return ChatResult(
        clients=clients,
        accounts=accounts,
        senders=senders,
        workers=workers,
        rate=rate,
        duration_s=round(send_window, 2),
        messages=messages,
        post_errors=post_errors,
        messages_per_s=round(messages / send_window, 2),
        **deliveries,
        ack_ms_p50=_rounded(percentile(ack_ms, 0.5), 2),
        ack_ms_p99=_rounded(percentile(ack_ms, 0.99), 2),
        connect_ms_p50=_rounded(percentile(connect_ms, 0.5), 1),
        connect_ms_p99=_rounded(percentile(connect_ms, 0.99), 1),
        server_cpu_us_per_delivery=None
        if server_cpu_seconds is None or not deliveries["delivered"]
        else round(server_cpu_seconds / deliveries["delivered"] * 1e6, 2),
        rss_mb=_rounded(rss_mb, 1),
        rss_kb_per_socket=None
        if rss_mb is None or rss_mb_before_clients is None
        else round((rss_mb - rss_mb_before_clients) * 1024 / clients, 1),
        loadgen_cpu_percent=round(sum(processes) / measure_window * 100, 1),
        loadgen_busiest_percent=round(max(processes) / measure_window * 100, 1),
        **_cpu_percents(
            measure_window, server_cpu_seconds, server_wait_seconds, loadgen_wait_seconds
        ),
    )


def _cpu_percents(
    window: float, server: float | None, server_wait: float | None, loadgen_wait: float | None
) -> dict[str, Any]:
    """The server's CPU, and the waits for a core, as percentages of `window` seconds, by
    ChatResult's field names."""

    def percent(seconds: float | None) -> float | None:
        return _rounded(None if seconds is None else seconds / window * 100, 1)

    return {
        "server_cpu_percent": percent(server),
        "server_cpu_wait_percent": percent(server_wait),
        "loadgen_cpu_wait_percent": percent(loadgen_wait),
    }


def _deliveries(groups: Sequence[GroupReport], expected: int, send_window: float) -> dict[str, Any]:
    """The figures of what reached the clients, and how fast, by ChatResult's field names."""
    delays = Histogram()
    for group in groups:
        delays.merge(group.delays)
    delivered = sum(group.delivered for group in groups)
    return {
        "deliveries_per_s": round(delivered / send_window, 1),
        "expected_deliveries": expected,
        "delivered": delivered,
        "missing": expected - delivered,
        "duplicates": sum(group.duplicates for group in groups),
        "dropped_sockets": sum(group.dropped for group in groups),
        "delivered_ratio": round(delivered / expected, 6) if expected else 0.0,
        "delivery_ms_p50": _rounded(delays.percentile_ms(0.5), 2),
        "delivery_ms_p99": _rounded(delays.percentile_ms(0.99), 2),
        "delivery_ms_max": _rounded(delays.max_us / 1000 if delays.total else None, 2),
    }
