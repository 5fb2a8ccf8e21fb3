"""Configured outputs: the real bot process posting to a webhook, a Slack incoming webhook,
Teams and Telegram (all fakes on 127.0.0.1); what each receiver can trust and what it sees."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.errors import PermanentDeliveryError
from bot.events import Event, EventKind
from bot.models import Severity
from bot.notify import Delivery
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import Incident, SummaryPage
from fakes.statuspage import FakeStatusPage
from fakes.telegram import FakeTelegram
from fakes.webhooks import FakeWebhooks
from integrations.outputs.config import SlackWebhookOutput, TelegramOutput, WebhookOutput
from integrations.outputs.slack_webhook import SlackWebhookNotifier
from integrations.outputs.teams import message
from integrations.outputs.telegram import TelegramNotifier
from integrations.outputs.webhook import WebhookNotifier, signature
from tests.botproc import bot_writing_log
from tests.notifier_adapters import SavedCards
from tests.output_adapters import OUTPUT_ADAPTERS
from tests.security import hostile as hostile_page
from tests.waiting import until

SECRET = "webhook-signing-secret-1"
TOKEN = "987654:telegram-e2e-token"
CHAT = "-100777"
HOSTILE = "<b>@everyone</b> [click](https://evil.example) <!channel> & *bold*"


def hostile_event() -> Event:
    now = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    return Event(
        kind=EventKind.OUTAGE,
        provider="openai",
        source_id="openai",
        page_name="OpenAI",
        incident_key="openai:inc-9",
        title=HOSTILE,
        severity=Severity.MAJOR_OUTAGE,
        at=now,
        started_at=now,
        text=HOSTILE,
    )


async def test_a_webhook_body_is_signed_so_the_receiver_can_trust_it() -> None:
    async with FakeWebhooks() as fake:
        output = WebhookOutput(
            kind="webhook", name="ops", url=fake.url("hooks", "ops"), secret=SECRET
        )
        notifier = WebhookNotifier({"ops": output})
        delivery = Delivery(42, "webhook", None, "ops", hostile_event(), None)
        await notifier.deliver(delivery, SavedCards())
        await notifier.aclose()

    [got] = fake.received["ops"]
    timestamp = got.headers["X-Statusbot-Timestamp"]
    assert got.headers["X-Statusbot-Signature"] == signature(SECRET, timestamp, got.raw)
    assert got.headers["X-Statusbot-Delivery"] == "sb-42"
    assert got.body["delivery_id"] == "sb-42"
    assert got.body["incident_title"] == HOSTILE  # data, as the page wrote it
    assert got.body["severity"] == "major_outage"
    # A tampered body no longer matches.
    assert signature(SECRET, timestamp, got.raw + b" ") != got.headers["X-Statusbot-Signature"]


def test_teams_cards_show_page_text_as_typed_and_link_only_the_official_page() -> None:
    card = message(Delivery(1, "teams", None, "ops", hostile_event(), None))
    shown = json.dumps(card, ensure_ascii=False)
    assert "[click](https://evil.example)" not in shown
    assert r"\\[click\\]\\(https://evil.example\\)" in shown
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


async def test_telegram_escapes_page_text_and_never_reveals_its_token() -> None:
    async with FakeTelegram(TOKEN) as fake:
        fake.add_chat(CHAT)
        output = TelegramOutput(
            kind="telegram", name="tg", bot_token=TOKEN, chat_id=CHAT, api_url=fake.api_url
        )
        notifier = TelegramNotifier({"tg": output})
        await notifier.deliver(
            Delivery(1, "telegram", None, "tg", hostile_event(), None), SavedCards()
        )
        fake.token_revoked = True
        with pytest.raises(PermanentDeliveryError) as caught:
            await notifier.deliver(
                Delivery(2, "telegram", None, "tg", hostile_event(), None), SavedCards()
            )
        await notifier.aclose()
    card = fake.top_level(CHAT)[0]
    assert "&lt;b&gt;@everyone&lt;/b&gt;" in card.text
    assert "<b>@everyone</b>" not in card.text
    assert caught.value.workspace_wide is True
    assert TOKEN not in str(caught.value)


def summary(status: str, updates: list[tuple[str, str]] = ()) -> bytes:
    page = SummaryPage("OpenAI").component("ChatGPT", status).component("API")
    if updates:
        incident = Incident(
            "inc1", "Elevated errors", started_at=datetime.now(UTC), components=("ChatGPT",)
        )
        for state, body in updates:
            incident.update(state, body, datetime.now(UTC))
        page.add(incident)
    return page.encode()


@pytest.mark.slow
async def test_the_bot_delivers_an_incident_to_every_configured_output(tmp_path: Path) -> None:
    async with FakeStatusPage() as page, FakeWebhooks() as hooks, FakeTelegram(TOKEN) as telegram:
        page.set_payload(SUMMARY, summary("operational"))
        telegram.add_chat(CHAT)
        config = {
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "aliases": ["chatgpt"],
                    "sources": [{"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1,
                                 "flap_window": 0}],
                }
            },
            "outputs": [
                {"kind": "webhook", "name": "ops", "url": "${OPS_URL}", "secret": "${OPS_SECRET}"},
                {"kind": "slack_webhook", "name": "team", "url": hooks.url("services", "team")},
                {"kind": "teams", "name": "it", "url": hooks.url("workflows", "it"),
                 "min_severity": "major"},
                {"kind": "telegram", "name": "tg", "bot_token": "${TG_TOKEN}", "chat_id": CHAT,
                 "api_url": telegram.api_url},
            ],
            "console": {"enabled": False},
        }  # fmt: skip
        config_file = tmp_path / "config.yaml"
        config_file.write_text(yaml.safe_dump(config))
        log = tmp_path / "bot.log"
        env = {"OPS_URL": hooks.url("hooks", "ops"), "OPS_SECRET": SECRET, "TG_TOKEN": TOKEN}
        async with bot_writing_log(config_file, log, env) as process:
            await until(lambda: page.count(SUMMARY) >= 2 or process.returncode is not None)
            assert process.returncode is None, log.read_text()
            page.set_payload(SUMMARY, summary("partial_outage", [("investigating", "Looking.")]))
            await until(lambda: hooks.bodies("ops") and hooks.bodies("team"), "the webhooks")
            await until(lambda: telegram.top_level(CHAT), "the Telegram card")
            page.set_payload(SUMMARY, summary("operational"))
            await until(lambda: len(hooks.bodies("ops")) >= 2, "the restoration webhook")
            await until(
                lambda: "Restored" in telegram.top_level(CHAT)[0].text, "the card turning green"
            )
        text = log.read_text()
    [opened, ended] = hooks.bodies("ops")[:2]
    assert opened["kind"] == "outage"
    assert ended["kind"] == "restored"
    assert hooks.bodies("it") == []  # Teams asked for major outages only
    assert "Elevated errors" in json.dumps(hooks.bodies("team"))
    assert len(telegram.top_level(CHAT)) == 1  # the living card, edited in place
    for secret in (SECRET, TOKEN, hooks.url("hooks", "ops")):
        assert secret not in text


async def test_a_slack_webhook_pings_here_only_when_opted_in_for_a_major_outage() -> None:
    async with FakeWebhooks() as fake:
        output = SlackWebhookOutput(
            kind="slack_webhook", name="team", url=fake.url("services", "team"), mention="here"
        )
        notifier = SlackWebhookNotifier({"team": output})
        hostile = hostile_event()
        await notifier.deliver(
            Delivery(1, "slack_webhook", None, "team", hostile, None), SavedCards()
        )
        await notifier.deliver(
            Delivery(2, "slack_webhook", None, "team", hostile, None, mention="here"), SavedCards()
        )
        await notifier.aclose()
    plain, pinged = fake.bodies("team")
    assert "<!here>" not in json.dumps(plain)
    assert "<!channel>" not in json.dumps(plain)  # the page's own text stays text
    assert pinged["text"].startswith("<!here> ")


@pytest.mark.parametrize("kind", sorted(OUTPUT_ADAPTERS))
async def test_hostile_page_text_pings_nobody_and_links_nothing_on_any_output(kind: str) -> None:
    adapter = OUTPUT_ADAPTERS[kind]()
    await adapter.start()
    try:
        hostile = hostile_event().replace(
            title=hostile_page.TITLE,
            text=hostile_page.UPDATE,
            components=(hostile_page.COMPONENT,),
            url=hostile_page.SHORTLINK,
        )
        await adapter.deliver(hostile)
        shown = " ".join(adapter.messages())
    finally:
        await adapter.stop()
    if kind == "webhook":
        # Data for the receiver to escape where it shows it (docs/webhook.md says so).
        assert hostile_page.TITLE in json.loads(shown)["incident_title"]
        return
    if kind == "slack_webhook":
        for markup in hostile_page.SLACK_LIVE:
            assert markup not in shown, f"{markup!r} left live on {kind}"
    elif kind == "teams":
        # Adaptive Card markdown: a masked link is live unless its brackets are escaped.
        assert not re.search(r"(?<!\\)\[Official status page\]\(", shown)
    else:  # Telegram HTML: only the bot's own tags are live
        assert "<https://evil" not in shown
        assert 'href="https://evil' not in shown
        assert "<!channel>" not in shown
