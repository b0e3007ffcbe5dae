"""A free TCP port on loopback for a server a test starts (the kernel picks; the test binds it
next, and nothing else in the test's own network namespace races for it)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
