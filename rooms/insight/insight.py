"""Member insight as one service: each view checks who asks, writes the audit log, then
answers from the community's tables and their daily roll-up (rooms/insight/access.py,
participation.py, dynamics.py, relations.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community import activity_days
from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.database import Database
from rooms.community.regions.data import loaded_regions
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Busy, Forbidden, Invalid
from rooms.insight import dynamics, meetings, mine, participation, relations
from rooms.insight.access import (
    Scope,
    audit_log,
    narrowed,
    record_view,
    scope_of,
    set_grant,
)
from rooms.insight.activity import PERIODS, for_analysis

log = logging.getLogger(__name__)

MAX_PERIODS = 120
FRESH_MS = 60_000
# A view waits this long for the roll-up to catch up. The first roll-up of a long history
# takes minutes (69-204 s at 1,000,000 messages, docs/benchmarks.md): past this the view is
# refused with a "try again" and the roll-up goes on in the background.
PREPARE_WAIT_S = 10.0
PREPARE_RETRY_S = 30.0
# The relation graph changes slowly: an analysis (10-20 s of this machine at 100,000
# members) is served for this long, with its time, and the server's job redoes the
# organisation's before it runs out (maintain), so an organiser rarely waits for one.
RELATIONS_FRESH_MS = 15 * 60_000
MAINTAIN_INTERVAL_S = 300.0
RELATIONS_WANTED_MS = 60 * 60_000
DEFAULT_PERIODS = (("week", 12), ("month", 12), ("day", 28))  # what the insight page asks
View = Callable[[AsyncConnection, Scope, int], Awaitable[dict[str, Any]]]
# Who the background work sees as: nobody's view, so nothing is audited.
MAINTENANCE = User(0, None, None, "Kamar", "", "", "", "", True)
# computed at (ms), the answer, and the scope's membership then (relations.membership_mark)
Graph = tuple[int, dict[str, Any], tuple[int, int]]


class Insight(CommunityService):
    fresh_ms = FRESH_MS
    prepare_wait_s = PREPARE_WAIT_S
    relations_fresh_ms = RELATIONS_FRESH_MS

    def __init__(self, db: Database, bus: Bus, clock: Callable[[], float]) -> None:
        super().__init__(db, bus, clock)
        # Per scope (None: the organisation): the last analysis, and a lock so that two
        # organisers asking at once wait for one analysis instead of running two.
        self._graphs: dict[frozenset[int] | None, Graph] = {}
        self._graph_locks: dict[frozenset[int] | None, asyncio.Lock] = {}
        self._graph_wanted_at = -RELATIONS_WANTED_MS  # when an organiser last asked (ms)
        # The one catch-up of the roll-up under way, which every view and the upkeep job join
        # instead of each starting their own.
        self._catching_up: asyncio.Task[int] | None = None

    async def view(
        self,
        user: User,
        name: str,
        room_id: int | None = None,
        period: str = "week",
        count: int = 12,
        region: str | None = None,
    ) -> dict[str, Any]:
        if region and name != "participation":
            raise Invalid("region narrows the participation view only", "region")
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
            "meetings": lambda c, s, now: _rows(meetings.attendance(c, s, now)),
        }
        if name not in (*views, "relations"):
            raise Invalid(f"view must be one of {', '.join(views)}, relations", "view")
        # A code of the region data ("32.73"), else 404 or 400 naming region; the data's
        # first load (a second) not inside the write transaction.
        code = (await loaded_regions()).get(region).code if region else ""
        now = self._now()
        async with self._db.write() as conn:  # the audit row commits before any answer
            scope = await narrowed(conn, await scope_of(conn, user), room_id)
            if code:
                scope = replace(scope, region=code)
            await record_view(conn, scope, name, now)
            stale = name != "relations" and await self._stale(conn, now)
        if name == "regions":
            await loaded_regions()  # the names of the regions' codes
        if stale:
            await self._caught_up(now)
        if name == "participation":
            async with self._db.write() as conn:
                await participation.count_past_periods(conn, scope, period, count, now)
        if name == "relations":
            answer = await self._relations(scope, now)
        else:
            async with self._db.read() as conn:
                await for_analysis(conn)
                answer = await views[name](conn, scope, now)
        answer["scope"] = scope.describe()
        return answer

    async def _relations(self, scope: Scope, now: int, force: bool = False) -> dict[str, Any]:
        """The scope's last analysis while fresh, else a new one (which reads, then computes
        without holding a connection)."""
        key = scope.room_ids
        if key is None and not force:
            self._graph_wanted_at = now
        async with self._graph_locks.setdefault(key, asyncio.Lock()):
            async with self._db.read() as conn:
                members = await relations.membership_mark(conn, scope)
            kept = self._graphs.get(key)
            if (
                force
                or kept is None
                or kept[2] != members  # someone joined, left or was deleted: not theirs to keep
                or not 0 <= now - kept[0] < self.relations_fresh_ms
            ):
                answer = await relations.relations(self._db, scope)
                kept = self._graphs[key] = (now, answer, members)
        return {**kept[1], "computed_at": utc_iso(kept[0])}

    async def maintain(self, analyse: bool = False) -> dict[str, float]:
        """The background work that keeps views quick (the server runs it every
        MAINTAIN_INTERVAL_S): the roll-up's open days, the organisation's past periods of the
        page's default views, and its relation analysis when about to go stale, if someone
        looked at it within RELATIONS_WANTED_MS (or `analyse`). Returns the seconds each
        step took."""
        organisation = Scope(MAINTENANCE, None)
        took: dict[str, float] = {}
        began = time.perf_counter()
        now = self._now()
        await asyncio.shield(self._catch_up(now))
        took["rollup_s"] = time.perf_counter() - began
        async with self._db.write() as conn:
            for period, count in DEFAULT_PERIODS:
                await participation.count_past_periods(conn, organisation, period, count, now)
        took["periods_s"] = time.perf_counter() - began - took["rollup_s"]
        kept = self._graphs.get(None)
        # Redone one run before a view would find it stale: every other run (20 s of one
        # core at 100,000 members every 10 minutes), and only while organisers look at it.
        ahead = MAINTAIN_INTERVAL_S * 1000
        wanted = now - self._graph_wanted_at < RELATIONS_WANTED_MS
        stale = kept is None or now - kept[0] >= self.relations_fresh_ms - ahead
        if analyse or (wanted and stale):
            began = time.perf_counter()
            await self._relations(organisation, now, force=True)
            took["relations_s"] = time.perf_counter() - began
        return took

    async def _stale(self, conn: AsyncConnection, now: int) -> bool:
        """Whether the roll-up's open days need rebuilding: not when that was done within
        `fresh_ms`, so a view is at most that old (today's rows cost 0.1-0.7 s to rebuild at
        1,000,000 messages), unless it is still catching up on the history: a view then would
        read part of it (a first roll-up marks each batch of days as refreshed)."""
        last = await activity_days.refreshed_at(conn)
        if last is None or now - last >= self.fresh_ms or now < last:
            return True
        return not await activity_days.caught_up(conn, now)

    def _catch_up(self, now: int) -> asyncio.Task[int]:
        """The roll-up's catch-up under way, or a new one: in transactions of its own, a few
        days each, so SQLite's one writer is never held for long."""
        task = self._catching_up
        if task is None or task.done():
            task = self._catching_up = asyncio.create_task(activity_days.catch_up(self._db, now))
            task.add_done_callback(_log_failure)
        return task

    async def _caught_up(self, now: int) -> None:
        """Wait up to `prepare_wait_s` for the roll-up, else Busy (it goes on meanwhile)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._catch_up(now)), self.prepare_wait_s)
        except TimeoutError:
            raise Busy(
                "member insight is still counting the history of this server's activity; "
                "try again in a minute",
                retry_after=PREPARE_RETRY_S,
                reason="insight_preparing",
            ) from None

    async def close(self) -> None:
        """Stop a catch-up under way (the server is stopping; the next start resumes it)."""
        task, self._catching_up = self._catching_up, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def audit(self, user: User) -> dict[str, Any]:
        if not user.is_admin:
            raise Forbidden("only an administrator reads the insight audit log")
        async with self._db.read() as conn:
            return {"rows": await audit_log(conn)}

    async def grant(self, admin: User, user_id: int, granted: bool) -> None:
        async with self._db.write() as conn:
            await set_grant(conn, admin, user_id, granted, self._now())

    async def about_me(self, user: User) -> dict[str, Any]:
        """What Kamar keeps about the member and counts in insight: their own rows, and their
        own activity week by week as the daily roll-up holds it (derived from those rows)."""
        return await mine.about_me(self._db, user, self._now())


def _log_failure(task: asyncio.Task[int]) -> None:
    """A catch-up nobody waits for any more still says why it failed (the next view retries)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the insight roll-up failed", exc_info=task.exception())


async def _rows(pending: Awaitable[list[dict[str, Any]]]) -> dict[str, Any]:
    return {"rows": await pending}
