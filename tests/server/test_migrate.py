"""`kamar migrate`: SQLite migrates itself when a server opens it; PostgreSQL, which several
nodes may share, is migrated by this command alone, and a node refuses an older schema."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from rooms.community.bus import LocalBus
from rooms.community.community import open_community
from rooms.community.database import SchemaBehind, migrate, newest_revision
from server.cli import main
from signalling.events import encode


def test_migrate_makes_the_sqlite_schema_and_then_finds_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["migrate", "--data", str(data)]) == 0
    newest = newest_revision()
    assert (
        capsys.readouterr().out
        == f"the database schema was migrated from nothing to revision {newest}\n"
    )
    assert (data / "kamar.db").exists()
    assert main(["migrate", "--data", str(data)]) == 0
    assert capsys.readouterr().out == f"the database schema is up to date (revision {newest})\n"


async def test_a_node_refuses_an_unmigrated_postgresql_until_kamar_migrate_runs(
    empty_postgresql_url: str, tmp_path: Path
) -> None:
    with pytest.raises(SchemaBehind, match="none .an empty database.*run `kamar migrate`"):
        await open_community(empty_postgresql_url, tmp_path, time.time, bus=LocalBus(encode))
    command = ["migrate", "--database-url", empty_postgresql_url, "--data", str(tmp_path)]
    assert await asyncio.to_thread(main, command) == 0
    community = await open_community(
        empty_postgresql_url, tmp_path, time.time, bus=LocalBus(encode)
    )
    await community.close()


async def test_two_migrations_at_once_run_one_after_the_other(empty_postgresql_url: str) -> None:
    # Without the advisory lock the two wait on each other's tables for good: fail instead.
    both = asyncio.gather(migrate(empty_postgresql_url), migrate(empty_postgresql_url))
    results = await asyncio.wait_for(both, timeout=60)
    newest = newest_revision()
    assert sorted(results, key=lambda r: r[0] or "") == [(None, newest), (newest, newest)]
