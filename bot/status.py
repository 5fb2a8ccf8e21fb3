"""What `/is-chatgpt-down` says: a verdict per provider from what the store knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.config import Config
from bot.events import Event
from bot.fusion import Level
from bot.models import COMPONENT_SEVERITY, ComponentStatus, Severity
from bot.render import human_ago, human_duration, utc_text
from bot.store.records import SourceRecord
from bot.untrusted import safe_url

# A source not polled successfully for this many intervals no longer vouches for anything.
STALE_AFTER_INTERVALS = 3


class Verdict(StrEnum):
    OPERATIONAL = "operational"
    MAINTENANCE = "maintenance"
    DEGRADED = "degraded"
    OUTAGE = "outage"
    UNKNOWN = "unknown"


VERDICT_EMOJI = {
    Verdict.OPERATIONAL: "✅",
    Verdict.MAINTENANCE: "🔧",
    Verdict.DEGRADED: "⚠️",
    Verdict.OUTAGE: "🔴",
    Verdict.UNKNOWN: "❔",
}


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    key: str
    name: str
    verdict: Verdict
    severity: Severity
    incidents: tuple[Event, ...]
    components: tuple[tuple[str, str], ...]  # (name, status words) of unhealthy components
    url: str | None
    last_checked: datetime | None
    unreachable_since: datetime | None
    last_error: str | None

    @property
    def emoji(self) -> str:
        return VERDICT_EMOJI[self.verdict]

    def headline(self) -> str:
        words = {
            Verdict.OPERATIONAL: "is operational",
            Verdict.MAINTENANCE: "is under maintenance",
            Verdict.DEGRADED: "is degraded",
            Verdict.OUTAGE: "is having an outage",
            Verdict.UNKNOWN: "status is unknown",
        }
        return f"{self.emoji} {self.name} {words[self.verdict]}"


@dataclass(frozen=True, slots=True)
class EarlyView:
    """What our own signals (probes, the chat crowd) say of a provider, beside its page."""

    level: Level = Level.OPERATIONAL
    reasons: tuple[str, ...] = ()
    # True when every probe that answered says up, False when one fails or is slow, None
    # when none has answered (or our own network is down: they prove nothing then).
    probes_up: bool | None = None
    latency_ms: float | None = None  # the fastest probe's latest "up" answer


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Everything `/is-chatgpt-down` shows, verdict first."""

    provider: ProviderStatus
    alternatives: tuple[ProviderStatus, ...]
    now: datetime
    early: Mapping[str, EarlyView] = field(default_factory=dict)

    @property
    def suspected(self) -> bool:
        """Our signals say it is down while the page does not (yet)."""
        view = self.early.get(self.provider.key)
        quiet = self.provider.verdict in (Verdict.OPERATIONAL, Verdict.UNKNOWN)
        return view is not None and view.level is Level.SUSPECTED and quiet

    def headline(self) -> str:
        """The fused verdict first: our suspicion before the page confirms, else the page."""
        p = self.provider
        if not self.suspected:
            return p.headline()
        view = self.early[p.key]
        why = "; ".join(view.reasons)
        return f"⚠️ Probably yes — {p.name} hasn't confirmed it yet: {why}"

    def signals_line(self) -> str | None:
        """Our own signals in words, when they are not already the headline."""
        view = self.early.get(self.provider.key)
        if view is None or self.suspected or not view.reasons:
            return None
        return "Our own checks: " + "; ".join(view.reasons)

    def up_alternatives(self) -> list[str]:
        """Providers up by their page and by their probes: "Anthropic ✅ 180 ms"."""
        out = []
        for alt in self.alternatives:
            view = self.early.get(alt.key, EarlyView())
            if alt.verdict is not Verdict.OPERATIONAL or view.level is not Level.OPERATIONAL:
                continue
            if view.probes_up is False:
                continue
            latency = f" {view.latency_ms:.0f} ms" if view.latency_ms is not None else ""
            out.append(f"{alt.name} ✅{latency}")
        return out

    def alternatives_line(self) -> tuple[str, str] | None:
        """(title, text) of the alternatives: the ones up now when this one is not."""
        up = self.up_alternatives()
        if (self.provider.verdict is not Verdict.OPERATIONAL or self.suspected) and up:
            return "Up right now", " · ".join(up)
        if self.alternatives:
            return "Others", ", ".join(f"{a.emoji} {a.name}" for a in self.alternatives)
        return None

    def lines(self, with_alternatives: bool = True) -> list[str]:
        """Plain-text rendering (console, and the fallback text of chat messages)."""
        p = self.provider
        out = [self.headline()]
        signals = self.signals_line()
        if signals:
            out.append(signals)
        if p.unreachable_since is not None:
            out.append(
                f"Cannot reach the official status page since {utc_text(p.unreachable_since)}"
                f" ({p.last_error or 'no answer'}); the verdict may be out of date."
            )
        elif p.last_checked is None:
            out.append("The official status page has not been checked yet.")
        for inc in p.incidents:
            ago = human_duration((self.now - inc.started_at).total_seconds())
            status = f" [{inc.status.value}]" if inc.status else ""
            out.append(f"Incident: {inc.title}{status}, started {ago} ago")
            if inc.text:
                out.append(f"Latest update: {inc.text}")
            if inc.expectation:
                out.append(inc.expectation)
        if p.components:
            out.append("Affected: " + ", ".join(f"{n} ({s})" for n, s in p.components))
        if p.url:
            out.append(f"Official page: {p.url}")
        if p.last_checked is not None:
            ago = human_ago((self.now - p.last_checked).total_seconds())
            out.append(f"Last checked {ago} ago ({utc_text(p.last_checked)})")
        if not with_alternatives:
            return out
        alternatives = self.alternatives_line()
        if alternatives:
            out.append(f"{alternatives[0]}: {alternatives[1]}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def provider_status(
    config: Config,
    key: str,
    records: Mapping[str, SourceRecord],
    open_incidents: list[Event],
    now: datetime,
) -> ProviderStatus:
    """One provider's verdict; unknown when no source of it is fresh enough to trust."""
    states = []
    unreachable: datetime | None = None
    last_error: str | None = None
    for provider_key, source_id, source in config.source_ids():
        record = records.get(source_id)
        if provider_key != key or record is None or record.state.last_ok_at is None:
            continue
        state = record.state
        states.append(state)
        assert state.last_ok_at is not None
        limit = timedelta(seconds=source.interval * STALE_AFTER_INTERVALS + source.timeout)
        if state.unreachable_since is not None or now - state.last_ok_at > limit:
            unreachable = state.unreachable_since or state.last_ok_at
            last_error = state.last_error or record.last_error
    incidents = tuple(
        e for e in open_incidents if e.provider == key and e.severity > Severity.OPERATIONAL
    )
    unhealthy = [
        c
        for s in states
        for c in s.components.values()
        if c.status is not ComponentStatus.OPERATIONAL
    ]
    worst = max(
        [e.severity for e in incidents] + [COMPONENT_SEVERITY[c.status] for c in unhealthy],
        default=Severity.OPERATIONAL,
    )
    return ProviderStatus(
        key=key,
        name=config.providers[key].name,
        verdict=Verdict.UNKNOWN if unreachable is not None or not states else _verdict(worst),
        severity=worst,
        incidents=incidents,
        components=tuple((c.name, c.status.value.replace("_", " ")) for c in unhealthy),
        url=safe_url(next((s.page_url for s in states if s.page_url), None)),
        last_checked=max((s.last_ok_at for s in states if s.last_ok_at), default=None),
        unreachable_since=unreachable,
        last_error=last_error,
    )


def _verdict(worst: Severity) -> Verdict:
    if worst >= Severity.PARTIAL_OUTAGE:
        return Verdict.OUTAGE
    if worst == Severity.DEGRADED:
        return Verdict.DEGRADED
    if worst == Severity.MAINTENANCE:
        return Verdict.MAINTENANCE
    return Verdict.OPERATIONAL
