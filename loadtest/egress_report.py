"""The egress benchmark's figures: one town hall's (`HallResult`) and the run's (`EgressResult`,
all halls on one server together). Pure: what was seen goes in, figures come out.

How many town halls one core pushes out (`halls_per_core`): the run's egress CPU, which is
every ffmpeg of every hall (encoders and copy relays) plus the Kamar server (the speakers in,
the plain-RTP sinks out), divided by the halls gives one hall's share; a core is 100 % of
that: halls_per_core = 100 * halls / (egress_cpu_percent + server_cpu_percent). The figure
only holds while every hall kept real time: an encoder starved of CPU falls behind, uses less
and looks cheaper than it is, so with any hall behind `halls_per_core` is None.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

# A hall keeps real time while the stream the RTMP server records grows as fast as the clock,
# within this share: slower, its encoder cannot keep up (it drops pictures and lags); faster,
# it is catching up on a backlog, so it was behind when the window began.
REAL_TIME_TOLERANCE = 0.05
HLS_NOTE = (
    "hls_start_s: to the playlist's first segment; hls_playable_s: to the third, when the"
    " server offers it to players; a player adds its own start (Chromium: ~1-2 s)"
)


@dataclass(frozen=True)
class HallResult:
    """One town hall's figures over the common window."""

    hall: int
    rtmp_seconds_received: float  # the whole stream, from before the window to the stop
    window_s: float  # wall time between two looks at what the RTMP server recorded
    window_received_s: float  # how much longer the recorded stream grew meanwhile
    kept_real_time: bool
    rtmp_video: str
    egress_cpu_percent: float
    encoder_cpu_percent: float
    relays_cpu_percent: float
    speaker_to_rtmp_ms: float | None
    switch_to_rtmp_ms: float | None
    pulses_sent: int
    pulses_heard: int
    hls_start_s: float | None
    hls_playable_s: float | None  # to HLS_PLAYABLE_SEGMENTS listed: when a player can start
    speaker_to_hls_ms: float | None


def kept_real_time(received: float, wall: float) -> bool:
    """Whether `received` seconds of stream arrived in `wall` seconds, near enough."""
    return wall > 0 and abs(received - wall) <= REAL_TIME_TOLERANCE * wall


@dataclass(frozen=True)
class EgressResult:
    """The run: with one hall, that hall's figures; with several, the keys a single-hall run
    has mean all halls together (CPU summed, pulses counted over all, delays the median of the
    halls', received seconds and HLS start the worst hall's), and `per_hall` has each."""

    height: int
    duration_s: float
    rtmp_seconds_received: float
    rtmp_video: str
    egress_cpu_percent: float
    encoder_cpu_percent: float
    relays_cpu_percent: float
    server_cpu_percent: float | None
    speaker_to_rtmp_ms: float | None
    switch_to_rtmp_ms: float | None
    pulses_sent: int
    pulses_heard: int
    hls_start_s: float | None
    hls_playable_s: float | None
    speaker_to_hls_ms: float | None
    hls_note: str
    townhalls_per_core: float | None  # ffmpeg only: 100 * halls / egress_cpu_percent
    halls: int
    halls_per_core: float | None  # ffmpeg and server: see the module's docstring
    all_kept_real_time: bool
    load_average: tuple[float, float, float]  # the machine's (1, 5, 15 min) at the window's end
    per_hall: list[HallResult]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known)) if known else None


def combine(
    halls: list[HallResult],
    server_cpu: float | None,
    height: int,
    duration: float,
    load_average: tuple[float, float, float],
) -> EgressResult:
    """The run's figures from each hall's and the server's CPU (% of one core)."""
    if not halls:
        raise ValueError("a run has at least one hall")
    count = len(halls)
    egress = sum(h.egress_cpu_percent for h in halls)
    everything = None if server_cpu is None else egress + server_cpu
    in_time = all(h.kept_real_time for h in halls)
    hls_starts = [h.hls_start_s for h in halls if h.hls_start_s is not None]
    playable = [h.hls_playable_s for h in halls if h.hls_playable_s is not None]
    return EgressResult(
        height=height,
        duration_s=round(duration, 1),
        rtmp_seconds_received=min(h.rtmp_seconds_received for h in halls),
        rtmp_video=halls[0].rtmp_video,
        egress_cpu_percent=round(egress, 1),
        encoder_cpu_percent=round(sum(h.encoder_cpu_percent for h in halls), 1),
        relays_cpu_percent=round(sum(h.relays_cpu_percent for h in halls), 1),
        server_cpu_percent=None if server_cpu is None else round(server_cpu, 1),
        speaker_to_rtmp_ms=_median([h.speaker_to_rtmp_ms for h in halls]),
        switch_to_rtmp_ms=_median([h.switch_to_rtmp_ms for h in halls]),
        pulses_sent=sum(h.pulses_sent for h in halls),
        pulses_heard=sum(h.pulses_heard for h in halls),
        hls_start_s=max(hls_starts) if hls_starts else None,
        hls_playable_s=max(playable) if playable else None,
        speaker_to_hls_ms=_median([h.speaker_to_hls_ms for h in halls]),
        hls_note=HLS_NOTE,
        townhalls_per_core=round(100 * count / egress, 1) if egress > 0 else None,
        halls=count,
        halls_per_core=(round(100 * count / everything, 1) if in_time and everything else None),
        all_kept_real_time=in_time,
        load_average=load_average,
        per_hall=halls,
    )
