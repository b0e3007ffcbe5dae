"""The daily roll-up of who was active where: what member insight and recruitment reports read
instead of every message, RSVP and meeting (docs/market-and-insight.md, "Scale").

Derived tables (rooms/community/schema/activity.py): `activity_days`, one row per day, room and
member with their messages, RSVP answers (and how many "going") and seconds in meetings;
`room_days`, the same per room and day plus town-hall questions (guests ask too);
`first_activity` and `member_first_activity`, each member's first activity in each room and
anywhere (copied onto the member's referral, `referrals.first_at`, for recruitment
reports); and `member_windows`, each member's activity in the 28 and the 84 days before the
mark, rebuilt when the mark moves (once a day), which the organisation-wide dynamics read
instead of 112 days of rows. Days before the mark (`rollup_marks`) are final and never read
again from the source tables; `refresh` rebuilds the days from the mark on, which are today
(and yesterday during the first LATE_MS of a day), then moves the mark. Each refresh
therefore reads one day of messages through the `created_at` indexes, however long the
history; the first one on an old database reads all of it, BACKFILL_DAYS per transaction
(`catch_up`: 18 transactions of about 4 s for 1,000,000 messages on PostgreSQL).

What "final" means for the numbers: a message deleted after its day became final still counts
as that day's activity (the member did post), and an RSVP changed later counts on both days
(they answered on both). A meeting counts on the day it was left: that is when its row is
written, so no late row lands in a final day. The rows go with the room (ON DELETE CASCADE)
and with a deleted account (rooms/community/erasure.py), whose messages, kept in their rooms,
are never rolled up again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.database import Database
from rooms.community.schema.accounts import users
from rooms.community.schema.activity import (
    activity_days,
    first_activity,
    member_first_activity,
    member_windows,
    rollup_marks,
    room_days,
)
from rooms.community.schema.agenda import event_questions, events, meeting_attendance, rsvps
from rooms.community.schema.chat import messages
from rooms.community.schema.organising import referrals

DAY_MS = 86_400_000
# A row reaches the database this long after its timestamp at most (a transaction's time), so
# a day is rebuilt for that long after midnight before it becomes final.
LATE_MS = 3_600_000
MARK = "activity"
# Any fixed number: PostgreSQL's transaction-scoped advisory lock that keeps two refreshes
# from rebuilding the same days at once (SQLite's writes are one at a time anyway).
LOCK_KEY = 1800
ANALYSE_AFTER_DAYS = 7
# Days per transaction when catching up on a long history (catch_up): about 60,000 messages
# at 1,000,000 in 120 days, a few seconds of either database.
BACKFILL_DAYS = 7
# The windows of member insight's dynamics (rooms/insight/dynamics.py): recent, and the three
# as long before it that make its baseline.
RECENT_DAYS = 28
BEFORE_DAYS = 3 * RECENT_DAYS


async def refreshed_at(conn: AsyncConnection) -> int | None:
    """When the roll-up was last refreshed (ms), None before the first time."""
    found = await conn.execute(
        select(rollup_marks.c.refreshed_at).where(rollup_marks.c.name == MARK)
    )
    return found.scalar_one_or_none()


def day_of(ms: int) -> int:
    return ms // DAY_MS


def _source(since: int, before: int) -> Any:
    """(at, room_id, user_id, messages, rsvps, going, seconds) of every message, RSVP answer and
    attended meeting in [since, before) (ms)."""
    zero = literal(0)
    posted = select(
        messages.c.created_at.label("at"),
        messages.c.room_id,
        messages.c.author_id.label("user_id"),
        literal(1).label("messages"),
        zero.label("rsvps"),
        zero.label("going"),
        zero.label("seconds"),
    ).where(
        messages.c.created_at >= since,
        messages.c.created_at < before,
        messages.c.deleted.is_(False),
        # A deleted account's messages stay in their rooms, but not in any analysis
        # (rooms/community/erasure.py); its other rows are gone with it.
        messages.c.author_id.not_in(select(users.c.id).where(users.c.erased_at.is_not(None))),
    )
    answered = (
        select(
            rsvps.c.updated_at,
            events.c.room_id,
            rsvps.c.user_id,
            zero,
            literal(1),
            case((rsvps.c.response == "going", 1), else_=0),
            zero,
        )
        .join(events, events.c.id == rsvps.c.event_id)
        .where(rsvps.c.updated_at >= since, rsvps.c.updated_at < before)
    )
    attended = select(
        meeting_attendance.c.left_at,
        meeting_attendance.c.room_id,
        meeting_attendance.c.user_id,
        zero,
        zero,
        zero,
        (meeting_attendance.c.left_at - meeting_attendance.c.joined_at) // 1000,
    ).where(meeting_attendance.c.left_at >= since, meeting_attendance.c.left_at < before)
    return union_all(posted, answered, attended).subquery("source")


async def catch_up(db: Database, now: int, days: int = BACKFILL_DAYS) -> int:
    """Refresh `days` days per transaction until the mark is where it belongs; returns how
    many transactions it took. A first roll-up of a long history thus never holds the
    database (SQLite's one writer) for more than one batch of days at a time."""
    rounds = 0
    while True:
        rounds += 1
        async with db.write() as conn:
            await refresh(conn, now, days)
            if await caught_up(conn, now):
                if rounds > 1:
                    await _analyse(conn)
                return rounds


async def refresh(conn: AsyncConnection, now: int, days: int | None = None) -> int:
    """Rebuild the days from the mark on (at most `days` of them) and move the mark past the
    ones now final; returns the first day rebuilt. Idempotent: run it as often as wanted, in
    a write transaction."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_KEY})"))
    found = await conn.execute(select(rollup_marks.c.until_day).where(rollup_marks.c.name == MARK))
    mark = found.scalar_one_or_none()
    first_day = await _first_source_day(conn, now) if mark is None else int(mark)
    end = day_of(now) + 1 if days is None else min(day_of(now) + 1, first_day + days)
    since, before = first_day * DAY_MS, end * DAY_MS
    for table in (activity_days, room_days):
        await conn.execute(delete(table).where(table.c.day >= first_day, table.c.day < end))
    source = _source(since, before)
    day = source.c.at // DAY_MS  # one expression: GROUP BY must repeat the same parameter
    per_member = select(
        day,
        source.c.room_id,
        source.c.user_id,
        func.sum(source.c.messages),
        func.sum(source.c.rsvps),
        func.sum(source.c.going),
        func.sum(source.c.seconds),
    ).group_by(day, source.c.room_id, source.c.user_id)
    await conn.execute(
        insert(activity_days).from_select(
            ["day", "room_id", "user_id", "messages", "rsvps", "going", "meeting_seconds"],
            per_member,
        )
    )
    await conn.execute(
        insert(room_days).from_select(_ROOM_COLUMNS, _per_room(first_day, end, since, before))
    )
    await _first_activity(conn, source)
    if days is None and day_of(now) - first_day > ANALYSE_AFTER_DAYS:
        await _analyse(conn)
    target = day_of(now - LATE_MS)
    until = max(first_day, min(target, end))
    if until == target and until != mark:  # caught up, on a new day
        await _rebuild_windows(conn, until)
    if mark is None:
        await conn.execute(
            insert(rollup_marks).values(name=MARK, until_day=until, refreshed_at=now)
        )
    else:
        await conn.execute(
            update(rollup_marks)
            .where(rollup_marks.c.name == MARK)
            .values(until_day=until, refreshed_at=now)
        )
    return first_day


async def _analyse(conn: AsyncConnection) -> None:
    """After writing a long history: the planner needs the tables' statistics now, not when
    autovacuum comes by (without them it guessed 6,000 rows for 800,000)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("ANALYZE activity_days, room_days, first_activity, member_first_activity")
        )


async def _first_source_day(conn: AsyncConnection, now: int) -> int:
    """The first day with anything to roll up (today when there is nothing): where a first
    refresh starts, read from the time indexes."""
    firsts = [
        (await conn.execute(select(func.min(column)))).scalar_one_or_none()
        for column in (
            messages.c.created_at,
            rsvps.c.updated_at,
            meeting_attendance.c.left_at,
            event_questions.c.asked_at,
        )
    ]
    return day_of(min([int(at) for at in firsts if at is not None] or [now]))


async def caught_up(conn: AsyncConnection, now: int) -> bool:
    """Whether the mark is where it belongs at `now`: only today's days are still open (a first
    roll-up moves it a batch of days at a time, catch_up)."""
    return await final_until(conn) >= day_of(now - LATE_MS)


async def final_until(conn: AsyncConnection) -> int:
    """The mark: days before it are final (0 before the first refresh)."""
    found = await conn.execute(select(rollup_marks.c.until_day).where(rollup_marks.c.name == MARK))
    return int(found.scalar_one_or_none() or 0)


async def _rebuild_windows(conn: AsyncConnection, until: int) -> None:
    """member_windows for the windows ending at `until` (exclusive): one pass over their rows
    of activity_days, once a day."""
    await conn.execute(delete(member_windows))
    recent_start = until - RECENT_DAYS
    days = (
        select(
            activity_days.c.user_id,
            activity_days.c.day,
            func.sum(activity_days.c.messages).label("messages"),
            func.max(activity_days.c.going).label("going"),
        )
        .where(activity_days.c.day >= recent_start - BEFORE_DAYS, activity_days.c.day < until)
        .group_by(activity_days.c.user_id, activity_days.c.day)
        .subquery("member_day")
    )
    recent = days.c.day >= recent_start
    per_member = select(
        days.c.user_id,
        func.sum(case((recent, 1), else_=0)),
        func.sum(case((recent, 0), else_=1)),
        func.max(days.c.day),
        func.sum(case((recent, days.c.messages), else_=0)),
        func.sum(case((recent, 0), else_=days.c.messages)),
        func.max(case((recent & (days.c.going > 0), 1), else_=0)),
    ).group_by(days.c.user_id)
    await conn.execute(
        insert(member_windows).from_select(
            [
                "user_id",
                "recent_days",
                "before_days",
                "last_day",
                "recent_messages",
                "before_messages",
                "going",
            ],
            per_member,
        )
    )


_ROOM_COLUMNS = ["day", "room_id", "messages", "rsvps", "questions", "meeting_seconds"]


def _per_room(first_day: int, end: int, since: int, before: int) -> Any:
    zero = literal(0)
    members = select(
        activity_days.c.day,
        activity_days.c.room_id,
        activity_days.c.messages,
        activity_days.c.rsvps,
        zero.label("questions"),
        activity_days.c.meeting_seconds,
    ).where(activity_days.c.day >= first_day, activity_days.c.day < end)
    asked = (
        select(
            event_questions.c.asked_at // DAY_MS,
            events.c.room_id,
            zero,
            zero,
            literal(1),
            zero,
        )
        .join(events, events.c.id == event_questions.c.event_id)
        .where(event_questions.c.asked_at >= since, event_questions.c.asked_at < before)
    )
    both = union_all(members, asked).subquery("both_kinds")
    return select(
        both.c.day,
        both.c.room_id,
        func.sum(both.c.messages),
        func.sum(both.c.rsvps),
        func.sum(both.c.questions),
        func.sum(both.c.meeting_seconds),
    ).group_by(both.c.day, both.c.room_id)


async def _first_activity(conn: AsyncConnection, source: Any) -> None:
    """Each (member, room)'s earliest time and each member's, kept when an earlier one is
    already there."""
    by_room = (
        select(source.c.user_id, source.c.room_id, func.min(source.c.at))
        .where(true())  # SQLite: INSERT ... SELECT needs a WHERE before ON CONFLICT
        .group_by(source.c.user_id, source.c.room_id)
    )
    await _keep_earliest(conn, first_activity, ["user_id", "room_id", "first_at"], by_room)
    by_member = (
        select(source.c.user_id, func.min(source.c.at)).where(true()).group_by(source.c.user_id)
    )
    changed = await _keep_earliest(
        conn, member_first_activity, ["user_id", "first_at"], by_member, answer=True
    )
    # Recruitment reports read each sign-up's first activity from its referral (a copy, so
    # that they join nothing: docs/benchmarks.md): only members whose first activity is new
    # or earlier than known, which the upsert answers with.
    if changed:
        await conn.execute(
            update(referrals)
            .where(referrals.c.user_id == bindparam("member"))
            .values(first_at=bindparam("first")),
            [{"member": user_id, "first": first_at} for user_id, first_at in changed],
        )


async def _keep_earliest(
    conn: AsyncConnection, table: Any, columns: list[str], rows: Any, answer: bool = False
) -> list[tuple[Any, ...]]:
    """Upsert the rows, keeping the earlier `first_at`; with `answer`, returns the rows
    written (new, or earlier than what was there), so a caller can pass on what changed."""
    keys = columns[:-1]
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).from_select(columns, rows)
        statement: Any = pg.on_conflict_do_update(
            index_elements=keys,
            set_={"first_at": pg.excluded.first_at},
            where=table.c.first_at > pg.excluded.first_at,
        )
    else:
        lite = sqlite.insert(table).from_select(columns, rows)
        statement = lite.on_conflict_do_update(
            index_elements=keys,
            set_={"first_at": lite.excluded.first_at},
            where=table.c.first_at > lite.excluded.first_at,
        )
    if not answer:
        await conn.execute(statement)
        return []
    written = await conn.execute(statement.returning(*(table.c[name] for name in columns)))
    return [tuple(row) for row in written]
