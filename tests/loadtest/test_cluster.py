"""`--nodes K` (loadtest/cluster.py): each node's figures come from its own process and from the
participants who connected through it (participant i through node i mod K)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any, cast

import pytest

from loadtest.__main__ import main
from loadtest.client import SyntheticParticipant
from loadtest.cluster import LocalCluster, NodeWindow
from loadtest.failover import fail_over, move_over
from loadtest.servers import ServerProcess


class FakeNode:
    def __init__(self, cpu: float) -> None:
        self.cpu = cpu

    def cpu_seconds(self) -> tuple[float, float]:
        return (self.cpu, 0.0)


class FakeMember:
    def __init__(self) -> None:
        self.received = type("Received", (), {})()
        self.received.packets = Counter[Any]()
        self.received.socket_delays = []


def test_each_node_reports_its_cpu_and_what_its_own_participants_received() -> None:
    nodes = [FakeNode(1.0), FakeNode(2.0)]
    cluster = LocalCluster(Path("."), cast(list[ServerProcess], nodes))
    members = [FakeMember() for _ in range(5)]
    now = [100.0]
    window = NodeWindow(cluster, cast(list[SyntheticParticipant], members), lambda: now[0])
    for index, member in enumerate(members):
        member.received.packets["a", "video"] = 10 * (index + 1)
        member.received.socket_delays.extend([0.001, 0.003])
    nodes[0].cpu += 0.5
    nodes[1].cpu += 0.25
    now[0] += 2.0
    first, second = window.finish()
    assert (first.node, first.participants, second.participants) == (0, 3, 2)
    assert (first.cpu_percent, second.cpu_percent) == (25.0, 12.5)
    assert first.delivered_pps == (10 + 30 + 50) / 2 and second.delivered_pps == (20 + 40) / 2
    assert first.latency_ms_p50 is not None and 1.0 <= first.latency_ms_p50 <= 3.0


def test_the_cluster_adds_up_its_nodes() -> None:
    cluster = LocalCluster(Path("."), cast(list[ServerProcess], [FakeNode(1.0), FakeNode(2.5)]))
    assert cluster.cpu_seconds() == (3.5, 0.0)


@pytest.mark.parametrize("scenario", ["sfu", "townhall", "chat"])
def test_nodes_do_not_go_with_a_server_given_by_url(
    scenario: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "secret.key").write_text("x")
    argv = ["kamar-loadtest", scenario, "--nodes", "2", "--url", "http://127.0.0.1:9",
            "--server-data", str(tmp_path)]  # fmt: skip
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 2
    assert "--nodes starts its own nodes" in capsys.readouterr().err


class KillableNode(FakeNode):
    def __init__(self) -> None:
        super().__init__(0.0)
        self.killed = False

    async def kill(self) -> None:
        self.killed = True


class Member(FakeMember):
    def __init__(self, closes: bool = True) -> None:
        super().__init__()
        self.closed = asyncio.Event()
        if closes:
            self.closed.set()
        self.close_calls = 0

    async def close(self) -> None:
        self.close_calls += 1


async def test_failover_kills_the_last_node_and_times_its_audience_back_to_video() -> None:
    nodes = [KillableNode() for _ in range(3)]
    cluster = LocalCluster(Path("."), cast(list[ServerProcess], nodes))
    audience = [Member() for _ in range(6)]  # members 2 and 5 came through node 2
    vias: list[tuple[int, int]] = []

    async def rejoin(index: int, via: int) -> SyntheticParticipant:
        vias.append((index, via))
        member = Member()
        member.received.packets["speaker", "video"] = 1  # video at once
        return cast(SyntheticParticipant, member)

    figures, current = await fail_over(
        cluster, cast(list[SyntheticParticipant], audience), rejoin, lambda _line: None
    )
    assert [node.killed for node in nodes] == [False, False, True]
    assert sorted(vias) == [(2, 0), (5, 1)]  # through the live nodes in turn
    assert (figures.killed_node, figures.members, figures.rejoined) == (2, 2, 2)
    assert figures.failover_s_p99 is not None and figures.failover_s_p99 >= 0
    assert current[2] is not audience[2] and current[0] is audience[0]
    assert audience[2].close_calls == 1 and audience[0].close_calls == 0


class DrainableNode(KillableNode):
    def __init__(self) -> None:
        super().__init__()
        self.drained = False

    def drain(self) -> None:
        self.drained = True

    async def exited(self) -> None:
        assert self.drained


async def test_a_drain_sends_sigterm_to_the_home_and_everyone_follows_the_move() -> None:
    nodes = [DrainableNode() for _ in range(3)]
    cluster = LocalCluster(Path("."), cast(list[ServerProcess], nodes))
    audience = [Member() for _ in range(4)]
    vias: list[tuple[int, int]] = []
    restaged: list[bool] = []

    async def rejoin(index: int, via: int) -> SyntheticParticipant:
        vias.append((index, via))
        member = Member()
        member.received.packets["speaker", "video"] = 1
        return cast(SyntheticParticipant, member)

    async def restage() -> None:
        restaged.append(True)

    figures, current = await move_over(
        cluster, cast(list[SyntheticParticipant], audience), rejoin, restage, lambda _: None
    )
    assert [node.drained for node in nodes] == [True, False, False]  # the home only
    assert not any(node.killed for node in nodes) and restaged == [True]
    assert sorted(vias) == [(0, 1), (1, 2), (2, 1), (3, 2)]  # the live nodes in turn
    assert (figures.signal, figures.killed_node, figures.members, figures.rejoined) == (
        "SIGTERM", 0, 4, 4,
    )  # fmt: skip
    assert figures.exited_s is not None
    assert all(new is not old for new, old in zip(current, audience, strict=True))
