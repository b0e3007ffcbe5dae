"""A message sent again with its client_id is stored once, even when the copies race: a phone
coming back online may resend from its `online` event while the feed's reconnect resends too.
On PostgreSQL the copies run in parallel transactions (SQLite writes one at a time)."""

from __future__ import annotations

import asyncio

from rooms.community.community import Community
from tests.rooms.conftest import register


async def test_racing_copies_of_one_message_are_stored_once_and_answered_alike(
    community: Community,
) -> None:
    ani = await register(community, "ani")
    room = await community.directory.create(ani, "Serikat", "work", "", "public")
    copies = await asyncio.gather(
        *(
            community.chat.post(ani, room["id"], "rapat jam 7", client_id="offline-0001")
            for _ in range(4)
        )
    )
    assert len({copy["id"] for copy in copies}) == 1
    stored, _ = await community.chat.history(ani, room["id"], None, 50)
    assert [m["text"] for m in stored] == ["rapat jam 7"]
