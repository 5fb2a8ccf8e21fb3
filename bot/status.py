"""What `/is-chatgpt-down` says: a verdict per provider from what the store knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.config import Config
from bot.events import Event
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
class StatusReport:
    """Everything `/is-chatgpt-down` shows, verdict first."""

    provider: ProviderStatus
    alternatives: tuple[ProviderStatus, ...]
    now: datetime

    def lines(self, with_alternatives: bool = True) -> list[str]:
        """Plain-text rendering (console, and the fallback text of chat messages)."""
        p = self.provider
        out = [p.headline()]
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
        up = [a.name for a in self.alternatives if a.verdict is Verdict.OPERATIONAL]
        if p.verdict is not Verdict.OPERATIONAL and up:
            out.append("Operational alternatives right now: " + ", ".join(up))
        elif self.alternatives:
            out.append("Others: " + ", ".join(f"{a.emoji} {a.name}" for a in self.alternatives))
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
