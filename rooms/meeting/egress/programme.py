"""What egress sends: whose picture, in which layout, and whose voices. Pure.

The picture follows the stage (`layout`): a shared screen fills the frame with the speaker in
a corner (a town hall's slides matter more than a face, but the face says who talks); two
cameras on stage share the frame side by side; otherwise the loudest speaker's camera fills
it. While nobody speaks, the last choice stays (a pause is not a reason to cut away), and with
no choice yet the first camera published is taken. The sound is a mix of up to MAX_VOICES
microphones (`voices`): the speakers' first, loudest first, then the others published; a
microphone keeps its slot as long as it is mixed, so the mixer's inputs do not change under a
voice that goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sfu.forwarding import AUDIO, VIDEO, Producer
from sfu.owner import CAMERA, SCREEN

MAX_VOICES = 3  # a town hall's stage: a few speakers and a moderator; each mixed costs little
# The layouts, in the order the encoder's streamselect takes them (commands.programme_filter).
SINGLE, PIP, GRID = "single", "pip", "grid"
LAYOUTS = (SINGLE, PIP, GRID)


@dataclass(frozen=True)
class Layout:
    """`main` fills the frame (single, pip) or its left half (grid); `second` is the corner
    (pip) or the right half (grid). In a single layout `second` repeats `main`: the encoder's
    second input must keep receiving pictures, or its compositing would wait for one."""

    mode: str = SINGLE
    main: Producer | None = None
    second: Producer | None = None


def layout(producers: Iterable[Producer], speakers: list[str], current: Layout) -> Layout:
    """The layout for the stage now; `speakers`: participant ids, loudest first."""
    cameras, screens = _videos(producers)
    if screens:
        kept = current.second if current.mode == PIP else None
        speaker = _pick(cameras, speakers, kept)
        if speaker is None:
            return Layout(SINGLE, screens[0], screens[0])
        return Layout(PIP, screens[0], speaker)
    if len(cameras) == 2:
        pair = set(cameras.values())
        if current.mode == GRID and {current.main, current.second} == pair:
            return current  # nobody changes sides while the same two are on stage
        left, right = cameras.values()
        return Layout(GRID, left, right)
    main = _pick(cameras, speakers, current.main)
    return Layout(SINGLE, main, main)


def _videos(producers: Iterable[Producer]) -> tuple[dict[str, Producer], list[Producer]]:
    """The open cameras by person, in the order published, and the shared screens."""
    cameras: dict[str, Producer] = {}
    screens: list[Producer] = []
    for producer in producers:
        if producer.closed or producer.kind != VIDEO:
            continue
        if producer.source == SCREEN:
            screens.append(producer)
        else:
            cameras.setdefault(producer.person, producer)
    return cameras, screens


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
