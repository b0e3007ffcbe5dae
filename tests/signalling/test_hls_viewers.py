"""HLS viewers (hello `watch`): beyond a full server's interactive limit they still join a
town hall's questions and comments, with the same messages as its audience, and no media."""

from __future__ import annotations

from typing import Any

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer
from tests.signalling.test_ws import Client, joined

ROOM = "rapat-akbar"


async def _watch(
    kamar: RunningServer, identity: str, **grant: Any
) -> tuple[Client, dict[str, Any]]:
    client = await Client.connect(kamar)
    hello = {"type": "hello", "v": 1, "token": kamar.token(ROOM, identity, **grant), "watch": True}
    await client.send(hello)
    return client, await client.recv()


async def test_a_viewer_beyond_the_limit_asks_and_comments_over_the_feed(
    kamar: RunningServer,
) -> None:
    kamar.server.app[SERVICES_KEY].max_participants = 1
    host = await joined(kamar, ROOM, "ketua", role="moderator")
    refused = await Client.connect(kamar)
    assert (await refused.join(kamar.token(ROOM, "budi", role="audience")))["code"] == (
        "server_full"
    )

    viewer, welcome = await _watch(kamar, "budi", role="speaker")  # a viewer never speaks
    assert welcome["type"] == "welcome", welcome
    me = welcome["participant"]
    assert (me["watching"], me["role"], me["can_publish"]) == (True, "audience", False)
    joined_event = await host.recv_type("participant_joined")
    assert joined_event["participant"]["watching"] is True

    await viewer.send({"type": "ask", "text": "Kapan upah naik?"})
    asked = (await host.recv_type("question"))["question"]
    assert (asked["name"], asked["text"]) == ("budi", "Kapan upah naik?")
    assert (await viewer.recv_type("question"))["question"]["id"] == asked["id"]

    await host.send({"type": "comment", "text": "Terima kasih semua"})
    assert (await viewer.recv_type("comment"))["comment"]["text"] == "Terima kasih semua"
    assert (await host.recv_type("comment"))["comment"]["name"] == "ketua"  # its own, first
    await viewer.send({"type": "comment", "text": "Siaran jelas"})
    assert (await host.recv_type("comment"))["comment"]["name"] == "budi"
    for client in (host, viewer):
        await client.conn.close()


async def test_a_viewer_is_never_brought_on_stage_and_gets_no_media(
    kamar: RunningServer,
) -> None:
    host = await joined(kamar, ROOM, "ketua", role="moderator")
    viewer, welcome = await _watch(kamar, "budi", role="audience")
    viewer_id = welcome["participant"]["id"]

    await viewer.send({"type": "raise_hand", "raised": True})
    error = await viewer.recv_type("error")
    assert error["code"] == "bad_state" and "live stream" in error["message"]
    await host.send({"type": "set_role", "participant_id": viewer_id, "role": "speaker"})
    error = await host.recv_type("error")
    assert error["code"] == "bad_state" and "budi" in error["message"]

    # The next event after these is the pong: no subscribe_offer came in between.
    await viewer.send({"type": "ping"})
    assert (await viewer.recv())["type"] == "pong"
    for client in (host, viewer):
        await client.conn.close()


async def test_viewers_do_not_count_against_the_interactive_limit(kamar: RunningServer) -> None:
    kamar.server.app[SERVICES_KEY].max_participants = 2
    viewers = [(await _watch(kamar, f"penonton{n}"))[0] for n in range(3)]
    clients = [await joined(kamar, ROOM, name) for name in ("ani", "budi")]
    late = await Client.connect(kamar)
    assert (await late.join(kamar.token(ROOM, "cici")))["code"] == "server_full"
    for client in (*viewers, *clients):
        await client.conn.close()
