"""Deleting an account on one node of a cluster (one PostgreSQL, one Redis): the member's feed
sockets on the other node close at once, and the others in their rooms hear that they left
(the bus's `sessions_revoked` and `room_member`, as "sign out everywhere" does)."""

from __future__ import annotations

from tests.databases import database_url_postgresql, postgres_server
from tests.redis_server import redis_server
from tests.server.api_client import Api
from tests.signalling.test_feed import feed, next_event
from tests.whole.server.test_cluster_feed import two_nodes

__all__ = ["database_url_postgresql", "postgres_server", "redis_server", "two_nodes"]


async def test_deleting_an_account_on_one_node_closes_its_sockets_on_the_other(
    two_nodes: tuple[Api, Api],
) -> None:
    a, b = two_nodes
    ani, ani_user = await a.user("ani")
    budi, _ = await a.user("budi")
    room = await a.room(budi)
    await a.join_by_invite(budi, ani, room["id"])
    ani_on_b = await feed(b, ani)
    budi_on_b = await feed(b, budi)
    await a.call("POST", "/api/me/delete", ani, json={"password": "rahasia-123"}, expect=204)
    error = await next_event(ani_on_b)
    assert (error["type"], error["code"]) == ("error", "unauthorized")
    left = await next_event(budi_on_b, "room_member")
    assert (left["room_id"], left["user"]["id"], left["role"]) == (room["id"], ani_user["id"], None)
    await budi_on_b.close()
