"""A Slack incoming webhook (https://api.slack.com/messaging/webhooks): no app to create.

An incoming webhook can only post: it cannot edit a message or reply in a thread. So the
first event of an incident posts the card, and every later one posts a short follow-up
(headline and what changed) in the channel itself: thread-less, not edited in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import httpx

from bot.errors import PermanentDeliveryError
from bot.events import EventKind
from bot.notify import CardRef, Delivery, SaveCard
from bot.render import card_facts
from integrations.outputs.config import SlackWebhookOutput
from integrations.outputs.http import client, post
from integrations.slack.blocks import (
    SlackLimits,
    card_blocks,
    card_text,
    reply_blocks,
    truncate,
    with_mention,
)
from integrations.slack.mrkdwn import escape

# Events that open a card elsewhere; here, they post the full card.
OPENINGS = frozenset({EventKind.DEGRADED, EventKind.OUTAGE, EventKind.MAINTENANCE_STARTED})


def follow_up(delivery: Delivery) -> tuple[str, list[dict[str, object]]]:
    """A later event: the card's headline in bold, then the line a thread would get."""
    text, blocks = reply_blocks(delivery.event, delivery.held)
    headline = escape(card_facts(delivery.event).headline)
    heading = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}}
    return truncate(f"{headline}\n{text}", SlackLimits.FALLBACK_TEXT), [heading, *blocks]


class SlackWebhookNotifier:
    """Implements bot.notify.Notifier for every `kind: slack_webhook` output (by name)."""

    platform: ClassVar[str] = "slack_webhook"
    per_channel_interval_s: ClassVar[float] = 1.0  # Slack: about one message a second
    commit_first: ClassVar[bool] = False  # at least once: a lost answer may repeat a post

    def __init__(self, outputs: Mapping[str, SlackWebhookOutput]) -> None:
        self.outputs = dict(outputs)
        self._http: httpx.AsyncClient | None = None

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        output = self.outputs.get(delivery.channel_id)
        if output is None:
            raise PermanentDeliveryError(f"no slack_webhook output named {delivery.channel_id!r}")
        event = delivery.event
        if delivery.card is None and event.kind in OPENINGS:
            text, blocks = card_text(event), card_blocks(event)
        else:
            text, blocks = follow_up(delivery)
        text, blocks = with_mention(delivery.mention, text, blocks)
        if self._http is None:
            self._http = client()
        await post(
            self._http,
            output.url.get_secret_value(),
            f"slack webhook {output.name}",
            json_body={"text": text, "blocks": blocks, "unfurl_links": False},
        )
        return delivery.card or CardRef(message_id=event.incident_key)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
