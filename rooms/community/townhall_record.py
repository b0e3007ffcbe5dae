"""What a town hall leaves behind: its questions (with votes and states) and its comments,
kept with the agenda event so members can read them afterwards.

The live stage (rooms/meeting/stage.py) stays the source of truth during the meeting; every change
is written here as the question's whole state (an upsert), so the stored row ends as the
last state the meeting saw, whatever order the writes of concurrent votes commit in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rooms.community.accounts import User
from rooms.community.database import Database
from rooms.community.membership import require
from rooms.community.permissions import may
from rooms.community.schema.agenda import event_comments, event_questions, events
from rooms.community.timefmt import utc_iso
from rooms.errors import NotFound


@dataclass
class Question:
    id: int
    identity: str
    name: str
    text: str
    asked_at: float
    voters: set[str] = field(default_factory=set)
    answered: bool = False
    hidden: bool = False

    @property
    def votes(self) -> int:
        return len(self.voters)

    def public(self) -> dict[str, Any]:
        """The same for every viewer; whether *I* voted is known to my client."""
        return {
            "id": self.id,
            "identity": self.identity,
            "name": self.name,
            "text": self.text,
            "votes": self.votes,
            "answered": self.answered,
            "hidden": self.hidden,
        }


class TownHallRecord:
    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock

    async def save_question(self, event_id: int, stage_key: str, question: Question) -> None:
        state = {
            "votes": question.votes,
            "answered": question.answered,
            "hidden": question.hidden,
        }
        dialect_insert = sqlite_insert if self._db.is_sqlite else postgres_insert
        statement = dialect_insert(event_questions).values(
            event_id=event_id,
            stage=stage_key,
            number=question.id,
            identity=question.identity,
            name=question.name,
            text=question.text,
            asked_at=int(question.asked_at * 1000),
            **state,
        )
        async with self._db.write() as conn:
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["event_id", "stage", "number"], set_=state
                )
            )

    async def save_comment(self, event_id: int, name: str, text: str, at: float) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                insert(event_comments).values(
                    event_id=event_id, name=name, text=text, at=int(at * 1000)
                )
            )

    async def history(self, user: User, event_id: int) -> dict[str, Any]:
        """Questions (open first, most votes first) and comments (oldest first); hidden
        questions only for the room's moderators."""
        async with self._db.read() as conn:
            room_id = (
                await conn.execute(select(events.c.room_id).where(events.c.id == event_id))
            ).scalar_one_or_none()
            if room_id is None:
                raise NotFound("no such event", "event_id", reason="event_not_found")
            standing = await require(conn, room_id, user.id, "read")
            query = select(event_questions).where(event_questions.c.event_id == event_id)
            if not may(standing.role, "delete_any_message"):
                query = query.where(event_questions.c.hidden.is_(False))
            questions = (
                await conn.execute(
                    query.order_by(
                        event_questions.c.answered,
                        event_questions.c.votes.desc(),
                        event_questions.c.asked_at,
                        event_questions.c.id,
                    )
                )
            ).all()
            comments = (
                await conn.execute(
                    select(event_comments)
                    .where(event_comments.c.event_id == event_id)
                    .order_by(event_comments.c.id)
                )
            ).all()
        return {
            "questions": [
                {
                    "name": row.name,
                    "text": row.text,
                    "votes": row.votes,
                    "answered": bool(row.answered),
                    "hidden": bool(row.hidden),
                    "asked_at": utc_iso(row.asked_at),
                }
                for row in questions
            ],
            "comments": [
                {"name": row.name, "text": row.text, "at": utc_iso(row.at)} for row in comments
            ],
        }
