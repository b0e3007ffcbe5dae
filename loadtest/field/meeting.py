"""A meeting behind the emulated link: the emulator, `kamar serve` in the server's namespace and
one Chromium per participant in its own, everything stopped and removed on the way out (also on
Ctrl-C or failure: the namespaces live only as long as the emulator process)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from playwright.async_api import Playwright

from loadtest.field.browsers import Participant, chromium_in, open_participant
from loadtest.field.control import EmulatedLink
from loadtest.field.metrics import Sample
from rooms.meeting import grants
from server.config import load_secret

SERVER_PORT = 8080  # inside the server's own namespace: nothing else can hold it
ROOM = "lapangan"
START_LIMIT_S = 120.0  # a deadline, not a wait: a loaded 2-core machine took over 30 s to start it
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@contextlib.asynccontextmanager
async def kamar_server(link: EmulatedLink, data_dir: Path) -> AsyncIterator[tuple[str, int]]:
    """`kamar serve` in the server's namespace, on its link address; yields (origin, pid)."""
    address = link.server_address
    log = (data_dir / "server.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *link.enter(0), sys.executable, "-m", "server", "serve", "--host", address,
        "--port", str(SERVER_PORT), "--data", str(data_dir), "--ice-host", address,
        "--log-level", "warning",
        stdout=log, stderr=log, preexec_fn=_end_with_parent,
    )  # fmt: skip
    origin = f"http://{address}:{SERVER_PORT}"
    try:
        probe = await asyncio.create_subprocess_exec(
            *link.enter(0), sys.executable, "-m", "loadtest.field.probe", "health",
            f"{origin}/healthz", str(START_LIMIT_S),
        )  # fmt: skip
        if await probe.wait() != 0:
            tail = (data_dir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the Kamar server did not start:\n{tail}")
        yield origin, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


def _end_with_parent() -> None:
    """In the child before exec: a SIGTERM when this process dies, even by SIGKILL, so no
    server outlives the benchmark (prctl(2) PR_SET_PDEATHSIG survives execve)."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def join_url(origin: str, data_dir: Path, name: str) -> str:
    grant = grants.JoinGrant(meeting=ROOM, identity=name, name=name)
    token = grants.mint(grant, load_secret(data_dir), int(time.time()), ttl=3600)
    return f"{origin}/r/{ROOM}?token={token}"


@contextlib.asynccontextmanager
async def participants(
    playwright: Playwright,
    link: EmulatedLink,
    origin: str,
    data_dir: Path,
    count: int,
    progress: Callable[[str], None],
    data_savers: int = 0,
) -> AsyncIterator[list[Participant]]:
    """`count` browsers joined to the room; the first `data_savers` with data saver on."""
    joined: list[Participant] = []
    with tempfile.TemporaryDirectory(prefix="kamar-field-chromium-") as workdir:
        try:
            for index in range(count):
                name = f"p{index + 1}"
                progress(f"starting {name}'s browser ({index + 1} of {count})")
                wrapper = chromium_in(link.enter(1 + index), Path(workdir), name)
                url = join_url(origin, data_dir, name)
                saver = index < data_savers
                joined.append(await open_participant(playwright, wrapper, origin, url, name, saver))
            yield joined
        finally:
            for participant in joined:
                with contextlib.suppress(Exception):  # a browser that already died
                    await participant.close()


def receives_all(sample: Sample | None, others: list[str], video: bool = True) -> bool:
    """True once this sample shows audio (and video) arriving from every name in `others`."""
    if sample is None:
        return False
    for name in others:
        counters = sample["from"].get(name, {})
        if counters.get("audio", {}).get("totalSamplesReceived", 0) <= 0:
            return False
        if video and counters.get("video", {}).get("framesDecoded", 0) <= 0:
            return False
    return True


async def wait_for_media(
    people: list[Participant],
    limit_s: float,
    video: bool,
    progress: Callable[[str], None],
    everyone: list[str] | None = None,
) -> dict[str, float | None]:
    """Seconds until each of `people` received from everyone else (all of `people`, or the
    names in `everyone`), None past `limit_s`."""
    names = everyone or [p.name for p in people]
    started = time.time()
    ready: dict[str, float | None] = dict.fromkeys(p.name for p in people)
    while time.time() - started < limit_s:
        for person in people:
            if ready[person.name] is None:
                latest = await person.samples(time.time() - 1.0)
                others = [n for n in names if n != person.name]
                if receives_all(latest[-1] if latest else None, others, video):
                    ready[person.name] = round(time.time() - started, 1)
        waiting = [name for name, at in ready.items() if at is None]
        if not waiting:
            break
        progress(f"waiting for media: {', '.join(waiting)} ({time.time() - started:.0f} s)")
        await asyncio.sleep(0.5)  # poll the pages, with the deadline above
    return ready
