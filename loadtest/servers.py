"""The Kamar server a load test measures: one it starts itself on loopback (the default), or
one already running on this machine (`--url`), with CPU and memory read from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

# Seconds for a started server to answer /healthz: importing the media stack alone takes
# several seconds when other work shares the machine's cores.
START_TIMEOUT = 60.0


class ServerProcess:
    """`kamar serve` on loopback in a child process, with its CPU and memory from /proc."""

    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.extra_args = extra_args  # more `kamar serve` flags (the egress benchmark's)
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start it and wait until it answers. The port was free when chosen, but another
        process (the other test worker's server) may bind it before this one does, and then
        answer /healthz for it: the answer counts only once this process said it is running
        (bound its port), and one that lost the port starts again on another."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            log_path = self.data_dir / f"server-{self.port}.log"
            log = await asyncio.to_thread(log_path.open, "wb")
            with log:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "server", "serve", "--host", "127.0.0.1",
                    "--port", str(self.port), "--data", str(self.data_dir),
                    "--ice-host", "127.0.0.1", "--log-level", "warning",
                    "--no-rate-limits",  # sign-ups and posts far faster than people: docs/api.md
                    *self.extra_args,
                    stdout=log, stderr=asyncio.subprocess.STDOUT,
                )  # fmt: skip
            if await wait_until_running(self._exit_code, log_path, deadline):
                break
            self.port = free_port()  # it lost the port: another one
        await _wait_for_health(self.base_url, deadline - time.monotonic(), self.process)

    def _exit_code(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def cpu_seconds(self) -> tuple[float, float] | None:
        return process_cpu_seconds(self.pid)

    def rss_mb(self) -> float | None:
        return _rss_mb(self.pid)

    async def kill(self) -> None:
        """SIGKILL, as a crash or a power cut: nothing of the server runs after it."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def drain(self) -> None:
        """SIGTERM, as an orchestrator's rolling upgrade: the node drains (server/drain.py)."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()

    async def exited(self) -> None:
        if self.process is not None:
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM (SIGKILL after 10 s). A server that had already ended by itself with an
        error leaves what it said on stderr: its log lives in the data directory, which the
        load test deletes."""
        process = self.process
        if process is None:
            return
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        elif process.returncode > 0:  # not a signal: it ended by itself, with an error
            log = self.data_dir / f"server-{self.port}.log"
            said = await asyncio.to_thread(log.read_text, errors="replace")
            print(
                f"the Kamar server ended with {process.returncode}:\n{said[-4000:]}",
                file=sys.stderr,
            )


def free_port() -> int:
    """A free TCP port on loopback for a server the caller starts next."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def local_server(extra_args: tuple[str, ...] = ()) -> AsyncIterator[ServerProcess]:
    with tempfile.TemporaryDirectory(prefix="kamar-loadtest-") as data:
        server = ServerProcess(Path(data), extra_args)
        try:
            await server.start()
            yield server
        finally:
            await server.stop()


class ExternalServer:
    """A Kamar server someone started on this machine: its URL, its data directory (the load
    test signs join tokens with its secret) and, for CPU and memory figures, its process id."""

    def __init__(self, url: str, data_dir: Path, pid: int | None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"--url must look like http://127.0.0.1:8080, not {url!r}")
        host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            # Load goes to loopback only: the tool measures a server on the machine it runs on.
            raise ValueError(f"--url must be a loopback address, not {parts.hostname!r}")
        if not (data_dir / "secret.key").is_file():
            raise ValueError(f"{data_dir} holds no secret.key: pass the server's --data DIR")
        if pid is not None and not Path(f"/proc/{pid}").is_dir():
            raise ValueError(f"no process {pid}")
        self.base_url = f"http://{host}:{parts.port}"
        self.data_dir = data_dir
        self.pid = pid

    async def start(self) -> None:
        await _wait_for_health(self.base_url, 5.0, None)

    def cpu_seconds(self) -> tuple[float, float] | None:
        return process_cpu_seconds(self.pid)

    def rss_mb(self) -> float | None:
        return _rss_mb(self.pid)


async def wait_until_running(
    exit_code: Callable[[], int | None], log_path: Path, deadline: float
) -> bool:
    """A `kamar serve` child that writes to `log_path`: True once it says it is running
    (it bound its port); False when it exited because its port was taken (chosen free, then
    bound by another process first: start it again on another); an error for any other exit
    (`exit_code()` not None) or at the `deadline` (time.monotonic), with what it said. A
    /healthz answer before that may come from the process that took the port."""
    while time.monotonic() < deadline:
        output = await asyncio.to_thread(log_path.read_text, errors="replace")
        if "Kamar is running" in output:
            return True
        if exit_code() is not None:
            if "address already in use" in output.lower():
                return False
            raise RuntimeError(f"the server exited with {exit_code()}:\n{output[-2000:]}")
        await asyncio.sleep(0.1)
    output = await asyncio.to_thread(log_path.read_text, errors="replace")
    raise RuntimeError(f"the server did not start in time:\n{output[-2000:]}")


async def _wait_for_health(
    base_url: str, limit: float, process: asyncio.subprocess.Process | None
) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process is not None and process.returncode is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(base_url + "/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base_url} did not answer /healthz within {limit:g} s")


def process_cpu_seconds(pid: int | None) -> tuple[float, float] | None:
    """(user, system) CPU seconds of process `pid` so far, all its threads.

    /proc's stat fields 14 and 15 count 10 ms ticks: over 20 s at ten subscribers (1,270
    packets a second) one tick is 0.4 µs per packet, as much as the differences worth
    measuring. The process's CPU clock (clock_getcpuclockid(3); Python has no call for it,
    but Linux numbers that clock from the pid, see `_process_cpu_clock`) counts nanoseconds;
    it gives the total, and the ticks only split it into user and system time."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    user, system = int(fields[11]) / tick, int(fields[12]) / tick
    try:
        total = time.clock_gettime(_process_cpu_clock(pid))
    except OSError:  # not Linux's numbering, or the process just ended: ticks it is
        return user, system
    if user + system <= 0:
        return total, 0.0
    return total * user / (user + system), total * system / (user + system)


def _process_cpu_clock(pid: int) -> int:
    """The clock id of a process's CPU time on Linux: MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    of the kernel's posix-timers.h, what glibc's clock_getcpuclockid returns."""
    return ((~pid) << 3) | 2


def _rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")
