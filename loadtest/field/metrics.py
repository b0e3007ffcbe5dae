"""The field figures, computed from what each page sampled (sans I/O: lists in, numbers out).

A sample is what loadtest/field/browsers.py's sampler records every SAMPLE_MS in the page:
{"t": ms since the epoch, "from": {sender name: {"audio": {...}, "video": {...}}}}, where the
audio and video counters are running totals (kept monotonic across reconnects by the sampler)
of the subscribe connection's inbound-rtp stats (W3C webrtc-stats): concealedSamples,
totalSamplesReceived; framesDecoded, freezeCount, totalFreezesDuration; plus the current
frameWidth and frameHeight of the video received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Sample = dict[str, Any]
STALL_S = 1.0  # a gap this long without a new decoded frame counts as stalled video


def _counter(sample: Sample, sender: str, kind: str, name: str) -> float:
    value = sample["from"].get(sender, {}).get(kind, {}).get(name, 0)
    return float(value)


def _within(samples: Sequence[Sample], start_s: float, end_s: float) -> list[Sample]:
    """The samples from the last one at or before `start_s` to the last at or before `end_s`."""
    before = [s for s in samples if s["t"] / 1000 <= start_s]
    inside = [s for s in samples if start_s < s["t"] / 1000 <= end_s]
    return before[-1:] + inside


@dataclass(frozen=True)
class StreamFigures:
    """One receiver's view of one sender over the window."""

    audio_concealed_ratio: float  # 1.0: no audio at all came
    video_freezes: int
    video_freeze_s: float
    video_stalled_s: float
    video_fps: float
    frame_height: int
    frame_width: int


def stream_figures(
    samples: Sequence[Sample], sender: str, start_s: float, end_s: float
) -> StreamFigures:
    window = _within(samples, start_s, end_s)
    if len(window) < 2:
        return StreamFigures(1.0, 0, end_s - start_s, end_s - start_s, 0.0, 0, 0)
    first, last = window[0], window[-1]

    def delta(kind: str, name: str) -> float:
        return _counter(last, sender, kind, name) - _counter(first, sender, kind, name)

    heard = delta("audio", "totalSamplesReceived")
    concealed = 1.0 if heard <= 0 else min(1.0, delta("audio", "concealedSamples") / heard)
    stalled, open_gap = _stalls(window, sender, start_s, end_s)
    # Chromium counts a freeze only once the next frame shows: add the one still going on.
    freeze_s = delta("video", "totalFreezesDuration") + (open_gap if open_gap >= STALL_S else 0)
    return StreamFigures(
        audio_concealed_ratio=round(concealed, 4),
        video_freezes=int(delta("video", "freezeCount")),
        video_freeze_s=round(freeze_s, 2),
        video_stalled_s=round(stalled, 2),
        video_fps=round(delta("video", "framesDecoded") / (end_s - start_s), 1),
        frame_height=int(_counter(last, sender, "video", "frameHeight")),
        frame_width=int(_counter(last, sender, "video", "frameWidth")),
    )


def _stalls(
    window: Sequence[Sample], sender: str, start_s: float, end_s: float
) -> tuple[float, float]:
    """(seconds inside gaps of STALL_S or more between new frames, the gap open at the end)."""
    frame_times = [start_s]
    for before, after in zip(window, window[1:], strict=False):
        if _counter(after, sender, "video", "framesDecoded") > _counter(
            before, sender, "video", "framesDecoded"
        ):
            frame_times.append(min(end_s, after["t"] / 1000))
    frame_times.append(end_s)
    gaps = [b - a for a, b in zip(frame_times, frame_times[1:], strict=False)]
    return sum(gap for gap in gaps if gap >= STALL_S), gaps[-1]


def recovery_s(samples: Sequence[Sample], senders: Sequence[str], back_s: float) -> float | None:
    """Seconds from the link's return until video from every sender decodes again, to the
    sampling's resolution; None when some sender's video never came back in these samples."""
    slowest = 0.0
    for sender in senders:
        first = _first_new(samples, sender, back_s, "video", "framesDecoded")
        if first is None:
            return None
        slowest = max(slowest, first)
    return round(slowest, 2)


# Before the link went down, a sender's video counts as flowing to a receiver when a new frame
# decoded within this long: a video the server had stopped for that receiver's link (too slow
# for it beside the audio) is not media the outage took.
FLOWING_S = 2.0


def media_back_s(
    samples: Sequence[Sample], sender: str, down_s: float, back_s: float
) -> float | None:
    """Seconds from the link's return until the media that flowed from `sender` before it
    went down at `down_s` flows again: its video when it was decoding then (FLOWING_S), else
    its audio; None when that did not come back in these samples."""
    before = [s for s in samples if down_s - FLOWING_S <= s["t"] / 1000 <= down_s]
    video = len(before) >= 2 and _counter(before[-1], sender, "video", "framesDecoded") > _counter(
        before[0], sender, "video", "framesDecoded"
    )
    if video:
        return recovery_s(samples, [sender], back_s)
    # Packets, not samples: totalSamplesReceived counts concealed samples too, and grows
    # through an outage.
    return _first_new(samples, sender, back_s, "audio", "packetsReceived")


def _first_new(
    samples: Sequence[Sample], sender: str, back_s: float, kind: str, name: str
) -> float | None:
    """Seconds after `back_s` until `kind`'s counter `name` from `sender` grew past its value
    then; None if it never did in these samples."""
    before = [s for s in samples if s["t"] / 1000 <= back_s]
    reference = _counter(before[-1], sender, kind, name) if before else 0.0
    for sample in samples:
        at = sample["t"] / 1000
        if at > back_s and _counter(sample, sender, kind, name) > reference:
            return round(float(at - back_s), 2)
    return None


def received_since(samples: Sequence[Sample], sender: str, back_s: float) -> dict[str, int]:
    """What came from `sender` between the link's return and the last sample: tells video
    that arrives but does not decode (no key frame) from video that is not sent at all."""
    before = [s for s in samples if s["t"] / 1000 <= back_s]
    if not before or not samples:
        return {}
    first, last = before[-1], samples[-1]
    counters = (
        ("video", "packetsReceived"),
        ("video", "framesDecoded"),
        ("audio", "packetsReceived"),
    )
    return {
        f"{kind}_{name}": int(
            _counter(last, sender, kind, name) - _counter(first, sender, kind, name)
        )
        for kind, name in counters
    }


def link_usage(
    before: dict[str, Any], after: dict[str, Any], index: int, seconds: float
) -> dict[str, float]:
    """Participant `index`'s traffic from two emulator stats: what its phone sent (offered to
    the uplink) and received (delivered by the downlink)."""
    sent = after["up"][index]["bytes_offered"] - before["up"][index]["bytes_offered"]
    got = after["down"][index]["bytes_delivered"] - before["down"][index]["bytes_delivered"]
    packets = after["down"][index]["delivered"] - before["down"][index]["delivered"]
    offered = after["down"][index]["bytes_offered"] - before["down"][index]["bytes_offered"]
    offered_packets = after["down"][index]["offered"] - before["down"][index]["offered"]
    return {
        # What the server sent towards the participant, before the link lost or queued it.
        "server_sent_kbps": round(offered * 8 / seconds / 1000, 1),
        "server_sent_packets_per_s": round(offered_packets / seconds, 1),
        # The deepest each queue has been since the link was built (netem-like: every packet
        # held counts); at 500 kbit/s, 100 packets of 1,200 bytes are ~2 s of delay.
        "queue_peak_up": after["up"][index]["queue_peak"],
        "queue_peak_down": after["down"][index]["queue_peak"],
        "packets_per_s_down": round(packets / seconds, 1),
        "kbps_up": round(sent * 8 / seconds / 1000, 1),
        "kbps_down": round(got * 8 / seconds / 1000, 1),
        "mb_per_minute": round((sent + got) / seconds * 60 / 1e6, 2),
    }
