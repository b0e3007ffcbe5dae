"""Rate limits over HTTP (issue #13 item 5), on SQLite and PostgreSQL: login back-off that
keeps a guesser out but not the member, registrations per address, chat posts per member.
The edge's clock is stepped by the test (no sleeping); a second client address is another
loopback address (127.0.0.2), still inside the test's network namespace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from rooms.community.chat import POST_BURST
from rooms.community.login_throttle import MAX_LOCK, PAIR_FREE
from server.api.limits import LIMITS_KEY, REGISTRATION_BURST, client_address
from server.app import build_app
from server.config import Config
from tests.rooms.conftest import CHEAP_HASHER
from tests.server.api_client import Api

PASSWORD = "rahasia-123"


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(api: Api) -> SteppedClock:
    stepped = SteppedClock()
    api.client.app[LIMITS_KEY].clock = stepped
    return stepped


@pytest.fixture
async def elsewhere(api: Api) -> AsyncIterator[aiohttp.ClientSession]:
    """A client on another address: the member's own phone."""
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(
        base_url=str(api.client.make_url("/")), connector=connector
    ) as session:
        yield session


async def login(api: Api, password: str) -> tuple[int, dict[str, Any], str | None]:
    response = await api.client.post("/api/auth/login", json={"login": "ani", "password": password})
    return response.status, await response.json(), response.headers.get("Retry-After")


def assert_rate_limited(status: int, answer: dict[str, Any], retry_after: str | None) -> None:
    assert status == 429, answer
    assert answer["error"]["code"] == "rate_limited" and answer["error"]["message"]
    assert retry_after is not None and 1 <= int(retry_after) <= MAX_LOCK


async def test_a_thousand_wrong_passwords_are_refused_429_after_five(
    api: Api, clock: SteppedClock, elsewhere: aiohttp.ClientSession
) -> None:
    await api.user("ani")
    statuses = []
    for _ in range(1000):
        status, answer, retry_after = await login(api, "wrong-password")
        statuses.append(status)
        if status == 429:
            assert_rate_limited(status, answer, retry_after)
            assert answer["error"]["field"] == "password"
    assert statuses[:PAIR_FREE] == [401] * PAIR_FREE
    assert set(statuses[PAIR_FREE:]) == {429}
    # The right password from the guesser's address waits too: the lock does not tell.
    assert (await login(api, PASSWORD))[0] == 429
    # Ani, on her own phone, signs in all the same.
    async with elsewhere.post("/api/auth/login", json={"login": "ani", "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
    # The lock ends by itself: at most MAX_LOCK later the address may try again.
    clock.now += MAX_LOCK
    assert (await login(api, PASSWORD))[0] == 200


async def test_a_phone_login_written_two_ways_is_one_account_for_the_back_off(
    api: Api, clock: SteppedClock
) -> None:
    await api.user("ani", phone="+6281234567890")
    statuses = []
    for n in range(2 * PAIR_FREE):
        login_as = "081234567890" if n % 2 else "+62 812-3456-7890"
        response = await api.client.post(
            "/api/auth/login", json={"login": login_as, "password": "wrong-password"}
        )
        statuses.append(response.status)
    assert statuses == [401] * PAIR_FREE + [429] * PAIR_FREE


async def test_changing_the_password_has_the_same_back_off(api: Api, clock: SteppedClock) -> None:
    token, _ = await api.user("ani")
    body = {"current_password": "wrong-password", "new_password": "baru-rahasia-1"}
    statuses = [
        (await api.client.post("/api/me/password", json=body, headers=bearer(token))).status
        for _ in range(PAIR_FREE + 3)
    ]
    assert statuses == [401] * PAIR_FREE + [429] * 3
    clock.now += MAX_LOCK
    body["current_password"] = PASSWORD
    response = await api.client.post("/api/me/password", json=body, headers=bearer(token))
    assert response.status == 200


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_registration_flood_from_one_address_is_refused_429(
    api: Api, clock: SteppedClock, elsewhere: aiohttp.ClientSession
) -> None:
    statuses = []
    for n in range(REGISTRATION_BURST + 20):
        body = {"username": f"bot{n}", "password": PASSWORD, "display_name": "Bot"}
        response = await api.client.post("/api/auth/register", json=body)
        statuses.append(response.status)
        if response.status == 429:
            answer = await response.json()
            assert answer["error"]["code"] == "rate_limited"
            assert int(response.headers["Retry-After"]) >= 1
    assert statuses == [201] * REGISTRATION_BURST + [429] * 20
    # Someone else, elsewhere, still registers.
    body = {"username": "ani", "password": PASSWORD, "display_name": "Ani"}
    async with elsewhere.post("/api/auth/register", json=body) as response:
        assert response.status == 201
    clock.now += 30  # and the flooding address gets one more account every 30 s
    response = await api.client.post(
        "/api/auth/register", json={"username": "later", "password": PASSWORD, "display_name": "L"}
    )
    assert response.status == 201
    # Refused registrations stored nothing: their names are free.
    await api.call(
        "POST", "/api/auth/login", json={"login": "bot30", "password": PASSWORD}, expect=401
    )


async def test_a_chat_flood_is_refused_429_and_nothing_acknowledged_is_lost(api: Api) -> None:
    token, _ = await api.user("ani")
    room = await api.room(token)
    path = f"/api/rooms/{room['id']}/messages"

    async def post(n: int) -> tuple[int, dict[str, Any]]:
        body = {"text": f"pesan {n}", "client_id": f"flood-{n:04d}"}
        response = await api.client.post(path, json=body, headers=bearer(token))
        return response.status, await response.json()

    answers = await asyncio.gather(*(post(n) for n in range(3 * POST_BURST)))
    stored = [answer for status, answer in answers if status == 201]
    refused = [answer for status, answer in answers if status == 429]
    assert len(stored) >= POST_BURST and refused, [status for status, _ in answers]
    assert {answer["error"]["code"] for answer in refused} == {"rate_limited"}
    history = await api.call("GET", f"{path}?limit=100", token)
    assert sorted(m["id"] for m in history["messages"]) == sorted(m["id"] for m in stored)
    # A retry of an acknowledged message is answered from storage, even while limited.
    first = stored[0]
    n = int(first["text"].split()[1])
    status, again = await post(n)
    assert (status, again["id"]) == (201, first["id"])


async def test_with_no_rate_limits_a_load_test_signs_up_and_posts_at_its_pace(
    tmp_path: Path,
) -> None:
    config = Config(host="127.0.0.1", port=0, data_dir=tmp_path, no_rate_limits=True)
    server = TestServer(build_app(config, password_hasher=CHEAP_HASHER), host="127.0.0.1")
    async with TestClient(server) as client:
        api = Api(client)
        tokens = [(await api.user(f"user{n}"))[0] for n in range(REGISTRATION_BURST + 5)]
        room = await api.room(tokens[0])
        for n in range(POST_BURST + 5):
            await api.call(
                "POST",
                f"/api/rooms/{room['id']}/messages",
                tokens[0],
                json={"text": f"{n}"},
                expect=201,
            )
        for _ in range(PAIR_FREE + 5):
            await api.call(
                "POST", "/api/auth/login", json={"login": "user0", "password": "x" * 8}, expect=401
            )


class _Transport:
    def __init__(self, peer: Any) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.peer if name == "peername" else default


@pytest.mark.parametrize(
    ("peer", "address"),
    [
        (("203.0.113.9", 51000), "203.0.113.9"),
        (("::ffff:203.0.113.9", 51000, 0, 0), "203.0.113.9"),  # dual-stack socket
        (("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 51000, 0, 0), "2001:db8:1:2::/64"),
        (("2001:db8:1:2::1", 51000, 0, 0), "2001:db8:1:2::/64"),  # same host, new address
        (None, "unknown"),
    ],
)
def test_the_client_address_is_the_peer_and_ipv6_counts_by_its_64(peer: Any, address: str) -> None:
    request = make_mocked_request("POST", "/api/auth/login", transport=_Transport(peer))
    assert client_address(request) == address
