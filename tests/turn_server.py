"""A real coturn (Debian's `turnserver`) on loopback for a test, checking Kamar's TURN REST
credentials with `use-auth-secret` (docs/security.md, README "TURN")."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port

TURNSERVER = "/usr/bin/turnserver"
SECRET = "kamar-test-turn-secret-0123456789"


@dataclass(frozen=True)
class Coturn:
    port: int
    secret: str

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def urls(self) -> tuple[str, str]:
        """The same server over UDP and over TCP."""
        return (f"turn:127.0.0.1:{self.port}", f"turn:127.0.0.1:{self.port}?transport=tcp")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_coturn(tmp_path: Path) -> Iterator[Coturn]:
    """coturn on 127.0.0.1 only, relaying to loopback peers (Kamar's ICE host is 127.0.0.1)."""
    if shutil.which(TURNSERVER) is None:
        pytest.fail(f"{TURNSERVER} is missing: scripts/test installs Debian's coturn package")
    port = free_port()
    relay_base = 40000 + port % 20000  # a relay range of its own, apart from Kamar's ICE ports
    command = [
        TURNSERVER,
        "-n",  # no configuration file: everything is on this line
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--min-port={relay_base}",
        f"--max-port={relay_base + 200}",
        "--use-auth-secret",
        f"--static-auth-secret={SECRET}",
        "--realm=kamar.test",
        "--allow-loopback-peers",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        f"--userdb={tmp_path / 'turndb'}",
        f"--pidfile={tmp_path / 'turnserver.pid'}",
        f"--log-file={tmp_path / 'turnserver.log'}",
        "--simple-log",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10.0
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (tmp_path / "turnserver.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"coturn did not start (exit {process.poll()}):\n{log}")
            time.sleep(0.05)
        yield Coturn(port=port, secret=SECRET)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
