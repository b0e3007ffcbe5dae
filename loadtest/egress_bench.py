"""`python -m loadtest egress [--duration 30] [--height 720] [--halls 1] [--json FILE]`: a town
hall with two speakers taking turns goes out live to an RTMP server this tool starts (Debian's
nginx-rtmp) and is recorded, against a Kamar server it starts, all in a private network
namespace. `--halls N` runs N such town halls at once on the one server, each with its own
egress and stream key, measured over one common window (loadtest/egress_hall.py); the figures
and how they add up are in loadtest/egress_report.py.

Each speaker publishes a replayed VP8 clip and a microphone of tone pulses (loadtest/tone.py,
loadtest/pulses.py); they take turns every 6 s, so the programme switches speakers. Measured
over `--duration` seconds after the stream is up:

- `rtmp_seconds_received`: the span of what the RTMP server recorded (ffprobe);
- `egress_cpu_percent`: CPU of every ffmpeg egress runs (the encoder, the RTMP relay, the
  recorder, HLS), in % of one core; `encoder_cpu_percent` of the encode alone;
- `speaker_to_rtmp_ms`: from a pulse leaving the speaker to it being heard from the RTMP server
  (median, pulses within a turn); `switch_to_rtmp_ms` the same for a turn's first pulse;
- `hls_start_s`: from `egress_start` to the live HLS playlist listing its first segment, the
  earliest a web viewer can press play; `speaker_to_hls_ms`: a pulse's delay to a player of
  that playlist (ffmpeg reading it as it grows), median within a turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest.egress_hall import BenchHall, cpu_of
from loadtest.egress_report import EgressResult, combine
from loadtest.media import VideoSpec, ensure_video_file, load_packets
from loadtest.netns import reexec_in_private_netns
from loadtest.rtmp_server import running_rtmp_server
from loadtest.servers import ServerProcess, local_server
from loadtest.sfu import CACHE_DIR
from loadtest.target import bounded, write_results
from server.config import EGRESS_HEIGHTS
from sfu import peer

MAX_HALLS = 8
SETTLE = 3.0  # seconds for the listeners to start before the window; the streams settle too


async def run_egress(
    duration: float, height: int, progress: Callable[[str], None], halls: int = 1
) -> EgressResult:
    peer.gather_on(["127.0.0.1"])
    frames = load_packets(ensure_video_file(CACHE_DIR, VideoSpec()))
    with tempfile.TemporaryDirectory(prefix="kamar-egress-bench-") as scratch:
        with running_rtmp_server(Path(scratch) / "rtmp") as rtmp:
            async with local_server(("--egress-height", str(height))) as server:
                epoch = time.time() + 2.0
                stage = [
                    BenchHall(n, server, rtmp, epoch, span=duration + 60 * halls + 120)
                    for n in range(halls)
                ]
                try:
                    return await _measure(server, stage, frames, duration, height, progress)
                finally:
                    for hall in stage:
                        await hall.close()


async def _measure(
    server: ServerProcess,
    stage: list[BenchHall],
    frames: list[bytes],
    duration: float,
    height: int,
    progress: Callable[[str], None],
) -> EgressResult:
    """Every hall joins and goes live, then one window measures them all at once."""
    for hall in stage:
        await hall.join(frames)
    progress(f"{len(stage)} town hall(s) publishing; starting egress")
    for hall in stage:
        await hall.start_egress(server.pid or 0)
    progress("egress started; waiting for the RTMP server and the HLS playlists")
    await asyncio.gather(*(hall.until_live() for hall in stage))
    await asyncio.sleep(SETTLE)
    await asyncio.gather(*(hall.mark() for hall in stage))
    pids = {pid: role for hall in stage for pid, role in hall.pids.items()}
    before, server_before, begin = cpu_of(pids), server.cpu_seconds(), time.time()
    await asyncio.sleep(duration)
    after, server_after, end = cpu_of(pids), server.cpu_seconds(), time.time()
    await asyncio.gather(*(hall.mark() for hall in stage))
    one, five, fifteen = (round(x, 2) for x in os.getloadavg())
    await asyncio.gather(*(hall.stop_egress() for hall in stage))
    used = {pid: after[pid] - before[pid] for pid in before if pid in after}
    server_cpu = None
    if server_before is not None and server_after is not None:
        server_cpu = (sum(server_after) - sum(server_before)) / (end - begin) * 100
    results = [hall.result(used, begin, end) for hall in stage]
    return combine(results, server_cpu, height, end - begin, (one, five, fifteen))


def add_parser(scenarios: Any) -> None:
    egress = scenarios.add_parser(
        "egress", help="town halls with two speakers taking turns, live to RTMP and recorded"
    )
    egress.add_argument(
        "--duration", type=bounded(float, 5, 600), default=30.0, help="seconds measured (30)"
    )
    egress.add_argument(
        "--height",
        type=int,
        choices=EGRESS_HEIGHTS,
        default=720,
        help="lines of the programme's picture (the server's --egress-height; default 720)",
    )
    egress.add_argument(
        "--halls",
        type=bounded(int, 1, MAX_HALLS),
        default=1,
        help=f"town halls live at once on one server, each its own egress (1; at most {MAX_HALLS})",
    )
    egress.add_argument("--json", type=Path, help="write the results to this file")


def run(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    reexec_in_private_netns()
    import uvloop

    result = uvloop.run(run_egress(args.duration, args.height, progress, args.halls))
    print()
    for name, value in result.as_dict().items():
        if name != "per_hall":
            print(f"  {name:<24} {'n/a' if value is None else value}")
    for hall in result.per_hall if result.halls > 1 else []:
        print(f"  hall {hall.hall}: {hall}")
    if args.json:
        write_results(args.json, [result])
    return 0
