"""TURN with time-limited credentials: the scheme itself, `welcome.ice_servers`, and a real
coturn that accepts them and refuses expired or forged ones."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aioice import stun
from aioice.turn import create_turn_endpoint

from sfu.ice_servers import IceServer, IceServers, TurnSettings, credentials
from sfu.peer import PeerSettings
from tests.conftest import running_kamar
from tests.signalling.test_ws import Client
from tests.turn_server import running_coturn


def test_credentials_follow_the_turn_rest_scheme() -> None:
    # The password was computed apart from Kamar, with:
    #   echo -n "1700003600:alice" | openssl dgst -sha1 -hmac north-sea-secret-1234 -binary | base64
    username, password = credentials("north-sea-secret-1234", "alice", now=1_700_000_000, ttl=3600)
    assert username == "1700003600:alice"
    assert password == "s1F+GHnSzfa9QdUUNpLHAo8pMD0="


def test_without_turn_only_the_stun_urls_are_handed_out() -> None:
    servers = IceServers(["stun:stun.example:3478"]).for_identity("p1", now=100)
    assert [server.as_dict() for server in servers] == [{"urls": ["stun:stun.example:3478"]}]


def test_turn_urls_share_one_credential_that_expires_after_the_ttl() -> None:
    turn = TurnSettings("s" * 20, ("turn:t.example:3478", "turns:t.example:443"), ttl=600)
    servers = IceServers((), turn).for_identity("p7", now=1000.9)
    assert len(servers) == 1
    entry = servers[0].as_dict()
    assert entry["urls"] == ["turn:t.example:3478", "turns:t.example:443"]
    assert entry["username"] == "1600:p7"
    assert entry["credential"] == credentials("s" * 20, "p7", 1000, 600)[1]


@pytest.mark.parametrize(
    "urls, username, credential, message",
    [
        ((), "", "", "at least one URL"),
        (("http://t.example",), "", "", "must start with stun:, turn: or turns:"),
        (("stun:s.example", "turn:t.example"), "", "", "needs a username and a credential"),
        (("turns:t.example:443",), "user", "", "needs a username and a credential"),
    ],
)
def test_an_ice_server_that_could_not_be_used_is_refused(
    urls: tuple[str, ...], username: str, credential: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        IceServer(urls, username, credential)


def test_the_sfu_asks_for_fresh_turn_credentials_with_every_connection() -> None:
    turn = TurnSettings("k" * 20, ("turn:127.0.0.1:3478",), ttl=600)
    clock = iter([1000.0, 2000.0])
    settings = PeerSettings(
        ice_servers=lambda: IceServers(["stun:127.0.0.1:3478"], turn).for_identity(
            "kamar-sfu", next(clock)
        )
    )
    first, second = settings.configuration(), settings.configuration()
    stun, relay = first.iceServers or []
    assert (stun.urls, stun.username) == (["stun:127.0.0.1:3478"], None)
    assert (relay.urls, relay.username) == (["turn:127.0.0.1:3478"], "1600:kamar-sfu")
    assert relay.credential == credentials(turn.secret, "kamar-sfu", 1000, 600)[1]
    assert (second.iceServers or [])[1].username == "2600:kamar-sfu"


def test_without_ice_servers_the_sfu_contacts_no_one() -> None:
    assert PeerSettings().configuration().iceServers == []


async def test_welcome_hands_each_participant_credentials_of_their_own(tmp_path: Path) -> None:
    turn = TurnSettings("x" * 24, ("turn:127.0.0.1:3478",), ttl=900)
    async with running_kamar(
        tmp_path, turn_secret=turn.secret, turn_urls=turn.urls, turn_ttl=turn.ttl
    ) as kamar:
        welcomes: list[dict[str, Any]] = []
        clients = [await Client.connect(kamar) for _ in range(2)]
        try:
            for client, identity in zip(clients, ("siti", "budi"), strict=True):
                welcomes.append(await client.join(kamar.token("rapat", identity)))
        finally:
            for client in clients:
                await client.conn.close()
    now = time.time()
    usernames = set()
    for welcome in welcomes:
        (server,) = welcome["ice_servers"]
        expiry, _, identity = server["username"].partition(":")
        assert identity == welcome["participant"]["id"]
        assert now + 800 < int(expiry) <= now + 900
        assert server["credential"] == credentials(turn.secret, identity, int(expiry) - 900, 900)[1]
        usernames.add(server["username"])
    assert len(usernames) == 2


async def allocate(address: tuple[str, int], username: str, password: str, transport: str) -> Any:
    relay, _ = await asyncio.wait_for(
        create_turn_endpoint(
            asyncio.DatagramProtocol, address, username, password, transport=transport
        ),
        10,
    )
    return relay


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_coturn_allocates_a_relay_with_fresh_credentials(
    tmp_path: Path, transport: str
) -> None:
    with running_coturn(tmp_path) as coturn:
        username, password = credentials(coturn.secret, "p1", time.time(), 600)
        relay = await allocate(coturn.address, username, password, transport)
        try:
            host, port = relay.get_extra_info("sockname")
            assert host == "127.0.0.1" and port > 0
        finally:
            relay.close()


@pytest.mark.parametrize(
    "secret, issued_ago", [("kamar-test-turn-secret-0123456789", 700), ("another-secret-xyz", 0)]
)
async def test_coturn_refuses_expired_or_forged_credentials(
    tmp_path: Path, secret: str, issued_ago: int
) -> None:
    with running_coturn(tmp_path) as coturn:
        username, password = credentials(secret, "p1", time.time() - issued_ago, 600)
        with pytest.raises(stun.TransactionFailed) as refused:
            await allocate(coturn.address, username, password, "udp")
        assert refused.value.response.attributes["ERROR-CODE"][0] == 401
