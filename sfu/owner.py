"""Who published a producer: a participant (its `person`) and which of its sources, a camera with
its microphone or a shared screen.

A participant may publish on two connections, so one person owns up to two sets of producers.
`owner_key` composes the string that names an owner in maps and logs ("ID" for the camera,
"ID:screen" for a screen share); it is the only place that knows that form. Nothing parses it
back: every Producer carries its `person` and `source` (sfu/forwarding.py), so the fan-out and
the endpoints that receive, relay or record never read meaning out of a string.
"""

from __future__ import annotations

CAMERA, SCREEN = "camera", "screen"
SOURCES = (CAMERA, SCREEN)


def owner_key(person: str, source: str = CAMERA) -> str:
    """The owner of a participant's camera/microphone or of its screen share."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    return person if source == CAMERA else f"{person}:{source}"
