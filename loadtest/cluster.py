"""Several Kamar nodes for a benchmark (`--nodes K`): K `kamar serve` processes on loopback
sharing a throwaway Redis, a throwaway PostgreSQL and one data directory, as docs/cluster.md
says a deployment runs. The cluster stands in for the one measured server (its CPU and memory
are the nodes' sums) and reads each node's own figures for `per_node`."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from loadtest.chat_stats import percentile, split
from loadtest.client import SyntheticParticipant
from loadtest.measuring import MeasuredServer, measured_server
from loadtest.postgres import throwaway_postgres
from loadtest.redis_server import throwaway_redis
from loadtest.servers import ExternalServer, ServerProcess

MAX_NODES = 8


class LocalCluster:
    def __init__(self, data_dir: Path, nodes: list[ServerProcess]) -> None:
        self.data_dir = data_dir
        self.nodes = nodes

    @property
    def base_url(self) -> str:
        return self.nodes[0].base_url

    @property
    def pid(self) -> int | None:
        return self.nodes[0].pid  # the first node: where the meeting lives (its home)

    def ws_url(self, index: int) -> str:
        """The socket URL of node `index` modulo K: participants spread over the nodes as a
        load balancer spreads them."""
        return self.nodes[index % len(self.nodes)].base_url.replace("http://", "ws://") + "/ws"

    def cpu_seconds(self) -> tuple[float, float] | None:
        each = self.cpu_seconds_per_node()
        if any(figures is None for figures in each):
            return None
        return (sum(f[0] for f in each if f), sum(f[1] for f in each if f))

    def cpu_seconds_per_node(self) -> list[tuple[float, float] | None]:
        return [node.cpu_seconds() for node in self.nodes]

    def rss_mb(self) -> float | None:
        sizes = [node.rss_mb() for node in self.nodes]
        return None if any(s is None for s in sizes) else sum(s or 0.0 for s in sizes)


@dataclass
class NodeFigures:
    """One node's share of a run (the `per_node` entries of --json)."""

    node: int
    participants: int  # those who connected through it
    cpu_percent: float | None
    delivered_pps: float
    latency_ms_p50: float | None
    latency_ms_p99: float | None


@contextlib.asynccontextmanager
async def local_cluster(count: int) -> AsyncIterator[LocalCluster]:
    """`count` nodes with Redis and PostgreSQL, all started here and stopped afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="kamar-loadtest-") as data,
        throwaway_redis() as redis,
        throwaway_postgres() as base,
    ):
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute('CREATE DATABASE "kamar_cluster"')
        finally:
            await admin.close()
        database = f"{base}/kamar_cluster"
        data_dir = Path(data)
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "server", "migrate", "--database-url", database,
            "--data", data, stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if await migrate.wait() != 0:
            raise RuntimeError("kamar migrate failed on the benchmark's PostgreSQL")
        nodes = []
        for _ in range(count):
            node = ServerProcess(data_dir)
            node.extra_args = ("--redis", redis.url, "--database-url", database,
                               "--node-url", node.base_url)  # fmt: skip
            nodes.append(node)
        try:
            for node in nodes:  # one by one: the first makes the data dir's secret
                await node.start()
            yield LocalCluster(data_dir, nodes)
        finally:
            for node in nodes:
                await node.stop()


class NodeWindow:
    """Each node's figures over one measured window: its CPU, and what the participants who
    connected through it received (participant i went through node i mod K)."""

    def __init__(
        self,
        cluster: LocalCluster,
        members: list[SyntheticParticipant],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        count = len(cluster.nodes)
        self._cluster = cluster
        self._clock = clock
        self._groups = [members[node::count] for node in range(count)]
        self._cpu0 = cluster.cpu_seconds_per_node()
        self._got0 = [_delivered(group) for group in self._groups]
        self._t0 = clock()

    def finish(self) -> list[NodeFigures]:
        window = self._clock() - self._t0
        cpu1 = self._cluster.cpu_seconds_per_node()
        figures = []
        for node, group in enumerate(self._groups):
            before, after = self._cpu0[node], cpu1[node]
            cpu = None
            if before is not None and after is not None:
                cpu = round((sum(after) - sum(before)) / window * 100, 1)
            delays = [d * 1000 for m in group for d in m.received.socket_delays]
            figures.append(
                NodeFigures(
                    node=node,
                    participants=len(group),
                    cpu_percent=cpu,
                    delivered_pps=round((_delivered(group) - self._got0[node]) / window, 1),
                    latency_ms_p50=_rounded(percentile(delays, 0.5)),
                    latency_ms_p99=_rounded(percentile(delays, 0.99)),
                )
            )
        return figures


def node_cpu(
    cluster: LocalCluster,
    before: list[tuple[float, float] | None],
    window: float,
    participants: int,
) -> list[NodeFigures]:
    """Each node's CPU over `window` seconds since `before` (the chat scenario: its sockets
    time deliveries themselves, so only the CPU is per node)."""
    shares = split(participants, len(cluster.nodes))  # as the chat scenario deals sockets out
    figures = []
    for node, (then, now) in enumerate(zip(before, cluster.cpu_seconds_per_node(), strict=True)):
        cpu = None
        if then is not None and now is not None:
            cpu = round((sum(now) - sum(then)) / window * 100, 1)
        figures.append(NodeFigures(node, shares[node], cpu, 0.0, None, None))
    return figures


def _delivered(members: list[SyntheticParticipant]) -> int:
    return sum(sum(m.received.packets.values()) for m in members)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@contextlib.asynccontextmanager
async def measured_servers(
    external: ExternalServer | None, nodes: int
) -> AsyncIterator[MeasuredServer | LocalCluster]:
    """One server (given by --url, or started here), or `nodes` > 1 started here."""
    if nodes > 1:
        if external is not None:
            raise ValueError("--nodes starts its own nodes; it does not go with --url")
        async with local_cluster(nodes) as cluster:
            yield cluster
    else:
        async with measured_server(external) as server:
            yield server
