"""Microsoft Teams: an Adaptive Card posted to an incoming webhook or a Workflows URL.

https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
and the Workflows "Post to a channel when a webhook request is received" template both take
`{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
"content": CARD}]}`. Neither can edit a posted card, so later events are follow-up cards.
Text is escaped for the Adaptive Card markdown subset; Teams only pings through explicit
mention entities, which the bot never sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from bot.errors import PermanentDeliveryError
from bot.models import Severity
from bot.notify import CardRef, Delivery, SaveCard
from bot.render import card_facts, reply_text, utc_text
from bot.untrusted import safe_url
from integrations.outputs.config import TeamsOutput
from integrations.outputs.http import client, post
from integrations.slack.blocks import truncate

TEXT_LIMIT = 2000  # keeps a card far below Teams' 28 KB message limit
_MARKDOWN = re.compile(r"([\\`*_\[\]()#>!~|-])")
COLOUR = {
    Severity.OPERATIONAL: "good",
    Severity.MAINTENANCE: "accent",
    Severity.DEGRADED: "warning",
    Severity.PARTIAL_OUTAGE: "warning",
    Severity.MAJOR_OUTAGE: "attention",
}


def escape(text: str) -> str:
    """Markdown shown as typed: a page cannot relabel a link or style the card."""
    return _MARKDOWN.sub(r"\\\1", text)


def adaptive_card(delivery: Delivery) -> dict[str, Any]:
    event = delivery.event
    facts = card_facts(event)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": escape(truncate(facts.headline, 200)),
            "weight": "Bolder",
            "size": "Large",
            "color": COLOUR[facts.severity],
            "wrap": True,
        },
        {"type": "TextBlock", "text": escape(truncate(facts.title, 400)), "wrap": True},
    ]
    facts_set = [{"title": "State", "value": escape(facts.state)}]
    if facts.official_status:
        facts_set.append({"title": "Official status", "value": escape(facts.official_status)})
    facts_set.append({"title": "Started", "value": utc_text(event.started_at)})
    if facts.components:
        facts_set.append(
            {"title": "Affected", "value": escape(truncate(", ".join(facts.components), 400))}
        )
    body.append({"type": "FactSet", "facts": facts_set})
    body.append(
        {
            "type": "TextBlock",
            "text": escape(truncate(reply_text(event, delivery.held), TEXT_LIMIT)),
            "wrap": True,
        }
    )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    url = safe_url(facts.url)
    if url is not None:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Official status page", "url": url}]
    return card


def message(delivery: Delivery) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": adaptive_card(delivery),
            }
        ],
    }


class TeamsNotifier:
    """Implements bot.notify.Notifier for every `kind: teams` output (by name)."""

    platform: ClassVar[str] = "teams"
    per_channel_interval_s: ClassVar[float] = 1.0
    commit_first: ClassVar[bool] = False  # at least once: a lost answer may repeat a post

    def __init__(self, outputs: Mapping[str, TeamsOutput]) -> None:
        self.outputs = dict(outputs)
        self._http: httpx.AsyncClient | None = None

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        output = self.outputs.get(delivery.channel_id)
        if output is None:
            raise PermanentDeliveryError(f"no teams output named {delivery.channel_id!r}")
        if self._http is None:
            self._http = client()
        await post(
            self._http,
            output.url.get_secret_value(),
            f"teams {output.name}",
            json_body=message(delivery),
        )
        return delivery.card or CardRef(message_id=delivery.event.incident_key)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
