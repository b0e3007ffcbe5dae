"""The load test measures a server that is already running (`--url`), on loopback only; the
runs against one are in tests/whole/loadtest/test_scenario_runs.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.servers import ExternalServer


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
