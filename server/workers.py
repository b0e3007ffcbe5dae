"""`kamar serve --workers N`: one command that uses every core of one machine.

A Kamar process runs on one core (its SFU and signalling share one event loop), so one machine
serves a deployment with several processes. The process started by `kamar serve --workers N`
becomes a supervisor: it prepares what must happen once (the database migration, the signing
secret and push key in the shared data directory, a check that Redis answers), then starts N
worker processes and keeps them running. Each worker is an ordinary node of a `--redis`
deployment (docs/cluster.md) with its own node id, and listens twice:

- on the shared public port, with SO_REUSEPORT: the kernel hands each new connection to one of
  the workers, so a load balancer and the browsers see one address. A meeting socket that lands
  on a worker not hosting its meeting is relayed to the hosting worker (signalling/relay.py);
- on a private port of its own, its `--node-url`, where the other workers relay sockets to it:
  on 127.0.0.1 with a port from the kernel, or with `--node-url http://ADDR:PORT` given, on
  ADDR at PORT + index, so nodes on other machines can reach each worker too. The cascade's
  UDP relay socket (server/cascade.py) is on the same address, at `--relay-port` + index when
  one is given.

Media needs no split: Kamar has no configured UDP port range, and each worker's ICE sockets take
free ports from the kernel on the `--ice-host` addresses, as nodes on one machine always did.

The deployment-wide sweeps (event reminders, upload expiry, insight upkeep) run in worker 0
only. They would be safe in all of them (each claims its rows with one UPDATE or DELETE ...
RETURNING, and the roll-up takes an advisory lock), but N copies would only compete. Worker 0
restarted is worker 0 again.

A worker that exits is started again after a delay that doubles from RESTART_DELAY to
MAX_RESTART_DELAY (back to the first after a worker ran STEADY_AFTER seconds). A worker that
could not start (a bad setting, a port taken: exit codes 2 and 3) stops the whole supervisor,
since starting it again would fail the same way. SIGTERM drains every worker (server/drain.py)
and exits 0 once they all have; SIGINT, or a second SIGTERM, stops them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.community import database
from server.config import Config, ConfigError, load_secret
from server.push import load_vapid

log = logging.getLogger(__name__)

RESTART_DELAY = 0.5  # seconds before a worker that exited is started again, at first
MAX_RESTART_DELAY = 30.0
STEADY_AFTER = 60.0  # a worker that ran this long restarts after RESTART_DELAY again
REDIS_CHECK_TIMEOUT = 5.0
EXIT_CANNOT_START = 3  # a worker that could not listen; 2 is a bad setting (server/cli.py)
FATAL_EXITS = (2, EXIT_CANNOT_START)
JOBS_WORKER = 0  # the worker that runs the deployment-wide sweeps
PR_SET_PDEATHSIG = 1  # prctl(2)


def prepare(config: Config) -> None:
    """What must happen once before the workers start, not N times at once: the schema
    migration, and the secret and push key files, which each worker would otherwise race to
    create (two workers could each write a different push key)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    before, after = asyncio.run(database.migrate(config.effective_database_url))
    if before != after:
        print(f"the database schema was migrated from {before or 'nothing'} to {after}")
    load_secret(config.data_dir)
    load_vapid(config.data_dir)
    asyncio.run(_check_redis(config.redis_url))


async def _check_redis(url: str) -> None:
    client = Redis.from_url(url, socket_connect_timeout=REDIS_CHECK_TIMEOUT)
    try:
        await asyncio.wait_for(client.ping(), REDIS_CHECK_TIMEOUT)
    except (RedisError, OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach Redis at {url}: {exc}") from exc
    finally:
        await client.aclose()


def worker_command(serve_argv: Sequence[str]) -> Callable[[int], list[str]]:
    """The command of worker `index`: this `kamar serve` command line, told which worker it is
    (the worker reads the same settings file and environment)."""

    def command(index: int) -> list[str]:
        return [sys.executable, "-m", "server", *serve_argv, "--worker-index", str(index)]

    return command


def private_listener(config: Config, index: int) -> tuple[socket.socket, str]:
    """Worker `index`'s own bound socket and its node URL, how the other workers reach it."""
    if config.node_url:
        parts = urlsplit(config.node_url)
        if parts.hostname is None or parts.port is None:
            raise ConfigError("with workers, node_url needs an address and a port")
        host, port, scheme = parts.hostname, parts.port + index, parts.scheme
    else:
        host, port, scheme = "127.0.0.1", 0, "http"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restarted worker rebinds
    sock.bind((host, port))
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    return sock, f"{scheme}://{shown}:{sock.getsockname()[1]}"


def relay_port(config: Config, index: int) -> int:
    """Worker `index`'s UDP port for the cascade: `relay_port` + index, or any free port."""
    return config.relay_port + index if config.relay_port else 0


class Supervisor:
    """Keeps `count` workers running until a signal stops them (see the module's text)."""

    def __init__(self, command: Callable[[int], list[str]], count: int) -> None:
        self._command = command
        self._count = count
        self._running: dict[int, asyncio.subprocess.Process] = {}
        self._stopping: signal.Signals | None = None
        self._stopped = asyncio.Event()  # wakes workers waiting to be started again
        self._failed = False

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)
        loop.add_signal_handler(signal.SIGINT, self.stop, signal.SIGINT)
        try:
            await asyncio.gather(*(self._keep(index) for index in range(self._count)))
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            loop.remove_signal_handler(signal.SIGINT)
        return 1 if self._failed else 0

    def _on_sigterm(self) -> None:
        self.stop(signal.SIGTERM if self._stopping is None else signal.SIGINT)

    def stop(self, how: signal.Signals) -> None:
        """SIGTERM: every worker drains; SIGINT: every worker stops at once."""
        if self._stopping == signal.SIGINT:
            return
        self._stopping = how
        self._stopped.set()
        if how == signal.SIGTERM:
            log.info("draining %d workers", len(self._running))
        for process in self._running.values():
            _send(process, how)

    async def _keep(self, index: int) -> None:
        loop = asyncio.get_running_loop()
        delay = RESTART_DELAY
        while self._stopping is None:
            started = loop.time()
            process = await asyncio.create_subprocess_exec(
                *self._command(index), preexec_fn=_end_with_parent
            )
            self._running[index] = process
            if self._stopping is not None:  # a signal came while it was being started
                _send(process, self._stopping)
            log.info("worker %d started (pid %d)", index, process.pid)
            code = await process.wait()
            del self._running[index]
            if self._stopping is not None:
                log.info("worker %d stopped (%s)", index, _describe(code))
                return
            if code in FATAL_EXITS:
                log.error("worker %d could not start (%s): stopping", index, _describe(code))
                self._failed = True
                self.stop(signal.SIGINT)
                return
            if loop.time() - started >= STEADY_AFTER:
                delay = RESTART_DELAY
            log.warning(
                "worker %d ended (%s); starting it again in %.1f s", index, _describe(code), delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)
            delay = min(delay * 2, MAX_RESTART_DELAY)


def _send(process: asyncio.subprocess.Process, how: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just exited
        process.send_signal(how)


def _describe(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _end_with_parent() -> None:
    """In the worker before exec: SIGTERM (a drain) when the supervisor dies, even by SIGKILL,
    so no worker is left holding the port unsupervised (PR_SET_PDEATHSIG survives execve)."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
