"""Who receives what: the routing rule as a table, and reminders as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.events import Event, EventKind
from bot.models import IncidentStatus, Severity
from bot.reminders import OpenCard, next_due_at, plan
from bot.routing import Recipient, Router, Subscription, wants

NOW = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)
DAY_BEFORE = NOW - timedelta(days=1)


def event(kind: EventKind = EventKind.DEGRADED, **changes: object) -> Event:
    base = Event(
        kind=kind,
        provider="openai",
        source_id="openai",
        page_name="OpenAI",
        incident_key="inc1",
        incident_id="inc1",
        title="Elevated errors on ChatGPT",
        severity=Severity.DEGRADED,
        status=IncidentStatus.INVESTIGATING,
        components=("Conversations", "Login"),
        at=NOW + timedelta(minutes=30),
        started_at=NOW,
    )
    return base.replace(**changes)


def sub(**changes: object) -> Subscription:
    return Subscription(
        **{  # type: ignore[arg-type]
            "platform": "slack",
            "channel_id": "C1",
            "provider": "openai",
            "created_at": DAY_BEFORE,
            **changes,
        }
    )


OUTAGE = event(EventKind.OUTAGE, severity=Severity.MAJOR_OUTAGE)
RESTORED = event(EventKind.RESTORED, severity=Severity.OPERATIONAL, duration_s=1800.0)
UNREACHABLE = event(EventKind.SOURCE_UNREACHABLE, severity=Severity.OPERATIONAL)
SUSPECTED = event(EventKind.SUSPECTED, incident_key="early:openai:1", status=None)
FALSE_ALARM = SUSPECTED.replace(kind=EventKind.FALSE_ALARM, severity=Severity.OPERATIONAL)
PROBES_BACK = event(EventKind.PROBES_RECOVERED)

# (case, subscription, event, the channel already has a card, wanted)
CASES = [
    ("degraded reaches a default subscription", sub(), event(), False, True),
    ("another provider's event", sub(provider="anthropic"), event(), False, False),
    ("a disabled subscription hears nothing", sub(enabled=False), OUTAGE, True, False),
    ("below the channel's minimum", sub(min_severity=Severity.MAJOR_OUTAGE), event(), False, False),
    ("at the channel's minimum", sub(min_severity=Severity.MAJOR_OUTAGE), OUTAGE, False, True),
    ("component filter matches, any case", sub(components=("login",)), event(), False, True),
    ("component filter misses", sub(components=("Sora",)), event(), False, False),
    ("component filter matches the title", sub(components=("chatgpt",)), event(), False, True),
    ("a card follows its incident below the minimum", sub(min_severity=4), event(), True, True),
    ("a card follows its incident past its filter", sub(components=("Sora",)), RESTORED,
     True, True),
    ("no card: an ending is not news", sub(), RESTORED, False, False),
    ("subscribed mid-incident: hears the ending", sub(created_at=NOW + timedelta(minutes=5)),
     RESTORED, False, True),
    ("subscribed mid-incident, filtered out", sub(created_at=NOW + timedelta(minutes=5),
     components=("Sora",)), RESTORED, False, False),
    ("source health never goes to channels", sub(), UNREACHABLE, True, False),
    ("a suspicion reaches an early channel", sub(early=True), SUSPECTED, False, True),
    ("...whatever its filters", sub(early=True, min_severity=Severity.MAJOR_OUTAGE,
     components=("Sora",)), SUSPECTED, False, True),
    ("never a channel without early", sub(), SUSPECTED, False, False),
    ("a false alarm only where the card is", sub(early=True), FALSE_ALARM, False, False),
    ("a false alarm on its card", sub(early=True), FALSE_ALARM, True, True),
    ("probes recovered: early channels with the card", sub(early=True), PROBES_BACK,
     True, True),
    ("probes recovered: not a plain channel's card", sub(), PROBES_BACK, True, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("subscription", "ev", "has_card", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_wants(subscription: Subscription, ev: Event, has_card: bool, expected: bool) -> None:
    assert wants(subscription, ev, has_card) is expected


def test_recipients_are_local_sinks_then_wanting_channels_in_order() -> None:
    subs = [
        sub(channel_id="C-major", min_severity=Severity.MAJOR_OUTAGE, id=1),
        sub(channel_id="C-card", min_severity=Severity.MAJOR_OUTAGE, workspace_id="T1", id=2),
        sub(channel_id="C-all", platform="discord", workspace_id="G1", id=3),
    ]
    got = Router(local_sinks=("console",)).recipients(event(), subs, {("slack", "C-card")})
    assert got == [
        Recipient("console", "console"),
        Recipient("slack", "C-card", "T1", 2),
        Recipient("discord", "C-all", "G1", 3),
    ]


def test_a_card_on_another_platform_does_not_count() -> None:
    subs = [sub(channel_id="C1", min_severity=Severity.MAJOR_OUTAGE)]
    assert Router().recipients(event(), subs, {("discord", "C1")}) == []


def card(card_id: int, every_min: int, last: datetime, latest: Event | None = None) -> OpenCard:
    return OpenCard(
        card_id=card_id,
        platform="slack",
        channel_id=f"C{card_id}",
        workspace_id=None,
        subscription_id=card_id,
        every=timedelta(minutes=every_min),
        last_reminded_at=last,
        latest=latest or OUTAGE,
    )


def test_reminders_fall_due_per_card_and_share_one_event_per_incident() -> None:
    other = OUTAGE.replace(incident_key="inc2", title="Sora is down")
    cards = [
        card(1, 60, NOW),  # due at 15:00
        card(2, 30, NOW + timedelta(minutes=40)),  # due at 15:10
        card(3, 60, NOW - timedelta(minutes=5)),  # due at 14:55
        card(4, 60, NOW, other),  # due at 15:00, another incident
    ]
    assert plan(cards, NOW + timedelta(minutes=54)) == []
    plans = plan(cards, NOW + timedelta(minutes=60))
    assert [[c.card_id for c in p.cards] for p in plans] == [[1, 3], [4]]
    first = plans[0].event
    assert first.kind is EventKind.REMINDER
    assert first.at == NOW + timedelta(minutes=60)
    assert first.duration_s == 3600.0  # from the incident's start, not from the last reminder
    assert first.title == OUTAGE.title
    assert plans[1].event.incident_key == "inc2"
    assert next_due_at(cards) == NOW + timedelta(minutes=55)
    assert next_due_at([]) is None
