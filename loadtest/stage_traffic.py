"""Stage traffic of the `townhall` scenario (loadtest/townhall.py): questions, votes, answers
and comments sent over the meeting websockets, and the arrival of every one at everyone.

Random audience members ask, vote and comment at fixed rates, never breaking the server's
limits (three open questions each, one comment a second each); the moderator answers every
question a few seconds after it appears, which frees its asker to ask again.

Each question's and comment's text carries a sequence number and the `time.monotonic_ns()` of
the moment it was sent; senders and receivers share this process and its clock. A question
comes back as `question` again on every vote and answer: only its first arrival at each
receiver counts.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from loadtest.chat_stats import Histogram, send_schedule
from loadtest.client import SyntheticParticipant

MAX_QUESTIONS_PER_S = 20.0
MAX_COMMENTS_PER_S = 50.0
MAX_VOTES_PER_S = 50.0
OPEN_QUESTIONS_EACH = 3  # the server's limit per person (rooms/meeting/stage.py)
COMMENT_GAP = 1.5  # seconds between one member's comments: the server allows one a second
ANSWER_AFTER = 5.0  # seconds from a question reaching the moderator to its answer (default)
STRAGGLERS = 5.0  # seconds to wait after the window for questions and comments in flight
QUESTION, COMMENT = "lt-q", "lt-c"  # text: f"{mark} {sequence} {sent monotonic_ns}"


def stamp(mark: str, sequence: int, sent_ns: int) -> str:
    return f"{mark} {sequence} {sent_ns}"


def read_stamp(text: object, mark: str) -> tuple[int, int] | None:
    """(sequence, sent ns) of a text made by `stamp` with `mark`; None for any other text."""
    if not isinstance(text, str):
        return None
    parts = text.split(" ")
    if len(parts) != 3 or parts[0] != mark or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return int(parts[1]), int(parts[2])


class Ledger:
    """Who received which of one kind of stage event, and how long it took.

    Receivers are numbered 0..receivers-1; `sender` is one of them. Only the first arrival
    of a sequence number at a receiver counts."""

    def __init__(self, receivers: int) -> None:
        self.receivers = receivers
        self.sent: dict[int, tuple[int, int]] = {}  # sequence -> (sender, sent ns)
        self.seen: dict[int, bytearray] = {}  # sequence -> one byte per receiver
        self.fan_out = Histogram()  # every receiver, the sender included
        self.round_trip = Histogram()  # the sender only
        self.unknown = 0  # arrivals of sequences never sent (duplicated or corrupted)
        self.arrivals = 0  # first arrivals, over all sequences and receivers

    def send(self, sequence: int, sender: int, sent_ns: int) -> None:
        self.sent[sequence] = (sender, sent_ns)

    def arrive(self, receiver: int, sequence: int, now_ns: int) -> bool:
        """Record an arrival; False when it is not the first of this sequence here."""
        sent = self.sent.get(sequence)
        if sent is None:
            self.unknown += 1
            return False
        seen = self.seen.setdefault(sequence, bytearray(self.receivers))
        if seen[receiver]:
            return False
        seen[receiver] = 1
        self.arrivals += 1
        delay_us = (now_ns - sent[1]) / 1000
        self.fan_out.add(delay_us)
        if receiver == sent[0]:
            self.round_trip.add(delay_us)
        return True

    @property
    def accepted(self) -> int:
        """Sequences that reached anyone: the server took them (the others it refused)."""
        return len(self.seen)

    @property
    def missing(self) -> int:
        """Arrivals still owed for the accepted sequences."""
        return self.accepted * self.receivers - self.arrivals

    def delivered_ratio(self) -> float | None:
        owed = self.accepted * self.receivers
        return None if not owed else round(1 - self.missing / owed, 5)


@dataclass
class Member:
    """The load generator's idea of one audience member's stage state."""

    open_questions: int = 0
    last_comment: float = -math.inf
    voted: set[int] = field(default_factory=set)


def pick_asker(members: Sequence[Member], rng: random.Random) -> int | None:
    """A random member below the server's open-question limit, or None."""
    eligible = [i for i, m in enumerate(members) if m.open_questions < OPEN_QUESTIONS_EACH]
    return rng.choice(eligible) if eligible else None


def pick_commenter(members: Sequence[Member], now: float, rng: random.Random) -> int | None:
    """A random member who has not commented for COMMENT_GAP seconds, or None."""
    eligible = [i for i, m in enumerate(members) if now - m.last_comment >= COMMENT_GAP]
    return rng.choice(eligible) if eligible else None


def pick_vote(
    members: Sequence[Member], owners: dict[int, int], rng: random.Random
) -> tuple[int, int] | None:
    """(member, question id) for an up-vote on someone else's question not voted on yet,
    from `owners` (question id -> asking member); None when there is none."""
    if not owners or not members:
        return None
    for _attempt in range(20):  # random tries first: cheap while most pairs are open
        member, question = rng.randrange(len(members)), rng.choice(list(owners))
        if owners[question] != member and question not in members[member].voted:
            return member, question
    pairs = [
        (i, q)
        for i, m in enumerate(members)
        for q, owner in owners.items()
        if owner != i and q not in m.voted
    ]
    return rng.choice(pairs) if pairs else None


def error_counts(errors: Counter[tuple[str, str]]) -> dict[str, int]:
    """{"ask: rate_limited": 2, ...} for the report, sorted by name."""
    return {f"{reply}: {code}": errors[(reply, code)] for reply, code in sorted(errors)}


def ms(histogram: Histogram, fraction: float) -> float | None:
    value = histogram.percentile_ms(fraction)
    return None if value is None else round(value, 2)


class Inbox(list[dict[str, Any]]):
    """A participant's event list that hands each event on as it arrives and keeps only
    the ones that are not stage traffic (which would otherwise pile up for the whole run)."""

    def __init__(self, on_event: Callable[[dict[str, Any]], bool]) -> None:
        super().__init__()
        self._on_event = on_event

    def append(self, event: dict[str, Any]) -> None:
        if not self._on_event(event):
            super().append(event)


@dataclass(frozen=True)
class Rates:
    """Sends per second of each kind, all audience members together."""

    questions: float = 2.0
    comments: float = 5.0
    votes: float = 5.0
    answer_after: float = ANSWER_AFTER  # seconds from a question to the moderator's answer


class StageTraffic:
    """Stage traffic and its bookkeeping. Receivers are numbered: the audience 0..N-1, then
    the moderator, then the speakers (`inbox(i)` becomes receiver i's event list)."""

    def __init__(self, audience: int, speakers: int, rates: Rates, seed: int = 1) -> None:
        self.rates = rates
        self.rng = random.Random(seed)
        self.members = [Member() for _ in range(audience)]
        self.moderator_index = audience
        receivers = audience + 1 + speakers
        self.questions = Ledger(receivers)
        self.comments = Ledger(receivers)
        self.owners: dict[int, int] = {}  # open question id -> asking member
        self.answered: set[int] = set()
        self.errors: Counter[tuple[str, str]] = Counter()
        self.audience: list[SyntheticParticipant] = []
        self.moderator: SyntheticParticipant | None = None
        self.sent = Counter[str]()  # kind -> messages sent
        # kind -> sends due when no member could make one within the server's limits (votes:
        # no open question of someone else's left to vote on)
        self.skipped = Counter[str]()
        self._answers: set[asyncio.Task[None]] = set()

    def inbox(self, receiver: int) -> Inbox:
        return Inbox(lambda event: self._on_event(receiver, event))

    def _on_event(self, receiver: int, event: dict[str, Any]) -> bool:
        """True for stage traffic (handled here, not kept)."""
        now_ns = time.monotonic_ns()
        kind = event.get("type")
        if kind == "question":
            question = event.get("question") or {}
            stamped = read_stamp(question.get("text"), QUESTION)
            if stamped is not None:
                self.questions.arrive(receiver, stamped[0], now_ns)
                if receiver == self.moderator_index:
                    self._moderate(question, stamped[0])
            return True
        if kind == "comment":
            stamped = read_stamp((event.get("comment") or {}).get("text"), COMMENT)
            if stamped is not None:
                self.comments.arrive(receiver, stamped[0], now_ns)
            return True
        if kind == "error":
            self.errors[(str(event.get("in_reply_to")), str(event.get("code")))] += 1
        return kind == "reaction"

    def _moderate(self, question: dict[str, Any], sequence: int) -> None:
        question_id = question["id"]
        if question.get("answered"):
            if question_id not in self.answered:
                self.answered.add(question_id)
                owner = self.owners.pop(question_id, None)
                if owner is not None:
                    self.members[owner].open_questions -= 1
            return
        if question_id in self.owners or question_id in self.answered:
            return  # a vote, not a new question
        sent = self.questions.sent.get(sequence)
        if sent is None:
            return  # not one of ours
        self.owners[question_id] = sent[0]
        task = asyncio.create_task(self._answer_later(question_id))
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    async def _answer_later(self, question_id: int) -> None:
        await asyncio.sleep(self.rates.answer_after)
        assert self.moderator is not None
        await self.moderator.send({"type": "answer_question", "question_id": question_id})
        self.sent["answer"] += 1

    async def run(self, duration: float) -> None:
        """Send the stage traffic for `duration` seconds, all kinds at once."""
        start = time.monotonic()
        await asyncio.gather(
            self._every(start, self.rates.questions, duration, self._ask),
            self._every(start, self.rates.comments, duration, self._comment),
            self._every(start, self.rates.votes, duration, self._vote),
        )

    async def _every(
        self, start: float, rate: float, duration: float, action: Callable[[int], Awaitable[None]]
    ) -> None:
        if rate <= 0:
            return
        for sequence, (offset, _sender) in enumerate(send_schedule(rate, duration, 1)):
            delay = start + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await action(sequence)

    async def _ask(self, sequence: int) -> None:
        member = pick_asker(self.members, self.rng)
        if member is None:
            self.skipped["ask"] += 1
            return
        self.members[member].open_questions += 1
        sent_ns = time.monotonic_ns()
        self.questions.send(sequence, member, sent_ns)
        text = stamp(QUESTION, sequence, sent_ns)
        await self.audience[member].send({"type": "ask", "text": text})
        self.sent["ask"] += 1

    async def _comment(self, sequence: int) -> None:
        now = time.monotonic()
        member = pick_commenter(self.members, now, self.rng)
        if member is None:
            self.skipped["comment"] += 1
            return
        self.members[member].last_comment = now
        sent_ns = time.monotonic_ns()
        self.comments.send(sequence, member, sent_ns)
        text = stamp(COMMENT, sequence, sent_ns)
        await self.audience[member].send({"type": "comment", "text": text})
        self.sent["comment"] += 1

    async def _vote(self, _sequence: int) -> None:
        choice = pick_vote(self.members, self.owners, self.rng)
        if choice is None:
            self.skipped["vote"] += 1
            return
        member, question_id = choice
        self.members[member].voted.add(question_id)
        await self.audience[member].send({"type": "vote", "question_id": question_id})
        self.sent["vote"] += 1

    async def wait_for_stragglers(self, limit: float, step: float = 0.05) -> None:
        """Until every accepted question and comment reached everyone, or `limit` seconds."""
        for _ in range(max(1, round(limit / step))):
            if not (self.questions.missing or self.comments.missing):
                return
            await asyncio.sleep(step)

    async def answers_sent(self) -> None:
        """Until the moderator's answers due so far went out (a test's wait: no sleeping)."""
        await asyncio.gather(*self._answers)

    def stop(self) -> None:
        for task in list(self._answers):
            task.cancel()
