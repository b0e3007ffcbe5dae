"""A storm of feed sockets sending `auth` at once (a reconnect storm after a restart) queues for
the account look-up and leaves the database to everyone else (issue #13, item 7).

The figures (how long a bystander waits during 2,000 auths) come from
`python -m loadtest auth-storm`; here the structure is checked: the look-ups run at most
AUTH_CONCURRENCY at a time, a bystander is served while they are stuck, and a socket waiting
its turn is not closed for want of a hello."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.meeting import grants, meeting_access
from rooms.meeting.meeting_access import MemberGrant
from signalling import feed as feed_module
from signalling import ws as ws_module
from signalling.feed import AUTH_CONCURRENCY
from signalling.ws import SERVICES_KEY
from tests.conftest import eventually
from tests.server.api_client import Api
from tests.signalling.test_feed import next_event

SOCKETS = 20  # more than the database pool holds (5, and 10 more on demand)


def now() -> int:
    return int(time.time())


async def test_a_storm_of_auths_queues_and_a_bystander_is_served_meanwhile(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = await api.user("ani")
    bystander, _ = await api.user("budi")
    release = asyncio.Event()
    running: list[int] = []
    most = 0
    look_up = feed_module.account_and_room_ids

    async def stuck_look_up(conn: AsyncConnection, user_id: int) -> Any:
        """A database that has stopped answering: each look-up holds its connection."""
        nonlocal most
        running.append(user_id)
        most = max(most, len(running))
        await release.wait()
        running.pop()
        return await look_up(conn, user_id)

    monkeypatch.setattr(feed_module, "account_and_room_ids", stuck_look_up)
    monkeypatch.setattr(ws_module, "HELLO_TIMEOUT", 0.5)
    sockets: list[ClientWebSocketResponse] = []
    for _ in range(SOCKETS):
        ws = await api.client.ws_connect("/ws")
        await ws.send_json({"type": "auth", "token": token})
        sockets.append(ws)
    await eventually(lambda: len(running) == AUTH_CONCURRENCY, what="the first look-ups")

    rooms = await asyncio.wait_for(api.call("GET", "/api/rooms", bystander), timeout=10)
    assert rooms == {"rooms": []}
    loop = asyncio.get_running_loop()
    waited_from = loop.time()
    await eventually(lambda: loop.time() > waited_from + 1.0, what="the hello timeout to pass")
    assert len(running) == AUTH_CONCURRENCY and most == AUTH_CONCURRENCY

    release.set()
    for ws in sockets:
        assert (await next_event(ws))["type"] == "authed"
        await ws.close()
    assert most == AUTH_CONCURRENCY


async def test_members_saying_hello_at_once_queue_for_their_membership_check(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()
    running: list[int] = []
    most = 0

    async def stuck_check(_db: Any, member: MemberGrant) -> None:
        nonlocal most
        running.append(member.user_id)
        most = max(most, len(running))
        await release.wait()
        running.pop()

    monkeypatch.setattr(meeting_access, "check_member", stuck_check)
    secret = api.client.app[SERVICES_KEY].secret
    sockets: list[ClientWebSocketResponse] = []
    for user_id in range(1, 11):
        grant = grants.JoinGrant(meeting="kamar-1", identity=f"user-{user_id}", name="x")
        ws = await api.client.ws_connect("/ws")
        await ws.send_json({"type": "hello", "v": 1, "token": grants.mint(grant, secret, now())})
        sockets.append(ws)
    await eventually(lambda: len(running) == AUTH_CONCURRENCY, what="the first checks")
    assert most == AUTH_CONCURRENCY
    release.set()
    for ws in sockets:
        assert (await next_event(ws))["type"] == "welcome"
        await ws.close()
    assert most == AUTH_CONCURRENCY
