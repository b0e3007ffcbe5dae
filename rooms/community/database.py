"""The community database: one async engine, migrations on start, one writer at a time on SQLite.

SQLite (the default, a file in the data directory) runs in WAL mode with synchronous=FULL, so
a committed transaction survives a crash of the process and of the machine; PostgreSQL is chosen
with a `postgresql://` URL. Every write goes through `Database.write()`: on SQLite an asyncio
lock serialises writers inside this process, which avoids SQLITE_BUSY on lock upgrades.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "kamar.db"
BUSY_TIMEOUT_MS = 10_000


class DatabaseUrlError(ValueError):
    """A database this server cannot use (bad URL, unreachable, not writable); says why."""


def normalise_url(url: str) -> str:
    """Accept the URLs people write (postgresql://, sqlite:///) and pick the async drivers."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseUrlError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise DatabaseUrlError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def default_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE).resolve()}"


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends without an exception."""
        if self.is_sqlite:
            async with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def close(self) -> None:
        await self.engine.dispose()


async def open_database(url: str) -> Database:
    """Connect, bring the schema to the newest migration, and return the database."""
    url = normalise_url(url)
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_schema)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        raise DatabaseUrlError(f"cannot open the database {shown}: {exc}") from exc
    except BaseException:
        await engine.dispose()
        raise
    return Database(engine)


def upgrade_schema(connection: Connection) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
