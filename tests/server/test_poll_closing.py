"""The server's poll-closing sweep (server/poll_closing.py): it calls the community's claim
every interval, so a poll that reached its closing time (an injected clock, moved on) is
announced on the room's feed topic without anyone voting or closing it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from rooms.community.community import Community
from rooms.community.polls import PollForm
from server.poll_closing import announce_closed_polls_forever
from tests.rooms.conftest import Clock, clock, community  # noqa: F401 (fixtures)
from tests.rooms.test_store import room_with

WAIT_S = 20.0  # a deadline for the event, never a delay: it normally comes within 0.1 s


@dataclass
class Services:
    community: Community | None


async def test_the_sweep_announces_a_poll_that_reached_its_closing_time(
    community: Community,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    room_id, siti, _budi = await room_with(community, "siti", "budi")
    closed = asyncio.Event()
    seen: list[dict[str, Any]] = []

    def on_event(_text: str, event: Any) -> None:
        seen.append(event)
        if event["poll"]["closed"]:
            closed.set()

    community.bus.subscribe(f"room:{room_id}", on_event)
    closes_at = int(clock.now * 1000) + 3_600_000
    poll = await community.polls.create(
        siti, room_id, PollForm("Hari apa?", ["Sabtu", "Minggu"], closes_at)
    )
    services = Services(community=None)  # a node still opening its database sweeps nothing
    sweep = asyncio.create_task(announce_closed_polls_forever(services, interval=0.01))
    try:
        services.community = community
        clock.now += 3600
        await asyncio.wait_for(closed.wait(), WAIT_S)
    finally:
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
    assert [(event["poll"]["id"], event["poll"]["closed"]) for event in seen] == [
        (poll["id"], False),
        (poll["id"], True),
    ]
