"""One small run of each load scenario against a real server (`kamar serve` in a child
process, loadtest/servers.py): the figures exist and add up. The scenarios' arithmetic and
bookkeeping are unit-tested beside them in tests/loadtest/."""

from __future__ import annotations

import math
import socket
from pathlib import Path

import aiohttp
import pytest

from loadtest import announce, chat
from loadtest.servers import ExternalServer, ServerProcess
from loadtest.sfu import SfuScenario, run_sfu
from loadtest.townhall import TownhallScenario, run_townhall


@pytest.mark.webrtc  # starts a server: only inside the loopback-only namespace
async def test_a_small_announcement_reaches_every_connected_member() -> None:
    result = await announce.run_announce(5, 60, 30, lambda _line: None)
    assert (result.rooms, result.members, result.sockets) == (5, 60, 30)
    assert result.delivered == 30 and result.delivered_ratio == 1.0
    assert 0 < result.delivery_ms_p50 <= result.delivery_ms_p99 <= result.delivery_ms_max
    assert result.server_cpu_s is not None and result.server_cpu_s >= 0


@pytest.mark.webrtc  # starts a server: only inside the loopback-only namespace
@pytest.mark.parametrize("workers", [1, 2])  # the clients in this process, or in two others
async def test_every_message_reaches_every_client(workers: int) -> None:
    scenario = chat.ChatScenario(
        clients=20, rate=10, duration=1.0, accounts=3, workers=workers, settle=0.2
    )
    result = await chat.run_chat(scenario, lambda _line: None)
    assert result.messages == 10 and result.post_errors == 0
    assert result.delivered == result.expected_deliveries == 200
    assert result.delivered_ratio == 1.0 and result.duplicates == 0
    assert result.dropped_sockets == 0
    assert result.delivery_ms_p99 is not None and not math.isnan(result.delivery_ms_p99)
    assert result.server_cpu_percent is not None and result.rss_mb is not None
    assert result.workers == workers and result.loadgen_busiest_percent > 0


@pytest.mark.webrtc  # starts a server: only inside the loopback-only namespace
async def test_a_small_town_hall_reaches_everyone() -> None:
    scenario = TownhallScenario(
        audience=3,
        duration=2.0,
        questions_per_s=2.0,
        comments_per_s=1.0,
        votes_per_s=2.0,
        answer_after=1.0,  # open questions to vote on meanwhile
        settle=0.5,
    )
    result = await run_townhall(scenario, lambda _line: None)
    assert result.audience_without_video == 0 and result.video_pps > 0
    assert result.media.loss_ratio < 0.01
    assert result.join_video_ms_p99 is not None and result.join_welcome_ms_p99 is not None
    assert result.questions_sent == result.questions_accepted == 4
    assert result.questions_delivered_ratio == 1.0  # every question at all five participants
    assert result.question_round_trip_ms_p99 is not None
    assert result.comments_sent == result.comments_accepted == 2
    assert result.comments_delivered_ratio == 1.0
    assert result.votes_sent > 0 and result.answers_sent > 0
    assert result.errors == {}
    assert result.media.sfu_cpu_percent is not None and result.media.rss_mb is not None


@pytest.mark.webrtc
async def test_a_running_server_is_measured_through_its_url(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    await server.start()
    try:
        external = ExternalServer(server.base_url, tmp_path, server.pid)
        scenario = SfuScenario(subscribers=2, duration=1.0, settle=0.5)
        result = await run_sfu(scenario, lambda _line: None, external)
    finally:
        await server.stop()
    assert result.subscribers == 2 and result.forwarded_pps > 0 and result.loss_ratio == 0
    assert result.sfu_cpu_us_per_packet is not None and result.rss_mb is not None


@pytest.mark.webrtc
async def test_the_connections_alone_are_measured_after_the_media_stops() -> None:
    scenario = SfuScenario(subscribers=2, duration=1.0, settle=0.5, idle=1.0)
    result = await run_sfu(scenario, lambda _line: None)
    assert result.forwarded_pps > 0 and result.idle_sfu_cpu_ms_per_s is not None
    # Each packet lands in the subscriber's socket before its event loop sees it.
    socket_p50, loop_p50 = result.latency_ms_p50, result.loop_latency_ms_p50
    assert socket_p50 is not None and loop_p50 is not None and 0 < socket_p50 <= loop_p50
    assert result.as_dict()["idle_sfu_cpu_ms_per_s"] == result.idle_sfu_cpu_ms_per_s


@pytest.mark.webrtc  # starts a server: only inside the loopback-only namespace
async def test_a_server_whose_port_was_taken_meanwhile_starts_on_another(tmp_path: Path) -> None:
    """The port is chosen free, then bound by the child: another process (the other test
    worker's server) may take it in between and would answer /healthz for ours."""
    server = ServerProcess(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        server.port = taken
        try:
            await server.start()
            assert server.port != taken
            async with aiohttp.ClientSession() as http:
                async with http.get(server.base_url + "/healthz") as response:
                    assert response.status == 200
            assert "address already in use" in (tmp_path / f"server-{taken}.log").read_text()
        finally:
            await server.stop()


@pytest.mark.webrtc  # starts a server: only inside the loopback-only namespace
async def test_a_server_that_ended_with_an_error_leaves_what_it_said(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Its log lives in the data directory, which a load test deletes: at stop, what it said
    goes to stderr."""
    server = ServerProcess(tmp_path, ("--database-url", "nonsense://nowhere"))
    with pytest.raises(RuntimeError, match="exited"):
        await server.start()
    await server.stop()
    assert "the Kamar server ended with" in capfd.readouterr().err
