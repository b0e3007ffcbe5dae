"""A free TCP port on loopback for a server a test starts (the kernel picks; the test binds it
next, and nothing else in the test's own network namespace races for it): the load tests' own."""

from __future__ import annotations

from loadtest.servers import free_port

__all__ = ["free_port"]
