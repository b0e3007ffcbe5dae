"""Town-hall rules: who may do what, admission, hands, questions and comments."""

from __future__ import annotations

import pytest

from rooms.meeting.stage import (
    MAX_OPEN_QUESTIONS_EACH,
    MAX_QUESTION,
    MEETING_ROLES,
    STAGE_ACTIONS,
    Stage,
    StageError,
    may,
)

MODERATOR_ONLY = {
    "set_role",
    "mute_other",
    "mute_all",
    "remove",
    "ban",
    "lock",
    "lobby",
    "admit",
    "end",
    "answer_question",
    "hide_question",
    "egress",  # live out and recording
}


@pytest.mark.parametrize("role", MEETING_ROLES)
@pytest.mark.parametrize("action", STAGE_ACTIONS)
def test_each_role_may_do_exactly_its_actions(role: str, action: str) -> None:
    if action in MODERATOR_ONLY:
        expected = role == "moderator"
    elif action == "publish":
        expected = role in ("moderator", "speaker")
    else:  # hands, questions, votes, comments, reactions: everyone in the meeting
        expected = True
    assert may(role, action) is expected


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        may("moderator", "fly")


@pytest.mark.parametrize(
    ("locked", "lobby", "banned", "role", "expected"),
    [
        (False, False, False, "audience", "admit"),
        (False, True, False, "audience", "wait"),
        (False, True, False, "speaker", "wait"),
        (False, True, False, "moderator", "admit"),
        (True, False, False, "audience", "locked"),
        (True, True, False, "speaker", "locked"),
        (True, True, False, "moderator", "admit"),
        (False, False, True, "audience", "banned"),
        (True, True, True, "moderator", "banned"),  # a ban holds against any token
    ],
)
def test_admission_follows_ban_then_lock_then_lobby(
    locked: bool, lobby: bool, banned: bool, role: str, expected: str
) -> None:
    stage = Stage()
    stage.locked, stage.lobby = locked, lobby
    if banned:
        stage.banned.add("siti")
    assert stage.admission("siti", role) == expected


def test_hands_keep_the_order_they_went_up_in_and_changes_are_reported() -> None:
    stage = Stage()
    assert stage.raise_hand("budi", True) is True
    assert stage.raise_hand("ani", True) is True
    assert stage.raise_hand("budi", True) is False  # already up
    assert stage.hands_in_order() == ["budi", "ani"]
    assert stage.raise_hand("budi", False) is True
    assert stage.raise_hand("budi", False) is False
    assert stage.raise_hand("budi", True) is True  # back of the queue
    assert stage.hands_in_order() == ["ani", "budi"]


def test_questions_are_ordered_open_first_then_by_votes_then_oldest() -> None:
    stage = Stage()
    first = stage.ask("a", "A", "upah minimum?", now=1.0)
    second = stage.ask("b", "B", "cuti haid?", now=2.0)
    third = stage.ask("c", "C", "lembur?", now=3.0)
    for voter in ("x", "y"):
        stage.vote(voter, third.id, True)
    stage.vote("x", second.id, True)
    assert [q.id for q in stage.visible_questions("z", "audience")] == [
        third.id,
        second.id,
        first.id,
    ]
    stage.answer(third.id)
    assert [q.id for q in stage.visible_questions("z", "audience")] == [
        second.id,
        first.id,
        third.id,
    ]


def test_a_vote_counts_once_per_identity_and_can_be_withdrawn() -> None:
    stage = Stage()
    question = stage.ask("a", "A", "kapan rapat?", now=0.0)
    assert stage.vote("x", question.id, True) is question
    assert stage.vote("x", question.id, True) is None  # nothing changed
    assert question.votes == 1
    assert stage.vote("x", question.id, False) is question
    assert stage.vote("x", question.id, False) is None
    assert question.votes == 0


def test_hidden_questions_are_seen_by_moderators_and_their_author_only() -> None:
    stage = Stage()
    question = stage.ask("a", "A", "spam", now=0.0)
    stage.hide(question.id)
    assert stage.visible_questions("z", "audience") == []
    assert stage.visible_questions("z", "speaker") == []
    assert stage.visible_questions("a", "audience") == [question]
    assert stage.visible_questions("m", "moderator") == [question]
    with pytest.raises(StageError) as refused:
        stage.vote("z", question.id, True)
    assert refused.value.code == "not_found"
    stage.hide(question.id, hidden=False)
    assert stage.visible_questions("z", "audience") == [question]


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "bad_message"), ("   ", "bad_message"), ("x" * (MAX_QUESTION + 1), "bad_message")],
)
def test_an_empty_or_overlong_question_is_refused(text: str, code: str) -> None:
    with pytest.raises(StageError) as refused:
        Stage().ask("a", "A", text, now=0.0)
    assert refused.value.code == code


def test_one_person_has_a_bounded_number_of_open_questions() -> None:
    stage = Stage()
    asked = [stage.ask("a", "A", f"q{n}", now=n) for n in range(MAX_OPEN_QUESTIONS_EACH)]
    with pytest.raises(StageError) as refused:
        stage.ask("a", "A", "one more", now=9.0)
    assert refused.value.code == "rate_limited"
    stage.ask("b", "B", "someone else may", now=9.0)
    stage.answer(asked[0].id)
    stage.ask("a", "A", "now there is room", now=10.0)


def test_answering_or_hiding_an_unknown_question_is_not_found() -> None:
    stage = Stage()
    for change in (stage.answer, stage.hide):
        with pytest.raises(StageError) as refused:
            change(42)
        assert refused.value.code == "not_found"


def test_comments_are_numbered_trimmed_and_only_the_latest_kept() -> None:
    stage = Stage()
    for n in range(60):
        stage.comment(f"p{n}", "Ani", f"  halo {n} ", now=float(n))
    kept = list(stage.comments)
    assert len(kept) == 50
    assert kept[0]["id"] == 11 and kept[-1] == {
        "id": 60,
        "participant_id": "p59",
        "name": "Ani",
        "text": "halo 59",
        "at": 59.0,
    }
    with pytest.raises(StageError):
        stage.comment("p1", "Ani", " ", now=0.0)
