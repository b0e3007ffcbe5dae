"""The egress benchmark's speech: who is loud when, and how late each pulse was heard.

Two speakers take turns of TURN seconds; within a turn the speaker sends "syllables" of tone,
PULSE_LENGTH long, whose starts are MIN_GAP to MAX_GAP apart at random (seeded). The pattern
never repeats, so a delay longer than the gap between two pulses (an HLS player's, several
seconds) can still be told apart: `steady_delay` finds the one delay that lines up most
heard onsets with sent ones.
"""

from __future__ import annotations

import bisect
import random
import statistics

TURN = 6.0  # seconds each speaker has the floor
PULSE_LENGTH = 0.4
MIN_GAP, MAX_GAP = 1.2, 2.0  # between the starts of two pulses
QUIET_BEFORE_TURN = 0.4  # the listener needs 200 ms of quiet to hear the next turn begin
MATCH_TOLERANCE = 0.15  # seconds: onsets this close to start + delay count as that pulse
MAX_DELAY = 20.0


class Schedule:
    """Pulses from `epoch` on for `span` seconds: (start, speaker, first of its turn)."""

    def __init__(self, epoch: float, span: float, speakers: int = 2, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.pulses: list[tuple[float, int, bool]] = []
        turn = 0
        while turn * TURN < span:
            offset = 0.0
            while offset + PULSE_LENGTH + QUIET_BEFORE_TURN < TURN:
                self.pulses.append((epoch + turn * TURN + offset, turn % speakers, offset == 0))
                offset += rng.uniform(MIN_GAP, MAX_GAP)
            turn += 1
        self._starts = [start for start, _speaker, _first in self.pulses]

    def loud(self, speaker: int, now: float) -> bool:
        index = bisect.bisect_right(self._starts, now) - 1
        if index < 0:
            return False
        start, who, _first = self.pulses[index]
        return who == speaker and now < start + PULSE_LENGTH

    def onsets(self, start: float, end: float) -> list[tuple[float, bool]]:
        """(time, first of its turn) of every pulse that starts in [start, end)."""
        return [(at, first) for at, _who, first in self.pulses if start <= at < end]


def delays(sent: list[tuple[float, bool]], heard: list[float]) -> tuple[list[float], list[float]]:
    """Delays (ms) of pulses within a turn and of turns' first pulses, for delays shorter
    than MIN_GAP (an RTMP player's): each heard onset is matched with the latest pulse sent
    before it."""
    steady: list[float] = []
    switching: list[float] = []
    for at in heard:
        earlier = [(s, first) for s, first in sent if s <= at < s + MIN_GAP]
        if earlier:
            start, first = earlier[-1]
            (switching if first else steady).append((at - start) * 1000)
    return steady, switching


def steady_delay(sent: list[tuple[float, bool]], heard: list[float]) -> float | None:
    """The delay (ms) that lines up most heard onsets with pulses within a turn, up to
    MAX_DELAY; the median of those matches. None when fewer than three line up."""
    starts = [at for at, first in sent if not first]
    best: tuple[int, float] = (0, 0.0)
    step = 0.02
    for index in range(int(MAX_DELAY / step)):
        shift = index * step
        count = sum(1 for at in heard if _near(starts, at - shift))
        if count > best[0]:
            best = (count, shift)
    count, shift = best
    if count < 3:
        return None
    matched = [at - _nearest(starts, at - shift) for at in heard if _near(starts, at - shift)]
    return statistics.median(matched) * 1000


def _nearest(starts: list[float], at: float) -> float:
    index = bisect.bisect_left(starts, at)
    candidates = starts[max(0, index - 1) : index + 1]
    return min(candidates, key=lambda start: abs(start - at))


def _near(starts: list[float], at: float) -> bool:
    return bool(starts) and abs(_nearest(starts, at) - at) <= MATCH_TOLERANCE
