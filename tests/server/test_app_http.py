"""HTTP side of the server: pages, health, the dev-token endpoint, and `kamar token`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from rooms.meeting import grants
from server import cli
from server.config import load_secret
from tests.conftest import RunningServer


async def fetch(url: str, method: str = "GET", **kwargs: Any) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.request(method, url, **kwargs) as response:
            return response.status, await response.text()


async def test_the_meeting_page_and_the_start_page_are_served(kamar: RunningServer) -> None:
    status, body = await fetch(kamar.base_url + "/r/rapat-rt05")
    assert status == 200 and "<html" in body.lower()
    status, body = await fetch(kamar.base_url + "/")
    assert status == 200 and "<html" in body.lower()


async def test_a_room_page_with_an_invalid_name_is_not_found(kamar: RunningServer) -> None:
    status, body = await fetch(kamar.base_url + "/r/-bad")
    assert status == 404 and "room names" in body


async def test_the_dev_token_endpoint_mints_a_token_for_the_named_room(
    kamar: RunningServer,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            kamar.base_url + "/api/dev-token", json={"room": "rapat", "name": "Siti"}
        ) as response:
            assert response.status == 200
            token = (await response.json())["token"]
    grant = grants.verify(token, kamar.secret, int(time.time()))
    assert (grant.meeting, grant.name, grant.can_publish) == ("rapat", "Siti", True)
    assert grant.identity.startswith("guest-")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"room": "", "name": "Siti"}, "room"),
        ({"room": "a/b", "name": "Siti"}, "room"),
        ({"room": "rapat"}, "name"),
        ({"room": "rapat", "name": "   "}, "name"),
        ({"room": "rapat", "name": "x" * 81}, "name"),
        ([1, 2], None),
        ('{"room": "rapat", "name": "hi \\ud800"}', "name"),  # a lone surrogate
        ('{"room": "rapat\\u0000", "name": "Siti"}', "room"),
        ("not json", None),
    ],
)
async def test_the_dev_token_endpoint_names_the_bad_field(
    kamar: RunningServer, body: Any, field: str | None
) -> None:
    sent: dict[str, Any] = {"data": body} if isinstance(body, str) else {"json": body}
    async with aiohttp.ClientSession() as http:
        async with http.post(kamar.base_url + "/api/dev-token", **sent) as response:
            assert response.status == 400
            error = (await response.json())["error"]
    assert error["message"]
    assert error.get("field") == field


async def test_aiohttp_refusing_a_body_under_api_answers_in_the_error_shape(
    kamar: RunningServer,
) -> None:
    # /api/dev-token reads its body with aiohttp, whose own 413 was a plain-text page.
    async with aiohttp.ClientSession() as http:
        url = kamar.base_url + "/api/dev-token"
        async with http.post(url, data=b"x" * (64 * 1024)) as response:
            assert response.status == 413 and response.content_type == "application/json"
            assert (await response.json())["error"]["code"] == "too_large"


async def test_the_dev_token_endpoint_is_off_unless_enabled(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestServer

    from server.app import build_app
    from server.config import Config

    server = TestServer(build_app(Config(data_dir=tmp_path)), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        status, _body = await fetch(
            str(server.make_url("/api/dev-token")), "POST", json={"room": "a", "name": "b"}
        )
        assert status == 404
    finally:
        await server.close()


def test_kamar_token_prints_a_verifiable_token_on_its_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "token",
            "--data",
            str(tmp_path),
            "--room",
            "rapat",
            "--identity",
            "siti",
            "--name",
            "Siti Aminah",
            "--ttl",
            "120",
            "--no-publish",
        ]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    grant = grants.verify(lines[-1], load_secret(tmp_path), int(time.time()))
    assert grant == grants.JoinGrant("rapat", "siti", "Siti Aminah", False, True)
    assert any(line.startswith("join link: http://127.0.0.1:8080/r/rapat?token=") for line in lines)


def test_kamar_token_rejects_a_bad_room_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["token", "--data", str(tmp_path), "--room", "no spaces", "--identity", "x"])
    assert code == 2
    assert "room names" in capsys.readouterr().err


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/e/999999", "/a/999999", "/no-such-page", "/r/-bad"])
async def test_a_link_that_leads_nowhere_is_a_page_in_both_languages(
    kamar: RunningServer, path: str
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(kamar.base_url + path, headers=BROWSER) as response,
    ):
        assert response.status == 404 and response.content_type == "text/html"
        body = await response.text()
        assert "Content-Security-Policy" in response.headers
    assert "Halaman ini tidak ada" in body and "This page does not exist" in body
    assert 'href="/"' in body and "Not Found" not in body


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/no-such-thing", BROWSER),  # the API's own error shape
        ("/static/no-such-file.js", BROWSER),
        ("/no-such-page", {"Accept": "*/*"}),  # not a browser opening a page
    ],
)
async def test_what_is_not_a_page_keeps_its_plain_not_found(
    kamar: RunningServer, path: str, headers: dict[str, str]
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(kamar.base_url + path, headers=headers) as response,
    ):
        assert response.status == 404 and response.content_type != "text/html"
        if path.startswith("/api/"):
            assert (await response.json())["error"]["code"] == "not_found"
