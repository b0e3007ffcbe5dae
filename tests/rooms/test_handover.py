"""A meeting's stage moving to another node (rooms/meeting/handover.py): what the draining node
writes is what the next home starts from, through JSON as Redis keeps it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rooms.meeting.handover import restored_stage, stage_state
from rooms.meeting.meeting import Meeting
from rooms.meeting.stage import Stage
from tests.rooms.test_meeting import person


def _town_hall() -> Stage:
    stage = Stage()
    stage.locked, stage.lobby = True, True
    stage.banned.add("penyusup")
    stage.roles_given.update({"sari": "speaker", "budi": "audience"})
    stage.raise_hand("dewi", True)
    stage.raise_hand("eko", True)
    stage.raise_hand("dewi", False)
    stage.raise_hand("dewi", True)  # after Eko now
    first = stage.ask("dewi", "Dewi", "Kapan rapat berikutnya?", 100.0)
    stage.vote("eko", first.id, True)
    stage.hide(stage.ask("eko", "Eko", "Pertanyaan titipan", 101.0).id)
    stage.comment("p3-aaaa", "Eko", "Setuju!", 102.0)
    return stage


def _through_redis(stage: Stage, present: list[str]) -> Any:
    return json.loads(json.dumps(stage_state(stage, present)))


def test_the_next_home_starts_from_the_stage_the_draining_node_left() -> None:
    before = _town_hall()
    after = restored_stage(_through_redis(before, ["dewi", "eko", "ketua"]))
    assert after.key == before.key  # the town-hall record goes on with the same rows
    assert (after.locked, after.lobby, after.banned) == (True, True, {"penyusup"})
    assert after.roles_given == {"sari": "speaker", "budi": "audience"}
    assert after.hands_in_order() == ["eko", "dewi"]
    assert [q.public() for q in after.visible_questions("ketua", "moderator")] == [
        q.public() for q in before.visible_questions("ketua", "moderator")
    ]
    assert after.questions[1].voters == {"eko"}
    assert list(after.comments) == list(before.comments)
    assert after.returning == {"dewi", "eko", "ketua"}


def test_numbers_go_on_after_a_move_and_never_repeat() -> None:
    after = restored_stage(_through_redis(_town_hall(), []))
    assert after.ask("fajar", "Fajar", "Yang baru", 200.0).id == 3
    assert after.comment("p9-bbbb", "Fajar", "Halo", 201.0)["id"] == 2
    after.raise_hand("fajar", True)
    assert after.hands_in_order() == ["eko", "dewi", "fajar"]


def test_those_who_were_in_come_back_to_a_locked_meeting_once() -> None:
    room = Meeting("balai", stage=restored_stage(_through_redis(_town_hall(), ["dewi"])))
    assert room.stage.admission("dewi", "audience") == "admit"
    assert room.stage.admission("fajar", "audience") == "locked"  # a newcomer, as before
    assert room.stage.admission("penyusup", "moderator") == "banned"
    dewi, _inbox = person("p1", "dewi", can_publish=False)
    room.join(dewi)
    room.leave(dewi.id, "disconnected")
    assert room.stage.admission("dewi", "audience") == "locked"  # back in: no longer special


@pytest.mark.parametrize(
    "state",
    [
        None,
        "not a dict",
        {"v": 2},
        {**stage_state(Stage(), []), "roles_given": {"ani": "king"}},
        {**stage_state(Stage(), []), "hands": {"ani": "first"}},
        {**stage_state(Stage(), []), "questions": [{"id": 1}]},
        {**stage_state(Stage(), []), "banned": [7]},
    ],
)
def test_a_state_that_is_not_a_stage_is_refused(state: Any) -> None:
    with pytest.raises(ValueError):
        restored_stage(state)
