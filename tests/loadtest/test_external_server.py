"""The load test measures a server that is already running (`--url`), on loopback only."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.servers import ExternalServer, ServerProcess
from loadtest.sfu import SfuScenario, run_sfu


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://192.0.2.7:8080", "loopback"),
        ("http://example.org:8080", "loopback"),
        ("https://127.0.0.1:8443", "http://127.0.0.1:8080"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_only_a_loopback_http_url_is_accepted(tmp_path: Path, url: str, message: str) -> None:
    (tmp_path / "secret.key").write_text("x" * 40)
    with pytest.raises(ValueError, match=message):
        ExternalServer(url, tmp_path, None)


def test_the_data_directory_must_hold_the_servers_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret.key"):
        ExternalServer("http://127.0.0.1:8080", tmp_path, None)


def test_a_process_id_must_exist(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("x" * 40)
    with pytest.raises(ValueError, match="no process"):
        ExternalServer("http://localhost:8080", tmp_path, 2**22 + 1)


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
