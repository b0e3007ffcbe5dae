"""The marketplace's services in one object, opened beside the community (server/app.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rooms.community.community import Community
from rooms.market.listings import Marketplace
from rooms.market.moderation import Moderation, SellerChats


@dataclass
class Market:
    listings: Marketplace
    moderation: Moderation
    chats: SellerChats


def open_market(
    community: Community, data_dir: Path, clock: Callable[[], float], rate_limits: bool = True
) -> Market:
    db, bus = community.db, community.bus
    return Market(
        listings=Marketplace(db, bus, clock, data_dir, rate_limits),
        moderation=Moderation(db, bus, clock),
        chats=SellerChats(db, bus, clock, community.direct, community.chat),
    )
