"""A meeting's stage as it moves from a draining node to its next home (docs/cluster.md,
"Moving a live meeting"). Pure: the draining node turns its stage into plain JSON-able data
(`stage_state`), placement keeps it beside the meeting's released claim, and the node that
opens the meeting next starts from it (`restored_stage`) instead of an empty stage.

Carried: the lock and the lobby, bans, the roles moderators gave (who is on stage), raised
hands in their order, the questions with their voters, answered and hidden states, the recent
comments, and the stage's key (so the town-hall record goes on updating the same rows,
rooms/community/townhall_record.py). The identities that were in the meeting when it moved
come back in even when it is locked or has a lobby: they had been let in already. Media, mutes
and data saver are each participant's own: its client sets them again after `welcome`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rooms.community.townhall_record import Question
from rooms.meeting.events import CommentEntry
from rooms.meeting.stage import MEETING_ROLES, MeetingRole, Stage

VERSION = 1  # a node that reads another version starts the meeting with an empty stage


def stage_state(stage: Stage, present: Iterable[str]) -> dict[str, Any]:
    """What the next home needs of `stage`; `present`: identities in the meeting now."""
    return {
        "v": VERSION,
        "key": stage.key,
        "locked": stage.locked,
        "lobby": stage.lobby,
        "banned": sorted(stage.banned),
        "roles_given": dict(stage.roles_given),
        "hands": dict(stage.hands),
        "questions": [_question(q) for q in stage.questions.values()],
        "comments": list(stage.comments),
        "returning": sorted(set(present)),
    }


def restored_stage(state: Any) -> Stage:
    """The stage `state` describes. ValueError when it is not one (the caller starts the
    meeting afresh): it comes from another process, through Redis."""
    try:
        if state["v"] != VERSION:
            raise ValueError(f"stage state version {state['v']!r}")
        stage = Stage()
        stage.key = _text(state["key"])
        stage.locked, stage.lobby = bool(state["locked"]), bool(state["lobby"])
        stage.banned = {_text(identity) for identity in state["banned"]}
        stage.roles_given = {
            _text(identity): _role(role) for identity, role in state["roles_given"].items()
        }
        stage.hands = {_text(identity): int(order) for identity, order in state["hands"].items()}
        for raw in state["questions"]:
            question = _restored_question(raw)
            stage.questions[question.id] = question
        for raw in state["comments"]:
            stage.comments.append(_restored_comment(raw))
        stage.returning = {_text(identity) for identity in state["returning"]}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a stage state: {exc!r}") from exc
    # Numbers go on from the highest so far: new ones never repeat an old one's.
    stage.restart_numbers(
        hands=max(stage.hands.values(), default=0) + 1,
        questions=max(stage.questions, default=0) + 1,
        comments=max((c["id"] for c in stage.comments), default=0) + 1,
    )
    return stage


def _question(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "identity": question.identity,
        "name": question.name,
        "text": question.text,
        "asked_at": question.asked_at,
        "voters": sorted(question.voters),
        "answered": question.answered,
        "hidden": question.hidden,
    }


def _restored_question(raw: Any) -> Question:
    return Question(
        id=int(raw["id"]),
        identity=_text(raw["identity"]),
        name=_text(raw["name"]),
        text=_text(raw["text"]),
        asked_at=float(raw["asked_at"]),
        voters={_text(voter) for voter in raw["voters"]},
        answered=bool(raw["answered"]),
        hidden=bool(raw["hidden"]),
    )


def _restored_comment(raw: Any) -> CommentEntry:
    return {
        "id": int(raw["id"]),
        "participant_id": _text(raw["participant_id"]),
        "name": _text(raw["name"]),
        "text": _text(raw["text"]),
        "at": float(raw["at"]),
    }


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {value!r}")
    return value


def _role(value: Any) -> MeetingRole:
    for role in MEETING_ROLES:
        if value == role:
            return role
    raise ValueError(f"not a meeting role: {value!r}")
