"""A generic webhook: each event as one signed JSON POST; the receiver keeps the state.

Body: the event record (`replay --format jsonl` and `run --json` use the same fields) plus
`delivery_id`. Headers: `X-Statusbot-Delivery` (the same id: a retry after a lost answer
repeats it, so a receiver drops what it has already seen), `X-Statusbot-Timestamp`, and
with a secret `X-Statusbot-Signature: sha256=HEX`, the HMAC-SHA256 of `TIMESTAMP.BODY`
(https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries does the same).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import ClassVar

import httpx

from bot.errors import PermanentDeliveryError
from bot.notify import CardRef, Delivery, SaveCard
from bot.render import event_record
from integrations.outputs.config import WebhookOutput
from integrations.outputs.http import client, post

DELIVERY_HEADER = "X-Statusbot-Delivery"
TIMESTAMP_HEADER = "X-Statusbot-Timestamp"
SIGNATURE_HEADER = "X-Statusbot-Signature"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(delivery: Delivery) -> dict[str, object]:
    record: dict[str, object] = {"delivery_id": delivery.key, **event_record(delivery.event)}
    record["test"] = delivery.event.test
    if delivery.held:
        record["held"] = delivery.held
    return record


class WebhookNotifier:
    """Implements bot.notify.Notifier for every `kind: webhook` output (by name)."""

    platform: ClassVar[str] = "webhook"
    per_channel_interval_s: ClassVar[float] = 0.0
    commit_first: ClassVar[bool] = False  # at least once; the delivery id lets receivers dedupe

    def __init__(self, outputs: Mapping[str, WebhookOutput]) -> None:
        self.outputs = dict(outputs)
        self._http: httpx.AsyncClient | None = None

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        output = self.outputs.get(delivery.channel_id)
        if output is None:
            raise PermanentDeliveryError(f"no webhook output named {delivery.channel_id!r}")
        body = json.dumps(body_of(delivery), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: delivery.key,
            TIMESTAMP_HEADER: timestamp,
        }
        if output.secret is not None:
            headers[SIGNATURE_HEADER] = signature(output.secret.get_secret_value(), timestamp, body)
        if self._http is None:
            self._http = client()
        await post(
            self._http,
            output.url.get_secret_value(),
            f"webhook {output.name}",
            content=body,
            headers=headers,
        )
        # No card on the other side: the incident key stands for it, so the output follows
        # the incident to its end.
        return delivery.card or CardRef(message_id=delivery.event.incident_key)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
