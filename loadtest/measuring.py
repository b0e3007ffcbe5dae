"""What every scenario measures the same way: the server it runs against, CPU and run-queue
time from /proc, a py-spy profile of the server, and the progress bar."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from loadtest.servers import ExternalServer, local_server


class MeasuredServer(Protocol):
    data_dir: Path

    @property
    def base_url(self) -> str: ...

    @property
    def pid(self) -> int | None: ...

    def cpu_seconds(self) -> tuple[float, float] | None: ...

    def rss_mb(self) -> float | None: ...


@contextlib.asynccontextmanager
async def measured_server(external: ExternalServer | None) -> AsyncIterator[MeasuredServer]:
    """The server given by --url, or one started here for the run."""
    if external is None:
        async with local_server() as server:
            yield server
    else:
        await external.start()
        yield external


def own_cpu_seconds() -> float:
    """User + system CPU of this process (the load generator)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def runqueue_wait_seconds(pid: int | str | None) -> float | None:
    """Seconds process `pid` ("self": this one) has been runnable without a core, from
    /proc/PID/schedstat (its main thread); None when unknown."""
    if pid is None:
        return None
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


async def start_profiler(
    server: MeasuredServer, output: Path, duration: float
) -> asyncio.subprocess.Process:
    """py-spy on the server for `duration` seconds: an SVG flame graph, or speedscope JSON
    for .json, or collapsed stacks (one per line) for .txt."""
    if server.pid is None:
        raise RuntimeError("--profile needs the server's process id (--pid)")
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        raise RuntimeError(f"--profile needs py-spy: {sys.executable} -m pip install py-spy")
    formats = {".json": "speedscope", ".txt": "raw"}
    output_format = formats.get(output.suffix, "flamegraph")
    return await asyncio.create_subprocess_exec(
        str(py_spy), "record", "--pid", str(server.pid), "--nonblocking", "--rate", "500",
        "--duration", str(max(1, int(duration))), "--format", output_format,
        "--output", str(output), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def progress_bar(fraction: float, width: int = 24) -> str:
    filled = int(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"
