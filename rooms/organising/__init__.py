"""Organising: recruitment by referral, campaigns and their reports, and announcements to many
rooms (issue #17; docs/organising.md).

A bounded context beside the community: it reads and writes the community's tables (accounts,
rooms, memberships) through rooms.community, and never imports the SFU or the live meeting
(tests/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rooms.community import activity_days
from rooms.community.accounts import User
from rooms.community.community import Community
from rooms.community.regions.data import loaded_regions
from rooms.errors import Forbidden
from rooms.organising.announcements import Announcements
from rooms.organising.campaigns import Campaigns
from rooms.organising.reactions import AnnouncementReactionService
from rooms.organising.referrals import Recruitment
from rooms.organising.report import Scope, recruitment_report
from rooms.organising.room_lists import RoomLists


@dataclass
class Organising:
    community: Community
    recruitment: Recruitment
    campaigns: Campaigns
    announcements: Announcements
    reactions: AnnouncementReactionService
    room_lists: RoomLists
    clock: Callable[[], float]

    async def report(self, user: User, scope: Scope, leaderboard_offset: int = 0) -> dict[str, Any]:
        """A recruitment report for those allowed to see it: a campaign's organisers, anyone
        for their own recruits, administrators for everything; the leaderboard's page starts
        at `leaderboard_offset`."""
        target = 0
        if scope.campaign_id is not None:
            campaign = await self.campaigns.require_organiser(user, scope.campaign_id)
            target = campaign.target
        elif scope.recruiter_id != user.id and not user.is_admin:
            raise Forbidden("only administrators see reports across campaigns")
        await loaded_regions()  # names of the regions in the breakdown
        # First activities up to now (a first roll-up in transactions of a few days each).
        await activity_days.catch_up(self.community.db, int(self.clock() * 1000))
        async with self.community.db.read() as conn:
            return await recruitment_report(conn, scope, target, leaderboard_offset)


def open_organising(community: Community, clock: Callable[[], float], secret: str) -> Organising:
    db, bus = community.db, community.bus
    return Organising(
        community=community,
        recruitment=Recruitment(db, bus, clock, secret),
        campaigns=Campaigns(db, bus, clock),
        announcements=Announcements(db, bus, clock, community.chat.on_posted),
        reactions=AnnouncementReactionService(db, bus, clock),
        room_lists=RoomLists(db, bus, clock),
        clock=clock,
    )
