"""Who is speaking: active speakers from the audio levels publishers put in every packet.

Browsers measure each audio packet's level and send it in the RFC 6464 header extension
(0 = 0 dBov, loudest; 127 = -127 dBov, silence), so the SFU learns who speaks without decoding.
Speech is bursty (syllables, pauses), so what counts is how many packets are loud, not the
average level. Sans-I/O: the caller feeds what each audio producer carried since the last
call, with `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# A packet louder than -50 dBov is sound worth counting: Chromium's levels for a quiet room sit
# around -60 to -70 dBov, a voice at normal distance around -20 to -40 dBov.
LOUD = 127 - 50
# Someone speaks when at least this share of their packets is loud, smoothed: talking keeps
# roughly half of the 20 ms packets loud; a cough or a door is one interval, then nothing.
SPEAKING_SHARE = 0.25
# Weight of the newest interval: about half a second of memory at three updates a second.
SMOOTHING = 0.5
# A speaker stays listed this long after falling quiet: pauses between sentences must not
# make the layout jump.
HANGOVER = 1.5  # seconds
MAX_SPEAKERS = 5


class Heard(NamedTuple):
    """One audio track over one interval."""

    loud_total: int  # sum of (127 - level) over its loud packets
    loud_packets: int
    packets: int  # packets that carried a level


@dataclass
class _Voice:
    share: float = 0.0  # smoothed share of loud packets
    energy: float = 0.0  # smoothed loud_total / packets: orders simultaneous speakers
    last_loud: float | None = None


class ActiveSpeakers:
    def __init__(self) -> None:
        self._voices: dict[str, _Voice] = {}
        self.speakers: list[str] = []

    def update(self, heard: dict[str, Heard], now: float) -> list[str] | None:
        """`heard` maps each participant with audio to what their track carried since the
        last call. Returns the new list of speakers, loudest first, when it changed; else
        None. A participant missing from `heard` has no audio any more and is forgotten."""
        for owner in list(self._voices):
            if owner not in heard:
                del self._voices[owner]
        for owner, interval in heard.items():
            voice = self._voices.setdefault(owner, _Voice())
            # No packets at all is silence too (a muted or discontinuous sender).
            packets = interval.packets or 1
            voice.share += SMOOTHING * (interval.loud_packets / packets - voice.share)
            voice.energy += SMOOTHING * (interval.loud_total / packets - voice.energy)
            if voice.share >= SPEAKING_SHARE:
                voice.last_loud = now
        speaking = [
            owner
            for owner, voice in self._voices.items()
            if voice.last_loud is not None and now - voice.last_loud <= HANGOVER
        ]
        speaking.sort(key=lambda owner: self._voices[owner].energy, reverse=True)
        speaking = speaking[:MAX_SPEAKERS]
        if speaking == self.speakers:
            return None
        self.speakers = speaking
        return speaking
