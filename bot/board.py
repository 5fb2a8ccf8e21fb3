"""The status board: every watched provider on one server-rendered page.

The verdict now (the same words as /is-chatgpt-down), open incidents with their timeline,
lag and what history suggests, 90 daily uptime bars and the recent incidents. Jinja2 with
autoescaping renders it: page text from status pages is shown as text, never as markup.
No JavaScript: the page refreshes itself with a meta refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import jinja2

from bot.availability import Day, Uptime
from bot.config import Config
from bot.events import Event
from bot.history import HistoryView, IncidentRecord, Period
from bot.models import Severity
from bot.render import KIND_WORDS, SEVERITY_WORDS, human_duration, utc_text
from bot.status import ProviderStatus, provider_status
from bot.store.records import SourceRecord
from bot.untrusted import safe_url

TEMPLATES = Path(__file__).parent / "templates"
RECENT_SHOWN = 8
DAYS_SHOWN = 90
SEVERITY_CLASS = {
    None: "none",
    Severity.OPERATIONAL: "ok",
    Severity.MAINTENANCE: "maint",
    Severity.DEGRADED: "degraded",
    Severity.PARTIAL_OUTAGE: "partial",
    Severity.MAJOR_OUTAGE: "major",
}


class BoardHistory(Protocol):
    """What the board reads of history (bot.store.history.HistoryRepository)."""

    async def days(self, provider: str, end: datetime, count: int = 90) -> list[Day]: ...

    async def timeline(self, provider: str, incident_key: str, limit: int = 12) -> list[Event]: ...

    async def incidents(
        self, provider: str, since: datetime, until: datetime | None = None
    ) -> list[IncidentRecord]: ...

    async def view(
        self, provider: str, name: str, period: Period, end: datetime
    ) -> HistoryView: ...


@dataclass(frozen=True, slots=True)
class OpenIncident:
    card: Event
    timeline: Sequence[Event]
    record: IncidentRecord | None


@dataclass(frozen=True, slots=True)
class ProviderBoard:
    status: ProviderStatus
    open: Sequence[OpenIncident]
    days: Sequence[Day]
    recent: Sequence[IncidentRecord]
    week: HistoryView

    @property
    def uptime(self) -> Uptime:
        return Uptime(sum(d.observed_min for d in self.days), sum(d.down_min for d in self.days))

    def days_summary(self) -> str:
        """The 90 bars in words (they are one image to a screen reader)."""
        bad = [d for d in self.days if d.worst is not None and d.worst >= Severity.DEGRADED]
        text = f"{DAYS_SHOWN}-day uptime {self.uptime.text()}"
        if not bad:
            return text + ", no day with trouble."
        worst = max(bad, key=lambda d: (d.worst or 0, d.down_min))
        assert worst.worst is not None
        return (
            f"{text}; {len(bad)} day{'' if len(bad) == 1 else 's'} with trouble, the worst "
            f"{worst.start:%Y-%m-%d} ({SEVERITY_WORDS[worst.worst].lower()})."
        )


@dataclass(frozen=True, slots=True)
class Board:
    providers: Sequence[ProviderBoard]
    now: datetime


async def board_facts(
    config: Config, records: Sequence[SourceRecord], open_events: Sequence[Event],
    history: BoardHistory, now: datetime,
) -> Board:  # fmt: skip
    """Everything the page shows, read once per request."""
    by_source = {r.source_id: r for r in records}
    out = []
    for key, provider in config.providers.items():
        status = provider_status(config, key, by_source, list(open_events), now)
        records_90d = await history.incidents(key, now - timedelta(days=DAYS_SHOWN), now)
        by_key = {r.incident_key: r for r in records_90d}
        open_now = [
            OpenIncident(
                card, await history.timeline(key, card.incident_key), by_key.get(card.incident_key)
            )
            for card in status.incidents
        ]
        recent = [r for r in reversed(records_90d) if not r.is_open][:RECENT_SHOWN]
        out.append(
            ProviderBoard(
                status=status,
                open=open_now,
                days=await history.days(key, now, DAYS_SHOWN),
                recent=recent,
                week=await history.view(key, provider.name, Period.WEEK, now),
            )
        )
    return Board(out, now)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # page text is hostile: shown as text, never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = utc_text
    env.filters["duration"] = human_duration
    env.filters["safe_url"] = safe_url
    env.globals.update(
        SEVERITY_CLASS=SEVERITY_CLASS,
        SEVERITY_WORDS=SEVERITY_WORDS,
        KIND_WORDS=KIND_WORDS,
        periods=list(Period),
    )
    return env


_ENV = _environment()


@dataclass(frozen=True, slots=True)
class Links:
    """Where the page finds its stylesheet and charts: the server's routes, or files beside
    a saved copy of the page."""

    css: str = "/board.css"
    prefix: str | None = None  # a saved copy: charts are files named with this prefix

    def chart(self, provider: str, period: str) -> str:
        if self.prefix is None:
            return f"/history/{provider}.png?period={period}"
        return chart_file(self.prefix, provider, period)


def chart_file(prefix: str, provider: str, period: str) -> str:
    return f"history/{prefix}-{provider}-{period}.png"


def render_board(board: Board, refresh_s: int, links: Links | None = None) -> str:
    """The page's HTML."""
    return _ENV.get_template("board.html").render(
        board=board, refresh_s=refresh_s, links=links or Links()
    )


def verdict_line(status: ProviderStatus) -> str:
    """The verdict as /is-chatgpt-down says it, without its emoji (the page has colour)."""
    return status.headline().split(" ", 1)[1]


_ENV.globals["verdict_line"] = verdict_line
