"""The community database: one async engine, migrations, one writer at a time on SQLite.

SQLite (the default, a file in the data directory) runs in WAL mode with synchronous=FULL, so
a committed transaction survives a crash of the process and of the machine; PostgreSQL is chosen
with a `postgresql://` URL. Every write goes through `Database.write()`: on SQLite an asyncio
lock serialises writers inside this process, which avoids SQLITE_BUSY on lock upgrades.

A SQLite file belongs to one server, which migrates it when it opens it. PostgreSQL may be
shared by several nodes, so it is migrated by its own command (`kamar migrate`, `migrate`
below) before the nodes start; a node finding an older schema refuses to start and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE = "kamar.db"
BUSY_TIMEOUT_MS = 10_000
# A PostgreSQL advisory lock key ("kamar" in ASCII): two `kamar migrate` at once (a deploy
# script on every node) run one after the other, and the second finds nothing to do.
MIGRATION_LOCK = 0x6B616D6172


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


class SchemaBehind(DatabaseUrlError):
    """A shared database whose schema is older than this Kamar: `kamar migrate` first."""


async def open_database(url: str, migrate: bool | None = None) -> Database:
    """Connect, check the schema and return the database. `migrate` None: a SQLite file is
    brought to the newest migration here, PostgreSQL must be there already (SchemaBehind)."""
    url = normalise_url(url)
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if migrate is None:
        migrate = engine.dialect.name == "sqlite"
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_schema if migrate else _require_newest_schema)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        raise DatabaseUrlError(f"cannot open the database {_shown(url)}: {exc}") from exc
    except BaseException:
        await engine.dispose()
        raise
    return Database(engine)


async def migrate(url: str) -> tuple[str | None, str]:
    """Bring the schema to the newest migration (`kamar migrate`); returns the revision before
    (None: an empty database) and after."""
    url = normalise_url(url)
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    try:
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                await conn.execute(lock, {"key": MIGRATION_LOCK})
            before = await conn.run_sync(_current_revision)
            await conn.run_sync(upgrade_schema)
    except (SQLAlchemyError, OSError) as exc:
        raise DatabaseUrlError(f"cannot migrate the database {_shown(url)}: {exc}") from exc
    finally:
        await engine.dispose()
    return before, newest_revision()


def upgrade_schema(connection: Connection) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def newest_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def _scripts() -> ScriptDirectory:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _require_newest_schema(connection: Connection) -> None:
    current, newest = _current_revision(connection), newest_revision()
    if current == newest:
        return
    if current is not None and current not in {s.revision for s in _scripts().walk_revisions()}:
        raise SchemaBehind(
            f"the database schema is at revision {current}, newer than this Kamar knows "
            f"(its newest is {newest}): run the newer Kamar"
        )
    raise SchemaBehind(
        f"the database schema is at revision {current or 'none (an empty database)'}, this "
        f"Kamar needs {newest}: run `kamar migrate` with the same --database-url first"
    )


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
