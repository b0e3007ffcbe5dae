"""Polls in any room: single or multiple choice, anonymous or not, with a closing time.

Every change (a new poll, a vote, an early close) is published to the room as one `poll`
event carrying the whole poll with its counts, after its transaction commits: the live results
of every member's screen are the server's, never a client's sum. Votes are kept per member so
a vote can be changed until the poll closes; an anonymous poll never shows who chose what. A
vote after the closing time is refused and changes nothing; reaching it is announced once, by
a sweep every node runs (`announce_closed`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, distinct, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.bus import Bus
from rooms.community.chat import room_topic
from rooms.community.database import Database
from rooms.community.direct_pairs import DIRECT, check_may_send
from rooms.community.membership import require
from rooms.community.permissions import may
from rooms.community.schema.accounts import users
from rooms.community.schema.chat import poll_options, poll_votes, polls
from rooms.community.service import CommunityService
from rooms.community.timefmt import utc_iso
from rooms.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from rooms.ratelimit import TokenBuckets

MAX_QUESTION, MAX_OPTION = 300, 100
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MIN_OPEN_MS = 60_000  # a poll that closes within a minute could not be answered by anyone
MAX_OPEN_MS = 90 * 86_400_000
LIST_MAX = 20
VOTERS_SHOWN = 20  # names per option; the count is always whole
# Per member, across rooms: polls are rarer than messages; votes are taps, changed at will.
POLL_BURST, POLLS_PER_SECOND = 5, 1 / 60
VOTE_BURST, VOTES_PER_SECOND = 20, 1.0
CLOSE_ANNOUNCE_WINDOW_MS = 86_400_000


@dataclass(frozen=True)
class PollForm:
    question: str
    options: Sequence[str]
    closes_at: int  # ms since the epoch
    multiple: bool = False
    anonymous: bool = False


def check_poll(form: PollForm, now: int) -> PollForm:
    """The poll to store (texts trimmed), or Invalid naming the field. Pure."""
    question = form.question.strip()
    if not 0 < len(question) <= MAX_QUESTION:
        raise Invalid(
            f"question must be 1-{MAX_QUESTION} characters", "question", reason="poll_question"
        )
    options = [option.strip() for option in form.options]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise Invalid(
            f"a poll has {MIN_OPTIONS}-{MAX_OPTIONS} options", "options", reason="poll_options"
        )
    if not all(0 < len(option) <= MAX_OPTION for option in options):
        raise Invalid(
            f"each option is 1-{MAX_OPTION} characters", "options", reason="poll_option_length"
        )
    if len({option.casefold() for option in options}) != len(options):
        raise Invalid("two options say the same", "options", reason="poll_option_twice")
    if form.closes_at < now + MIN_OPEN_MS:
        raise Invalid(
            "closes_at must be at least a minute from now", "closes_at", reason="poll_closes_soon"
        )
    if form.closes_at > now + MAX_OPEN_MS:
        raise Invalid("a poll stays open 90 days at most", "closes_at", reason="poll_closes_late")
    return PollForm(question, options, form.closes_at, form.multiple, form.anonymous)


def check_choices(choices: Sequence[int], option_count: int, multiple: bool) -> list[int]:
    """The options chosen, without repeats, or Invalid. Pure."""
    chosen = sorted(set(choices))
    if not chosen:
        raise Invalid("choose at least one option", "choices", reason="poll_no_choice")
    if not multiple and len(chosen) > 1:
        raise Invalid("this poll takes one choice", "choices", reason="poll_one_choice")
    if not all(0 <= choice < option_count for choice in chosen):
        raise Invalid("no such option in this poll", "choices", reason="poll_no_option")
    return chosen


class Polls(CommunityService):
    def __init__(
        self, db: Database, bus: Bus, clock: Callable[[], float], rate_limits: bool = True
    ) -> None:
        super().__init__(db, bus, clock)
        self._creating = TokenBuckets[int](POLL_BURST, POLLS_PER_SECOND) if rate_limits else None
        self._voting = TokenBuckets[int](VOTE_BURST, VOTES_PER_SECOND) if rate_limits else None

    async def create(self, user: User, room_id: int, form: PollForm) -> dict[str, Any]:
        now = self._now()
        form = check_poll(form, now)
        async with self._db.write() as conn:
            await _may_take_part(conn, room_id, user.id)
            self._spend(True, user.id)
            poll_id = (
                await conn.execute(
                    insert(polls)
                    .values(
                        room_id=room_id,
                        author_id=user.id,
                        question=form.question,
                        multiple=form.multiple,
                        anonymous=form.anonymous,
                        closes_at=form.closes_at,
                        created_at=now,
                    )
                    .returning(polls.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(poll_options),
                [
                    {"poll_id": poll_id, "position": i, "text": text}
                    for i, text in enumerate(form.options)
                ],
            )
            [poll] = await render(conn, [poll_id], now)
        return self._announce(poll, [])

    async def vote(self, user: User, poll_id: int, choices: Sequence[int]) -> dict[str, Any]:
        """Replace the member's choices in an open poll."""
        now = self._now()
        async with self._db.write() as conn:
            row = await _poll_row(conn, poll_id, lock=True)
            await _may_take_part(conn, row.room_id, user.id)
            if row.closes_at <= now:
                raise Conflict("this poll is closed", "poll_id", reason="poll_closed")
            count = await _option_count(conn, poll_id)
            chosen = check_choices(choices, count, row.multiple)
            self._spend(False, user.id)
            await conn.execute(
                delete(poll_votes).where(
                    poll_votes.c.poll_id == poll_id, poll_votes.c.user_id == user.id
                )
            )
            await conn.execute(
                insert(poll_votes),
                [
                    {"poll_id": poll_id, "user_id": user.id, "position": p, "created_at": now}
                    for p in chosen
                ],
            )
            [poll] = await render(conn, [poll_id], now)
        return self._announce(poll, chosen)

    async def close(self, user: User, poll_id: int) -> dict[str, Any]:
        """Close a poll now: its author or a moderator of the room."""
        now = self._now()
        async with self._db.write() as conn:
            row = await _poll_row(conn, poll_id)
            standing = await require(conn, row.room_id, user.id, "read")
            if row.author_id != user.id and not may(standing.role, "delete_any_message"):
                raise Forbidden(
                    "only the poll's author or a moderator can close it", reason="poll_not_author"
                )
            if row.closes_at > now:
                # Announced here, so the closing sweep does not announce it again.
                closing = update(polls).where(polls.c.id == poll_id)
                await conn.execute(closing.values(closes_at=now, close_announced=True))
            [poll] = await render(conn, [poll_id], now)
            mine = await _choices_of(conn, [poll_id], user.id)
        return self._announce(poll, mine.get(poll_id, []))

    async def announce_closed(self) -> int:
        """Tell each room whose poll reached its closing time: a `poll` event with `closed`
        true, so open pages stop taking votes without comparing clocks. Returns how many.

        Every node runs this sweep (server/poll_closing.py); the claim is one UPDATE ...
        RETURNING, so two nodes sweeping at once split the polls instead of both announcing
        them (as rooms/community/agenda.py send_reminders). Polls that closed more than
        CLOSE_ANNOUNCE_WINDOW_MS ago (a cluster down for a day, or polls older than this
        sweep) are claimed without an event: no page still waits for them."""
        now = self._now()
        due = polls.c.close_announced.is_(False), polls.c.closes_at <= now
        async with self._db.write() as conn:
            claimed = await conn.execute(
                update(polls)
                .where(*due, polls.c.closes_at > now - CLOSE_ANNOUNCE_WINDOW_MS)
                .values(close_announced=True)
                .returning(polls.c.id)
            )
            ids = sorted(claimed.scalars())
            await conn.execute(update(polls).where(*due).values(close_announced=True))
            closed = await render(conn, ids, now)
        for poll in closed:
            self._announce(poll, [])
        return len(closed)

    async def in_room(self, user: User, room_id: int) -> list[dict[str, Any]]:
        """The room's newest polls, newest first, each with the caller's own choices."""
        async with self._db.read() as conn:
            await require(conn, room_id, user.id, "read")
            ids = list(
                (
                    await conn.execute(
                        select(polls.c.id)
                        .where(polls.c.room_id == room_id)
                        .order_by(polls.c.id.desc())
                        .limit(LIST_MAX)
                    )
                ).scalars()
            )
            out = await render(conn, ids, self._now())
            mine = await _choices_of(conn, ids, user.id)
        return [{**poll, "my_choices": mine.get(poll["id"], [])} for poll in out]

    def _announce(self, poll: dict[str, Any], mine: list[int]) -> dict[str, Any]:
        room_id = poll["room_id"]
        self._bus.publish(room_topic(room_id), {"type": "poll", "room_id": room_id, "poll": poll})
        return {**poll, "my_choices": mine}

    def _spend(self, creating: bool, user_id: int) -> None:
        buckets = self._creating if creating else self._voting
        if buckets is None:
            return
        wait = buckets.take(user_id, self._clock())
        if wait > 0:
            raise RateLimited(
                f"too many at once; wait {math.ceil(wait)} s",
                None,
                wait,
                reason="poll_too_fast" if creating else "vote_too_fast",
            )


async def _may_take_part(conn: AsyncConnection, room_id: int, user_id: int) -> None:
    """Members only; in a direct room, not across a block."""
    standing = await require(conn, room_id, user_id, "post")
    if standing.kind == DIRECT:
        await check_may_send(conn, room_id, user_id)


async def _poll_row(conn: AsyncConnection, poll_id: int, lock: bool = False) -> Any:
    """The poll; `lock` holds its row until the transaction ends (PostgreSQL), so a closing
    sweep waits for a vote cast just before the closing time and announces it counted."""
    query = select(polls).where(polls.c.id == poll_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).one_or_none()
    if row is None:
        raise NotFound("no such poll", "poll_id", reason="poll_not_found")
    return row


async def _option_count(conn: AsyncConnection, poll_id: int) -> int:
    found = await conn.execute(
        select(poll_options.c.position).where(poll_options.c.poll_id == poll_id)
    )
    return len(found.all())


async def _choices_of(
    conn: AsyncConnection, poll_ids: list[int], user_id: int
) -> dict[int, list[int]]:
    found = await conn.execute(
        select(poll_votes.c.poll_id, poll_votes.c.position)
        .where(poll_votes.c.poll_id.in_(poll_ids), poll_votes.c.user_id == user_id)
        .order_by(poll_votes.c.position)
    )
    out: dict[int, list[int]] = {}
    for poll_id, position in found:
        out.setdefault(poll_id, []).append(position)
    return out


async def render(conn: AsyncConnection, ids: list[int], now: int) -> list[dict[str, Any]]:
    """Polls as the API and the feed show them, in the order of `ids`: counts by option and
    the first VOTERS_SHOWN names of each (a thousand voters would make every event of the
    poll 33 KB, sent to every member's socket on every vote)."""
    if not ids:
        return []
    rows = {
        row.id: row
        for row in await conn.execute(
            select(polls, users.c.display_name)
            .join(users, users.c.id == polls.c.author_id)
            .where(polls.c.id.in_(ids))
        )
    }
    options: dict[int, list[dict[str, Any]]] = {}
    for option in await conn.execute(
        select(poll_options)
        .where(poll_options.c.poll_id.in_(ids))
        .order_by(poll_options.c.position)
    ):
        options.setdefault(option.poll_id, []).append(
            {"text": option.text, "votes": 0, "voters": []}
        )
    for poll_id, position, votes in await conn.execute(
        select(poll_votes.c.poll_id, poll_votes.c.position, func.count())
        .where(poll_votes.c.poll_id.in_(ids))
        .group_by(poll_votes.c.poll_id, poll_votes.c.position)
    ):
        options[poll_id][position]["votes"] = votes
    voter_counts: dict[int, int] = dict(
        (
            await conn.execute(
                select(poll_votes.c.poll_id, func.count(distinct(poll_votes.c.user_id)))
                .where(poll_votes.c.poll_id.in_(ids))
                .group_by(poll_votes.c.poll_id)
            )
        ).all()
    )
    named = [i for i in ids if not rows[i].anonymous]
    for vote in await _first_voters(conn, named):
        options[vote.poll_id][vote.position]["voters"].append(
            {"id": vote.user_id, "display_name": vote.display_name}
        )
    return [_poll_json(rows[i], options[i], voter_counts.get(i, 0), now) for i in ids]


async def _first_voters(conn: AsyncConnection, ids: list[int]) -> Sequence[Any]:
    """The first VOTERS_SHOWN voters of each option of these polls, in the order they voted."""
    if not ids:
        return []
    rank = (
        func.row_number()
        .over(
            partition_by=(poll_votes.c.poll_id, poll_votes.c.position),
            order_by=(poll_votes.c.created_at, poll_votes.c.user_id),
        )
        .label("rank")
    )
    ranked = (
        select(poll_votes.c.poll_id, poll_votes.c.position, poll_votes.c.user_id, rank)
        .where(poll_votes.c.poll_id.in_(ids))
        .subquery()
    )
    result = await conn.execute(
        select(ranked.c.poll_id, ranked.c.position, ranked.c.user_id, users.c.display_name)
        .join(users, users.c.id == ranked.c.user_id)
        .where(ranked.c.rank <= VOTERS_SHOWN)
        .order_by(ranked.c.poll_id, ranked.c.position, ranked.c.rank)
    )
    return result.all()


def _poll_json(
    row: Any, options: list[dict[str, Any]], voter_count: int, now: int
) -> dict[str, Any]:
    if row.anonymous:
        for option in options:
            del option["voters"]
    return {
        "id": row.id,
        "room_id": row.room_id,
        "author": {"id": row.author_id, "display_name": row.display_name},
        "question": row.question,
        "options": options,
        "multiple": bool(row.multiple),
        "anonymous": bool(row.anonymous),
        "closes_at": utc_iso(row.closes_at),
        "closed": row.closes_at <= now,
        "voter_count": voter_count,
        "created_at": utc_iso(row.created_at),
    }
