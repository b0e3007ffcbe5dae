"""Town-hall rules of one meeting: roles, raised hands, Q&A, lock, lobby and bans. Pure.

Every meeting has a stage. In an ordinary room meeting everyone is a speaker; in a town hall
the organisers are moderators, a few leaders speak, and everyone else is audience: they watch,
raise hands, ask and vote on questions, comment and react. Methods take what they need
(`now`, identities) and raise StageError with a wire code; the session layer applies the
media side (who may publish) and broadcasts.
"""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from typing import Literal

from rooms.community.townhall_record import Question
from rooms.meeting.events import CommentEntry
from rooms.meeting.typed_once import TypedOnce

MeetingRole = Literal["moderator", "speaker", "audience"]
MEETING_ROLES: tuple[MeetingRole, ...] = ("moderator", "speaker", "audience")
RANK = {"audience": 0, "speaker": 1, "moderator": 2}

# action -> the lowest meeting role allowed to do it
_LOWEST: dict[str, MeetingRole] = {
    "publish": "speaker",
    "raise_hand": "audience",
    "ask": "audience",
    "vote": "audience",
    "comment": "audience",
    "react": "audience",
    "set_role": "moderator",
    "mute_other": "moderator",
    "mute_all": "moderator",
    "remove": "moderator",
    "ban": "moderator",
    "lock": "moderator",
    "lobby": "moderator",
    "admit": "moderator",
    "end": "moderator",
    "answer_question": "moderator",
    "hide_question": "moderator",
    "egress": "moderator",  # live out and recording (rooms/meeting/egress/)
}
STAGE_ACTIONS = tuple(_LOWEST)
MAX_QUESTION, MAX_COMMENT = 500, 500
RECENT_COMMENTS = 50  # what a latecomer sees of the comments so far
MAX_OPEN_QUESTIONS_EACH = 3  # unanswered, unhidden questions one person may have at once
REACTIONS = ("👍", "👏", "❤️", "😂", "😮", "✊")
Admission = Literal["admit", "wait", "banned", "locked"]


class StageError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def may(role: str, action: str) -> bool:
    if action not in _LOWEST:
        raise ValueError(f"unknown action {action!r}")
    return RANK[role] >= RANK[_LOWEST[action]]


def require(role: str, action: str) -> None:
    if not may(role, action):
        raise StageError("forbidden", f"a meeting {role} cannot do this ({action})")


def check_text(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text:
        raise StageError("bad_message", f"the {what} is empty")
    if len(text) > limit:
        raise StageError("bad_message", f"a {what} is at most {limit} characters")
    return text


def question_order(question: Question) -> tuple[bool, int, float, int]:
    """Open questions first, most votes first, then oldest first."""
    return (question.answered, -question.votes, question.asked_at, question.id)


class Stage:
    def __init__(self) -> None:
        # Tells this run of a meeting from earlier ones when questions are stored.
        self.key = secrets.token_hex(8)
        self.locked = False
        self.lobby = False
        self.banned: set[str] = set()
        # Roles a moderator gave during this meeting, by identity: they outlast a reconnect.
        self.roles_given: dict[str, MeetingRole] = {}
        self.hands: dict[str, int] = {}  # identity -> order of raising
        self.questions: dict[int, Question] = {}
        self.comments: deque[CommentEntry] = deque(maxlen=RECENT_COMMENTS)
        # Questions and comments by (identity, client id): a resent one is not made twice.
        self.asked: TypedOnce[Question] = TypedOnce()
        self.commented: TypedOnce[CommentEntry] = TypedOnce()
        # Identities that were in the meeting when it moved here from a draining node
        # (rooms/meeting/handover.py): let in again whatever the lock or the lobby say.
        self.returning: set[str] = set()
        self.restart_numbers(hands=1, questions=1, comments=1)

    def restart_numbers(self, hands: int, questions: int, comments: int) -> None:
        """The next hand order, question id and comment id to hand out."""
        self._hand_numbers = itertools.count(hands)
        self._question_ids = itertools.count(questions)
        self._comment_ids = itertools.count(comments)

    def admission(self, identity: str, role: str) -> Admission:
        """Whether someone may come in now. Moderators, and those who were in when the
        meeting moved here, are never kept out, except by a ban (a ban is for an identity, so
        it also holds against a moderator's own token)."""
        if identity in self.banned:
            return "banned"
        if role == "moderator" or identity in self.returning:
            return "admit"
        if self.locked:
            return "locked"
        return "wait" if self.lobby else "admit"

    def raise_hand(self, identity: str, raised: bool) -> bool:
        """True when the state changed."""
        if raised and identity not in self.hands:
            self.hands[identity] = next(self._hand_numbers)
            return True
        if not raised and identity in self.hands:
            del self.hands[identity]
            return True
        return False

    def hands_in_order(self) -> list[str]:
        return sorted(self.hands, key=self.hands.__getitem__)

    def ask(self, identity: str, name: str, text: str, now: float) -> Question:
        text = check_text(text, MAX_QUESTION, "question")
        open_ones = sum(
            1
            for q in self.questions.values()
            if q.identity == identity and not q.answered and not q.hidden
        )
        if open_ones >= MAX_OPEN_QUESTIONS_EACH:
            raise StageError(
                "rate_limited",
                f"you have {MAX_OPEN_QUESTIONS_EACH} open questions; wait for an answer",
            )
        question = Question(next(self._question_ids), identity, name, text, now)
        self.questions[question.id] = question
        return question

    def comment(self, participant_id: str, name: str, text: str, now: float) -> CommentEntry:
        entry: CommentEntry = {
            "id": next(self._comment_ids),
            "participant_id": participant_id,
            "name": name,
            "text": check_text(text, MAX_COMMENT, "comment"),
            "at": now,
        }
        self.comments.append(entry)
        return entry

    def vote(self, identity: str, question_id: int, up: bool) -> Question | None:
        """Add or withdraw a vote; None when nothing changed."""
        question = self._visible(question_id)
        if up == (identity in question.voters):
            return None
        if up:
            question.voters.add(identity)
        else:
            question.voters.discard(identity)
        return question

    def answer(self, question_id: int, answered: bool = True) -> Question:
        question = self._question(question_id)
        question.answered = answered
        return question

    def hide(self, question_id: int, hidden: bool = True) -> Question:
        question = self._question(question_id)
        question.hidden = hidden
        return question

    def visible_questions(self, identity: str, role: str) -> list[Question]:
        """In display order; hidden ones only for moderators and their authors."""
        shown = [
            q
            for q in self.questions.values()
            if not q.hidden or role == "moderator" or q.identity == identity
        ]
        return sorted(shown, key=question_order)

    def _question(self, question_id: int) -> Question:
        question = self.questions.get(question_id)
        if question is None:
            raise StageError("not_found", f"no question {question_id}")
        return question

    def _visible(self, question_id: int) -> Question:
        question = self._question(question_id)
        if question.hidden:
            raise StageError("not_found", f"no question {question_id}")
        return question
