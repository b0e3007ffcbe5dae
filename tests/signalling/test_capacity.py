"""A full server refuses newcomers politely, before any media, and never the ones already in."""

from __future__ import annotations

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer
from tests.signalling.test_ws import Client, joined


async def test_a_newcomer_to_a_full_server_is_refused_with_server_full(
    kamar: RunningServer,
) -> None:
    kamar.server.app[SERVICES_KEY].max_participants = 2
    first = await joined(kamar, "rapat", "ani")
    second = await joined(kamar, "lain", "budi")  # the limit counts every room
    third = await Client.connect(kamar)
    error = await third.join(kamar.token("rapat", "cici"))
    assert error["type"] == "error" and error["code"] == "server_full"
    assert "full" in error["message"] and "2" in error["message"]
    assert await third.closed() is not None
    for client in (first, second):
        await client.conn.close()


async def test_someone_joining_again_is_not_refused_when_the_server_is_full(
    kamar: RunningServer,
) -> None:
    kamar.server.app[SERVICES_KEY].max_participants = 1
    old = await joined(kamar, "rapat", "ani")
    again = await joined(kamar, "rapat", "ani")  # a reload replaces the old connection
    assert (await old.recv_type("bye"))["reason"] == "replaced"
    await again.conn.close()


async def test_without_a_limit_nobody_is_refused(kamar: RunningServer) -> None:
    assert kamar.server.app[SERVICES_KEY].max_participants == 0
    clients = [await joined(kamar, "rapat", f"anggota{n}") for n in range(5)]
    for client in clients:
        await client.conn.close()
