"""Per-room fan-out: which subscribers receive which producers.

Plain bookkeeping with no I/O: a subscriber receives every producer except its own owner's.
"""

from __future__ import annotations

from typing import Protocol

from sfu.forwarding import Producer, ProducerId


class Subscriber(Protocol):
    owner: str

    def add_producer(self, producer: Producer) -> None: ...

    def remove_producer(self, producer: Producer) -> None: ...


class MediaRouter:
    def __init__(self) -> None:
        self.producers: dict[ProducerId, Producer] = {}
        self.subscribers: dict[str, Subscriber] = {}

    def add_producer(self, producer: Producer) -> None:
        if producer.id in self.producers:
            raise ValueError(f"producer {producer.id} is already routed")
        self.producers[producer.id] = producer
        for subscriber in list(self.subscribers.values()):
            if subscriber.owner != producer.owner:
                subscriber.add_producer(producer)

    def remove_producer(self, producer: Producer) -> None:
        if self.producers.pop(producer.id, None) is None:
            return
        for subscriber in list(self.subscribers.values()):
            if subscriber.owner != producer.owner:
                subscriber.remove_producer(producer)
        producer.close()

    def add_subscriber(self, subscriber: Subscriber) -> None:
        if subscriber.owner in self.subscribers:
            raise ValueError(f"{subscriber.owner} already subscribes")
        self.subscribers[subscriber.owner] = subscriber
        for producer in list(self.producers.values()):
            if producer.owner != subscriber.owner:
                subscriber.add_producer(producer)

    def remove_subscriber(self, owner: str) -> Subscriber | None:
        return self.subscribers.pop(owner, None)

    def producers_of(self, owner: str) -> list[Producer]:
        return [p for p in self.producers.values() if p.owner == owner]
