"""Two Kamar nodes of one deployment (one PostgreSQL, one Redis, one data directory): the
community feed crosses them, so a member's sockets hear what is done on the other node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import build_app
from server.config import Config, ConfigError, validate
from tests.databases import database_url_postgresql, postgres_server
from tests.redis_server import RedisServer, redis_server
from tests.rooms.conftest import CHEAP_HASHER
from tests.server.api_client import Api
from tests.signalling.test_feed import feed, next_event

__all__ = ["database_url_postgresql", "postgres_server", "redis_server"]  # fixtures


@pytest.fixture
async def two_nodes(
    tmp_path: Path, database_url_postgresql: str, redis_server: RedisServer
) -> AsyncIterator[tuple[Api, Api]]:
    config = Config(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path,  # shared, as a cluster's nodes share it (docs/cluster.md)
        database_url=database_url_postgresql,
        redis_url=redis_server.url,
    )
    clients: list[TestClient[Any, Any]] = []
    try:
        for _ in range(2):
            server = TestServer(build_app(config, password_hasher=CHEAP_HASHER), host="127.0.0.1")
            clients.append(TestClient(server))
            await clients[-1].start_server()
        yield Api(clients[0]), Api(clients[1])
    finally:
        for client in clients:
            await client.close()


async def test_chat_posted_on_one_node_reaches_feed_sockets_on_the_other(
    two_nodes: tuple[Api, Api],
) -> None:
    a, b = two_nodes
    ani, _ = await a.user("ani")
    budi, _ = await a.user("budi")
    room = await a.room(ani)
    await a.join_by_invite(ani, budi, room["id"])
    on_b = await feed(b, budi)  # `authed` comes once Redis confirmed its subscriptions
    on_a = await feed(a, ani)
    sent = await a.call(
        "POST", f"/api/rooms/{room['id']}/messages", ani, json={"text": "rapat jam 7"}, expect=201
    )
    assert (await next_event(on_b, "chat_message"))["message"] == sent
    assert (await next_event(on_a, "chat_message"))["message"] == sent
    # And back: typing on node b reaches node a.
    await on_b.send_json({"type": "typing", "room_id": room["id"]})
    assert (await next_event(on_a, "typing"))["user"]["display_name"] == "Budi"
    await on_a.close()
    await on_b.close()


async def test_signing_out_everywhere_on_one_node_closes_sockets_on_the_other(
    two_nodes: tuple[Api, Api],
) -> None:
    a, b = two_nodes
    ani, _ = await a.user("ani")
    on_b = await feed(b, ani)
    await a.call("POST", "/api/me/sessions/revoke", ani)
    error = await next_event(on_b)
    assert (error["type"], error["code"]) == ("error", "unauthorized")


def test_several_nodes_need_a_shared_postgresql_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a PostgreSQL database_url"):
        validate(Config(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0"))
    with pytest.raises(ConfigError, match="redis_url must start with"):
        validate(
            Config(
                data_dir=tmp_path,
                redis_url="127.0.0.1:6379",
                database_url="postgresql://kamar@127.0.0.1/kamar",
            )
        )
