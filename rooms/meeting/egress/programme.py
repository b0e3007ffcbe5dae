"""What egress sends: whose picture and whose voice. Pure.

The picture is a shared screen when there is one (a town hall's slides matter more than a
face), else the camera of the loudest speaker who has one; the voice is the loudest speaker's
microphone. While nobody speaks, the last choice stays (a pause is not a reason to cut away),
and with no choice yet the first camera and microphone published are taken.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sfu.forwarding import AUDIO, VIDEO, Producer
from sfu.router import CAMERA, SCREEN, person_of, source_of


class Choice(NamedTuple):
    video: Producer | None
    audio: Producer | None


def choose(producers: Iterable[Producer], speakers: list[str], current: Choice) -> Choice:
    """`speakers`: participant ids, loudest first (sfu/speakers.py)."""
    cameras: dict[str, Producer] = {}
    microphones: dict[str, Producer] = {}
    screens: list[Producer] = []
    for producer in producers:
        if producer.closed:
            continue
        source = source_of(producer.owner)
        if producer.kind == VIDEO and source == SCREEN:
            screens.append(producer)
        elif producer.kind == VIDEO and source == CAMERA:
            cameras.setdefault(producer.owner, producer)
        elif producer.kind == AUDIO and source == CAMERA:
            microphones.setdefault(producer.owner, producer)
    video = screens[0] if screens else _pick(cameras, speakers, current.video)
    return Choice(video, _pick(microphones, speakers, current.audio))


def _pick(
    available: dict[str, Producer], speakers: list[str], current: Producer | None
) -> Producer | None:
    for speaker in speakers:
        if speaker in available:
            return available[speaker]
    if current is not None and available.get(person_of(current.owner)) is current:
        return current
    return next(iter(available.values()), None)
