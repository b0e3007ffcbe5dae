"""Live room state: joining, replacing, leaving and mute state."""

from __future__ import annotations

import struct

import pytest

from rooms.meeting.events import MeetingEvent
from rooms.meeting.meeting import (
    Meeting,
    Participant,
    ParticipantId,
)
from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId


class Inbox:
    """What one participant's connection was asked to deliver, and why it was disconnected."""

    def __init__(self) -> None:
        self.events: list[MeetingEvent] = []
        self.disconnects: list[str] = []

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]


def person(
    pid: str, identity: str | None = None, can_publish: bool = True
) -> tuple[Participant, Inbox]:
    inbox = Inbox()
    participant = Participant(
        ParticipantId(pid),
        identity or pid,
        f"Name of {pid}",
        inbox.events.append,
        inbox.disconnects.append,
        role="speaker" if can_publish else "audience",
    )
    return participant, inbox


class FakeSubscriber:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.removed: list[ProducerId] = []

    def accepts(self, producer: Producer) -> bool:
        return producer.person != self.owner

    def add_producer(self, producer: Producer) -> None:
        pass

    def remove_producer(self, producer: Producer) -> None:
        self.removed.append(producer.id)

    def follow_speakers(self, speakers: list[str]) -> None:
        self.speakers = speakers


def test_public_state_shows_mute_flags_and_nothing_callable() -> None:
    participant, _ = person("p1", "ada", can_publish=False)
    assert participant.public() == {
        "id": "p1",
        "identity": "ada",
        "name": "Name of p1",
        "can_publish": False,
        "audio_muted": False,
        "video_muted": False,
        "role": "audience",
        "hand": None,
        "screen": False,
        "watching": False,
    }


def test_participants_do_not_share_mute_state() -> None:
    first, _ = person("p1")
    second, _ = person("p2")
    first.muted["audio"] = True
    assert second.muted == {"audio": False, "video": False}


def test_joining_tells_everyone_else_and_lists_the_others() -> None:
    room = Meeting("standup")
    ada, ada_inbox = person("p1", "ada")
    bob, bob_inbox = person("p2", "bob")
    assert room.join(ada) is None
    assert room.join(bob) is None
    assert ada_inbox.events == [{"type": "participant_joined", "participant": bob.public()}]
    assert bob_inbox.events == []
    assert room.others(ParticipantId("p2")) == [ada.public()]
    assert list(room.participants) == ["p1", "p2"]


def test_a_second_connection_of_the_same_identity_replaces_the_first() -> None:
    room = Meeting("standup")
    old, old_inbox = person("p1", "ada")
    bob, bob_inbox = person("p2", "bob")
    new, _new_inbox = person("p3", "ada")
    room.join(old)
    room.join(bob)
    assert room.join(new) is old
    assert list(room.participants) == ["p2", "p3"]
    assert bob_inbox.types() == ["participant_left", "participant_joined"]
    assert bob_inbox.events[0] == {
        "type": "participant_left",
        "participant_id": "p1",
        "reason": "replaced",
    }
    # The caller tells the replaced one; the room neither delivers to nor disconnects it.
    assert old_inbox.types() == ["participant_joined"] and old_inbox.disconnects == []


def test_leaving_is_announced_once_and_is_idempotent() -> None:
    room = Meeting("standup")
    ada, _ = person("p1")
    bob, bob_inbox = person("p2")
    room.join(ada)
    room.join(bob)
    assert room.leave(ParticipantId("p1"), "left") is True
    assert room.leave(ParticipantId("p1"), "left") is False
    assert bob_inbox.events == [
        {"type": "participant_left", "participant_id": "p1", "reason": "left"}
    ]
    assert list(room.participants) == ["p2"]


def test_leaving_removes_the_participants_media_from_the_room() -> None:
    room = Meeting("standup")
    ada, _ = person("p1")
    bob, _ = person("p2")
    room.join(ada)
    room.join(bob)
    watcher = FakeSubscriber("p2")
    room.media.add_subscriber(FakeSubscriber("p1"))
    room.media.add_subscriber(watcher)
    producer = Producer(ProducerId("p1/video/1"), "p1", VIDEO, 1, 96, 90000, None, lambda: None)
    room.media.add_producer(producer)
    room.leave(ParticipantId("p1"), "left")
    assert producer.closed and room.media.producers == {}
    assert watcher.removed == ["p1/video/1"]
    assert list(room.media.subscribers) == ["p2"]


@pytest.mark.parametrize(("kind", "field"), [("audio", "audio_muted"), ("video", "video_muted")])
def test_muting_updates_the_state_and_tells_everyone(kind: str, field: str) -> None:
    room = Meeting("standup")
    ada, ada_inbox = person("p1")
    bob, bob_inbox = person("p2")
    room.join(ada)
    room.join(bob)
    room.set_muted(ParticipantId("p2"), kind, True)
    assert bob.public()[field] is True
    update = {"type": "participant_updated", "participant": bob.public()}
    assert ada_inbox.events[-1] == update and bob_inbox.events[-1] == update


def test_muting_an_unknown_kind_changes_nothing() -> None:
    room = Meeting("standup")
    ada, inbox = person("p1")
    room.join(ada)
    with pytest.raises(ValueError, match="audio, video"):
        room.set_muted(ParticipantId("p1"), "screen", True)
    assert ada.muted == {"audio": False, "video": False} and inbox.events == []


def test_muting_someone_not_in_the_room_raises_key_error() -> None:
    room = Meeting("standup")
    with pytest.raises(KeyError):
        room.set_muted(ParticipantId("ghost"), "audio", True)


def test_broadcast_skips_the_excluded_participant() -> None:
    room = Meeting("standup")
    inboxes = []
    for pid in ("p1", "p2", "p3"):
        participant, inbox = person(pid)
        room.participants[participant.id] = participant
        inboxes.append(inbox)
    room.broadcast({"type": "chat"}, exclude=ParticipantId("p2"))
    assert [len(inbox.events) for inbox in inboxes] == [1, 0, 1]


def test_a_participant_leaving_during_a_broadcast_does_not_break_it() -> None:
    room = Meeting("standup")
    ada, ada_inbox = person("p1")
    carol, carol_inbox = person("p3")

    def failing_deliver(event: MeetingEvent) -> None:
        room.leave(ParticipantId("p2"), "send failed")

    bob = Participant(ParticipantId("p2"), "bob", "Bob", failing_deliver, lambda reason: None)
    for participant in (ada, bob, carol):
        room.participants[participant.id] = participant
    room.broadcast({"type": "chat"})
    assert ada_inbox.types() == ["chat", "participant_left"]
    assert carol_inbox.types() == ["participant_left", "chat"]
    assert list(room.participants) == ["p1", "p3"]


LOUD = struct.pack("!BBHII", 0x90, 111, 0, 0, 1) + bytes([0xBE, 0xDE, 0, 1, 0x10, 20, 0, 0])
QUIET = LOUD[:-3] + bytes([120, 0, 0])  # level -120 dBov


def voice_of(room: Meeting, pid: str, ssrc: int) -> Producer:
    voice = Producer(ProducerId(f"{pid}/audio/1"), pid, AUDIO, ssrc, 111, 48000, None, lambda: None)
    voice.audio_level_id = 1
    room.media.add_producer(voice)
    return voice


def speak(voice: Producer, packet: bytes, first_seq: int, count: int = 15) -> None:
    for seq in range(first_seq, first_seq + count):
        voice.receive(packet[:2] + struct.pack("!H", seq & 0xFFFF) + packet[4:])


def test_speakers_are_announced_to_everyone_when_they_change() -> None:
    room = Meeting("standup")
    ada, ada_inbox = person("p1")
    bob, bob_inbox = person("p2")
    room.join(ada)
    room.join(bob)
    voice = voice_of(room, "p1", 1)
    for step in range(4):
        speak(voice, LOUD, step * 15)
        room.update_speakers(now=step * 0.3)
    announced = [e for e in bob_inbox.events if e["type"] == "active_speakers"]
    assert announced == [{"type": "active_speakers", "speakers": ["p1"]}]
    assert [e for e in ada_inbox.events if e["type"] == "active_speakers"] == announced


def test_a_data_saver_hears_who_speaks_at_most_every_two_seconds_and_always_the_latest() -> None:
    room = Meeting("standup")
    ada, _ada_inbox = person("p1")
    bob, bob_inbox = person("p2")
    clock = [0.0]
    told: list[tuple[float, list[str]]] = []  # when the data saver was told, and what
    cici = Participant(
        ParticipantId("p3"),
        "p3",
        "Cici",
        lambda event: (
            told.append((clock[0], event["speakers"]))
            if event["type"] == "active_speakers"
            else None
        ),
        lambda _reason: None,
    )
    for participant in (ada, bob, cici):
        room.join(participant)
    cici.saves_data = True
    ada_voice, bob_voice = voice_of(room, "p1", 1), voice_of(room, "p2", 2)
    # Ada and Bob take turns: the list changes on almost every tick (0.3 s apart).
    for step in range(40):
        clock[0] = step * 0.3
        speak(ada_voice, LOUD if (step // 3) % 2 == 0 else QUIET, step * 15)
        speak(bob_voice, QUIET if (step // 3) % 2 == 0 else LOUD, step * 15)
        room.update_speakers(now=clock[0])
    everyone = [e["speakers"] for e in bob_inbox.events if e["type"] == "active_speakers"]
    assert len(everyone) >= 8  # the turns are seen as they happen
    times = [at for at, _speakers in told]
    assert 0 < len(told) < len(everyone)
    assert all(later - earlier >= 2.0 for earlier, later in zip(times, times[1:], strict=False))
    assert told[-1][1] == room.speakers.speakers  # and the latest list arrives
