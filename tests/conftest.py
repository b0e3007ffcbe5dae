"""Shared fixtures: an in-process Kamar server on loopback, and the network-namespace guard."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, settings

from loadtest.client import SyntheticParticipant
from rooms.meeting import grants
from server.app import build_app
from server.config import Config, load_secret
from signalling.ws import SERVICES_KEY
from tests.rooms.conftest import CHEAP_HASHER

pytest_plugins = ["tests.databases", "tests.server.api_client"]

# Fuzzing profiles (docs/security.md). "ci": few examples, derandomized, so the suite stays fast
# and a run is repeatable; "long" (scripts/fuzz): many random examples, for hunting.
settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("KAMAR_FUZZ_PROFILE", "ci"))


def only_loopback_here() -> bool:
    """True inside a network namespace whose only interface is lo (scripts/test makes one)."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if line.strip()]
    return names == ["lo"]


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Byte strings are named by their length, not their content: some are built with random
    STUN transaction ids, and every pytest-xdist worker must collect the same test names
    (pytest numbers equal names apart)."""
    return f"{len(val)}bytes" if isinstance(val, bytes) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(item.get_closest_marker("webrtc") for item in items) and not only_loopback_here():
        reason = (
            "WebRTC tests must run in a private network namespace with only lo up: "
            "use scripts/test (it runs pytest under `unshare --net`)"
        )
        for item in items:
            if item.get_closest_marker("webrtc"):
                item.add_marker(pytest.mark.xfail(reason=reason, run=False, strict=True))


@dataclass
class RunningServer:
    server: TestServer
    secret: str

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws"

    def token(self, room: str, identity: str, **kwargs: Any) -> str:
        ttl = kwargs.pop("ttl", 600)
        now = kwargs.pop("now", int(time.time()))
        grant = grants.JoinGrant(
            meeting=room, identity=identity, name=kwargs.pop("name", identity), **kwargs
        )
        return grants.mint(grant, self.secret, now, ttl=ttl)


@contextlib.asynccontextmanager
async def running_kamar(tmp_path: Path, **settings: Any) -> AsyncIterator[RunningServer]:
    """A server on loopback with its data in `tmp_path`; `settings` change its Config."""
    config = Config(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path,
        ice_hosts=("127.0.0.1",),
        dev_tokens=True,
        **settings,
    )
    # Cheap argon2: browser tests register and sign in often, on a loaded machine.
    server = TestServer(build_app(config, password_hasher=CHEAP_HASHER), host="127.0.0.1", port=0)
    await server.start_server()
    services = server.app[SERVICES_KEY]
    try:
        yield RunningServer(server=server, secret=load_secret(tmp_path))
        # Let every session close its peer connections before the loop goes away.
        await eventually(lambda: not services.live_sessions, what="sessions to end")
    finally:
        await server.close()


@pytest.fixture
async def kamar(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with running_kamar(tmp_path) as running:
        yield running


@contextlib.asynccontextmanager
async def participants(
    kamar: RunningServer, room: str, *identities: str, receive: str = "decode"
) -> AsyncIterator[list[SyntheticParticipant]]:
    """Synthetic participants joined to `room` in order, closed again afterwards."""
    members = [
        SyntheticParticipant(kamar.ws_url, kamar.token(room, identity), room=room, receive=receive)
        for identity in identities
    ]
    try:
        for member in members:
            await member.join()
        yield members
    finally:
        for member in members:
            await member.close()


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0, what: str = ""
) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.05)
