"""One face for the configured outputs (generic webhook, Slack incoming webhook, Teams,
Telegram), so their delivery contract is written once in tests/test_notifier_contract.py.

Each adapter runs its fake on 127.0.0.1 (fakes/webhooks.py, fakes/telegram.py), drives the
real notifier over httpx, and says what the destination shows, in plain text.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from bot.events import Event
from bot.notify import CardRef, Delivery
from fakes.telegram import FakeTelegram
from fakes.webhooks import FakeWebhooks
from integrations.outputs.config import (
    SlackWebhookOutput,
    TeamsOutput,
    TelegramOutput,
    WebhookOutput,
)
from integrations.outputs.slack_webhook import SlackWebhookNotifier
from integrations.outputs.teams import TeamsNotifier
from integrations.outputs.telegram import TelegramNotifier
from integrations.outputs.webhook import WebhookNotifier
from tests.notifier_adapters import SavedCards

NAME = "ops"
TELEGRAM_TOKEN = "123456:contract-telegram-token"
CHAT = "-1001234"


class OutputAdapter:
    platform: ClassVar[str]
    # The living card is edited in place (Telegram); otherwise later events are follow-ups.
    edits_in_place: ClassVar[bool] = False
    # A retry after a lost answer is recognised (by the receiver) and not shown twice.
    dedupes_retries: ClassVar[bool] = False
    notifier: Any

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def delivery(
        self, event: Event, *, id: int = 1, card: CardRef | None = None, attempt: int = 1
    ) -> Delivery:
        return Delivery(id, self.platform, None, NAME, event, card, attempt)

    async def deliver(
        self, event: Event, *, id: int = 1, card: CardRef | None = None, attempt: int = 1
    ) -> tuple[CardRef, list[CardRef]]:
        saved = SavedCards()
        ref = await self.notifier.deliver(
            self.delivery(event, id=id, card=card, attempt=attempt), saved
        )
        return ref, saved.refs

    def messages(self) -> list[str]:
        """Every message the destination shows, oldest first, as text."""
        raise NotImplementedError

    def edited(self) -> int:
        return 0

    def rate_limit_next(self, retry_after: float) -> None:
        raise NotImplementedError

    def server_error_next(self) -> None:
        raise NotImplementedError

    def gone(self) -> None:
        raise NotImplementedError

    def lose_answer_to_next_post(self) -> None:
        raise NotImplementedError


class _PostOnly(OutputAdapter):
    """The outputs served by FakeWebhooks: one URL each, POST only."""

    path: ClassVar[str]

    async def start(self) -> None:
        self.fake = await FakeWebhooks().start()
        self.notifier = self.make(self.fake.url(self.path, NAME))

    def make(self, url: str) -> Any:
        raise NotImplementedError

    async def stop(self) -> None:
        await self.notifier.aclose()
        await self.fake.stop()

    def messages(self) -> list[str]:
        return [json.dumps(body, ensure_ascii=False) for body in self.fake.bodies(NAME)]

    def rate_limit_next(self, retry_after: float) -> None:
        self.fake.fail_next(NAME, 429, retry_after)

    def server_error_next(self) -> None:
        self.fake.fail_next(NAME, 500)

    def gone(self) -> None:
        self.fake.gone(NAME, 404)

    def lose_answer_to_next_post(self) -> None:
        self.fake.drop_after_commit(NAME)


class WebhookAdapter(_PostOnly):
    platform = "webhook"
    path = "hooks"
    dedupes_retries = True

    def make(self, url: str) -> Any:
        output = WebhookOutput(kind="webhook", name=NAME, url=url, secret="contract-secret")
        return WebhookNotifier({NAME: output})


class SlackWebhookAdapter(_PostOnly):
    platform = "slack_webhook"
    path = "services"

    def make(self, url: str) -> Any:
        return SlackWebhookNotifier(
            {NAME: SlackWebhookOutput(kind="slack_webhook", name=NAME, url=url)}
        )


class TeamsAdapter(_PostOnly):
    platform = "teams"
    path = "workflows"

    def make(self, url: str) -> Any:
        return TeamsNotifier({NAME: TeamsOutput(kind="teams", name=NAME, url=url)})


class TelegramAdapter(OutputAdapter):
    platform = "telegram"
    edits_in_place = True

    async def start(self) -> None:
        self.fake = await FakeTelegram(TELEGRAM_TOKEN).start()
        self.fake.add_chat(CHAT)
        output = TelegramOutput(
            kind="telegram", name=NAME, bot_token=TELEGRAM_TOKEN, chat_id=CHAT,
            api_url=self.fake.api_url,
        )  # fmt: skip
        self.notifier = TelegramNotifier({NAME: output})

    async def stop(self) -> None:
        await self.notifier.aclose()
        await self.fake.stop()

    def messages(self) -> list[str]:
        return [m.text for m in self.fake.messages(CHAT)]

    def edited(self) -> int:
        return sum(len(m.edits) for m in self.fake.messages(CHAT))

    def rate_limit_next(self, retry_after: float) -> None:
        self.fake.fail_next(429, retry_after)

    def server_error_next(self) -> None:
        self.fake.fail_next(500)

    def gone(self) -> None:
        self.fake.delete_chat(CHAT)

    def lose_answer_to_next_post(self) -> None:
        self.fake.drop_after_commit()


OUTPUT_ADAPTERS: dict[str, type[OutputAdapter]] = {
    "webhook": WebhookAdapter,
    "slack_webhook": SlackWebhookAdapter,
    "teams": TeamsAdapter,
    "telegram": TelegramAdapter,
}
