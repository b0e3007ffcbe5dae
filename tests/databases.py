"""Database fixtures: every storage test runs on SQLite and on a real PostgreSQL server.

PostgreSQL is started by the test session itself, on 127.0.0.1 and a free port, from the
server binaries Debian installs (scripts/test installs the package when they are missing):
the tests run inside a private network namespace, where the machine's own server on
127.0.0.1:5432 cannot be reached. Missing binaries fail the run rather than skip PostgreSQL.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from rooms.community.database import migrate
from tests.ports import free_port

_databases = itertools.count(1)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package creates the `postgres` account.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for this test session; yields its base URL."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries are missing: scripts/test installs postgresql")
    base = Path(tempfile.mkdtemp(prefix="kamar-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(data), "-U", "kamar", "--auth=trust", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    # fsync off: these are test data; the durability test runs against SQLite's real settings.
    options = f"-h 127.0.0.1 -p {port} -k {base} -F -c max_connections=200"
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w"]
            + ["start"]
        ),
        check=True,
        capture_output=True,
    )
    base_url = f"postgresql://kamar@127.0.0.1:{port}"
    try:
        # This fixture may be first asked for from inside a running event loop (an async
        # fixture), where asyncio.run is not allowed: give the template its own thread.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(_migrated_template(base_url))).result()
        yield base_url
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        # Every test's database is a copy of the template: thousands of files, which took
        # 30-70 s to remove at the end of a run. A process of its own removes them meanwhile.
        # (sh returns at once; its rm goes on, so no child of ours is left running.)
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$0" &', str(base)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip


TEMPLATE = "kamar_template"


async def _migrated_template(base: str) -> None:
    """One migrated database that every test's database is copied from: copying is much
    cheaper than running the migrations for each test."""
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await admin.close()
    await migrate(f"{base}/{TEMPLATE}")


async def _fresh_postgres_database(base: str) -> str:
    name = f"kamar_test_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, one per test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kamar.db'}"
    return await _fresh_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
async def empty_postgresql_url(postgres_server: str) -> str:
    """A PostgreSQL database without even the migrations' schema (`kamar migrate` tests)."""
    name = f"kamar_empty_{os.getpid()}_{next(_databases)}"
    admin = await asyncpg.connect(f"{postgres_server}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{postgres_server}/{name}"


@pytest.fixture
async def database_url_postgresql(postgres_server: str) -> str:
    """An empty PostgreSQL database, for tests that choose their backend themselves."""
    return await _fresh_postgres_database(postgres_server)
