"""Member insight as one service: each view checks who asks, writes the audit log, then
answers from the community's tables (rooms/insight/access.py, participation.py, dynamics.py,
relations.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.schema import (
    event_questions,
    listings,
    memberships,
    messages,
    rsvps,
)
from rooms.community.service import CommunityService
from rooms.errors import Forbidden, Invalid
from rooms.insight import dynamics, participation, relations
from rooms.insight.access import (
    Scope,
    audit_log,
    narrowed,
    record_view,
    scope_of,
    set_grant,
)
from rooms.insight.activity import PERIODS

MAX_PERIODS = 120
View = Callable[[AsyncConnection, Scope, int], Awaitable[dict[str, Any]]]


class Insight(CommunityService):
    async def view(
        self,
        user: User,
        name: str,
        room_id: int | None = None,
        period: str = "week",
        count: int = 12,
    ) -> dict[str, Any]:
        if period not in PERIODS:
            raise Invalid(f"period must be one of {', '.join(PERIODS)}", "period")
        if not 1 <= count <= MAX_PERIODS:
            raise Invalid(f"count must be 1-{MAX_PERIODS}", "count")
        views: dict[str, View] = {
            "participation": lambda c, s, now: participation.series(c, s, period, count, now),
            "rooms": lambda c, s, now: _rows(participation.room_table(c, s, now)),
            "trends": lambda c, s, now: _rows(dynamics.room_trends(c, s, now)),
            "slipping": lambda c, s, now: _rows(dynamics.slipping(c, s, now)),
            "regions": lambda c, s, now: _rows(dynamics.regions(c, s, now)),
        }
        if name not in (*views, "relations"):
            raise Invalid(f"view must be one of {', '.join(views)}, relations", "view")
        now = self._now()
        async with self._db.write() as conn:  # the audit row commits before any answer
            scope = await narrowed(conn, await scope_of(conn, user), room_id)
            await record_view(conn, scope, name, now)
        if name == "relations":  # reads, then computes without holding a connection
            answer = await relations.relations(self._db, scope)
        else:
            async with self._db.read() as conn:
                answer = await views[name](conn, scope, now)
        answer["scope"] = scope.describe()
        return answer

    async def audit(self, user: User) -> dict[str, Any]:
        if not user.is_admin:
            raise Forbidden("only an administrator reads the insight audit log")
        async with self._db.read() as conn:
            return {"rows": await audit_log(conn)}

    async def grant(self, admin: User, user_id: int, granted: bool) -> None:
        async with self._db.write() as conn:
            await set_grant(conn, admin, user_id, granted, self._now())

    async def about_me(self, user: User) -> dict[str, Any]:
        """What Kamar keeps about the member and counts in insight: their own rows, nothing
        derived is stored (every view is computed on request)."""
        counts = {
            "rooms": select(func.count()).where(memberships.c.user_id == user.id),
            "messages": select(func.count()).where(
                messages.c.author_id == user.id, messages.c.deleted.is_(False)
            ),
            "rsvps": select(func.count()).where(rsvps.c.user_id == user.id),
            "questions": select(func.count()).where(
                event_questions.c.identity == f"user-{user.id}"
            ),
            "listings": select(func.count()).where(listings.c.seller_id == user.id),
        }
        async with self._db.read() as conn:
            kept = {name: int((await conn.execute(q)).scalar_one()) for name, q in counts.items()}
        return {"profile": user.own(), "kept": kept, "derived_data_stored": False}


async def _rows(pending: Awaitable[list[dict[str, Any]]]) -> dict[str, Any]:
    return {"rows": await pending}
