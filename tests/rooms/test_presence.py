"""Who is told about whom in a town hall, and the coalesced `audience` count
(rooms/meeting/presence.py)."""

from __future__ import annotations

from rooms.meeting.events import MeetingEvent
from rooms.meeting.meeting import Meeting, Participant, ParticipantId
from rooms.meeting.presence import AUDIENCE_INTERVAL, AudienceCount
from rooms.meeting.stage import MeetingRole
from tests.manual_clock import ManualClock


class Inbox:
    def __init__(self) -> None:
        self.events: list[MeetingEvent] = []

    def of(self, kind: str) -> list[MeetingEvent]:
        return [event for event in self.events if event["type"] == kind]

    def about(self, kind: str) -> list[str]:
        """The participant ids that events of `kind` were about."""
        ids = []
        for event in self.of(kind):
            if event["type"] == "participant_left":
                ids.append(event["participant_id"])
            elif event["type"] in ("participant_joined", "participant_updated"):
                ids.append(event["participant"]["id"])
        return ids

    def counts(self) -> list[int]:
        return [event["count"] for event in self.of("audience") if event["type"] == "audience"]


def join(room: Meeting, pid: str, role: MeetingRole) -> Inbox:
    inbox = Inbox()
    participant = Participant(
        ParticipantId(pid), pid, f"Name of {pid}", inbox.events.append, lambda _r: None, role=role
    )
    room.join(participant)
    return inbox


def town_hall() -> tuple[Meeting, Inbox, Inbox]:
    room = Meeting("balai")
    return room, join(room, "mod", "moderator"), join(room, "spk", "speaker")


def test_audience_arrivals_reach_the_moderators_only() -> None:
    room, mod, spk = town_hall()
    first = join(room, "a1", "audience")
    second = join(room, "a2", "audience")
    assert mod.about("participant_joined") == ["spk", "a1", "a2"]
    assert spk.about("participant_joined") == []
    assert first.about("participant_joined") == []
    assert second.events == []
    room.leave(ParticipantId("a1"), "left")
    assert mod.about("participant_left") == ["a1"]
    assert spk.of("participant_left") == second.of("participant_left") == []


def test_stage_arrivals_reach_everyone() -> None:
    room, mod, _spk = town_hall()
    listener = join(room, "a1", "audience")
    join(room, "spk2", "speaker")
    assert listener.about("participant_joined") == ["spk2"]
    assert mod.about("participant_joined")[-1] == "spk2"


def test_an_audience_members_welcome_lists_the_stage_and_a_moderators_everyone() -> None:
    room, _mod, _spk = town_hall()
    join(room, "a1", "audience")
    join(room, "a2", "audience")
    assert [p["id"] for p in room.others(ParticipantId("a2"))] == ["mod", "spk"]
    assert [p["id"] for p in room.others(ParticipantId("spk"))] == ["mod"]
    assert [p["id"] for p in room.others(ParticipantId("mod"))] == ["spk", "a1", "a2"]
    assert room.audience_count() == 2


def test_a_raised_hand_reaches_the_moderators_and_the_member() -> None:
    room, mod, spk = town_hall()
    raiser = join(room, "a1", "audience")
    other = join(room, "a2", "audience")
    room.raise_hand(ParticipantId("a1"), True)
    assert mod.about("participant_updated") == ["a1"]
    assert raiser.about("participant_updated") == ["a1"]
    assert spk.of("participant_updated") == other.of("participant_updated") == []


def test_going_on_stage_is_a_join_for_those_who_did_not_see_and_back_is_a_leave() -> None:
    room, mod, spk = town_hall()
    guest = join(room, "a1", "audience")
    other = join(room, "a2", "audience")
    room.set_role(ParticipantId("a1"), "speaker")
    assert spk.about("participant_joined") == other.about("participant_joined") == ["a1"]
    assert mod.about("participant_updated") == guest.about("participant_updated") == ["a1"]
    room.set_role(ParticipantId("a1"), "audience")
    assert other.of("participant_left") == [
        {"type": "participant_left", "participant_id": "a1", "reason": "audience"}
    ]
    assert spk.about("participant_left") == ["a1"]
    assert mod.about("participant_updated") == guest.about("participant_updated") == ["a1", "a1"]
    assert mod.of("participant_left") == guest.of("participant_left") == []


def test_an_ordinary_meeting_tells_everyone_everything() -> None:
    room = Meeting("rapat")
    ada = join(room, "ada", "speaker")
    join(room, "budi", "speaker")
    join(room, "citra", "moderator")
    assert ada.about("participant_joined") == ["budi", "citra"]
    room.update_audience(0.0)
    assert ada.of("audience") == []


def test_the_count_goes_out_at_once_then_at_most_once_a_second() -> None:
    clock = ManualClock()
    room, mod, spk = town_hall()
    listener = join(room, "a0", "audience")
    room.update_audience(clock())
    assert spk.counts() == listener.counts() == mod.counts() == [1]
    for number in range(1, 200):  # a join storm between two ticks of 0.1 s
        join(room, f"a{number}", "audience")
        if number % 20 == 0:
            clock.advance(0.1)
            room.update_audience(clock())
    assert clock.now - 1000.0 < AUDIENCE_INTERVAL
    assert spk.counts() == [1]
    clock.advance(AUDIENCE_INTERVAL)
    room.update_audience(clock())
    room.update_audience(clock())
    assert spk.counts() == listener.counts() == [1, 200]
    clock.advance(5 * AUDIENCE_INTERVAL)
    room.update_audience(clock())  # nothing changed: nothing sent
    assert spk.counts() == [1, 200]


def test_a_change_that_returns_to_the_last_count_is_still_told() -> None:
    """A newcomer's welcome held the number in between; the latest goes out anyway."""
    counter = AudienceCount()
    counter.changed()
    assert counter.due(10.0)
    counter.changed()  # one joined (a welcome said +1)...
    counter.changed()  # ...and one left within the second
    assert not counter.due(10.5)
    assert counter.due(11.0)
    assert not counter.due(13.0)
