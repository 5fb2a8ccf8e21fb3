"""docs/backup.md as printed: an online SQLite backup while the bot writes, checked and restored;
pg_dump and pg_restore of a PostgreSQL store."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.statuspage import FakeStatusPage
from tests.botproc import ROOT, BotProcess, kinds, write_config
from tests.conftest import fixture_bytes, fresh_pg_database
from tests.docblocks import block
from tests.storm import source_version
from tests.test_cli import bot

GUIDE = ROOT / "docs" / "backup.md"
SUMMARY = "/api/v2/summary.json"
# Dated before the incident: an older copy would be ignored as stale.
OPERATIONAL = "openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
BIN = str(Path(sys.executable).parent)


def shell(lines: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the guide's lines as printed, with this project's `statusbot` on PATH."""
    return subprocess.run(
        ["bash", "-ec", "\n".join(lines)],
        cwd=cwd,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def dated_copies(folder: Path) -> list[Path]:
    return list(folder.glob("statusbot-20*.db"))


def sqlite_config(workdir: Path, page_url: str) -> Path:
    return write_config(
        workdir / "config.yaml",
        {
            "store": {"url": f"sqlite+aiosqlite:///{workdir / 'statusbot.db'}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [{"kind": "statuspage", "url": page_url, "interval": 1}],
                }
            },
        },
    )


async def test_sqlite_backup_while_the_bot_writes_then_check_and_restore(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, fixture_bytes(OPERATIONAL))
        config = sqlite_config(tmp_path, page.url(SUMMARY))
        async with BotProcess(config) as running:
            db = tmp_path / "statusbot.db"
            await running.wait_for(lambda _e: source_version(db) > 0)  # the silent baseline
            page.set_payload(SUMMARY, fixture_bytes("openai_summary_2026-09-22_monitoring.json"))
            await running.wait_for(lambda events: "degraded" in kinds(events))
            # While it runs and polls every second: the guide's backup, then the dated one.
            backup = await asyncio.to_thread(shell, block(GUIDE, "SQLite (the default)"), tmp_path)
            assert backup.returncode == 0, backup.stderr
            assert "backed up" in backup.stdout
            dated = await asyncio.to_thread(
                shell, block(GUIDE, "SQLite (the default)", 1), tmp_path
            )
            assert dated.returncode == 0, dated.stderr
            checked = await asyncio.to_thread(
                shell, block(GUIDE, "SQLite (the default)", 2), tmp_path
            )
            assert checked.returncode == 0, checked.stderr
            assert "OpenAI" in checked.stdout
            assert "monitoring" in checked.stdout.lower()  # the open incident was in the copy
            assert await running.terminate() == 0
        assert len(await asyncio.to_thread(dated_copies, tmp_path)) == 1
        restored = await asyncio.to_thread(shell, block(GUIDE, "SQLite (the default)", 3), tmp_path)
        assert restored.returncode == 0, restored.stderr
        # The restored store carries on: the incident is already known, so not announced again.
        async with BotProcess(config) as again:
            await again.wait_for(
                lambda _e: any("statusbot started" in line for line in again.stderr)
            )
            status = await asyncio.to_thread(bot, "status", "openai", "--config", str(config))
            assert "monitoring" in status.stdout.lower(), status.stdout
            assert await again.terminate() == 0
            assert "degraded" not in kinds(again.events)


def test_backup_refuses_postgresql_and_its_own_file(tmp_path: Path) -> None:
    pg = write_config(tmp_path / "pg.yaml", {"store": {"url": "postgresql+asyncpg://u@h/db"}})
    result = bot("backup", str(tmp_path / "x.db"), "--config", str(pg))
    assert result.returncode == 1
    assert "back it up with pg_dump" in result.stderr
    db = tmp_path / "statusbot.db"
    config = write_config(tmp_path / "c.yaml", {"store": {"url": f"sqlite+aiosqlite:///{db}"}})
    missing = bot("backup", str(tmp_path / "copy.db"), "--config", str(config))
    assert missing.returncode == 1
    assert "no SQLite database at" in missing.stderr
    assert bot("migrate", "--config", str(config)).returncode == 0
    itself = bot("backup", str(db), "--config", str(config))
    assert itself.returncode == 1
    assert "would replace the database itself" in itself.stderr


async def test_pg_dump_and_pg_restore_as_the_guide_prints_them(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    [dump, restore] = block(GUIDE, "PostgreSQL")
    placeholder = "postgresql://statusbot@db.internal/statusbot"
    async with fresh_pg_database() as source, fresh_pg_database() as target:
        config = write_config(tmp_path / "pg.yaml", {"store": {"url": source}})
        assert bot("migrate", "--config", str(config)).returncode == 0
        from bot.store.store import Store
        from tests.test_store import sub

        store = Store(source)
        await store.subscriptions.subscribe(sub("C-backed-up"))
        await store.aclose()
        plain = source.replace("+asyncpg", "")
        done = await asyncio.to_thread(shell, [dump.replace(placeholder, plain)], tmp_path)
        assert done.returncode == 0, done.stderr
        into = target.replace("+asyncpg", "")
        done = await asyncio.to_thread(shell, [restore.replace(placeholder, into)], tmp_path)
        assert done.returncode == 0, done.stderr
        restored = Store(target)
        try:
            await restored.check_schema()
            channels = [s.channel_id for s in await restored.subscriptions.all_subscriptions()]
        finally:
            await restored.aclose()
        assert channels == ["C-backed-up"]
