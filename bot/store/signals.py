"""Early-warning signals: probe windows, crowd reports and each provider's fusion state.

Stored in the database, so that replicas sharing it fuse the same signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.crowd import CrowdBaseline, CrowdReport, ReportKind
from bot.errors import ConcurrentUpdate
from bot.fusion import FusionState
from bot.probe_window import ProbeWindow
from bot.store import schema
from bot.store.engine import Database
from bot.store.records import as_utc
from bot.store.rows import upsert


@dataclass(frozen=True, slots=True)
class FusionRecord:
    """A provider's stored fusion state; `pending` is a change the sinks have not heard."""

    provider: str
    state: FusionState = FusionState()
    baseline: CrowdBaseline = CrowdBaseline()
    pending: dict[str, Any] | None = None
    version: int = 0
    updated_at: datetime | None = None


class SignalRepository:
    """The `probe_windows`, `crowd_reports` and `fusion_states` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- probes -------------------------------------------------------------------------------

    async def probe_windows(self) -> dict[str, ProbeWindow]:
        """Every probe's window, by probe id."""
        table = schema.probe_windows
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(sa.select(table.c.window))).all()
        windows = (ProbeWindow.from_json(r[0]) for r in rows)
        return {w.probe_id: w for w in windows}

    async def probe_window(self, probe_id: str) -> ProbeWindow | None:
        table = schema.probe_windows
        query = sa.select(table.c.window).where(table.c.probe_id == probe_id)
        async with self.db.engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return ProbeWindow.from_json(found) if found is not None else None

    async def save_probe_window(self, window: ProbeWindow, at: datetime) -> None:
        table = schema.probe_windows
        values = {"provider": window.provider, "window": window.to_json(), "updated_at": at}
        async with self.db.engine.begin() as conn:
            await upsert(
                conn,
                table,
                table.c.probe_id == window.probe_id,
                values,
                {"probe_id": window.probe_id},
            )

    # --- the crowd ----------------------------------------------------------------------------

    async def add_report(self, report: CrowdReport) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                schema.crowd_reports.insert().values(
                    provider=report.provider,
                    platform=report.platform,
                    workspace_id=report.workspace_id,
                    channel_id=report.channel_id,
                    user_id=report.user_id,
                    kind=report.kind.value,
                    at=report.at,
                )
            )

    async def reports(self, provider: str, since: datetime) -> list[CrowdReport]:
        """The provider's reports after `since`."""
        table = schema.crowd_reports
        query = sa.select(table).where((table.c.provider == provider) & (table.c.at > since))
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            CrowdReport(
                provider=r.provider,
                platform=r.platform,
                workspace_id=r.workspace_id,
                channel_id=r.channel_id,
                user_id=r.user_id,
                kind=ReportKind(r.kind),
                at=as_utc(r.at) or r.at,
            )
            for r in rows
        ]

    async def last_click_at(
        self, platform: str, workspace_id: str | None, user_id: str
    ) -> datetime | None:
        """When this person's latest button click was counted (asks are not clicks)."""
        table = schema.crowd_reports
        workspace = (
            table.c.workspace_id.is_(None)
            if workspace_id is None
            else table.c.workspace_id == workspace_id
        )
        query = sa.select(sa.func.max(table.c.at)).where(
            (table.c.platform == platform)
            & workspace
            & (table.c.user_id == user_id)
            & (table.c.kind != ReportKind.ASK.value)
        )
        async with self.db.engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return as_utc(found)

    async def prune_reports(self, before: datetime) -> int:
        """Forget reports older than any window looks at."""
        table = schema.crowd_reports
        async with self.db.engine.begin() as conn:
            result = await conn.execute(table.delete().where(table.c.at < before))
        return int(result.rowcount or 0)

    # --- fusion -------------------------------------------------------------------------------

    async def load_fusion(self, provider: str) -> FusionRecord:
        table = schema.fusion_states
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(sa.select(table).where(table.c.provider == provider))).first()
        if row is None:
            return FusionRecord(provider)
        return FusionRecord(
            provider=provider,
            state=FusionState.from_json(row.state),
            baseline=CrowdBaseline.from_json(row.baseline),
            pending=row.pending,
            version=row.version,
            updated_at=as_utc(row.updated_at),
        )

    async def save_fusion(
        self,
        provider: str,
        state: FusionState,
        baseline: CrowdBaseline,
        pending: dict[str, Any] | None,
        expected_version: int,
        at: datetime,
    ) -> int:
        """Write the provider's state if nobody wrote it since `expected_version`; returns
        the new version. Raises ConcurrentUpdate otherwise (another replica fused first)."""
        table = schema.fusion_states
        values: dict[str, Any] = {
            "state": state.to_json(),
            "baseline": baseline.to_json(),
            "pending": pending,
            "updated_at": at,
        }
        async with self.db.engine.begin() as conn:
            if expected_version:
                updated = await conn.execute(
                    table.update()
                    .where((table.c.provider == provider) & (table.c.version == expected_version))
                    .values(version=expected_version + 1, **values)
                )
                if not updated.rowcount:
                    raise ConcurrentUpdate(f"fusion state of {provider} changed under us")
                return expected_version + 1
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        table.insert().values(provider=provider, version=1, **values)
                    )
            except IntegrityError:
                raise ConcurrentUpdate(f"fusion state of {provider} was created under us") from None
            return 1

    async def clear_pending(self, provider: str, version: int) -> bool:
        """The sinks heard the pending change; False when a newer write replaced it."""
        table = schema.fusion_states
        async with self.db.engine.begin() as conn:
            updated = await conn.execute(
                table.update()
                .where((table.c.provider == provider) & (table.c.version == version))
                .values(pending=None, version=version + 1)
            )
        return bool(updated.rowcount)
