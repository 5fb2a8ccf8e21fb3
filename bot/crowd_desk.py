"""Where the chat crowd's reports come in: "Down for me too", "Works for me", and every
`/is-chatgpt-down` ask.

Each report is stored (replicas count the same crowd), the provider is fused again, and a
button click gets its thanks with the count so far. Clicks are paced per person
(`early_warning.crowd.click_every`): the rest are thanked but not counted, so one person
clicking repeatedly is still one person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot import metrics
from bot.crowd import CrowdCount, CrowdReport, ReportKind, count, may_count_click
from bot.errors import CommandError
from bot.events import Event, EventKind
from bot.fusion import Verdict

# A card whose story is over (or was never an outage) asks nobody whether it works for them.
NO_BUTTONS = frozenset(
    {
        EventKind.RESTORED,
        EventKind.MAINTENANCE_STARTED,
        EventKind.MAINTENANCE_ENDED,
        EventKind.MERGED,
        EventKind.FALSE_ALARM,
        EventKind.SOURCE_UNREACHABLE,
        EventKind.SOURCE_RECOVERED,
    }
)


def asks_the_crowd(event: Event) -> bool:
    """Whether a card for `event` carries "Down for me too" / "Works for me"."""
    return event.kind not in NO_BUTTONS


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who reports, and where: a person in a channel of a workspace (Slack) or server."""

    platform: str
    workspace_id: str | None
    channel_id: str
    user_id: str


class CrowdLog(Protocol):
    """The crowd's reports (bot.store.signals.SignalRepository)."""

    async def add_report(self, report: CrowdReport) -> None: ...

    async def reports(self, provider: str, since: datetime) -> list[CrowdReport]: ...

    async def last_click_at(
        self, platform: str, workspace_id: str | None, user_id: str
    ) -> datetime | None: ...


class Fuser(Protocol):
    async def step(self, provider: str) -> Verdict | None: ...


class CrowdDesk:
    """Records reports and answers the people who click."""

    def __init__(
        self,
        providers: dict[str, str],  # key -> display name
        store: CrowdLog,
        fuser: Fuser,
        window_s: float,
        click_every_s: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.providers = providers
        self.store = store
        self.fuser = fuser
        self.window_s = window_s
        self.click_every_s = click_every_s
        self.clock = clock or (lambda: datetime.now(UTC))

    async def asked(self, provider: str, who: Reporter) -> Verdict | None:
        """Someone asked whether `provider` is down: people ask when they suspect."""
        await self.store.add_report(self._report(provider, who, ReportKind.ASK))
        metrics.CROWD_REPORTS.labels(provider, ReportKind.ASK.value).inc()
        return await self.fuser.step(provider)

    async def clicked(self, provider: str, who: Reporter, kind: ReportKind) -> str:
        """A button click; returns the private thanks to show the person."""
        if provider not in self.providers:
            raise CommandError("That button belongs to a provider this bot no longer watches.")
        now = self.clock()
        last = await self.store.last_click_at(who.platform, who.workspace_id, who.user_id)
        counted = may_count_click(last, now, self.click_every_s)
        if counted:
            await self.store.add_report(self._report(provider, who, kind, now))
            metrics.CROWD_REPORTS.labels(provider, kind.value).inc()
            await self.fuser.step(provider)
        crowd = await self.count(provider, now)
        return thanks(self.providers[provider], kind, crowd, counted)

    async def count(self, provider: str, now: datetime | None = None) -> CrowdCount:
        now = now or self.clock()
        since = now - timedelta(seconds=self.window_s)
        return count(await self.store.reports(provider, since), provider, now, self.window_s)

    def _report(
        self, provider: str, who: Reporter, kind: ReportKind, at: datetime | None = None
    ) -> CrowdReport:
        return CrowdReport(
            provider=provider,
            platform=who.platform,
            workspace_id=who.workspace_id,
            channel_id=who.channel_id,
            user_id=who.user_id,
            kind=kind,
            at=at or self.clock(),
        )


def thanks(name: str, kind: ReportKind, crowd: CrowdCount, counted: bool) -> str:
    """ "Thanks — 7 people in 4 channels report this" (and whether this click counted)."""
    if not counted:
        return f"Thanks — you told me a moment ago; that counts once. {tally(crowd)}."
    if kind is ReportKind.WORKS:
        return f"Thanks — noted that {name} works for you. {tally(crowd, 'a problem')}."
    return f"Thanks — {tally(crowd)}."


def tally(crowd: CrowdCount, what: str = "this") -> str:
    """ "7 people in 4 channels report this"; "no one reports this right now"."""
    if not crowd.users:
        return f"No one reports {what} right now"
    people = "1 person" if crowd.users == 1 else f"{crowd.users} people"
    channels = "1 channel" if crowd.channels == 1 else f"{crowd.channels} channels"
    verb = "reports" if crowd.users == 1 else "report"
    return f"{people} in {channels} {verb} {what}"
