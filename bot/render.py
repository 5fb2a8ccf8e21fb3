"""Platform-neutral rendering: an event becomes facts that Slack, Discord and the console show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.events import Event, EventKind
from bot.models import Severity
from bot.untrusted import one_line_safe, safe_url

SEVERITY_EMOJI: dict[Severity, str] = {
    Severity.OPERATIONAL: "🟢",
    Severity.MAINTENANCE: "🔵",
    Severity.DEGRADED: "🟡",
    Severity.PARTIAL_OUTAGE: "🟠",
    Severity.MAJOR_OUTAGE: "🔴",
}

# Discord embed colours; Slack uses them for the attachment bar.
SEVERITY_COLOUR: dict[Severity, int] = {
    Severity.OPERATIONAL: 0x2EB67D,
    Severity.MAINTENANCE: 0x3B82F6,
    Severity.DEGRADED: 0xF2C744,
    Severity.PARTIAL_OUTAGE: 0xF97316,
    Severity.MAJOR_OUTAGE: 0xE01E5A,
}

SEVERITY_WORDS: dict[Severity, str] = {
    Severity.OPERATIONAL: "Operational",
    Severity.MAINTENANCE: "Maintenance",
    Severity.DEGRADED: "Degraded",
    Severity.PARTIAL_OUTAGE: "Partial outage",
    Severity.MAJOR_OUTAGE: "Major outage",
}

KIND_WORDS: dict[EventKind, str] = {
    EventKind.DEGRADED: "Degraded",
    EventKind.OUTAGE: "Outage",
    EventKind.UPDATE: "Update",
    EventKind.RESTORED: "Restored",
    EventKind.MAINTENANCE_STARTED: "Maintenance started",
    EventKind.MAINTENANCE_ENDED: "Maintenance ended",
    EventKind.SOURCE_UNREACHABLE: "Status page unreachable",
    EventKind.SOURCE_RECOVERED: "Status page reachable again",
    EventKind.REMINDER: "Still ongoing",
    EventKind.MERGED: "Now tracked on another card",
    EventKind.SUSPECTED: "May be down (unconfirmed)",
    EventKind.FALSE_ALARM: "False alarm",
    EventKind.PROBES_RECOVERED: "Our probes see recovery",
}

# The early card's mark: ours, not the official page's.
SUSPECTED_EMOJI = "⚠️"


def human_duration(seconds: float) -> str:
    """47 min, 2 h 5 min, 3 d 4 h; never '0 min' for something that happened."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def human_ago(seconds: float) -> str:
    """'12 s', '3 min', '2 h 5 min': for 'last checked … ago'."""
    if seconds < 60:
        return f"{max(0, round(seconds))} s"
    return human_duration(seconds)


def utc_text(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What a card shows, in words, before any platform markup."""

    headline: str
    title: str
    severity: Severity
    emoji: str
    colour: int
    state: str
    official_status: str | None
    components: tuple[str, ...]
    started: str
    latest_update: str | None
    url: str | None
    duration: str | None
    footer: str
    # Early warning: why we suspect it, and the official lag once the page confirmed.
    reasons: tuple[str, ...] = ()
    lag: tuple[str, ...] = ()
    # While the incident is open: what the provider's past incidents suggest.
    expectation: str | None = None


# Kinds whose card is of an incident still open (an expectation still means something).
OPEN_KINDS = (EventKind.DEGRADED, EventKind.OUTAGE, EventKind.UPDATE, EventKind.REMINDER)


def card_facts(event: Event) -> CardFacts:
    """The full current card for the event's incident."""
    severity = event.severity
    duration = human_duration(event.duration_s) if event.duration_s is not None else None
    if event.test and event.kind is EventKind.RESTORED:
        state = "Test complete, nothing is down"
    elif event.kind is EventKind.RESTORED:
        state = f"Restored after {duration}" if duration else "Restored"
    elif event.kind is EventKind.MAINTENANCE_ENDED:
        state = "Maintenance completed"
    elif event.kind is EventKind.MERGED:
        state = f"Now tracked as {event.merged_into_title}"
    elif event.kind is EventKind.SUSPECTED:
        state = f"Unconfirmed: {event.page_name}'s status page does not report it yet"
    elif event.kind is EventKind.FALSE_ALARM:
        state = "False alarm"
    else:
        state = SEVERITY_WORDS[severity]
    emoji = SEVERITY_EMOJI[severity]
    headline = f"{emoji} {event.page_name}: {state}"
    if event.kind is EventKind.SUSPECTED:
        emoji = SUSPECTED_EMOJI
        headline = f"{emoji} {event.title} — not confirmed by {event.page_name} yet"
    elif event.kind is EventKind.FALSE_ALARM:
        headline = f"{emoji} {event.text or state}"
    if event.test:
        headline = f"🧪 TEST · {headline}"
    return CardFacts(
        headline=headline,
        title=event.title,
        severity=severity,
        emoji=emoji,
        colour=SEVERITY_COLOUR[severity],
        state=state,
        official_status=event.status.value.replace("_", " ").capitalize() if event.status else None,
        components=event.components,
        started=utc_text(event.started_at),
        latest_update=event.text,
        url=safe_url(event.url),
        duration=duration,
        footer=f"{event.page_name} · updated {utc_text(event.at)}",
        reasons=event.reasons,
        lag=event.lag,
        expectation=event.expectation if event.kind in OPEN_KINDS else None,
    )


def thread_text(event: Event) -> str:
    """The reply added to a card's thread for this event (plain text, no markup)."""
    facts = card_facts(event)
    if event.test:
        return f"🧪 {event.text or event.title}"
    if event.kind is EventKind.RESTORED:
        where = f" ({', '.join(event.components)})" if event.components else ""
        return f"✅ {event.page_name} restored after {facts.duration}{where}: {event.title}"
    if event.kind is EventKind.REMINDER:
        return f"⏳ Still ongoing after {facts.duration}: {event.title}"
    if event.kind is EventKind.MERGED:
        return f"➡️ {facts.state}"
    if event.kind is EventKind.SUSPECTED:
        why = f": {'; '.join(event.reasons)}" if event.reasons else ""
        return f"{facts.headline}{why}"
    if event.kind is EventKind.FALSE_ALARM:
        return f"{facts.emoji} {event.text or KIND_WORDS[event.kind]}"
    if event.kind is EventKind.PROBES_RECOVERED:
        return f"📡 {event.text or KIND_WORDS[event.kind]}"
    head = f"{facts.emoji} {KIND_WORDS[event.kind]}"
    if facts.official_status:
        head += f" · {facts.official_status}"
    body = event.text or event.title
    return f"{head}: {body}"


def held_note(held: int) -> str:
    """The line that tells a channel its quiet hours held updates of this card back."""
    if held <= 0:
        return ""
    updates = "update" if held == 1 else "updates"
    return f"🌙 {held} earlier {updates} held during quiet hours; this is where things stand now."


def reply_text(event: Event, held: int = 0) -> str:
    """The thread reply, with the quiet-hours note first when updates were held."""
    note = held_note(held)
    return f"{note}\n{thread_text(event)}" if note else thread_text(event)


def event_record(event: Event) -> dict[str, object]:
    """The JSON-lines contract of `replay --format jsonl` and `run --json` (see README)."""
    return {
        "kind": event.kind.value,
        "provider": event.page_name,
        "provider_key": event.provider,
        "component": event.component,
        "components": list(event.components),
        "incident_id": event.incident_id,
        "incident_key": event.incident_key,
        "incident_title": event.title,
        "status": event.status.value if event.status else None,
        "severity": event.severity.label,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "started_at": event.started_at.isoformat().replace("+00:00", "Z"),
        "duration_s": event.duration_s,
        "text": event.text,
        "url": safe_url(event.url),
        "merged_into": event.merged_into,
        "reasons": list(event.reasons),
        "lag": list(event.lag),
        "expectation": event.expectation if event.kind in OPEN_KINDS else None,
    }


def one_line(event: Event) -> str:
    """A single readable line for the console; page text cannot break it or drive the terminal."""
    parts = [f"[{event.at.isoformat()}]", f"{KIND_WORDS[event.kind].upper()}", event.page_name]
    parts.append(f"— {event.title}")
    if event.components:
        parts.append(f"({', '.join(event.components)})")
    if event.status:
        parts.append(f"[{event.status.value}]")
    if event.duration_s is not None:
        parts.append(f"after {human_duration(event.duration_s)}")
    if event.merged_into_title is not None:
        parts.append(f"→ now tracked as {event.merged_into_title}")
    if event.kind.is_early and event.text:
        parts.append(f"— {event.text}")
    if event.reasons:
        parts.append(f"[{'; '.join(event.reasons)}]")
    if event.lag:
        parts.append(f"({'; '.join(event.lag)})")
    if event.expectation and event.kind in OPEN_KINDS:
        parts.append(f"— {event.expectation}")
    return one_line_safe(" ".join(parts))
