"""Chromium participants, each in its own network namespace behind the emulated link.

Playwright drives each browser over a pipe, so the namespace does not matter for control: the
browser is started through a small wrapper that enters the participant's namespace
(`nsenter --net=...`) and execs Debian's Chromium. Every page samples its receive statistics
every SAMPLE_MS into `window.__field` (see loadtest/field/metrics.py for what is kept).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/whole/browser/conftest.py, with fake camera and microphone
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--no-sandbox",  # root here; the page only ever talks to our own server over the link
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2}
SAMPLE_MS = 250
MAX_SAMPLES = 8000  # 33 minutes at SAMPLE_MS: bounded memory in the page

# Running totals per sender name and per counter, from the subscribe connection's inbound-rtp
# stats. A connection replaced after a reconnect starts its counters from zero again: keying
# the previous values by connection keeps the totals monotonic.
SAMPLER = """
(() => {
  if (window.__field) return;
  const field = { samples: [], totals: {}, last: new Map(), ids: new WeakMap(), next: 1 };
  window.__field = field;
  const COUNTERS = {
    audio: ["concealedSamples", "totalSamplesReceived", "packetsReceived"],
    video: ["framesDecoded", "freezeCount", "totalFreezesDuration", "packetsReceived"],
  };
  const pcId = (pc) => {
    if (!field.ids.has(pc)) field.ids.set(pc, field.next++);
    return field.ids.get(pc);
  };
  async function sample() {
    const debug = window.kamarDebug;
    const client = debug && debug.client;
    const pc = client && client.subscribePc;
    if (pc) {
      const id = pcId(pc);
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        const info = client.tracks[s.mid];
        if (!info || (info.source && info.source !== "camera")) return;
        const who = client.participants.get(info.participant_id);
        const name = who ? who.name : info.participant_id;
        const mine = (field.totals[name] ||= { audio: {}, video: {} });
        const slot = mine[s.kind];
        if (!slot) return;
        for (const counter of COUNTERS[s.kind]) {
          const key = `${id}:${s.id}:${counter}`;
          const value = s[counter] || 0;
          slot[counter] = (slot[counter] || 0) + Math.max(0, value - (field.last.get(key) || 0));
          field.last.set(key, value);
        }
        if (s.kind === "video") {
          slot.frameWidth = s.frameWidth || 0;
          slot.frameHeight = s.frameHeight || 0;
        }
      });
    }
    field.samples.push({
      t: Date.now(), phase: debug ? debug.state.phase : null,
      from: JSON.parse(JSON.stringify(field.totals)),
    });
    if (field.samples.length > MAX_SAMPLES) field.samples.shift();
  }
  const tick = () => sample().catch(() => {}).finally(() => setTimeout(tick, SAMPLE_MS));
  tick();
})();
""".replace("MAX_SAMPLES", str(MAX_SAMPLES)).replace("SAMPLE_MS", str(SAMPLE_MS))

# The web client's data saver ("Hemat data", web/meeting/data_saver.js), switched on as a
# member would have left it on this device: camera off at join, everyone's video paused until
# tapped.
DATA_SAVER_ON = "localStorage.setItem('kamar.dataSaver', '1');"


@dataclass
class Participant:
    name: str
    browser: Browser
    page: Page
    errors: list[str]

    async def samples(self, since_s: float = 0.0) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.page.evaluate(
            "(since) => window.__field ? window.__field.samples.filter((s) => s.t >= since) : []",
            since_s * 1000,
        )
        return result

    async def close(self) -> None:
        await self.browser.close()


def chromium_in(namespace_prefix: list[str], workdir: Path, name: str) -> Path:
    """A script that starts Chromium inside a namespace, for Playwright's executable_path."""
    wrapper = workdir / f"chromium-{name}"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.join(namespace_prefix)} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


async def open_participant(
    playwright: Playwright, wrapper: Path, origin: str, url: str, name: str, data_saver: bool
) -> Participant:
    """Start a browser through `wrapper` and open the room at `url`, in data-saver mode or
    not; returns once the page loaded (joining continues over the link)."""
    browser = await playwright.chromium.launch(
        executable_path=str(wrapper),
        # The server is plain HTTP on a non-loopback address: let camera and microphone work.
        args=[*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={origin}"],
    )
    try:
        context = await browser.new_context(**PHONE)  # type: ignore[arg-type]
        await context.add_init_script(SAMPLER)
        if data_saver:
            await context.add_init_script(DATA_SAVER_ON)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url, timeout=60_000)
    except BaseException:
        await browser.close()
        raise
    return Participant(name, browser, page, errors)
