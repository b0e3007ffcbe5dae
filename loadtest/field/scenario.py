"""One field scenario: a meeting behind a link profile, measured over a window, then cut for
`outage_s` and watched until every participant's video is back; and the data-saver meeting."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from loadtest.field.browsers import Participant
from loadtest.field.control import EmulatedLink, emulated_link, measure_link
from loadtest.field.link import PipeConfig
from loadtest.field.meeting import kamar_server, participants, wait_for_media
from loadtest.field.metrics import (
    StreamFigures,
    link_usage,
    media_back_s,
    received_since,
    recovery_s,
    stream_figures,
)
from loadtest.servers import process_cpu_seconds

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LinkProfile:
    """The same impairments in both directions, as netem on each side of the link."""

    name: str
    rtt_ms: float = 0.0
    loss: float = 0.0
    loss_burst: float = 1.0  # mean packets lost in a row; 1: independent losses
    rate_kbps: float = 0.0  # 0: no limit

    def pipe(self) -> PipeConfig:
        return PipeConfig(
            delay_s=self.rtt_ms / 2000,
            loss=self.loss,
            loss_burst=self.loss_burst,
            rate_bps=self.rate_kbps * 1000,
        )


PRESETS = {
    "clean": LinkProfile("clean"),
    "mobile": LinkProfile("mobile", rtt_ms=300, loss=0.03, rate_kbps=500),
    "bursty": LinkProfile("bursty", rtt_ms=300, loss=0.02, loss_burst=4, rate_kbps=1000),
}


@dataclass(frozen=True)
class FieldSettings:
    participants: int = 4
    duration_s: float = 30.0
    outage_s: float = 5.0
    watch_s: float = 60.0  # how long to wait for media after the outage
    join_limit_s: float = 60.0
    settle_s: float = 5.0  # after everyone has media, before the window: the start is no call


async def run_scenario(
    profile: LinkProfile, settings: FieldSettings, progress: Progress
) -> dict[str, Any]:
    pipe = profile.pipe()
    count = settings.participants
    async with emulated_link(count, pipe, pipe) as link:
        progress(f"{profile.name}: measuring the link itself")
        check = await measure_link(link, pipe, pipe, burst=40)
        with tempfile.TemporaryDirectory(prefix="kamar-field-") as data:
            async with (
                kamar_server(link, Path(data)) as (origin, server_pid),
                async_playwright() as playwright,
                participants(playwright, link, origin, Path(data), count, progress) as people,
            ):
                joined = await wait_for_media(people, settings.join_limit_s, True, progress)
                await _pause(settings.settle_s, "settling", progress)
                cpu_before = _cpus(link, server_pid, Path(data))
                window = await _measure_window(link, people, settings.duration_s, progress)
                cpu_after = _cpus(link, server_pid, Path(data))
                cpu = _cpu_delta(cpu_before, cpu_after, settings.duration_s)
                stuck: dict[str, dict[str, dict[str, Any]]] = {}
                recovered, video_back = await _outage(link, people, settings, progress, stuck)
                reconnects = [await _reconnects(p) for p in people]
    result = _scenario_result(profile, check, joined, window, recovered, video_back, reconnects)
    for name, evidence in stuck.items():
        figures = result["participants"][name]
        figures["link_after_outage"] = evidence.pop("link_since_return")
        if evidence:
            figures["received_after_outage_from_missing"] = evidence
    result["cpu_percent"] = cpu
    return result


async def _measure_window(
    link: EmulatedLink, people: list[Participant], seconds: float, progress: Progress
) -> dict[str, Any]:
    before, start = await link.stats(), time.time()
    await _pause(seconds, "measuring", progress)
    after, end = await link.stats(), time.time()
    names = [p.name for p in people]
    figures: dict[str, dict[str, StreamFigures]] = {}
    for person in people:
        samples = await person.samples(start - 5)
        figures[person.name] = {
            sender: stream_figures(samples, sender, start, end)
            for sender in names
            if sender != person.name
        }
    usage = {name: link_usage(before, after, i, end - start) for i, name in enumerate(names)}
    drops = {
        way: sum(p["lost"] + p["queue_drops"] for p in after[way])
        - sum(p["lost"] + p["queue_drops"] for p in before[way])
        for way in ("up", "down")
    }
    return {"figures": figures, "usage": usage, "seconds": end - start, "drops": drops}


async def _outage(
    link: EmulatedLink,
    people: list[Participant],
    settings: FieldSettings,
    progress: Progress,
    stuck: dict[str, dict[str, dict[str, Any]]],
) -> tuple[dict[str, dict[str, float | None]], dict[str, dict[str, float | None]]]:
    """Per receiver and sender, seconds from the link's return until (1) the media that
    flowed from that sender before the outage flows again (`metrics.media_back_s`), (2) that
    sender's video decoded again whether or not it flowed before; None if not within the
    watch time. Both empty with no outage. Fills `stuck` with each participant's traffic on
    the link since its return and what it still got from the senders it waited for in vain."""
    names = [p.name for p in people]
    if settings.outage_s <= 0:
        return {}, {}
    down = time.time()
    await link.cut(settings.outage_s)
    back = time.time() + settings.outage_s
    await _pause(settings.outage_s, "link down", progress)
    at_return = await link.stats()
    media: dict[str, dict[str, float | None]] = {}
    video: dict[str, dict[str, float | None]] = {}
    while time.time() < back + settings.watch_s:
        for person in people:
            samples = await person.samples(down - 3)
            others = [sender for sender in names if sender != person.name]
            media[person.name] = {s: media_back_s(samples, s, down, back) for s in others}
            video[person.name] = {s: recovery_s(samples, [s], back) for s in others}
        if all(None not in senders.values() for senders in video.values()):
            break
        progress(f"link back; waiting for everyone's video ({time.time() - back:.0f} s)")
        await asyncio.sleep(0.5)  # poll the pages until the deadline above
    # Evidence for the ones still waiting: did their browser send, did the link carry?
    usage, watched = await link.stats(), time.time() - back
    for index, person in enumerate(people):
        evidence: dict[str, Any] = {
            "link_since_return": link_usage(at_return, usage, index, watched)
        }
        missing = [sender for sender, at in video[person.name].items() if at is None]
        if missing:  # one read of the page's samples serves every sender it waited for
            samples = await person.samples(back - 3)
            evidence.update({s: received_since(samples, s, back) for s in missing})
        stuck[person.name] = evidence
    return media, video


async def _pause(seconds: float, doing: str, progress: Progress) -> None:
    """Let a measured stretch of time pass (the meeting runs meanwhile), showing progress."""
    end = time.time() + seconds
    while (left := end - time.time()) > 0:
        progress(f"{doing}: {left:.0f} s left")
        await asyncio.sleep(min(1.0, left))


async def _reconnects(person: Participant) -> int:
    script = "window.kamarDebug ? window.kamarDebug.state.reconnects : 0"
    return int(await person.page.evaluate(script))


def _cpus(link: EmulatedLink, server_pid: int, data: Path) -> dict[str, float]:
    """CPU seconds so far of the server and the emulator; one of them gone is a failed run,
    said with the server's log (a CI run once lost one mid-window and said only ENOENT)."""
    for name, pid in (("the Kamar server", server_pid), ("the link emulator", link.process.pid)):
        if not Path(f"/proc/{pid}").exists():
            log = (data / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} (pid {pid}) ended during the run; server log:\n{log}")

    def total(pid: int) -> float:
        cpu = process_cpu_seconds(pid)
        return 0.0 if cpu is None else sum(cpu)

    return {"server": total(server_pid), "link_emulator": total(link.process.pid),
            "machine_loadavg_1m": os.getloadavg()[0]}  # fmt: skip


def _cpu_delta(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> dict[str, float]:
    def percent(name: str) -> float:
        return round((after[name] - before[name]) / seconds * 100, 1)

    return {
        "server": percent("server"),
        "link_emulator": percent("link_emulator"),
        "machine_loadavg_1m": round(after["machine_loadavg_1m"], 2),
    }


def _scenario_result(
    profile: LinkProfile,
    check: dict[str, Any],
    joined: dict[str, float | None],
    window: dict[str, Any],
    recovered: dict[str, dict[str, float | None]],
    video_back: dict[str, dict[str, float | None]],
    reconnects: list[int],
) -> dict[str, Any]:
    per_participant = {}
    for index, (name, streams) in enumerate(window["figures"].items()):
        views = list(streams.values())
        per_participant[name] = {
            "media_after_join_s": joined[name],
            "audio_concealed_ratio": max(v.audio_concealed_ratio for v in views),
            "video_freezes": sum(v.video_freezes for v in views),
            "video_freeze_s": max(v.video_freeze_s for v in views),
            "video_stalled_s": max(v.video_stalled_s for v in views),
            "video_fps_min": min(v.video_fps for v in views),
            "layers_received": {s: f"{v.frame_width}x{v.frame_height}" for s, v in streams.items()},
            "recovery_s": worst(list(recovered[name].values())) if recovered else None,
            "video_recovery_s": worst(list(video_back[name].values())) if video_back else None,
            "video_not_back_from": [s for s, at in video_back.get(name, {}).items() if at is None],
            "reconnects": reconnects[index],
            **window["usage"][name],
        }
    people = per_participant.values()
    recoveries = [p["recovery_s"] for p in people]
    return {
        "link": {"rtt_ms": profile.rtt_ms, "loss_each_way": profile.loss,
                 "loss_burst": profile.loss_burst, "rate_kbps_each_way": profile.rate_kbps},
        "link_measured": check,
        "window_s": round(window["seconds"], 1),
        "link_drops_in_window": window["drops"],
        "audio_concealed_ratio_max": max(p["audio_concealed_ratio"] for p in people),
        "video_freeze_s_max": max(p["video_freeze_s"] for p in people),
        "video_stalled_s_max": max(p["video_stalled_s"] for p in people),
        "recovery_s_max": worst(recoveries),
        "not_recovered": sum(r is None for r in recoveries),
        "video_recovery_s_max": worst([p["video_recovery_s"] for p in people]),
        "mb_per_minute_max": max(p["mb_per_minute"] for p in people),
        "participants": per_participant,
    }  # fmt: skip


def worst(values: list[float | None]) -> float | None:
    """The largest, or None (never recovered) if any is None."""
    known = [value for value in values if value is not None]
    return None if len(known) < len(values) or not known else max(known)


async def run_data_saver(count: int, seconds: float, progress: Progress) -> dict[str, Any]:
    """A meeting of `count` on a clean link where all but the last have the web client's data
    saver on (camera off at join, others' videos paused until tapped: they receive audio
    only); the last joins as usual, camera on. Returns the most any data saver received."""
    clean = PRESETS["clean"].pipe()
    savers = count - 1
    async with emulated_link(count, clean, clean) as link:
        with tempfile.TemporaryDirectory(prefix="kamar-field-") as data:
            async with (
                kamar_server(link, Path(data)) as (origin, _pid),
                async_playwright() as playwright,
                participants(
                    playwright, link, origin, Path(data), count, progress, savers
                ) as people,
            ):
                joined = await wait_for_media(people, 60.0, False, progress)
                await _pause(3.0, "settling", progress)
                window = await _measure_window(link, people, seconds, progress)
    usage, figures = window["usage"], window["figures"]
    names = list(usage)
    saving = names[:savers]
    fps = [v.video_fps for name in saving for v in figures[name].values()]
    return {
        "participants": count,
        "what": f"kbit/s delivered to each of {savers} participants with the web client's "
        "data saver on (web/meeting/data_saver.js), over a clean link; one more joined without it, "
        "camera on",
        "media_after_join_s": joined,
        "kbps_down": {name: usage[name]["kbps_down"] for name in saving},
        "kbps_up": {name: usage[name]["kbps_up"] for name in saving},
        "packets_per_s_down": {name: usage[name]["packets_per_s_down"] for name in saving},
        "data_saver_kbps_down": max(usage[name]["kbps_down"] for name in saving),
        "video_fps_max": max(fps) if fps else 0.0,
        "heard_everyone": all(
            v.audio_concealed_ratio < 1 for name in saving for v in figures[name].values()
        ),
        "without_data_saver": {"participant": names[-1], **usage[names[-1]]},
        "window_s": round(window["seconds"], 1),
    }
