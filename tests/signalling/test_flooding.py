"""One participant's flood never costs another participant their connection (issue #13, item 3).

Real websockets against the in-process server: a member of the audience sends 3,000 toggles
back to back; everyone else stays connected, their outboxes stay small, and the flooder is
answered `rate_limited` and finally closed with `flooding`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from signalling import ws as ws_module
from signalling.outbox import Outbox
from signalling.ratelimit import KINDS
from tests.conftest import RunningServer
from tests.signalling.test_ws import Client

ROOM = "balai"
FLOOD = 3000
_opened: list[Client] = []
_outboxes: list[Outbox] = []


class _RecordedOutbox(Outbox):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        _outboxes.append(self)


@pytest.fixture(autouse=True)
async def record_outboxes(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    monkeypatch.setattr(ws_module, "Outbox", _RecordedOutbox)
    yield
    _outboxes.clear()
    while _opened:
        await _opened.pop().conn.close()


async def enter(kamar: RunningServer, identity: str, role: str) -> tuple[Client, Outbox]:
    client = await Client.connect(kamar)
    _opened.append(client)
    welcome = await client.join(kamar.token(ROOM, identity, role=role, can_subscribe=False))
    assert welcome["type"] == "welcome", welcome
    client.welcome = welcome  # type: ignore[attr-defined]
    return client, _outboxes[-1]


def toggles(kind: str, question_id: int) -> list[str]:
    def frame(number: int) -> dict[str, Any]:
        on = number % 2 == 0
        if kind == "mute":
            return {"type": "mute", "kind": "audio", "muted": on}
        if kind == "raise_hand":
            return {"type": "raise_hand", "raised": on}
        return {"type": "vote", "question_id": question_id, "up": on}

    return [json.dumps(frame(number)) for number in range(FLOOD)]


async def flood(client: Client, frames: list[str]) -> list[dict[str, Any]]:
    """Send every frame back to back (until the server closes), then read what came back."""
    try:
        for frame in frames:
            await client.conn.send(frame)
    except websockets.ConnectionClosed:
        pass
    answers = []
    try:
        while True:
            answers.append(await client.recv(timeout=5.0))
    except websockets.ConnectionClosed:
        return answers


@pytest.mark.parametrize("kind", ["mute", "raise_hand", "vote"])
async def test_3000_toggles_from_one_socket_disconnect_nobody_else(
    kamar: RunningServer, kind: str
) -> None:
    moderator, moderator_outbox = await enter(kamar, "mod", "moderator")
    speaker, speaker_outbox = await enter(kamar, "ketua", "speaker")
    watcher, watcher_outbox = await enter(kamar, "warga", "audience")
    await watcher.send({"type": "ask", "text": "Kapan rapat berikutnya?"})
    question_id = (await moderator.recv_type("question"))["question"]["id"]
    role = "speaker" if kind == "mute" else "audience"
    flooder, _ = await enter(kamar, "pembanjir", role)

    answers = await flood(flooder, toggles(kind, question_id))

    refusals = [a for a in answers if a["type"] == "error"]
    assert refusals[0]["code"] == "rate_limited" and refusals[0]["in_reply_to"] == kind
    assert refusals[-1]["code"] == "flooding"
    assert flooder.conn.close_reason == "flooding"
    for client, outbox in (
        (moderator, moderator_outbox),
        (speaker, speaker_outbox),
        (watcher, watcher_outbox),
    ):
        await client.send({"type": "ping", "id": "after"})
        assert (await client.recv_type("pong"))["id"] == "after"
        # The accepted toggles (a burst of them) at most, and a few joins and leaves.
        assert outbox.peak <= KINDS[kind][1] + 10, outbox.peak


async def test_a_quick_client_is_told_to_slow_down_and_stays_connected(
    kamar: RunningServer,
) -> None:
    speaker, _ = await enter(kamar, "ketua", "speaker")
    burst = int(KINDS["raise_hand"][1])
    audience, _ = await enter(kamar, "warga", "audience")
    for number in range(burst + 3):
        await audience.send({"type": "raise_hand", "raised": number % 2 == 0})
    refused = await audience.recv_type("error")
    assert refused["code"] == "rate_limited" and refused["in_reply_to"] == "raise_hand"
    await audience.send({"type": "ping", "id": 1})
    assert (await audience.recv_type("pong"))["id"] == 1
    await speaker.send({"type": "ping", "id": 2})
    assert (await speaker.recv_type("pong"))["id"] == 2


async def test_a_mute_that_changes_nothing_is_announced_to_nobody(kamar: RunningServer) -> None:
    speaker, _ = await enter(kamar, "ketua", "speaker")
    other, _ = await enter(kamar, "siti", "speaker")
    for _ in range(3):
        await other.send({"type": "mute", "kind": "audio", "muted": False})  # already unmuted
    await other.send({"type": "mute", "kind": "audio", "muted": True})
    update = await speaker.recv_type("participant_updated")
    assert update["participant"]["audio_muted"] is True  # the first update is the real change
