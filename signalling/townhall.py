"""Stage messages of a meeting session: hands, roles, moderation, Q&A, comments, reactions.

The rules live in rooms/meeting/stage.py and rooms/meeting/meeting.py; this module checks who is
asking, maps rule errors to wire errors and tells the right people. Every handler runs without
awaiting between reading and changing meeting state.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rooms.community.townhall_record import Question, TownHallRecord
from rooms.meeting import stage
from rooms.meeting.egress.egress import idle_state
from rooms.meeting.events import ByeReason, QuestionChanged, QuestionRemoved, bye
from rooms.meeting.meeting import Meeting, Participant, ParticipantId
from rooms.meeting.stage import REACTIONS, StageError
from signalling.context import MeetingContext
from signalling.errors import ProtocolError, error_event
from signalling.messages import (
    Admit,
    AnswerQuestion,
    Ask,
    Comment,
    EndMeeting,
    HideQuestion,
    LockMeeting,
    MuteAll,
    MuteParticipant,
    RaiseHand,
    React,
    RemoveParticipant,
    SetLobby,
    SetRole,
    Vote,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")
COMMENT_INTERVAL = 1.0  # seconds between one person's comments
REACTION_INTERVAL = 0.5  # seconds; faster reactions are dropped silently


def stage_snapshot(meeting: Meeting, participant: Participant) -> dict[str, Any]:
    """What a newcomer needs to draw the stage: state, visible questions, recent comments."""
    questions = meeting.stage.visible_questions(participant.identity, participant.role)
    return {
        "locked": meeting.stage.locked,
        "lobby": meeting.stage.lobby,
        "questions": [q.public() for q in questions],
        "comments": list(meeting.stage.comments),
        "reactions": list(REACTIONS),
        # Told at once, like the `egress` event: a newcomer learns it is being recorded.
        "egress": meeting.egress.state() if meeting.egress is not None else idle_state(),
        # A town hall's audience members are not listed one by one (rooms/meeting/presence.py).
        "audience": meeting.audience_count(),
    }


# Writes still running whose handler may be gone: a strong reference until they finish.
_PENDING_WRITES: set[asyncio.Future[None]] = set()
# The latest write of each town hall's record: the next one waits for it. A question's write
# stores its whole state (votes, answered, hidden), so two writes of one meeting must reach
# the database in the order the stage changed, or an older state lands last: a member's
# question stored after the moderator hid it came back visible (seen on PostgreSQL, where
# two connections commit in any order).
_LAST_WRITE: dict[int, asyncio.Future[None]] = {}


async def keep_write(write: Awaitable[None], record: int = 0) -> None:
    """Store a change everyone has already seen, after the earlier writes of the same
    `record` (a town hall's event id). The write finishes even when the handler awaiting it
    is cancelled (aiohttp cancels it when the client's socket goes away, and a member who
    comments and closes the app at once must not lose the comment); a failed write is
    logged, not sent back."""
    task = asyncio.ensure_future(_store(write, _LAST_WRITE.get(record)))
    _LAST_WRITE[record] = task
    _PENDING_WRITES.add(task)
    task.add_done_callback(functools.partial(_written, record))
    await asyncio.shield(task)


def _written(record: int, task: asyncio.Future[None]) -> None:
    _PENDING_WRITES.discard(task)
    if _LAST_WRITE.get(record) is task:
        del _LAST_WRITE[record]


async def _store(write: Awaitable[None], after: asyncio.Future[None] | None) -> None:
    if after is not None:
        await asyncio.wait([after])  # its own failure was logged; this one goes on regardless
    try:
        await write
    except Exception:
        log.exception("storing a town-hall question or comment failed")


class StageControl:
    def __init__(self, context: MeetingContext) -> None:
        self._context = context
        self._last_comment = -math.inf
        self._last_reaction = -math.inf

    def handlers(self) -> dict[type, Callable[[Any], Awaitable[None]]]:
        return {
            RaiseHand: self._raise_hand,
            SetRole: self._set_role,
            MuteParticipant: self._mute_participant,
            MuteAll: self._mute_all,
            RemoveParticipant: self._remove,
            LockMeeting: self._lock,
            SetLobby: self._set_lobby,
            Admit: self._admit,
            EndMeeting: self._end,
            Ask: self._ask,
            Vote: self._vote,
            AnswerQuestion: self._answer,
            HideQuestion: self._hide,
            Comment: self._comment,
            React: self._react,
        }

    # -- who asks -----------------------------------------------------------------------

    def _me(self, action: str) -> tuple[Meeting, Participant]:
        meeting, me = self._context.me()
        try:
            stage.require(me.role, action)
        except StageError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
        return meeting, me

    def _other(self, meeting: Meeting, participant_id: str, me: Participant) -> Participant:
        target = meeting.participants.get(ParticipantId(participant_id))
        if target is None or target.id == me.id:
            raise ProtocolError("not_found", f"no other participant {participant_id!r} here")
        if target.role == "moderator":
            raise ProtocolError("forbidden", "moderators cannot be moderated")
        return target

    # -- hands and roles ----------------------------------------------------------------

    async def _raise_hand(self, message: RaiseHand) -> None:
        meeting, me = self._me("raise_hand")
        if message.raised and me.role != "audience":
            raise ProtocolError("bad_state", "you are on the stage already")
        if message.raised and me.watching:
            raise ProtocolError("bad_state", "you watch the live stream: join the meeting to speak")
        meeting.raise_hand(me.id, message.raised)

    async def _set_role(self, message: SetRole) -> None:
        meeting, me = self._me("set_role")
        target = self._other(meeting, message.participant_id, me)
        if target.watching and message.role == "speaker":
            raise ProtocolError(
                "bad_state", f"{target.name} watches the live stream and has no camera here"
            )
        meeting.set_role(target.id, "speaker" if message.role == "speaker" else "audience")

    # -- moderation ---------------------------------------------------------------------

    async def _mute_participant(self, message: MuteParticipant) -> None:
        meeting, me = self._me("mute_other")
        meeting.silence(self._other(meeting, message.participant_id, me).id, message.kind)

    async def _mute_all(self, message: MuteAll) -> None:
        meeting, _me = self._me("mute_all")
        # Speakers only: the audience sends nothing, and marking hundreds of listeners muted
        # would cost a broadcast each.
        for participant in list(meeting.participants.values()):
            if participant.role == "speaker" and not participant.muted[message.kind]:
                meeting.silence(participant.id, message.kind)

    async def _remove(self, message: RemoveParticipant) -> None:
        meeting, me = self._me("ban" if message.ban else "remove")
        target = self._other(meeting, message.participant_id, me)
        if message.ban:
            meeting.stage.banned.add(target.identity)
        reason: ByeReason = "banned" if message.ban else "removed"
        target.deliver(bye(reason))
        target.disconnect(reason)

    async def _lock(self, message: LockMeeting) -> None:
        meeting, _me = self._me("lock")
        meeting.stage.locked = message.locked
        meeting.broadcast(meeting.stage_event())

    async def _set_lobby(self, message: SetLobby) -> None:
        meeting, _me = self._me("lobby")
        meeting.stage.lobby = message.enabled
        meeting.broadcast(meeting.stage_event())
        if not message.enabled:  # no lobby any more: everyone waiting comes in
            for participant_id in list(meeting.waiting):
                meeting.admit(participant_id)

    async def _admit(self, message: Admit) -> None:
        meeting, _me = self._me("admit")
        participant_id = ParticipantId(message.participant_id)
        if participant_id not in meeting.waiting:
            raise ProtocolError("not_found", f"nobody {message.participant_id!r} is waiting")
        if message.allow:
            meeting.admit(participant_id)
            return
        refused = meeting.leave_lobby(participant_id)
        if refused is not None:
            refused.deliver(error_event(ProtocolError("denied", "a moderator did not let you in")))
            refused.disconnect("denied")

    async def _end(self, _message: EndMeeting) -> None:
        meeting, _me = self._me("end")
        waiting = [participant for participant, _enter in meeting.waiting.values()]
        for participant in [*meeting.participants.values(), *waiting]:
            participant.deliver(bye("ended"))
            participant.disconnect("ended")

    # -- questions, comments, reactions -------------------------------------------------

    async def _ask(self, message: Ask) -> None:
        meeting, me = self._me("ask")
        earlier = meeting.stage.asked.earlier(me.identity, message.client_id)
        if earlier is not None:  # sent again after a reconnect: the asker hears it landed
            me.deliver({"type": "question", "question": earlier.public()})
            return
        question = self._rule(
            lambda: meeting.stage.ask(me.identity, me.name, message.text, self._now())
        )
        meeting.stage.asked.remember(me.identity, message.client_id, question)
        await self._announce(meeting, question)

    async def _vote(self, message: Vote) -> None:
        meeting, me = self._me("vote")
        question = self._rule(
            lambda: meeting.stage.vote(me.identity, message.question_id, message.up)
        )
        if question is not None:
            await self._announce(meeting, question)

    async def _answer(self, message: AnswerQuestion) -> None:
        meeting, _me = self._me("answer_question")
        question = self._rule(lambda: meeting.stage.answer(message.question_id, message.answered))
        await self._announce(meeting, question)

    async def _hide(self, message: HideQuestion) -> None:
        meeting, _me = self._me("hide_question")
        question = self._rule(lambda: meeting.stage.hide(message.question_id, message.hidden))
        await self._announce(meeting, question)

    async def _comment(self, message: Comment) -> None:
        meeting, me = self._me("comment")
        earlier = meeting.stage.commented.earlier(me.identity, message.client_id)
        if earlier is not None:  # sent again after a reconnect: the author hears it landed
            me.deliver({"type": "comment", "comment": earlier})
            return
        now = self._now()
        if now - self._last_comment < COMMENT_INTERVAL:
            raise ProtocolError("rate_limited", "one comment a second, please")
        entry = self._rule(lambda: meeting.stage.comment(me.id, me.name, message.text, now))
        meeting.stage.commented.remember(me.identity, message.client_id, entry)
        self._last_comment = now
        meeting.broadcast({"type": "comment", "comment": entry})
        record = self._record()
        if record is not None:
            event_id, townhall = record
            await keep_write(townhall.save_comment(event_id, me.name, entry["text"], now), event_id)

    async def _react(self, message: React) -> None:
        meeting, me = self._me("react")
        if message.emoji not in REACTIONS:
            raise ProtocolError("bad_message", f"react: emoji must be one of {' '.join(REACTIONS)}")
        now = self._now()
        if now - self._last_reaction < REACTION_INTERVAL:
            return
        self._last_reaction = now
        meeting.broadcast({"type": "reaction", "participant_id": me.id, "emoji": message.emoji})

    async def _announce(self, meeting: Meeting, question: Question) -> None:
        """Hidden questions reach only moderators and their author; the rest drop them.
        Then the question's new state is stored with the town hall's event."""
        shown: QuestionChanged = {"type": "question", "question": question.public()}
        removed: QuestionRemoved = {"type": "question_removed", "question_id": question.id}
        for participant in list(meeting.participants.values()):
            sees = (
                not question.hidden
                or participant.role == "moderator"
                or participant.identity == question.identity
            )
            participant.deliver(shown if sees else removed)
        record = self._record()
        if record is not None:
            event_id, townhall = record
            await keep_write(
                townhall.save_question(event_id, meeting.stage.key, question), event_id
            )

    def _record(self) -> tuple[int, TownHallRecord] | None:
        """Where to store this meeting's questions and comments: a town hall's event."""
        community = self._context.community
        event_id = self._context.event_id
        if community is None or event_id is None:
            return None
        return event_id, community.townhall

    def _now(self) -> float:
        return self._context.clock()

    @staticmethod
    def _rule(apply: Callable[[], _T]) -> _T:
        try:
            return apply()
        except StageError as exc:
            raise ProtocolError(exc.code, exc.message) from exc
