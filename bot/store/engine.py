"""The database: one engine, the schema's version, and the only places SQLite and
PostgreSQL differ."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import ConfigError, SchemaError
from bot.store import schema

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration; a test checks it against Alembic's own idea of head.
HEAD_REVISION = "0008"
# Any fixed 64-bit number: every statusbot process sharing a database takes the same lock.
SCHEMA_LOCK_KEY = 0x5354415455534254


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @sa_event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    try:
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        # asyncpg is the `postgres` extra: say how to get it instead of a traceback.
        raise ConfigError(
            f"store.url: the database driver {exc.name!r} is not installed "
            "(for PostgreSQL: pip install 'statusbot[postgres]')"
        ) from None


def lock_schema(sync_conn: Any) -> None:
    """Processes sharing a PostgreSQL database change its schema one at a time.

    The lock is held until the transaction ends; a SQLite file has one process.
    """
    if sync_conn.dialect.name == "postgresql":
        sync_conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


def sqlite_file_missing(url: str) -> str | None:
    """The path of a SQLite database file that does not exist yet, else None."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database).exists() else parsed.database


def known_revision(revision: str) -> bool:
    """Whether this version's migrations know `revision` (an older schema, not a newer one)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def upgrade_schema(sync_conn: Any) -> None:
    # Alembic costs ~10 MB of memory: import it only when there is something to migrate.
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


def create_fresh_schema(sync_conn: Any) -> None:
    """An empty database gets the head schema and Alembic's stamp, without loading Alembic.

    This is what the migrations do on an empty database (see 0001's docstring).
    """
    schema.metadata.create_all(sync_conn)
    version = sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), primary_key=True),
    )
    version.create(sync_conn)
    sync_conn.execute(version.insert().values(version_num=HEAD_REVISION))


def is_empty(sync_conn: Any) -> bool:
    return not sa.inspect(sync_conn).get_table_names()


def current_revision(sync_conn: Any) -> str | None:
    if not sa.inspect(sync_conn).has_table("alembic_version"):
        return None
    revision: str | None = sync_conn.execute(
        sa.text("SELECT version_num FROM alembic_version")
    ).scalar()
    return revision


Unlisten = Callable[[], Awaitable[None]]


class Database:
    """One engine every repository shares; `shared` when several processes may use it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # A SQLite file belongs to one process; a server database may be shared by several.
        self.shared = not url.startswith("sqlite")
        # Signs this process's notifications, so that it does not answer its own.
        self.token = uuid.uuid4().hex

    async def notify(self, conn: AsyncConnection, channel: str) -> None:
        """Tell other processes sharing the database, when `conn`'s transaction commits."""
        if self.shared:
            await conn.execute(sa.select(sa.func.pg_notify(channel, self.token)))

    async def listen(self, channel: str, callback: Callable[[], None]) -> Unlisten | None:
        """Call `callback` on every `notify` to `channel` by another process (PostgreSQL
        LISTEN on a connection held for it). None on SQLite: one process, nobody to hear."""
        if not self.shared:
            return None

        def heard(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            if payload != self.token:
                callback()

        conn = await self.engine.connect()
        try:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(channel, heard)
        except BaseException:
            await asyncio.shield(conn.close())  # cancelled half way: leave nothing open
            raise

        async def unlisten() -> None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                await driver.remove_listener(channel, heard)
            await conn.close()

        return unlisten

    async def initialize(self, migrate: bool = True) -> None:
        """Open the database: migrate its schema to the newest version, or only check it is."""
        if migrate:
            await self.migrate()
        else:
            await self.check_schema()

    async def migrate(self) -> str | None:
        """Create or upgrade the schema to the newest version; returns the revision found.

        The only place the schema changes. Processes starting together on one PostgreSQL
        database take turns, and the later ones find the work done.
        """
        async with self.engine.begin() as conn:
            await conn.run_sync(lock_schema)
            found: str | None = await conn.run_sync(current_revision)
            if await conn.run_sync(is_empty):
                await conn.run_sync(create_fresh_schema)
            elif found != HEAD_REVISION:
                await conn.run_sync(upgrade_schema)
        return found

    async def check_schema(self) -> None:
        """Raise SchemaError unless the schema is this version's; never writes anything."""
        missing = sqlite_file_missing(self.url)
        if missing is not None:
            raise SchemaError(
                f"no database at {missing} yet: start the bot, or run `statusbot migrate`"
            )
        found = await self.schema_revision()
        if found == HEAD_REVISION:
            return
        if found is None:
            raise SchemaError(
                "the database has no statusbot schema yet: start the bot, "
                "or run `statusbot migrate`"
            )
        if known_revision(found):
            raise SchemaError(
                f"the database schema is at revision {found}, this version needs "
                f"{HEAD_REVISION}: run `statusbot migrate` (back it up first)"
            )
        raise SchemaError(
            f"the database schema is at revision {found}, newer than this version's "
            f"{HEAD_REVISION}: run a statusbot at least as new as the one that migrated it"
        )

    async def schema_revision(self) -> str | None:
        """The schema's revision, or None for a database without one."""
        async with self.engine.connect() as conn:
            revision: str | None = await conn.run_sync(current_revision)
        return revision

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False
