"""`statusbot backup`: a consistent copy of the SQLite store, taken while the bot runs."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from bot.errors import StatusBotError


def _copy(source: str, dest: Path) -> int:
    """SQLite's online backup API: a consistent snapshot even with writers at work."""
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(partial)
        try:
            src.backup(out)
            pages = int(out.execute("PRAGMA page_count").fetchone()[0])
        finally:
            out.close()
    finally:
        src.close()
    # Readers of `dest` see the old copy or the new one, never half of one.
    os.replace(partial, dest)
    return pages


def _backup(source: str | None, dest: str) -> str:
    if not source or source == ":memory:" or not Path(source).exists():
        raise StatusBotError(f"no SQLite database at {source or '(memory)'} to back up")
    target = Path(dest)
    if target.resolve() == Path(source).resolve():
        raise StatusBotError("the backup would replace the database itself; pick another file")
    try:
        pages = _copy(source, target)
    except (sqlite3.Error, OSError) as exc:
        raise StatusBotError(f"backup of {source} to {dest} failed: {exc}") from None
    return f"backed up {source} to {dest} ({pages} pages)"


async def backup_store(url: str, dest: str) -> str:
    """Copy the store to `dest`; a PostgreSQL store is backed up with pg_dump instead."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise StatusBotError(
            "the store is PostgreSQL: back it up with pg_dump (see docs/backup.md)"
        )
    return await asyncio.to_thread(_backup, parsed.database, dest)
