"""Telegram (Bot API over httpx): the living card, edited in place, its timeline as replies.

https://core.telegram.org/bots/api#sendmessage and #editmessagetext. Text is sent with
`parse_mode: HTML`, every page and user text escaped (Telegram only links and styles what
the bot marks up; it pings nobody from text). The token is part of each method's URL: no
error or log line ever carries the URL.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import EventKind
from bot.notify import CardRef, Delivery, SaveCard
from bot.render import card_facts, reply_text, utc_text
from bot.retry_after import parse_retry_after
from bot.untrusted import safe_url
from integrations.outputs.config import TelegramOutput
from integrations.outputs.http import client

MESSAGE_LIMIT = 4096
NOTICE_ONLY = frozenset({EventKind.RESTORED, EventKind.MAINTENANCE_ENDED, EventKind.MERGED})
# The card was deleted in the chat: post a fresh one.
CARD_GONE = ("message to edit not found", "message_id_invalid")
# The chat is gone or closed to the bot: stop delivering there.
CHAT_GONE = ("chat not found", "bot was kicked", "bot was blocked", "not enough rights",
             "have no rights", "group chat was upgraded", "chat_write_forbidden")  # fmt: skip


def _cut(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_html(delivery: Delivery) -> str:
    """The card as Telegram HTML; each piece escaped and cut on its own (tags stay whole)."""
    event = delivery.event
    facts = card_facts(event)
    lines = [
        f"<b>{html.escape(_cut(facts.headline, 200))}</b>",
        html.escape(_cut(facts.title, 500)),
    ]
    state = f"State: {facts.state}"
    if facts.official_status:
        state += f" · official: {facts.official_status}"
    lines.append(html.escape(state))
    lines.append(f"Started: {utc_text(event.started_at)}")
    if facts.components:
        lines.append(html.escape(_cut("Affected: " + ", ".join(facts.components), 800)))
    if facts.latest_update:
        lines.append("")
        lines.append(html.escape(_cut(facts.latest_update, 2000)))
    url = safe_url(facts.url)
    if url is not None:
        lines.append(f'<a href="{html.escape(url, quote=True)}">Official status page</a>')
    return "\n".join(lines)


class TelegramNotifier:
    """Implements bot.notify.Notifier for every `kind: telegram` output (by name)."""

    platform: ClassVar[str] = "telegram"
    per_channel_interval_s: ClassVar[float] = 1.0  # Telegram: about one message a second a chat
    commit_first: ClassVar[bool] = False  # at least once: a lost answer may repeat a post

    def __init__(self, outputs: Mapping[str, TelegramOutput]) -> None:
        self.outputs = dict(outputs)
        self._http: httpx.AsyncClient | None = None

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        output = self.outputs.get(delivery.channel_id)
        if output is None:
            raise PermanentDeliveryError(f"no telegram output named {delivery.channel_id!r}")
        event, card = delivery.event, delivery.card
        if card is None and event.kind in NOTICE_ONLY:
            sent = await self._send(output, _cut(html.escape(reply_text(event, delivery.held))))
            notice = CardRef(message_id=sent)
            await save_card(notice)
            return notice
        if card is None:
            return await self._new_card(output, delivery, save_card)
        if event.kind is not EventKind.REMINDER:
            try:
                await self._call(
                    output,
                    "editMessageText",
                    {"chat_id": output.chat_id, "message_id": int(card.message_id),
                     "text": _cut(card_html(delivery)), "parse_mode": "HTML",
                     "link_preview_options": {"is_disabled": True}},
                )  # fmt: skip
            except _CardGone:
                return await self._new_card(output, delivery, save_card)
        await self._reply(output, delivery, card)
        return card

    async def _new_card(
        self, output: TelegramOutput, delivery: Delivery, save_card: SaveCard
    ) -> CardRef:
        sent = await self._send(output, _cut(card_html(delivery)))
        card = CardRef(message_id=sent, thread_id=sent)
        await save_card(card)
        await self._reply(output, delivery, card)
        return card

    async def _reply(self, output: TelegramOutput, delivery: Delivery, card: CardRef) -> None:
        text = _cut(html.escape(reply_text(delivery.event, delivery.held)))
        await self._send(output, text, reply_to=int(card.message_id))

    async def _send(self, output: TelegramOutput, text: str, reply_to: int | None = None) -> str:
        payload: dict[str, Any] = {
            "chat_id": output.chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if reply_to is not None:
            payload["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        result = await self._call(output, "sendMessage", payload)
        return str(result["message_id"])

    async def _call(self, output: TelegramOutput, method: str, payload: dict[str, Any]) -> Any:
        if self._http is None:
            self._http = client()
        url = f"{output.api_url.rstrip('/')}/bot{output.bot_token.get_secret_value()}/{method}"
        what = f"telegram {output.name} {method}"
        try:
            response = await self._http.post(url, json=payload)
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"{what}: network: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 200 and answer.get("ok"):
            return answer.get("result")
        description = str(answer.get("description") or "")[:200]
        lowered = description.lower()
        code = int(answer.get("error_code") or response.status_code)
        if code == 429:
            retry = (answer.get("parameters") or {}).get("retry_after")
            raise TransientDeliveryError(f"{what}: rate limited (429)", parse_retry_after(retry))
        if code == 401:
            raise PermanentDeliveryError(f"{what}: token rejected (401)", workspace_wide=True)
        if "message is not modified" in lowered:
            return {}
        if method == "editMessageText" and any(s in lowered for s in CARD_GONE):
            raise _CardGone
        if code == 403 or any(s in lowered for s in CHAT_GONE):
            raise PermanentDeliveryError(f"{what}: {code} {description}")
        raise TransientDeliveryError(f"{what}: {code} {description}")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


class _CardGone(Exception):
    """The card to edit no longer exists in the chat."""
