"""The engine and the schema's version: the only places SQLite and PostgreSQL differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.events import Event
from bot.store import schema

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration; a test checks it against Alembic's own idea of head.
HEAD_REVISION = "0001"
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
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


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

    This is what revision 0001 does on an empty database (see its docstring).
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


class StoreBase:
    """What every part of the store shares: one engine, and the sinks that get every event."""

    engine: AsyncEngine
    local_sinks: tuple[str, ...]
    # Parsed events by event id: one incident fans out to many rows sharing one event.
    _event_cache: dict[int, Event]
