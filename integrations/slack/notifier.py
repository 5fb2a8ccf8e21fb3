"""SlackNotifier: the living incident card, edited in place, with the timeline in its thread.

API: https://api.slack.com/methods/chat.postMessage, /chat.update, /conversations.history,
/conversations.replies and message metadata https://api.slack.com/metadata.
Idempotency: every post carries `metadata.event_payload.delivery_id`; on a retry we look
for it in the channel's recent history before posting again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, ClassVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DeliveryError, PermanentDeliveryError
from bot.events import Event, EventKind
from bot.notify import CardRef, Delivery, SaveCard
from integrations.slack.blocks import card_blocks, card_text, reply_blocks, with_mention
from integrations.slack.errors import NETWORK_ERRORS, api_error_code, delivery_error

log = logging.getLogger(__name__)

# The token of the workspace the current delivery goes to (each delivery is its own task).
_workspace_token: ContextVar[str | None] = ContextVar("slack_workspace_token", default=None)
# A workspace's installed bot token, or None when the app is not installed there.
TokenLookup = Callable[[str | None], Awaitable[str | None]]

# Endings that reach a channel without a card are a one-line notice, never a new card.
NOTICE_ONLY = frozenset({EventKind.RESTORED, EventKind.MAINTENANCE_ENDED, EventKind.MERGED})


class SlackNotifier:
    """Implements bot.notify.Notifier for Slack."""

    platform: ClassVar[str] = "slack"
    per_channel_interval_s: ClassVar[float] = 1.0
    commit_first: ClassVar[bool] = False  # posts are idempotent by metadata lookup
    METADATA_EVENT_TYPE: ClassVar[str] = "statusbot_delivery"
    HISTORY_LOOKUP_LIMIT: ClassVar[int] = 50
    REPLY_LOOKUP_LIMIT: ClassVar[int] = 200
    REPLY_LOOKBACK_S: ClassVar[float] = 6 * 3600
    RATE_LIMIT_RETRIES: ClassVar[int] = 2
    # The card was deleted by someone: post a fresh one instead of failing forever.
    CARD_GONE: ClassVar[frozenset[str]] = frozenset(
        {"message_not_found", "cant_update_message", "edit_window_closed", "thread_not_found"}
    )

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        rate_limit_retries: int | None = None,
        tokens: TokenLookup | None = None,
    ) -> None:
        """`token`: the one workspace's bot token; with `tokens` (installed in many
        workspaces), each delivery uses its workspace's token, `token` when there is none."""
        self._token = token
        self._tokens = tokens
        self._base_url = base_url
        self._retries = (
            self.RATE_LIMIT_RETRIES if rate_limit_retries is None else rate_limit_retries
        )
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, AsyncWebClient] = {}

    @property
    def client(self) -> AsyncWebClient:
        """A client with the current delivery's token, on one pooled session created inside
        the running loop on first use.

        No connection-error retry handler: a blind resend after a lost response would
        post twice. The outbox retries instead, with the history lookup below.
        """
        token = _workspace_token.get() or self._token
        client = self._clients.get(token)
        if client is None:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            client = AsyncWebClient(
                token=token,
                base_url=self._base_url,
                session=self._session,
                retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=self._retries)],
            )
            self._clients[token] = client
        return client

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session, self._clients = None, {}

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        if self._tokens is None:
            return await self._deliver_here(delivery, save_card)
        token = await self._tokens(delivery.workspace_id) or self._token
        if not token:
            raise PermanentDeliveryError(
                "the app is not installed in this workspace", workspace_wide=True
            )
        reset = _workspace_token.set(token)
        try:
            return await self._deliver_here(delivery, save_card)
        finally:
            _workspace_token.reset(reset)

    async def _deliver_here(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        try:
            return await self._deliver(delivery, save_card)
        except DeliveryError:
            raise
        except (SlackClientError, *NETWORK_ERRORS) as exc:
            error = delivery_error(exc)
            log.info("slack delivery %s to %s failed: %s", delivery.key, delivery.channel_id, error)
            raise error from None

    async def _deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        event = delivery.event
        if delivery.card is None and event.kind in NOTICE_ONLY:
            # The end of an incident this channel never had a card for: one line, no card.
            text, blocks = reply_blocks(event, delivery.held)
            return await self._new_card(delivery, save_card, text, blocks)
        if delivery.card is None:
            text, blocks = with_mention(delivery.mention, card_text(event), card_blocks(event))
            ref = await self._new_card(delivery, save_card, text, blocks)
            if event.text or event.kind is EventKind.RESTORED or delivery.held:
                await self._reply(delivery, ref, broadcast=False)
            return ref
        ref = delivery.card
        try:
            if event.kind is not EventKind.REMINDER:
                await self.client.chat_update(
                    channel=delivery.channel_id,
                    ts=ref.message_id,
                    text=card_text(event),
                    blocks=card_blocks(event),
                )
            # The restored notice is shown in the channel, as is an escalation that pings.
            loud = (event.kind is EventKind.RESTORED and not event.test) or bool(delivery.mention)
            await self._reply(delivery, ref, broadcast=loud, mention=delivery.mention)
        except SlackApiError as exc:
            if api_error_code(exc) not in self.CARD_GONE:
                raise
            # Someone deleted the card: a fresh one (visible in the channel) replaces it.
            log.info("slack card %s in %s is gone; posting a new one", ref, delivery.channel_id)
            ref = await self._new_card(delivery, save_card)
            await self._reply(delivery, ref, broadcast=False)
        return ref

    async def _new_card(
        self,
        delivery: Delivery,
        save_card: SaveCard,
        text: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> CardRef:
        """Post the card once under the delivery key, and save it before anything else."""
        event = delivery.event
        ts = None
        if delivery.attempt > 1:
            ts = await self._find_posted(delivery, delivery.key, thread_ts=None)
        if ts is None:
            response = await self.client.chat_postMessage(
                channel=delivery.channel_id,
                text=text or card_text(event),
                blocks=blocks or card_blocks(event),
                metadata=self._metadata(delivery.key, event),
                unfurl_links=False,
                unfurl_media=False,
            )
            ts = str(response["ts"])
        ref = CardRef(message_id=ts, thread_id=ts)
        await save_card(ref)
        return ref

    async def _reply(
        self, delivery: Delivery, ref: CardRef, *, broadcast: bool, mention: str | None = None
    ) -> None:
        key = delivery.key + ":r"
        thread_ts = ref.thread_id or ref.message_id
        if delivery.attempt > 1 and await self._find_posted(delivery, key, thread_ts=thread_ts):
            return
        text, blocks = with_mention(mention, *reply_blocks(delivery.event, delivery.held))
        await self.client.chat_postMessage(
            channel=delivery.channel_id,
            thread_ts=thread_ts,
            reply_broadcast=broadcast,
            text=text,
            blocks=blocks,
            metadata=self._metadata(key, delivery.event),
            unfurl_links=False,
            unfurl_media=False,
        )

    async def _find_posted(self, delivery: Delivery, key: str, thread_ts: str | None) -> str | None:
        """The ts of a message an earlier attempt already posted under `key`, if any."""
        if thread_ts is None:
            response = await self.client.conversations_history(
                channel=delivery.channel_id,
                limit=self.HISTORY_LOOKUP_LIMIT,
                include_all_metadata=True,
            )
        else:
            # Replies come oldest first: look only at the recent ones a lost attempt made.
            response = await self.client.conversations_replies(
                channel=delivery.channel_id,
                ts=thread_ts,
                oldest=f"{time.time() - self.REPLY_LOOKBACK_S:.6f}",
                limit=self.REPLY_LOOKUP_LIMIT,
                include_all_metadata=True,
            )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == self.METADATA_EVENT_TYPE
                and payload.get("delivery_id") == key
            ):
                log.info("slack delivery %s was already posted; reusing it", key)
                return str(message["ts"])
        return None

    def _metadata(self, key: str, event: Event) -> dict[str, Any]:
        return {
            "event_type": self.METADATA_EVENT_TYPE,
            "event_payload": {"delivery_id": key, "incident_key": event.incident_key},
        }
