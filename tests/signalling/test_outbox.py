"""A socket's outbox: bounded, and coalescing events that carry a whole state."""

from __future__ import annotations

from typing import Any

from signalling.outbox import Outbox, subject_of


def updated(participant_id: str, muted: bool) -> dict[str, Any]:
    return {"type": "participant_updated", "participant": {"id": participant_id, "muted": muted}}


async def drain(outbox: Outbox) -> list[Any]:
    return [await outbox.get() for _ in range(len(outbox))]


async def test_a_newer_state_replaces_the_queued_one_and_goes_to_the_end() -> None:
    outbox = Outbox(limit=10)
    outbox.put(updated("p1", True))
    outbox.put({"type": "participant_joined", "participant": {"id": "p2"}})
    outbox.put(updated("p1", False))
    outbox.put(updated("p2", True))
    assert [(e["type"], e["participant"]["id"]) for e in await drain(outbox)] == [
        ("participant_joined", "p2"),
        ("participant_updated", "p1"),
        ("participant_updated", "p2"),
    ]


async def test_question_and_question_removed_are_one_subject() -> None:
    outbox = Outbox(limit=10)
    outbox.put({"type": "question", "question": {"id": 4, "votes": 1}})
    outbox.put({"type": "question_removed", "question_id": 4})
    outbox.put({"type": "question", "question": {"id": 4, "votes": 2}})
    assert await drain(outbox) == [{"type": "question", "question": {"id": 4, "votes": 2}}]


async def test_thousands_of_toggles_keep_one_event_per_subject_waiting() -> None:
    outbox = Outbox(limit=16)
    for number in range(3000):
        assert outbox.put(updated("p1", number % 2 == 0))
        assert outbox.put({"type": "meeting_state", "locked": number % 2 == 0, "lobby": False})
    assert len(outbox) == 2 and outbox.peak == 2
    assert await drain(outbox) == [
        updated("p1", False),
        {"type": "meeting_state", "locked": False, "lobby": False},
    ]


async def test_a_full_outbox_refuses_new_subjects_but_still_takes_the_close() -> None:
    outbox = Outbox(limit=2)
    assert outbox.put("a") and outbox.put({"type": "pong", "id": 1})
    assert outbox.put("c") is False
    assert outbox.put(updated("p1", True)) is False  # nothing queued to replace
    closing = object()
    outbox.put_last(closing)
    assert await drain(outbox) == ["a", {"type": "pong", "id": 1}, closing]


def test_only_whole_state_events_have_a_subject() -> None:
    assert subject_of({"type": "comment", "comment": {}}) is None
    assert subject_of("{}") is None
    assert subject_of({"type": "lobby", "waiting": []}) == "lobby"
