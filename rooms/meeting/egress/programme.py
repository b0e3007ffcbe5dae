"""What egress sends: whose picture and whose voices. Pure.

The picture is a shared screen when there is one (a town hall's slides matter more than a
face), else the camera of the loudest speaker who has one. While nobody speaks, the last
choice stays (a pause is not a reason to cut away), and with no choice yet the first camera
published is taken. The sound is a mix of up to MAX_VOICES microphones (`voices`): the
speakers' first, loudest first, then the others published; a microphone keeps its slot as long
as it is mixed, so the mixer's inputs do not change under a voice that goes on.
"""

from __future__ import annotations

from collections.abc import Iterable

from sfu.forwarding import AUDIO, VIDEO, Producer
from sfu.owner import CAMERA, SCREEN

MAX_VOICES = 3  # a town hall's stage: a few speakers and a moderator; each mixed costs little


def picture(
    producers: Iterable[Producer], speakers: list[str], current: Producer | None
) -> Producer | None:
    """`speakers`: participant ids, loudest first (sfu/speakers.py)."""
    cameras: dict[str, Producer] = {}
    screens: list[Producer] = []
    for producer in producers:
        if producer.closed or producer.kind != VIDEO:
            continue
        if producer.source == SCREEN:
            screens.append(producer)
        else:
            cameras.setdefault(producer.person, producer)
    return screens[0] if screens else _pick(cameras, speakers, current)


def voices(
    producers: Iterable[Producer], speakers: list[str], current: list[Producer | None]
) -> list[Producer | None]:
    """The microphones for the mixer's MAX_VOICES slots (None: an empty slot)."""
    microphones = {
        p.person: p for p in producers if p.kind == AUDIO and p.source == CAMERA and not p.closed
    }
    ordered = [microphones[s] for s in speakers if s in microphones]
    ordered += [p for p in microphones.values() if p not in ordered]
    wanted = ordered[:MAX_VOICES]
    slots: list[Producer | None] = [p if p in wanted else None for p in current]
    slots += [None] * (MAX_VOICES - len(slots))
    for producer in wanted:
        if producer not in slots:
            slots[slots.index(None)] = producer
    return slots


def _pick(
    available: dict[str, Producer], speakers: list[str], current: Producer | None
) -> Producer | None:
    for speaker in speakers:
        if speaker in available:
            return available[speaker]
    if current is not None and available.get(current.person) is current:
        return current
    return next(iter(available.values()), None)
