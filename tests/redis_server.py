"""A real Redis server for the tests that need one: started from Debian's `redis-server` on
127.0.0.1 and a free port inside the test's own network namespace (the machine's server on
6379 cannot be reached from there), keeping nothing on disk. scripts/test installs the package."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from loadtest.redis_server import RedisProcess


class RedisServer(RedisProcess):
    """loadtest's throwaway Redis, failing the test (not erroring) when it cannot start."""

    def __init__(self) -> None:
        try:
            super().__init__()
        except RuntimeError:
            pytest.fail("redis-server is missing: scripts/test installs the redis-server package")

    def start(self) -> None:
        try:
            super().start()
        except RuntimeError as exc:
            pytest.fail(str(exc))


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server
