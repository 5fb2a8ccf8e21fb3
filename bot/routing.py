"""Who receives what: a channel's subscription, and the rule that routes an event to it.

Pure functions over plain records: the store reads the subscriptions and the channels that
already follow an incident, asks `Router.recipients`, and writes one outbox row per answer.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.events import Event, EventKind
from bot.models import Severity

# Events that end a card's story; a channel without the card only hears them if it
# subscribed during the incident.
_ENDINGS = (EventKind.RESTORED, EventKind.MAINTENANCE_ENDED, EventKind.REMINDER)


@dataclass(frozen=True, slots=True)
class Subscription:
    """One channel's wish to hear about one provider (optionally some components only)."""

    platform: str
    channel_id: str
    provider: str
    workspace_id: str | None = None
    components: tuple[str, ...] = ()
    min_severity: Severity = Severity.DEGRADED
    reminder_minutes: int = 0
    # Opted in to early warning: unconfirmed cards from our own signals.
    early: bool = False
    enabled: bool = True
    disabled_reason: str | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None
    # Who a major outage pings: "here" (Slack) or "role:ID" (Discord); nobody when None.
    mention: str | None = None
    # A major outage comes through the channel's quiet hours.
    wake_on_major: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where one copy of an event goes: a channel (or a local sink such as the console)."""

    platform: str
    channel_id: str
    workspace_id: str | None = None
    subscription_id: int | None = None
    # Set only when this event deserves the subscription's opt-in mention.
    mention: str | None = None
    wake_on_major: bool = False


def matches_components(sub: Subscription, event: Event) -> bool:
    """No filter matches everything; a filter matches a component name or the title."""
    if not sub.components:
        return True
    haystack = [c.lower() for c in event.components] + [event.title.lower()]
    return any(f.lower() in text for f in sub.components for text in haystack)


def deserves_mention(event: Event) -> bool:
    """A major outage starting, or a card becoming one: the only alerts that ping (the
    outbox pings a channel once per card)."""
    return (
        event.kind in (EventKind.DEGRADED, EventKind.OUTAGE, EventKind.UPDATE)
        and event.severity >= Severity.MAJOR_OUTAGE
        and not event.test
    )


def wants(sub: Subscription, event: Event, has_card: bool) -> bool:
    """Whether this channel should see the event (`has_card`: it follows the incident)."""
    if not sub.enabled or event.provider != sub.provider or event.kind.is_source_health:
        return False
    if event.kind.is_early:
        # Suspicions reach only channels that asked for them; the rest of an early story
        # (false alarm, probes recovered) only a channel with its card.
        return sub.early and (has_card or event.kind is EventKind.SUSPECTED)
    if has_card:
        return True  # a card we posted follows its incident to the end
    if event.kind is EventKind.MERGED:
        return False  # it only closes a card this channel has
    if event.kind in _ENDINGS:
        # No card here: only a channel that subscribed mid-incident wants the ending.
        return sub.created_at >= event.started_at and matches_components(sub, event)
    return event.severity >= sub.min_severity and matches_components(sub, event)


@dataclass(frozen=True, slots=True)
class Router:
    """Routes events to subscribed channels; `local_sinks` (the console) get every event."""

    local_sinks: tuple[str, ...] = ()

    def recipients(
        self,
        event: Event,
        subscriptions: Iterable[Subscription],
        following: Container[tuple[str, str]],
    ) -> list[Recipient]:
        """Local sinks first, then each subscription that wants the event, in the given order.

        `following` holds the (platform, channel) pairs that have, or are about to get, a
        card for the event's incident.
        """
        out = [Recipient(sink, sink) for sink in self.local_sinks]
        for sub in subscriptions:
            if wants(sub, event, (sub.platform, sub.channel_id) in following):
                out.append(
                    Recipient(
                        sub.platform,
                        sub.channel_id,
                        sub.workspace_id,
                        sub.id,
                        mention=sub.mention if deserves_mention(event) else None,
                        wake_on_major=sub.wake_on_major,
                    )
                )
        return out
