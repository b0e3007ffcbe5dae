"""What egress sends: whose picture, in which layout, and whose voices. Pure.

The picture follows the stage (`layout`): a shared screen fills the frame with the speaker in
a corner (a town hall's slides matter more than a face, but the face says who talks); two
cameras on stage share the frame side by side; three or four share it as a grid of quarters
(three: two above, one centred below); one, or more than four, and the loudest speaker's
camera fills it (a grid of five or more would leave someone out or make every face tiny).
While nobody speaks, the last choice stays (a pause is not a reason to cut away), and with
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
SINGLE, PIP, GRID, TRIO, QUAD = "single", "pip", "grid", "trio", "quad"
LAYOUTS = (SINGLE, PIP, GRID, TRIO, QUAD)
PICTURES = 4  # the encoder's picture inputs: a quad's four quarters


@dataclass(frozen=True)
class Layout:
    """`main` fills the frame (single, pip) or its left half (grid); `second` is the corner
    (pip) or the right half (grid). In a trio or quad they are the top quarters, `third` and
    `fourth` the bottom ones (a trio's third centred, its fourth unused)."""

    mode: str = SINGLE
    main: Producer | None = None
    second: Producer | None = None
    third: Producer | None = None
    fourth: Producer | None = None

    @property
    def pictures(self) -> tuple[Producer | None, ...]:
        """What each of the encoder's PICTURES inputs carries: an input the layout does not
        show repeats `main`, since the encoder's compositing waits for a picture from every
        input (the layouts not shown are made every frame too: commands.picture_filter)."""
        shown = (self.main, self.second, self.third, self.fourth)
        return tuple(self.main if picture is None else picture for picture in shown)


def layout(producers: Iterable[Producer], speakers: list[str], current: Layout) -> Layout:
    """The layout for the stage now; `speakers`: participant ids, loudest first."""
    cameras, screens = _videos(producers)
    if screens:
        kept = current.second if current.mode == PIP else None
        speaker = _pick(cameras, speakers, kept)
        if speaker is None:
            return Layout(SINGLE, screens[0], screens[0])
        return Layout(PIP, screens[0], speaker)
    on_stage = list(cameras.values())
    if 2 <= len(on_stage) <= PICTURES:
        mode = {2: GRID, 3: TRIO, PICTURES: QUAD}[len(on_stage)]
        shown = {current.main, current.second, current.third, current.fourth} - {None}
        if current.mode == mode and shown == set(on_stage):
            return current  # nobody changes places while the same people are on stage
        return Layout(mode, *on_stage)
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
