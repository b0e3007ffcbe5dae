"""Direct conversations are nobody's audience: an administrator naming one gets neither an
announcement into it nor a campaign that would add new members to it."""

from __future__ import annotations

import pytest

from rooms.community.account_rules import Registration
from rooms.errors import Forbidden, NotFound
from rooms.organising import Organising
from rooms.organising.announcements import Selection
from tests.rooms.test_store import room_with


async def test_an_administrator_cannot_announce_or_recruit_into_a_direct_conversation(
    organising: Organising,
) -> None:
    community = organising.community
    _room_id, siti, budi = await room_with(community, "siti", "budi")
    form = Registration(password="rahasia-123", display_name="Admin", username="admin")
    admin = await community.accounts.register(form, is_admin=True)
    card = await community.direct.open(siti, budi.id)
    with pytest.raises(Forbidden):
        await organising.announcements.target_rooms(admin, Selection(room_ids=(card["id"],)))
    with pytest.raises(NotFound):
        await organising.campaigns.create(admin, "CFD", [card["id"]], 0, 1000)
