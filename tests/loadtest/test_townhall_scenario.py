"""The town hall scenario: its bookkeeping and choices. One small run against a server is in
tests/whole/loadtest/test_scenario_runs.py."""

from __future__ import annotations

import argparse
import random
from collections import Counter
from typing import Any

import pytest

from loadtest import stage_traffic
from loadtest.stage_traffic import (
    COMMENT,
    QUESTION,
    Ledger,
    Member,
    Rates,
    StageTraffic,
    error_counts,
    pick_asker,
    pick_commenter,
    pick_vote,
    read_stamp,
    stamp,
)
from loadtest.target import bounded
from loadtest.townhall import TownhallScenario
from loadtest.townhall_cli import audience_counts


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        (stamp(QUESTION, 7, 123456789), QUESTION, (7, 123456789)),
        (stamp(COMMENT, 0, 1), COMMENT, (0, 1)),
        (stamp(COMMENT, 3, 5), QUESTION, None),  # another kind
        ("lt-q 7", QUESTION, None),
        ("lt-q 7 12 extra", QUESTION, None),
        ("lt-q -7 12", QUESTION, None),
        ("lt-q seven 12", QUESTION, None),
        ("What about the budget?", QUESTION, None),  # someone else's question
        (None, QUESTION, None),
        (42, QUESTION, None),
    ],
)
def test_stamps_are_read_back_only_from_our_own_texts(
    text: object, mark: str, expected: tuple[int, int] | None
) -> None:
    assert read_stamp(text, mark) == expected


@pytest.mark.parametrize(
    ("arrivals", "accepted", "missing", "ratio", "fan_out", "round_trip"),
    [
        ([], 0, 0, None, 0, 0),
        # sequence 1 sent by receiver 0 at 1 ms: everyone gets it once
        ([(0, 1, 3), (1, 1, 4), (2, 1, 5)], 1, 0, 1.0, 3, 1),
        # a repeat (a vote re-sends the question) does not count again
        ([(0, 1, 3), (0, 1, 9), (1, 1, 4)], 1, 1, 0.66667, 2, 1),
        # sequence 2 reached one receiver, not its sender
        ([(0, 1, 3), (1, 1, 4), (2, 1, 5), (2, 2, 6)], 2, 2, 0.66667, 4, 1),
        # never sent: neither accepted nor owed
        ([(0, 99, 3)], 0, 0, None, 0, 0),
    ],
)
def test_the_ledger_counts_first_arrivals_at_each_receiver(
    arrivals: list[tuple[int, int, int]],
    accepted: int,
    missing: int,
    ratio: float | None,
    fan_out: int,
    round_trip: int,
) -> None:
    ledger = Ledger(receivers=3)
    ledger.send(1, sender=0, sent_ns=1_000_000)
    ledger.send(2, sender=1, sent_ns=2_000_000)
    for receiver, sequence, at_ms in arrivals:
        ledger.arrive(receiver, sequence, at_ms * 1_000_000)
    assert (ledger.accepted, ledger.missing, ledger.delivered_ratio()) == (
        accepted,
        missing,
        ratio,
    )
    assert (ledger.fan_out.total, ledger.round_trip.total) == (fan_out, round_trip)


def test_the_ledger_times_from_the_send() -> None:
    ledger = Ledger(receivers=2)
    ledger.send(5, sender=1, sent_ns=10_000_000)
    ledger.arrive(0, 5, 13_000_000)  # 3 ms
    ledger.arrive(1, 5, 17_000_000)  # 7 ms, the sender
    round_trip = ledger.round_trip.percentile_ms(0.99)
    slowest = ledger.fan_out.percentile_ms(1.0)
    assert round_trip is not None and slowest is not None
    assert round_trip == pytest.approx(7.0, rel=0.01) and slowest == pytest.approx(7.0, rel=0.01)
    assert ledger.fan_out.percentile_ms(0.5) == pytest.approx(3.0, rel=0.01)


@pytest.mark.parametrize(
    ("open_questions", "eligible"),
    [
        ([0, 0, 0], {0, 1, 2}),
        ([3, 1, 3], {1}),
        ([2, 3, 0], {0, 2}),
        ([3, 3, 3], set()),
        ([], set()),
    ],
)
def test_askers_stay_below_the_servers_open_question_limit(
    open_questions: list[int], eligible: set[int]
) -> None:
    members = [Member(open_questions=n) for n in open_questions]
    picked = {pick_asker(members, random.Random(seed)) for seed in range(50)}
    assert picked == (set[int | None](eligible) or {None})


@pytest.mark.parametrize(
    ("last_comments", "now", "eligible"),
    [
        ([float("-inf")] * 3, 0.0, {0, 1, 2}),
        ([10.0, 9.0, 8.4], 10.0, {2}),  # 1.5 s gap: the server allows one a second
        ([10.0, 8.5, 8.6], 10.0, {1}),
        ([10.0, 10.0], 10.0, set()),
    ],
)
def test_commenters_wait_between_comments(
    last_comments: list[float], now: float, eligible: set[int]
) -> None:
    members = [Member(last_comment=at) for at in last_comments]
    picked = {pick_commenter(members, now, random.Random(seed)) for seed in range(50)}
    assert picked == (set[int | None](eligible) or {None})


@pytest.mark.parametrize(
    ("voted", "owners", "eligible"),
    [
        ([set(), set()], {}, set()),  # nothing to vote on yet
        ([set(), set()], {10: 0}, {(1, 10)}),  # nobody votes on their own question
        ([set(), {10}], {10: 0}, set()),  # one vote each
        ([set(), set(), {11}], {10: 0, 11: 1}, {(0, 11), (1, 10), (2, 10)}),
    ],
)
def test_votes_go_to_someone_elses_question_once(
    voted: list[set[int]], owners: dict[int, int], eligible: set[tuple[int, int]]
) -> None:
    members = [Member(voted=set(questions)) for questions in voted]
    picked = {pick_vote(members, owners, random.Random(seed)) for seed in range(100)}
    assert picked == (set[tuple[int, int] | None](eligible) or {None})


def test_errors_are_named_by_request_and_code() -> None:
    errors = Counter({("comment", "rate_limited"): 2, ("ask", "forbidden"): 1})
    assert error_counts(errors) == {"ask: forbidden": 1, "comment: rate_limited": 2}


def _question(question_id: int, text: str, answered: bool = False) -> dict[str, Any]:
    return {"type": "question", "question": {"id": question_id, "text": text,
            "answered": answered, "votes": 0}}  # fmt: skip


class _Moderator:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


async def test_the_moderator_answers_and_frees_the_asker() -> None:
    traffic = StageTraffic(audience=2, speakers=1, rates=Rates(answer_after=0.0))
    moderator = _Moderator()
    traffic.moderator = moderator  # type: ignore[assignment]  # only send() is used
    inboxes = [traffic.inbox(receiver) for receiver in range(4)]
    traffic.members[1].open_questions = 1
    text = stamp(QUESTION, 0, 1)
    traffic.questions.send(0, sender=1, sent_ns=1)
    for inbox in inboxes:
        inbox.append(_question(40, text))
    inboxes[0].append(_question(40, text))  # a vote: the same question again
    assert traffic.questions.missing == 0 and traffic.questions.arrivals == 4
    assert traffic.owners == {40: 1}
    await traffic.answers_sent()  # answer_after=0.0: only the task's turn is waited for
    assert moderator.sent == [{"type": "answer_question", "question_id": 40}]
    inboxes[traffic.moderator_index].append(_question(40, text, answered=True))
    assert traffic.members[1].open_questions == 0 and traffic.owners == {}
    # stage traffic is not kept in the participants' event lists; the rest is
    inboxes[0].append({"type": "error", "in_reply_to": "vote", "code": "not_found"})
    inboxes[0].append({"type": "participant_joined", "participant": {}})
    assert [event["type"] for event in inboxes[0]] == ["error", "participant_joined"]
    assert error_counts(traffic.errors) == {"vote: not_found": 1}


@pytest.mark.parametrize(
    "arguments",
    [
        {"audience": 0},
        {"audience": 1001},
        {"audience": 10, "speakers": 4},
        {"audience": 10, "nodes": 9},
        {"audience": 10, "nodes": 1, "failover": True},
        {"audience": 10, "nodes": 1, "drain": True},
        {"audience": 10, "speakers": 0},
        {"audience": 10, "duration": 601},
        {"audience": 10, "questions_per_s": stage_traffic.MAX_QUESTIONS_PER_S + 1},
        {"audience": 10, "comments_per_s": -1},
    ],
)
def test_the_scenario_is_bounded(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        TownhallScenario(**arguments)


def test_a_node_goes_one_way_only() -> None:
    with pytest.raises(ValueError, match="choose one"):
        TownhallScenario(audience=10, nodes=2, failover=True, drain=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("200", [200]), ("50,200", [50, 200]), ("1, 1000", [1, 1000]), ("0", None), ("1001", None),
     ("", None), ("many", None)],
)  # fmt: skip
def test_audience_counts_on_the_command_line(text: str, expected: list[int] | None) -> None:
    if expected is None:
        with pytest.raises(argparse.ArgumentTypeError):
            audience_counts(text)
    else:
        assert audience_counts(text) == expected


@pytest.mark.parametrize(("text", "ok"), [("3", True), ("0", False), ("4", False), ("x", False)])
def test_speakers_on_the_command_line(text: str, ok: bool) -> None:
    parse = bounded(int, 1, 3)
    if ok:
        assert parse(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
