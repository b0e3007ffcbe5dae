"""The meetings of one node and where meetings are placed (rooms/meeting/registry.py)."""

from __future__ import annotations

import re

from rooms.meeting.meeting import ParticipantId
from rooms.meeting.registry import (
    LocalMeetingRegistry,
    LocalPlacement,
    NodeId,
    new_node_id,
)
from tests.rooms.test_meeting import person

NODE = NodeId("0a1b2c3d")


def test_the_registry_opens_a_meeting_once_and_returns_it_again() -> None:
    registry = LocalMeetingRegistry(NODE)
    room = registry.open("standup")
    assert registry.open("standup") is room and room.name == "standup"
    assert registry.open("retro") is not room
    assert registry.find("standup") is room and registry.find("nowhere") is None
    assert {r.name for r in registry.meetings()} == {"standup", "retro"}


def test_a_meeting_exists_while_someone_is_in_it() -> None:
    registry = LocalMeetingRegistry(NODE)
    room = registry.open("standup")
    ada, _ = person("p1")
    bob, bob_inbox = person("p2")
    room.join(ada)
    room.join(bob)
    assert registry.participant_count == 2
    registry.leave("standup", ParticipantId("p1"), "left")
    assert registry.find("standup") is room and registry.participant_count == 1
    assert bob_inbox.types() == ["participant_left"]
    registry.leave("standup", ParticipantId("p2"), "left")
    assert registry.meetings() == [] and registry.participant_count == 0


def test_a_meeting_with_someone_in_its_lobby_goes_on() -> None:
    registry = LocalMeetingRegistry(NODE)
    room = registry.open("rapat")
    ada, _ = person("p1")
    room.join(ada)
    room.wait_in_lobby(person("p2")[0], lambda: None)
    registry.leave("rapat", ParticipantId("p1"), "left")
    assert registry.find("rapat") is room
    registry.leave("rapat", ParticipantId("p2"), "left")
    assert registry.find("rapat") is None


def test_leaving_an_unknown_meeting_or_twice_is_harmless() -> None:
    registry = LocalMeetingRegistry(NODE)
    registry.leave("nowhere", ParticipantId("p1"), "left")
    room = registry.open("standup")
    ada, _ = person("p1")
    room.join(ada)
    registry.leave("standup", ParticipantId("p9"), "left")
    assert registry.meetings() == [room]
    registry.leave("standup", ParticipantId("p1"), "left")
    registry.leave("standup", ParticipantId("p1"), "left")
    assert registry.meetings() == []


def test_participant_count_sums_over_meetings() -> None:
    registry = LocalMeetingRegistry(NODE)
    for name, pids in (("a", ["p1", "p2"]), ("b", ["p3"])):
        for pid in pids:
            registry.open(name).join(person(pid)[0])
    assert registry.participant_count == 3


def test_participant_ids_are_numbered_and_carry_the_node() -> None:
    registry = LocalMeetingRegistry(NODE)
    ids = [registry.new_participant_id() for _ in range(50)]
    assert len(set(ids)) == 50
    assert ids[:2] == ["p1-0a1b2c3d", "p2-0a1b2c3d"]
    assert all(re.fullmatch(r"p\d+-[0-9a-f]{8}", pid) for pid in ids)


def test_two_nodes_never_hand_out_the_same_participant_id() -> None:
    first, second = new_node_id(), new_node_id()
    assert first != second
    ids = [LocalMeetingRegistry(node).new_participant_id() for node in (first, second)]
    assert ids[0] != ids[1] and {pid.split("-")[0] for pid in ids} == {"p1"}


async def test_a_single_node_hosts_every_meeting() -> None:
    placement = LocalPlacement(NODE)
    assert {await placement.claim(name) for name in ("kamar-1", "kamar-1-e7", "rapat")} == {NODE}


class _Egress:
    """Stands in for rooms/meeting/egress: counts the stops it is asked for."""

    def __init__(self) -> None:
        self.stops = 0

    def stop_soon(self) -> None:
        self.stops += 1


def test_egress_stops_when_the_last_participant_leaves() -> None:
    registry = LocalMeetingRegistry(NODE)
    room = registry.open("balai")
    ada, _ = person("p1")
    room.join(ada)
    egress = _Egress()
    room.egress = egress  # type: ignore[assignment]
    registry.leave("balai", ParticipantId("p1"), "left")
    assert egress.stops == 1 and room.egress is None
    room.close()  # closing again asks nothing more
    assert egress.stops == 1
