"""Per-room fan-out: which subscribers receive which producers.

Plain bookkeeping with no I/O. Each subscriber says which producers it takes (`accepts`): a
participant's subscribe connection takes everyone's but its own person's (camera and screen
alike: neither comes back to the participant itself); another kind of endpoint (a relay to
another node, a recorder) decides by its own rule, and the fan-out does not change for it.
"""

from __future__ import annotations

from typing import Protocol

from sfu.forwarding import Producer, ProducerId


class Subscriber(Protocol):
    owner: str  # names it among the room's subscribers

    def accepts(self, producer: Producer) -> bool:
        """Whether this subscriber is to receive `producer` at all."""

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
            if subscriber.accepts(producer):
                subscriber.add_producer(producer)

    def remove_producer(self, producer: Producer) -> None:
        if self.producers.pop(producer.id, None) is None:
            return
        for subscriber in list(self.subscribers.values()):
            if subscriber.accepts(producer):
                subscriber.remove_producer(producer)
        producer.close()

    def add_subscriber(self, subscriber: Subscriber) -> None:
        if subscriber.owner in self.subscribers:
            raise ValueError(f"{subscriber.owner} already subscribes")
        self.subscribers[subscriber.owner] = subscriber
        for producer in list(self.producers.values()):
            if subscriber.accepts(producer):
                subscriber.add_producer(producer)

    def remove_subscriber(self, owner: str) -> Subscriber | None:
        return self.subscribers.pop(owner, None)

    def producers_of(self, owner: str) -> list[Producer]:
        return [p for p in self.producers.values() if p.owner == owner]

    def producers_of_person(self, participant_id: str) -> list[Producer]:
        """Camera, microphone and screen share alike."""
        return [p for p in self.producers.values() if p.person == participant_id]
