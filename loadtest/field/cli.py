"""`kamar-loadtest field [--participants 4] [--scenario clean,mobile,bursty] [--rtt-ms 300
--loss 0.03 --loss-burst 1 --rate-kbps 500] [--duration 30] [--outage-s 5] [--watch-s 60]
[--data-saver-participants 6] [--json FILE]`: Chromium participants behind an emulated bad
link (docs/benchmarks.md, "Field conditions")."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest.field.namespaces import check_can_create
from loadtest.field.scenario import (
    PRESETS,
    FieldSettings,
    LinkProfile,
    run_data_saver,
    run_scenario,
    worst,
)
from loadtest.netns import only_loopback, reexec_in_private_netns
from loadtest.target import bounded

MAX_BROWSERS = 8  # each participant is a whole Chromium: more would only measure this machine
CUSTOM = ("rtt_ms", "loss", "loss_burst", "rate_kbps")
IN_NETNS = "KAMAR_LOADTEST_IN_NETNS"  # loadtest/netns.py's mark of a re-executed run
STOP_LIMIT_S = 30.0


def _scenario_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in PRESETS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"scenarios are a comma list of {', '.join(PRESETS)}")
    return names


def _data_saver_count(text: str) -> int:
    count: int = bounded(int, 0, MAX_BROWSERS)(text)
    if count == 1:
        raise argparse.ArgumentTypeError("0 (skip) or 2-8: one data saver and one without")
    return count


def add_parser(scenarios: Any) -> None:
    """`field`: its participants and link (then `_add_timing`)."""
    field = scenarios.add_parser(
        "field", help="Chromium participants behind an emulated bad link (delay, loss, rate, "
        "an outage): audio concealment, video freezes, recovery, data used"
    )  # fmt: skip
    field.add_argument(
        "--participants",
        type=bounded(int, 2, MAX_BROWSERS),
        default=4,
        help=f"Chromium participants in the meeting (default 4, 2-{MAX_BROWSERS})",
    )
    field.add_argument(
        "--scenario",
        type=_scenario_list,
        dest="presets",
        help="link presets to run, in order (default clean,mobile,bursty; with "
        "--rtt-ms/--loss/--loss-burst/--rate-kbps: clean and that link)",
    )
    field.add_argument(
        "--rtt-ms",
        type=bounded(float, 0, 4000),
        help="a custom link: round-trip time, half each way",
    )
    field.add_argument(
        "--loss",
        type=bounded(float, 0, 0.5),
        help="a custom link: share of packets lost, in each direction",
    )
    field.add_argument(
        "--loss-burst",
        type=bounded(float, 1, 100),
        help="a custom link: mean packets lost in a row (default 1: independent)",
    )
    field.add_argument(
        "--rate-kbps",
        type=bounded(float, 0, 100_000),
        help="a custom link: kbit/s in each direction per participant (0: none)",
    )
    _add_timing(field)


def _add_timing(field: Any) -> None:
    """How long `field` measures, cuts the link and waits; the data-saver meeting; the output."""
    field.add_argument(
        "--duration",
        type=bounded(float, 5, 600),
        default=30.0,
        help="seconds measured per scenario (default 30)",
    )
    field.add_argument(
        "--settle-s",
        type=bounded(float, 0, 60),
        default=5.0,
        help="wait this long after everyone has media before measuring (default 5)",
    )
    field.add_argument(
        "--outage-s",
        type=bounded(float, 0, 60),
        default=5.0,
        help="then cut the link this long (default 5; 0: no outage)",
    )
    field.add_argument(
        "--watch-s",
        type=bounded(float, 5, 300),
        default=60.0,
        help="and wait this long at most for everyone's media (default 60)",
    )
    field.add_argument(
        "--data-saver-participants",
        type=_data_saver_count,
        default=6,
        help="then a meeting of this many, all but one with the web client's data saver on "
        "(default 6; 0: skip)",
    )
    field.add_argument("--json", type=Path, help="write the results to this file")  # fmt: skip


def _profiles(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[LinkProfile]:
    custom = {name: getattr(args, name) for name in CUSTOM if getattr(args, name) is not None}
    if custom and args.presets:
        parser.error("--scenario and a custom link (--rtt-ms, --loss, ...) exclude each other")
    if custom:
        try:
            profile = LinkProfile("custom", **custom)
            profile.pipe()
        except ValueError as exc:
            parser.error(str(exc))
        return [PRESETS["clean"], profile]
    return [PRESETS[name] for name in args.presets or ["clean", "mobile", "bursty"]]


def run(
    args: argparse.Namespace, parser: argparse.ArgumentParser, progress: Callable[[str], None]
) -> int:
    profiles = _profiles(args, parser)
    check_can_create()
    _in_private_netns()  # nothing of ours may fall back to a real interface

    import uvloop

    settings = FieldSettings(
        participants=args.participants,
        duration_s=args.duration,
        outage_s=args.outage_s,
        watch_s=args.watch_s,
        settle_s=args.settle_s,
    )
    results: dict[str, Any] = {}
    for profile in profiles:
        print(f"field scenario {profile.name}: {_describe(profile)}, {args.participants} "
              f"Chromium participants", flush=True)  # fmt: skip
        results[profile.name] = uvloop.run(run_scenario(profile, settings, progress))
        print()
        summary(results[profile.name])
    saver = None
    if args.data_saver_participants:
        count = args.data_saver_participants
        print(f"data saver: {count} participants, all but one with data saver on, clean link",
              flush=True)  # fmt: skip
        saver = uvloop.run(run_data_saver(count, min(args.duration, 20.0), progress))
        print(f"\n  most received by one data saver: {saver['data_saver_kbps_down']} kbit/s "
              f"(heard everyone: {saver['heard_everyone']})")  # fmt: skip
    report = _report(results, saver, settings)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _in_private_netns() -> None:
    """As loadtest/netns.py's reexec_in_private_netns (which it uses for its checks and
    messages), but a Ctrl-C gives the re-executed run up to STOP_LIMIT_S to close its
    browsers and server and remove its temporary directories, where subprocess.run would
    SIGKILL it after 0.25 s. The terminal sends that Ctrl-C to both processes."""
    if only_loopback() or os.environ.get(IN_NETNS) or os.geteuid() != 0:
        reexec_in_private_netns()  # returns at once in a private namespace, else explains
        return
    command = [sys.executable, "-m", "loadtest", *sys.argv[1:]]
    script = 'ip link set lo up && exec "$@"'
    child = subprocess.Popen(
        ["unshare", "--net", "--", "sh", "-c", script, "sh", *command],
        env=dict(os.environ, **{IN_NETNS: "1"}),
    )
    try:
        code = child.wait()
    except KeyboardInterrupt:
        try:
            code = child.wait(timeout=STOP_LIMIT_S)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            child.kill()
            code = child.wait()
    raise SystemExit(code)


def _describe(profile: LinkProfile) -> str:
    if profile == PRESETS["clean"]:
        return "no delay, loss or rate limit"
    burst = f" in bursts of {profile.loss_burst:g}" if profile.loss_burst > 1 else ""
    rate = f"{profile.rate_kbps:g} kbit/s" if profile.rate_kbps else "no rate limit"
    return (f"{profile.rtt_ms:g} ms RTT, {profile.loss:.0%} loss{burst} and {rate} "
            "each way")  # fmt: skip


def _report(
    results: dict[str, Any], saver: dict[str, Any] | None, settings: FieldSettings
) -> dict[str, Any]:
    scenarios = list(results.values())
    return {
        # The named figures are the worst over every scenario run (each is also under
        # `scenarios`); recovery_s_max is None when the media someone received before the
        # outage did not come back; video_recovery_s_max when someone's video did not.
        "audio_concealed_ratio_max": max(s["audio_concealed_ratio_max"] for s in scenarios),
        "video_freeze_s_max": max(s["video_freeze_s_max"] for s in scenarios),
        "recovery_s_max": worst([s["recovery_s_max"] for s in scenarios]),
        "video_recovery_s_max": worst([s["video_recovery_s_max"] for s in scenarios]),
        "data_saver_kbps_down": None if saver is None else saver["data_saver_kbps_down"],
        "settings": {"participants": settings.participants, "duration_s": settings.duration_s,
                     "outage_s": settings.outage_s, "watch_s": settings.watch_s,
                     "settle_s": settings.settle_s},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_1m_at_end": round(os.getloadavg()[0], 2)},
        "command": sys.argv[1:],
        "scenarios": results,
        "data_saver": saver,
    }  # fmt: skip


def summary(result: dict[str, Any]) -> None:
    check = result["link_measured"]
    print(f"  link measured: RTT min {check['rtt_ms_min']} ms, round-trip loss "
          f"{check['loss_ratio']:.1%}, burst {check['throughput_kbps']} kbit/s; server CPU "
          f"{result['cpu_percent']['server']} %, emulator {result['cpu_percent']['link_emulator']}"
          f" %, load {result['cpu_percent']['machine_loadavg_1m']}")  # fmt: skip
    print(f"  {'':5} {'concealed':>9} {'freeze s':>8} {'stalled':>7} {'fps min':>7} "
          f"{'recovery':>8} {'video bk':>8} {'kbit/s dn/up':>13} {'MB/min':>6}"
          "  layers")  # fmt: skip
    for name, p in result["participants"].items():
        recovery, video = (
            "never" if p[key] is None else f"{p[key]:.1f} s"
            for key in ("recovery_s", "video_recovery_s")
        )
        layers = " ".join(sorted(set(p["layers_received"].values())))
        print(f"  {name:5} {p['audio_concealed_ratio']:>9.1%} {p['video_freeze_s']:>8.1f} "
              f"{p['video_stalled_s']:>7.1f} {p['video_fps_min']:>7.1f} {recovery:>8} "
              f"{video:>8} {p['kbps_down']:>6.0f}/{p['kbps_up']:<6.0f} "
              f"{p['mb_per_minute']:>6.2f}  {layers}")  # fmt: skip
