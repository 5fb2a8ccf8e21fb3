"""One face for both fake chat platforms, so the notifier contract is written once.

Each adapter starts its fake (fakes/slack.py, fakes/discord.py) on 127.0.0.1, drives the
real notifier through the platform's real client, and answers the contract's questions
(what is in the channel, in the card's thread, how many edits) in platform-neutral terms.
What only one platform shows (Slack metadata and broadcasts, Discord colours and replies)
stays in the adapter's `check_*` methods.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import discord

from bot.events import Event
from bot.models import Severity
from bot.notify import CardRef, Delivery
from bot.render import SEVERITY_COLOUR
from fakes.discord import FakeDiscord
from fakes.discord_payloads import form_errors
from fakes.slack import FakeSlack
from integrations.discord.embeds import EmbedLimits
from integrations.discord.notifier import DiscordNotifier
from integrations.discord.platform import MAX_RATELIMIT_WAIT_S, minimal_intents, point_at
from integrations.slack.blocks import SlackLimits
from integrations.slack.notifier import SlackNotifier

SLACK_TOKEN = "xoxb-contract-bot-token"
DISCORD_TOKEN = "contract-discord-bot-token"


@dataclass(frozen=True)
class Shown:
    """A message as a channel member sees it: its id, headline and everything it says."""

    id: str
    title: str
    text: str
    raw: Any


class SavedCards:
    """Collects save_card calls the way the outbox would."""

    def __init__(self) -> None:
        self.refs: list[CardRef] = []

    async def __call__(self, ref: CardRef) -> None:
        self.refs.append(ref)


class ChatAdapter:
    """What the contract needs from a platform; see SlackAdapter and DiscordAdapter."""

    platform: ClassVar[str]
    token: ClassVar[str]
    channel_gone_code: ClassVar[str]  # the platform's word for "channel not found"
    line_limit: ClassVar[int]  # the longest text one thread line may carry
    notifier: Any

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def delivery(
        self, event: Event, *, id: int = 1, card: CardRef | None = None, attempt: int = 1
    ) -> Delivery:
        raise NotImplementedError

    async def deliver(
        self, event: Event, *, id: int = 1, card: CardRef | None = None, attempt: int = 1
    ) -> tuple[CardRef, list[CardRef]]:
        """Deliver one outbox row; the card ref returned and the refs it asked to save."""
        saved = SavedCards()
        ref = await self.notifier.deliver(
            self.delivery(event, id=id, card=card, attempt=attempt), saved
        )
        return ref, saved.refs

    # what the channel shows
    def cards(self) -> list[Shown]:
        raise NotImplementedError

    def notices(self) -> list[str]:
        """Texts visible in the channel itself apart from the cards."""
        raise NotImplementedError

    def thread(self, ref: CardRef) -> list[str]:
        raise NotImplementedError

    def edits(self) -> int:
        raise NotImplementedError

    def over_limits(self, card: Shown) -> list[str]:
        raise NotImplementedError

    # faults
    def lose_answer_to_next_post(self) -> None:
        raise NotImplementedError

    def rate_limit_next_post(self) -> None:
        """A short 429 the client waits out by itself."""
        raise NotImplementedError

    async def rate_limit_beyond_waiting(self) -> float:
        """A 429 longer than a worker should sleep; returns the Retry-After it carries."""
        raise NotImplementedError

    def server_error_on_next_post(self) -> None:
        raise NotImplementedError

    def delete_channel(self) -> None:
        raise NotImplementedError

    def revoke_token(self) -> None:
        raise NotImplementedError

    def delete_card(self, ref: CardRef) -> None:
        raise NotImplementedError

    # what only this platform shows
    def check_card(self, card: Shown, delivery_id: int, severity: Severity) -> None:
        """Platform details of a card (metadata, colour) beyond the shared headline."""

    def check_restoration_notice(self, ref: CardRef) -> None:
        """How the restoration reached the channel (broadcast reply, reply to the card)."""

    def check_cut(self, card: Shown) -> None:
        """How an oversized card was shortened, where the platform has its own way."""

    def check_first_saves(self, saved: list[CardRef], ref: CardRef) -> None:
        """The card refs a first delivery saved, in order."""

    def check_rate_limited_calls(self) -> None:
        """The calls a waited-out 429 cost."""

    def check_retry_lookups(self) -> None:
        """What a retry read to find its earlier post (lookups can be rate-limited hard)."""


class SlackAdapter(ChatAdapter):
    platform = "slack"
    token = SLACK_TOKEN
    channel_gone_code = "channel_not_found"
    line_limit = SlackLimits.FALLBACK_TEXT
    CHANNEL = "C0ALERTS"
    POST = "chat.postMessage"

    async def start(self) -> None:
        self.fake = FakeSlack(bot_token=SLACK_TOKEN)
        await self.fake.start()
        self.notifier = SlackNotifier(SLACK_TOKEN, self.fake.api_url)

    async def stop(self) -> None:
        await self.notifier.aclose()
        await self.fake.aclose()

    def delivery(
        self, event: Event, *, id: int = 1, card: CardRef | None = None, attempt: int = 1
    ) -> Delivery:
        return Delivery(id, "slack", "T0FAKE", self.CHANNEL, event, card, attempt)

    def cards(self) -> list[Shown]:
        return [
            Shown(m.ts, m.blocks[0]["text"]["text"] if m.blocks else m.text, str(m.blocks), m)
            for m in self.fake.top_level(self.CHANNEL)
        ]

    def notices(self) -> list[str]:
        return [
            m.text for m in self.fake.messages(self.CHANNEL) if m.thread_ts and m.reply_broadcast
        ]

    def thread(self, ref: CardRef) -> list[str]:
        return [m.text for m in self.fake.replies(self.CHANNEL, ref.message_id)]

    def edits(self) -> int:
        return len(self.fake.ok_calls_to("chat.update"))

    def over_limits(self, card: Shown) -> list[str]:
        problems = []
        blocks = card.raw.blocks or []
        if len(blocks) > SlackLimits.MAX_BLOCKS:
            problems.append(f"{len(blocks)} blocks")
        for block in blocks:
            text = (block.get("text") or {}).get("text", "")
            limit = (
                SlackLimits.HEADER_TEXT if block["type"] == "header" else SlackLimits.SECTION_TEXT
            )
            if len(text) > limit:
                problems.append(f"{block['type']} text of {len(text)} characters")
            for field in block.get("fields") or []:
                if len(field["text"]) > SlackLimits.FIELD_TEXT:
                    problems.append(f"field of {len(field['text'])} characters")
        return problems

    def lose_answer_to_next_post(self) -> None:
        self.fake.drop_after_commit(self.POST)

    def rate_limit_next_post(self) -> None:
        self.fake.fail_next(self.POST, 1, retry_after=1)

    async def rate_limit_beyond_waiting(self) -> float:
        await self.notifier.aclose()
        self.notifier = SlackNotifier(SLACK_TOKEN, self.fake.api_url, rate_limit_retries=0)
        self.fake.fail_next(self.POST, 1, retry_after=7)
        return 7.0

    def server_error_on_next_post(self) -> None:
        self.fake.fail_next(self.POST, 1, status=503, error="service_unavailable")

    def delete_channel(self) -> None:
        self.fake.delete_channel(self.CHANNEL)

    def revoke_token(self) -> None:
        self.fake.revoke_token()

    def delete_card(self, ref: CardRef) -> None:
        self.fake.delete_message(self.CHANNEL, ref.message_id)

    def check_card(self, card: Shown, delivery_id: int, severity: Severity) -> None:
        # The delivery key rides in message metadata: how a retry finds a lost post.
        assert card.raw.metadata == {
            "event_type": "statusbot_delivery",
            "event_payload": {"delivery_id": f"sb-{delivery_id}", "incident_key": "openai:inc-1"},
        }
        first_reply = self.fake.replies(self.CHANNEL, card.id)[0]
        assert first_reply.metadata["event_payload"]["delivery_id"] == f"sb-{delivery_id}:r"
        assert card.title in card.raw.text  # the notification fallback says it too

    def check_first_saves(self, saved: list[CardRef], ref: CardRef) -> None:
        assert saved == [ref]  # Slack threads need no second step

    def check_rate_limited_calls(self) -> None:
        statuses = [c.status for c in self.fake.calls_to(self.POST)]
        assert statuses == [429, 200, 200]  # the 429, the card, its first thread line

    def check_retry_lookups(self) -> None:
        # New apps get conversations.history at 1 request/min: one lookup per retry at most.
        assert len(self.fake.calls_to("conversations.history")) <= 1

    def check_restoration_notice(self, ref: CardRef) -> None:
        last = self.fake.replies(self.CHANNEL, ref.message_id)[-1]
        assert last.reply_broadcast is True  # the thread reply also shows in the channel


class DiscordAdapter(ChatAdapter):
    platform = "discord"
    token = DISCORD_TOKEN
    channel_gone_code = "10003"
    line_limit = EmbedLimits.CONTENT
    POST = "POST /channels/{channel}/messages"
    EDIT = "PATCH /channels/{channel}/messages/{message}"

    async def start(self) -> None:
        self._saved_endpoints = (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        )
        self.fake = FakeDiscord(token=DISCORD_TOKEN)
        await self.fake.start()
        self.guild_id, [self.channel_id] = self.fake.add_guild("Contract", channels=1)
        point_at(self.fake.api_base_url, self.fake.gateway_url)
        self.client = discord.Client(
            intents=minimal_intents(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S
        )
        await self.client.login(DISCORD_TOKEN)
        self.notifier = DiscordNotifier(self.client)

    async def stop(self) -> None:
        try:
            await self.client.close()
            await self.fake.stop()
        finally:
            base, gateway = self._saved_endpoints
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway

    def delivery(
        self, event: Event, *, id: int = 1, card: CardRef | None = None, attempt: int = 1
    ) -> Delivery:
        return Delivery(
            id, "discord", str(self.guild_id), str(self.channel_id), event, card, attempt
        )

    def _in_channel(self) -> list[dict[str, Any]]:
        return self.fake.messages(self.channel_id)

    def cards(self) -> list[Shown]:
        return [
            Shown(
                str(m["id"]),
                m["embeds"][0]["title"],
                json.dumps(m["embeds"][0], ensure_ascii=False),
                m,
            )
            for m in self._in_channel()
            if m.get("embeds")
        ]

    def notices(self) -> list[str]:
        return [m["content"] for m in self._in_channel() if not m.get("embeds")]

    def thread(self, ref: CardRef) -> list[str]:
        if ref.thread_id is None or int(ref.thread_id) not in self.fake.channels:
            return []
        return [m["content"] for m in self.fake.messages(int(ref.thread_id))]

    def edits(self) -> int:
        return self.fake.count(self.EDIT)

    def over_limits(self, card: Shown) -> list[str]:
        return form_errors(card.raw)

    def lose_answer_to_next_post(self) -> None:
        self.fake.drop_after_commit(self.POST)

    def rate_limit_next_post(self) -> None:
        self.fake.fail_next(self.POST, count=2, status=429, retry_after=0.05)

    async def rate_limit_beyond_waiting(self) -> float:
        self.fake.fail_next(self.POST, status=429, retry_after=90.0)
        return 90.0

    def server_error_on_next_post(self) -> None:
        self.fake.fail_next(self.POST, status=503)

    def delete_channel(self) -> None:
        self.fake.delete_channel(self.channel_id)

    def revoke_token(self) -> None:
        self.fake.token_revoked = True

    def delete_card(self, ref: CardRef) -> None:
        self.fake.channels[self.channel_id].messages.pop(int(ref.message_id))

    def check_card(self, card: Shown, delivery_id: int, severity: Severity) -> None:
        assert card.raw["embeds"][0]["color"] == SEVERITY_COLOUR[severity]

    def check_first_saves(self, saved: list[CardRef], ref: CardRef) -> None:
        # Saved as soon as it was posted, then again once its thread existed.
        assert saved == [CardRef(ref.message_id), ref]
        assert ref.thread_id == ref.message_id

    def check_rate_limited_calls(self) -> None:
        statuses = [c.status for c in self.fake.calls_to(self.POST, self.channel_id)]
        assert statuses == [429, 429, 200]

    def check_cut(self, card: Shown) -> None:
        embed = card.raw["embeds"][0]
        assert embed["description"].endswith("…")
        components = next(f for f in embed["fields"] if f["name"] == "Affected components")
        assert "… and " in components["value"]  # says how many were left out

    def check_restoration_notice(self, ref: CardRef) -> None:
        notice = self._in_channel()[-1]
        assert notice["message_reference"]["message_id"] == ref.message_id  # a reply to the card
        [card] = self.cards()
        duration = {"name": "Duration", "value": "47 min", "inline": True}
        assert duration in card.raw["embeds"][0]["fields"]


ADAPTERS: dict[str, type[ChatAdapter]] = {"slack": SlackAdapter, "discord": DiscordAdapter}
