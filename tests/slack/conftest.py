"""Shared fixtures: a fake Slack on 127.0.0.1, a real Store on a temp SQLite file, events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands import CommandService
from bot.config import Config, parse_config
from bot.events import Event, EventKind
from bot.models import IncidentStatus, Severity
from bot.notify import CardRef, Delivery
from bot.store.store import Store
from fakes.slack import FakeSlack
from integrations.slack.config import SlackConfig
from integrations.slack.notifier import SlackNotifier

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret-0123456789"
STARTED = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as fake:
        yield fake


@pytest.fixture
async def notifier(slack: FakeSlack) -> AsyncIterator[SlackNotifier]:
    notifier = SlackNotifier(BOT_TOKEN, slack.api_url)
    yield notifier
    await notifier.aclose()


def bot_config(store_url: str, **slack: object) -> Config:
    """Three providers whose sources are never polled in-process."""
    data = {
        "store": {"url": store_url},
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt", "gpt"],
                "sources": [{"kind": "statuspage", "url": "http://127.0.0.1:9/summary.json"}],
            },
            "anthropic": {
                "name": "Anthropic",
                "aliases": ["claude"],
                "sources": [{"kind": "statuspage", "url": "http://127.0.0.1:9/a.json"}],
            },
        },
        "slack": {"bot_token": BOT_TOKEN, "app_token": APP_TOKEN, **slack},
    }
    return parse_config(data, "test")


@pytest.fixture
def config(store: Store) -> Config:
    return bot_config(store.url)


@pytest.fixture
def commands(config: Config, store: Store) -> CommandService:
    return CommandService(config, store)


def slack_config(config: Config, api_url: str, **changes: object) -> SlackConfig:
    assert config.slack is not None
    return SlackConfig.model_validate({**config.slack.model_dump(), "api_url": api_url, **changes})


def make_event(kind: EventKind, **changes: object) -> Event:
    event = Event(
        kind=kind,
        provider="openai",
        source_id="openai",
        page_name="OpenAI",
        incident_key="openai:inc-1",
        title="Elevated error rates in ChatGPT",
        severity=Severity.PARTIAL_OUTAGE,
        at=STARTED,
        started_at=STARTED,
        incident_id="inc-1",
        status=IncidentStatus.INVESTIGATING,
        components=("ChatGPT", "Conversations"),
        text="We are investigating elevated error rates.",
        url="https://status.openai.com/incidents/inc-1",
    )
    return event.replace(**changes)


def make_delivery(
    event: Event,
    *,
    delivery_id: int = 1,
    channel: str = "C0ALERTS",
    card: CardRef | None = None,
    attempt: int = 1,
) -> Delivery:
    return Delivery(
        id=delivery_id,
        platform="slack",
        workspace_id="T0FAKE",
        channel_id=channel,
        event=event,
        card=card,
        attempt=attempt,
    )


class SavedCards:
    """Collects save_card calls the way the outbox would."""

    def __init__(self) -> None:
        self.refs: list[CardRef] = []

    async def __call__(self, ref: CardRef) -> None:
        self.refs.append(ref)


def later(minutes: float) -> datetime:
    return STARTED + timedelta(minutes=minutes)
