"""Reminders on several nodes: every node runs the sweep (server/app.py), and each due event is
announced by exactly one of them (rooms/community/agenda.py, send_reminders)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rooms.community.bus import LocalBus
from rooms.community.community import Community, open_community
from signalling.events import encode
from tests.rooms.conftest import CHEAP_HASHER, Clock
from tests.rooms.test_store import EVENT, collect, room_with

ROUNDS, EVENTS_EACH = 6, 8


@pytest.fixture
async def second_node(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[Community]:
    """Another process on the same database: its own engine, pool and bus."""
    opened = await open_community(
        database_url, tmp_path / "node-2", clock, bus=LocalBus(encode), hasher=CHEAP_HASHER
    )
    try:
        yield opened
    finally:
        await opened.close()


async def test_two_nodes_sweeping_at_once_send_each_reminder_exactly_once(
    community: Community, second_node: Community
) -> None:
    room_id, ani = await room_with(community, "ani")
    heard = [collect(node, f"room:{room_id}") for node in (community, second_node)]
    created: list[int] = []
    for _round in range(ROUNDS):
        for _ in range(EVENTS_EACH):
            created.append((await community.agenda.create(ani, room_id, **EVENT))["id"])
        counts = await asyncio.gather(
            community.agenda.send_reminders(), second_node.agenda.send_reminders()
        )
        assert sum(counts) == EVENTS_EACH
    sent = Counter(
        event["event"]["id"]
        for seen in heard
        for event in seen
        if event["type"] == "event_reminder"
    )
    assert sent == Counter(created)  # every one, once
    assert await community.agenda.send_reminders() == 0
    assert await second_node.agenda.send_reminders() == 0
