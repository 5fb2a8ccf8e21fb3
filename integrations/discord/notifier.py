"""The living incident card on Discord: one embed edited in place, a thread with the timeline.

Upstream API: https://discord.com/developers/docs/resources/message#create-message and
https://discord.com/developers/docs/resources/channel#start-thread-from-message.
Everything goes over REST through discord.py's own HTTP client (no message cache needed).
Posts carry `nonce` + `enforce_nonce`, so a retry after a crash returns the message that
already exists instead of posting a second one. discord.py waits out 429s itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar, Literal

import aiohttp
import discord

from bot.crowd_desk import asks_the_crowd
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.events import Event, EventKind
from bot.notify import CardRef, Delivery, SaveCard
from bot.render import card_facts, reply_text, thread_text
from bot.retry_after import parse_retry_after
from integrations.discord.crowd import crowd_view
from integrations.discord.embeds import EmbedLimits, card_embed, cut, restoration_notice
from integrations.discord.markup import NO_PINGS, escape, opted_in

log = logging.getLogger(__name__)

# Endings that reach a channel without a card are a one-line notice, never a new card.
NOTICE_ONLY = frozenset({EventKind.RESTORED, EventKind.MAINTENANCE_ENDED, EventKind.MERGED})

# https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
THREAD_ALREADY_EXISTS = 160004


class DiscordNotifier:
    """Delivers outbox rows to Discord channels; see bot.notify.Notifier for the contract."""

    platform: ClassVar[str] = "discord"
    per_channel_interval_s: ClassVar[float] = 0.0  # discord.py paces per bucket itself
    commit_first: ClassVar[bool] = False  # posts are idempotent by nonce
    THREAD_ARCHIVE_MINUTES: ClassVar[Literal[10080]] = (
        10080  # a week: long incidents keep their thread
    )
    REQUEST_TIMEOUT_S: ClassVar[float] = 30.0

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        """Apply the delivery's event to its card; raise only DeliveryError subclasses."""
        try:
            async with asyncio.timeout(self.REQUEST_TIMEOUT_S):
                return await self._deliver(delivery, save_card)
        except discord.RateLimited as exc:
            raise TransientDeliveryError(
                "discord rate limit", parse_retry_after(exc.retry_after)
            ) from None
        except (discord.Forbidden, discord.NotFound) as exc:
            reason = f"discord {exc.status} (code {exc.code}): {exc.text or 'no access'}"
            log.warning(
                "channel %s refused delivery %s: %s", delivery.channel_id, delivery.id, reason
            )
            raise PermanentDeliveryError(reason) from None
        except discord.HTTPException as exc:
            raise _classify(exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransientDeliveryError(f"network: {type(exc).__name__}") from None

    async def aclose(self) -> None:
        """The client belongs to the platform, which closes it."""

    # --- steps ---------------------------------------------------------------------

    async def _deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        event, card = delivery.event, delivery.card
        if card is None and event.kind in NOTICE_ONLY:
            # The end of an incident this channel never had a card for: one line, no card.
            line = cut(escape(reply_text(event, delivery.held)), EmbedLimits.CONTENT)
            message = await self._channel(delivery).send(
                content=line, nonce=delivery.key, allowed_mentions=NO_PINGS
            )
            notice = CardRef(message_id=str(message.id))
            await save_card(notice)
            return notice
        if card is None:
            return await self._post_card(delivery, save_card, nonce=delivery.key)
        if event.kind is EventKind.REMINDER:
            await self._thread_say(delivery, card, thread_text(event))
            return card
        try:
            await (
                self._channel(delivery)
                .get_partial_message(int(card.message_id))
                .edit(embed=card_embed(event), allowed_mentions=NO_PINGS, view=_buttons(event))
            )
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_MESSAGE:
                raise
            # Someone deleted the card: a fresh one keeps the channel informed.
            log.info(
                "card %s in %s was deleted; posting a new one", card.message_id, delivery.channel_id
            )
            return await self._post_card(delivery, save_card, nonce=delivery.key + "n")
        if card.thread_id is None:
            card = await self._open_thread(delivery, card, save_card)
        await self._thread_say(delivery, card, reply_text(event, delivery.held))
        if event.kind is EventKind.RESTORED and not event.test:
            await self._announce_restored(delivery, card)
        if delivery.mention:
            await self._announce_escalation(delivery, card)
        return card

    async def _announce_escalation(self, delivery: Delivery, card: CardRef) -> None:
        """The card became a major outage: ping the subscription's role, replying to the card."""
        role = role_id(delivery.mention)
        if role is None:
            return
        reference = discord.MessageReference(
            message_id=int(card.message_id),
            channel_id=int(delivery.channel_id),
            fail_if_not_exists=False,
        )
        await self._channel(delivery).send(
            content=cut(
                f"<@&{role}> {escape(card_facts(delivery.event).headline)}", EmbedLimits.CONTENT
            ),
            reference=reference,
            mention_author=False,
            allowed_mentions=only_role(role),
            nonce=delivery.key + "m",
        )

    async def _announce_restored(self, delivery: Delivery, card: CardRef) -> None:
        """The restoration notice in the channel, as a reply to the card when allowed."""
        channel = self._channel(delivery)
        notice = restoration_notice(delivery.event)
        reference = discord.MessageReference(
            message_id=int(card.message_id),
            channel_id=int(delivery.channel_id),
            fail_if_not_exists=False,
        )
        try:
            await channel.send(
                content=notice,
                reference=reference,
                allowed_mentions=NO_PINGS,
                nonce=delivery.key + "r",
            )
        except discord.Forbidden:
            # Replies need Read Message History; a plain message still tells the channel.
            await channel.send(content=notice, allowed_mentions=NO_PINGS, nonce=delivery.key + "r")

    async def _post_card(self, delivery: Delivery, save_card: SaveCard, nonce: str) -> CardRef:
        """Post the card, save it at once (a crash after this must not re-post), then thread it."""
        event = delivery.event
        role = role_id(delivery.mention)
        buttons = _buttons(event)
        message = await self._channel(delivery).send(
            content=f"<@&{role}>" if role is not None else None,
            embed=card_embed(event),
            allowed_mentions=only_role(role),
            nonce=nonce,
            view=buttons,  # type: ignore[arg-type]  # None (no buttons) is the default
        )
        card = CardRef(message_id=str(message.id))
        await save_card(card)
        card = await self._open_thread(delivery, card, save_card)
        await self._thread_say(delivery, card, reply_text(delivery.event, delivery.held))
        return card

    async def _open_thread(self, delivery: Delivery, card: CardRef, save_card: SaveCard) -> CardRef:
        """A public thread on the card (its id is the card's id); already there is fine."""
        event = delivery.event
        name = cut(f"{event.page_name}: {event.title}", EmbedLimits.THREAD_NAME)
        try:
            await self.client.http.start_thread_with_message(
                int(delivery.channel_id),
                int(card.message_id),
                name=name,
                auto_archive_duration=self.THREAD_ARCHIVE_MINUTES,
                rate_limit_per_user=None,
            )
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_EXISTS:
                if isinstance(exc, discord.Forbidden):
                    # No thread permission: the card alone still carries the full state.
                    log.warning("cannot open a thread in %s: %s", delivery.channel_id, exc.text)
                    return card
                raise
        card = CardRef(message_id=card.message_id, thread_id=card.message_id)
        await save_card(card)
        return card

    async def _thread_say(self, delivery: Delivery, card: CardRef, text: str) -> None:
        """One timeline line in the card's thread; a thread a moderator removed is skipped."""
        if card.thread_id is None:
            return
        thread = self.client.get_partial_messageable(
            int(card.thread_id), type=discord.ChannelType.public_thread
        )
        try:
            content = cut(escape(text), EmbedLimits.CONTENT)
            await thread.send(content=content, allowed_mentions=NO_PINGS, nonce=delivery.key + "t")
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning("thread %s refused an update: %s", card.thread_id, exc.text)

    def _channel(self, delivery: Delivery) -> discord.PartialMessageable:
        guild_id = int(delivery.workspace_id) if delivery.workspace_id else None
        return self.client.get_partial_messageable(
            int(delivery.channel_id), guild_id=guild_id, type=discord.ChannelType.text
        )


def role_id(mention: str | None) -> int | None:
    """The role a subscription opted in to ping for a major outage (`role:ID`), if any."""
    if mention is None or not mention.startswith("role:"):
        return None
    digits = mention.removeprefix("role:")
    return int(digits) if digits.isdigit() else None


def only_role(role: int | None) -> discord.AllowedMentions:
    """Nothing may ping except the opted-in role: not text from the page, not @everyone."""
    return NO_PINGS if role is None else opted_in(role_ids=[role])


def _classify(exc: discord.HTTPException) -> TransientDeliveryError | PermanentDeliveryError:
    """Map an HTTP error discord.py gave up on to what the outbox should do."""
    if exc.status == 401:
        return PermanentDeliveryError("discord token rejected (401)", workspace_wide=True)
    if exc.status == 429:
        retry_after = exc.response.headers.get("Retry-After") if exc.response else None
        return TransientDeliveryError("discord rate limit", parse_retry_after(retry_after))
    if exc.status >= 500:
        return TransientDeliveryError(f"discord {exc.status}")
    # Other 4xx mean we sent something Discord refuses; retrying spends attempts, not channels.
    return TransientDeliveryError(f"discord {exc.status} (code {exc.code}): {exc.text}")


def _buttons(event: Event) -> discord.ui.View | None:
    """ "Down for me too" / "Works for me" under a card while its story is open."""
    return crowd_view(event.provider) if asks_the_crowd(event) else None
