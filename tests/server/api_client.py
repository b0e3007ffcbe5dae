"""An API client on an in-process server for each database, for the /api tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import build_app
from server.config import Config
from tests.rooms.conftest import CHEAP_HASHER


@dataclass
class Api:
    client: TestClient[Any, Any]

    async def call(
        self, method: str, path: str, token: str | None = None, expect: int = 200, **kwargs: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        text = await response.text()
        assert response.status == expect, f"{method} {path}: {response.status} {text}"
        if response.content_type == "application/json":
            return await response.json()
        return text

    async def user(self, username: str, **extra: Any) -> tuple[str, dict[str, Any]]:
        body = {"username": username, "password": "rahasia-123", "display_name": username.title()}
        answer = await self.call("POST", "/api/auth/register", json={**body, **extra}, expect=201)
        return answer["token"], answer["user"]

    async def room(self, token: str, name: str = "Serikat", **extra: Any) -> dict[str, Any]:
        body = {"name": name, "kind": "work", **extra}
        room: dict[str, Any] = await self.call("POST", "/api/rooms", token, json=body, expect=201)
        return room

    async def join_by_invite(self, owner: str, member: str, room_id: int) -> None:
        invite = await self.call(
            "POST", f"/api/rooms/{room_id}/invites", owner, json={}, expect=201
        )
        await self.call("POST", f"/api/invites/{invite['code']}/accept", member)


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    config = Config(host="127.0.0.1", port=0, data_dir=tmp_path, database_url=database_url)
    server = TestServer(build_app(config, password_hasher=CHEAP_HASHER), host="127.0.0.1")
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    try:
        yield Api(client)
    finally:
        await client.close()
