"""The database: one engine, the schema's version, and the only places SQLite and
PostgreSQL differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError
from bot.store import schema

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration; a test checks it against Alembic's own idea of head.
HEAD_REVISION = "0002"


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
    return sync_conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


class Database:
    """One engine every repository shares; `shared` when several processes may use it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # A SQLite file belongs to one process; a server database may be shared by several.
        self.shared = not url.startswith("sqlite")

    async def initialize(self) -> None:
        """Create or migrate the schema to the newest version."""
        async with self.engine.begin() as conn:
            if await conn.run_sync(is_empty):
                await conn.run_sync(create_fresh_schema)
            elif await conn.run_sync(current_revision) != HEAD_REVISION:
                await conn.run_sync(upgrade_schema)

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            return False
