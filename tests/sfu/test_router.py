"""Per-room fan-out bookkeeping: every subscriber receives the producers it accepts; a
participant's, every producer but its own person's."""

from __future__ import annotations

import pytest

from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId
from sfu.owner import CAMERA, SCREEN, owner_key
from sfu.router import MediaRouter


class FakeSubscriber:
    """Records which producers the router hands it, in order."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.added: list[ProducerId] = []
        self.removed: list[ProducerId] = []

    def accepts(self, producer: Producer) -> bool:
        return producer.person != self.owner

    def add_producer(self, producer: Producer) -> None:
        self.added.append(producer.id)

    def remove_producer(self, producer: Producer) -> None:
        self.removed.append(producer.id)

    def follow_speakers(self, speakers: list[str]) -> None:
        self.speakers = speakers


def make_producer(person: str, kind: str = VIDEO, source: str = CAMERA) -> Producer:
    owner = owner_key(person, source)
    return Producer(
        ProducerId(f"{owner}/{kind}"), owner, kind, 1234, 96, 90000, None, lambda: None,
        person=person, source=source,
    )  # fmt: skip


def test_a_new_producer_goes_to_every_subscriber_except_its_owner() -> None:
    router = MediaRouter()
    alice, bob, carol = FakeSubscriber("alice"), FakeSubscriber("bob"), FakeSubscriber("carol")
    for subscriber in (alice, bob, carol):
        router.add_subscriber(subscriber)
    router.add_producer(make_producer("alice"))
    assert alice.added == []
    assert bob.added == carol.added == ["alice/video"]


def test_a_new_subscriber_receives_the_existing_producers_of_others() -> None:
    router = MediaRouter()
    for producer in (make_producer("alice", AUDIO), make_producer("bob"), make_producer("alice")):
        router.add_producer(producer)
    alice = FakeSubscriber("alice")
    router.add_subscriber(alice)
    assert alice.added == ["bob/video"]
    bob = FakeSubscriber("bob")
    router.add_subscriber(bob)
    assert bob.added == ["alice/audio", "alice/video"]


def test_a_producer_id_can_be_routed_only_once() -> None:
    router = MediaRouter()
    bob = FakeSubscriber("bob")
    router.add_subscriber(bob)
    router.add_producer(make_producer("alice"))
    with pytest.raises(ValueError, match="alice/video is already routed"):
        router.add_producer(make_producer("alice"))
    assert bob.added == ["alice/video"] and len(router.producers) == 1


def test_an_owner_can_subscribe_only_once() -> None:
    router = MediaRouter()
    first = FakeSubscriber("bob")
    router.add_subscriber(first)
    with pytest.raises(ValueError, match="bob already subscribes"):
        router.add_subscriber(FakeSubscriber("bob"))
    assert router.subscribers == {"bob": first}


def test_removing_a_producer_tells_the_other_subscribers_and_closes_it() -> None:
    router = MediaRouter()
    alice, bob = FakeSubscriber("alice"), FakeSubscriber("bob")
    router.add_subscriber(alice)
    router.add_subscriber(bob)
    producer = make_producer("alice")
    router.add_producer(producer)
    consumer = Consumer(producer, 99, 100, lambda data: None)
    producer.add_consumer(consumer)
    router.remove_producer(producer)
    assert bob.removed == ["alice/video"] and alice.removed == []
    assert producer.closed and consumer.closed
    assert router.producers == {}


def test_removing_a_producer_twice_notifies_once() -> None:
    router = MediaRouter()
    bob = FakeSubscriber("bob")
    router.add_subscriber(bob)
    producer = make_producer("alice")
    router.add_producer(producer)
    router.remove_producer(producer)
    router.remove_producer(producer)
    assert bob.removed == ["alice/video"]


def test_removing_an_unrouted_producer_leaves_it_open() -> None:
    router = MediaRouter()
    producer = make_producer("alice")
    router.remove_producer(producer)
    assert not producer.closed


def test_a_removed_subscriber_is_returned_and_hears_of_no_later_producers() -> None:
    router = MediaRouter()
    bob = FakeSubscriber("bob")
    router.add_subscriber(bob)
    assert router.remove_subscriber("bob") is bob
    assert router.remove_subscriber("bob") is None
    router.add_producer(make_producer("alice"))
    assert bob.added == []


def test_producers_of_lists_one_owners_producers() -> None:
    router = MediaRouter()
    produced = [make_producer("alice", AUDIO), make_producer("bob"), make_producer("alice")]
    for producer in produced:
        router.add_producer(producer)
    assert router.producers_of("alice") == [produced[0], produced[2]]
    assert router.producers_of("nobody") == []


def test_a_subscriber_may_unsubscribe_itself_while_being_told_of_a_producer() -> None:
    # The router iterates over a snapshot, so a callback that changes subscribers is safe.
    router = MediaRouter()

    class Leaving(FakeSubscriber):
        def add_producer(self, producer: Producer) -> None:
            super().add_producer(producer)
            router.remove_subscriber(self.owner)

    leaving, staying = Leaving("bob"), FakeSubscriber("carol")
    router.add_subscriber(leaving)
    router.add_subscriber(staying)
    router.add_producer(make_producer("alice"))
    assert leaving.added == staying.added == ["alice/video"]
    assert list(router.subscribers) == ["carol"]


def test_a_screen_share_goes_to_everyone_but_the_person_sharing_it() -> None:
    router = MediaRouter()
    alice, bob = FakeSubscriber("alice"), FakeSubscriber("bob")
    for subscriber in (alice, bob):
        router.add_subscriber(subscriber)
    screen = make_producer("alice", source=SCREEN)
    router.add_producer(screen)
    assert (alice.added, bob.added) == ([], ["alice:screen/video"])
    camera = make_producer("alice")
    router.add_producer(camera)
    assert router.producers_of("alice") == [camera]
    assert router.producers_of_person("alice") == [screen, camera]
    late = FakeSubscriber("alice")
    router.remove_subscriber("alice")
    router.add_subscriber(late)  # alice again (a reconnect): still nothing of her own
    assert late.added == []


@pytest.mark.parametrize(
    ("participant_id", "source", "owner"),
    [("p1-ab", CAMERA, "p1-ab"), ("p1-ab", SCREEN, "p1-ab:screen")],
)
def test_owner_keys_name_the_person_and_the_source(
    participant_id: str, source: str, owner: str
) -> None:
    assert owner_key(participant_id, source) == owner
    producer = make_producer(participant_id, source=source)
    assert (producer.owner, producer.person, producer.source) == (owner, participant_id, source)


def test_an_owner_key_names_only_known_sources() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        owner_key("p1", "window")


def test_an_endpoint_with_its_own_rule_plugs_in_without_changing_the_fan_out() -> None:
    # A recorder (or a relay to another node) takes only what its rule admits: here, one
    # speaker's camera and microphone, never a screen, and nobody else's.
    class Recorder(FakeSubscriber):
        def accepts(self, producer: Producer) -> bool:
            return producer.person == "alice" and producer.source == CAMERA

    router = MediaRouter()
    recorder, bob = Recorder("recorder"), FakeSubscriber("bob")
    for subscriber in (recorder, bob):
        router.add_subscriber(subscriber)
    produced = [make_producer("alice", AUDIO), make_producer("alice", source=SCREEN)]
    produced.append(make_producer("carol"))
    for producer in produced:
        router.add_producer(producer)
    assert recorder.added == ["alice/audio"]
    assert bob.added == ["alice/audio", "alice:screen/video", "carol/video"]
    router.remove_producer(produced[0])
    router.remove_producer(produced[1])
    assert recorder.removed == ["alice/audio"]
    assert bob.removed == ["alice/audio", "alice:screen/video"]
