"""Per-room fan-out: which subscribers receive which producers.

Plain bookkeeping with no I/O: a subscriber receives every producer except its own owner's.
A participant may publish on two connections: its camera and microphone (owner: its id) and a
screen share (owner: "ID:screen"); neither comes back to the participant itself.
"""

from __future__ import annotations

from typing import Protocol

from sfu.forwarding import Producer, ProducerId

CAMERA, SCREEN = "camera", "screen"
SOURCES = (CAMERA, SCREEN)


def owner_key(participant_id: str, source: str = CAMERA) -> str:
    """The producer owner of a participant's camera/microphone or of its screen share."""
    return participant_id if source == CAMERA else f"{participant_id}:{source}"


def person_of(owner: str) -> str:
    return owner.partition(":")[0]


def source_of(owner: str) -> str:
    return owner.partition(":")[2] or CAMERA


class Subscriber(Protocol):
    owner: str

    def add_producer(self, producer: Producer) -> None: ...

    def remove_producer(self, producer: Producer) -> None: ...

    def follow_speakers(self, speakers: list[str]) -> None: ...


class MediaRouter:
    def __init__(self) -> None:
        self.producers: dict[ProducerId, Producer] = {}
        self.subscribers: dict[str, Subscriber] = {}

    def add_producer(self, producer: Producer) -> None:
        if producer.id in self.producers:
            raise ValueError(f"producer {producer.id} is already routed")
        self.producers[producer.id] = producer
        for subscriber in list(self.subscribers.values()):
            if subscriber.owner != person_of(producer.owner):
                subscriber.add_producer(producer)

    def remove_producer(self, producer: Producer) -> None:
        if self.producers.pop(producer.id, None) is None:
            return
        for subscriber in list(self.subscribers.values()):
            if subscriber.owner != person_of(producer.owner):
                subscriber.remove_producer(producer)
        producer.close()

    def add_subscriber(self, subscriber: Subscriber) -> None:
        if subscriber.owner in self.subscribers:
            raise ValueError(f"{subscriber.owner} already subscribes")
        self.subscribers[subscriber.owner] = subscriber
        for producer in list(self.producers.values()):
            if person_of(producer.owner) != subscriber.owner:
                subscriber.add_producer(producer)

    def remove_subscriber(self, owner: str) -> Subscriber | None:
        return self.subscribers.pop(owner, None)

    def producers_of(self, owner: str) -> list[Producer]:
        return [p for p in self.producers.values() if p.owner == owner]

    def producers_of_person(self, participant_id: str) -> list[Producer]:
        """Camera, microphone and screen share alike."""
        return [p for p in self.producers.values() if person_of(p.owner) == participant_id]
