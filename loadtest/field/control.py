"""The benchmark's handle on the emulator process (loadtest/field/emulator.py): start it, enter
its namespaces, change or cut the link, read its counters; stopping it removes the namespaces."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from typing import Any

from loadtest.field.link import PipeConfig

START_LIMIT = 20.0  # seconds for the emulator to build its namespaces


class EmulatedLink:
    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, Any]) -> None:
        self.process = process
        self.namespaces: list[str] = ready["namespaces"]
        self.server_address: str = ready["server"]
        self.participant_addresses: list[str] = ready["participants"]
        self._lock = asyncio.Lock()

    def enter(self, index: int) -> list[str]:
        """The command prefix that runs a program in namespace `index` (0: the server's,
        1 + k: participant k's)."""
        return ["nsenter", f"--net={self.namespaces[index]}", "--"]

    async def request(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        async with self._lock:
            self.process.stdin.write(json.dumps(command).encode() + b"\n")
            await self.process.stdin.drain()
            line = await asyncio.wait_for(self.process.stdout.readline(), 10)
        if not line:
            raise RuntimeError("the link emulator ended")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise ValueError(f"link emulator: {reply['error']}")
        return reply

    async def configure(self, up: PipeConfig, down: PipeConfig) -> None:
        await self.request({"op": "set", "up": asdict(up), "down": asdict(down)})

    async def cut(self, seconds: float) -> None:
        await self.request({"op": "down", "seconds": seconds})

    async def stats(self) -> dict[str, Any]:
        return await self.request({"op": "stats"})


@contextlib.asynccontextmanager
async def emulated_link(
    participants: int, up: PipeConfig, down: PipeConfig, seed: int = 1
) -> AsyncIterator[EmulatedLink]:
    settings = {"participants": participants, "up": asdict(up), "down": asdict(down), "seed": seed}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtest.field.emulator", json.dumps(settings),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_LIMIT)
        if not line:
            raise RuntimeError(f"the link emulator exited with {await process.wait()}")
        yield EmulatedLink(process, json.loads(line))
    finally:
        await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    if process.stdin is not None:
        process.stdin.close()  # end of input: it closes its namespaces and exits
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        process.kill()
        await process.wait()


PROBE_PORT = 9
PING_SIZE = 100  # small: 100 a second stays far under any rate we emulate, so no queue builds
BURST_SIZE = 1000


async def measure_link(
    link: EmulatedLink,
    up: PipeConfig,
    down: PipeConfig,
    pings: int = 300,
    interval_ms: float = 10,
    burst: int = 60,
) -> dict[str, Any]:
    """Check the link (configured `up` and `down`) before trusting it: UDP pings from
    participant 0 to an echo in the server's namespace (round-trip time, share lost both ways),
    then, with loss turned off for a moment (a lost echo would leave a gap), a burst whose
    echoes come back at the bottleneck rate. Run on an otherwise idle link."""
    echo = await asyncio.create_subprocess_exec(
        *link.enter(0), sys.executable, "-m", "loadtest.field.probe", "echo", str(PROBE_PORT),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert echo.stdout is not None
        if await asyncio.wait_for(echo.stdout.readline(), START_LIMIT) != b"ready\n":
            raise RuntimeError("the echo probe did not start")
        server = link.server_address
        ping = await _probe(link, "ping", server, PROBE_PORT, pings, interval_ms, PING_SIZE)
        await link.configure(replace(up, loss=0.0), replace(down, loss=0.0))
        try:
            flood = await _probe(link, "burst", server, PROBE_PORT, burst, BURST_SIZE)
        finally:
            await link.configure(up, down)
    finally:
        echo.kill()
        await echo.wait()
    return {**ping, "burst_sent": flood["sent"], "burst_received": flood["received"],
            "throughput_kbps": flood["kbps"]}  # fmt: skip


async def _probe(link: EmulatedLink, *args: object) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        *link.enter(1), sys.executable, "-m", "loadtest.field.probe", *map(str, args),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    if process.returncode != 0:
        raise RuntimeError(f"the {args[0]} probe failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result
