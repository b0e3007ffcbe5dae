"""The activity every metric counts, as SQL over the community's own tables (no copies: an
account's rows gone means the account is gone from every analysis).

A member is *active* in a period when they posted a message (not deleted) or answered an RSVP
in it, in a room of the scope. Messages, RSVPs and town-hall questions are also counted on
their own. Meeting minutes attended are not recorded by Kamar yet (docs/market-and-insight.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select, union_all

from rooms.community.schema import event_questions, events, messages, rsvps
from rooms.insight.access import Scope

DAY_MS = 86_400_000
PERIODS = {"day": DAY_MS, "week": 7 * DAY_MS, "month": 28 * DAY_MS}


def in_scope(column: Any, scope: Scope) -> Any:
    if scope.room_ids is None:
        return literal(True)
    return column.in_(sorted(scope.room_ids))


def activity(scope: Scope, since: int, until: int) -> Any:
    """(user_id, room_id, at) of every message and RSVP answer in [since, until)."""
    posted = select(
        messages.c.author_id.label("user_id"),
        messages.c.room_id.label("room_id"),
        messages.c.created_at.label("at"),
    ).where(
        messages.c.deleted.is_(False),
        messages.c.created_at >= since,
        messages.c.created_at < until,
        in_scope(messages.c.room_id, scope),
    )
    answered = (
        select(
            rsvps.c.user_id.label("user_id"),
            events.c.room_id.label("room_id"),
            rsvps.c.updated_at.label("at"),
        )
        .join(events, events.c.id == rsvps.c.event_id)
        .where(
            rsvps.c.updated_at >= since,
            rsvps.c.updated_at < until,
            in_scope(events.c.room_id, scope),
        )
    )
    return union_all(posted, answered).subquery("activity")


def message_rows(scope: Scope, since: int, until: int) -> Any:
    return select(messages.c.room_id, messages.c.created_at.label("at")).where(
        messages.c.deleted.is_(False),
        messages.c.created_at >= since,
        messages.c.created_at < until,
        in_scope(messages.c.room_id, scope),
    )


def rsvp_rows(scope: Scope, since: int, until: int) -> Any:
    return (
        select(events.c.room_id, rsvps.c.updated_at.label("at"))
        .join(events, events.c.id == rsvps.c.event_id)
        .where(
            rsvps.c.updated_at >= since,
            rsvps.c.updated_at < until,
            in_scope(events.c.room_id, scope),
        )
    )


def question_rows(scope: Scope, since: int, until: int) -> Any:
    return (
        select(events.c.room_id, event_questions.c.asked_at.label("at"))
        .join(events, events.c.id == event_questions.c.event_id)
        .where(
            event_questions.c.asked_at >= since,
            event_questions.c.asked_at < until,
            in_scope(events.c.room_id, scope),
        )
    )
