"""Outputs configured in `outputs:` (generic webhook, Slack incoming webhook, Microsoft Teams,
Telegram), each a Notifier for the outbox; `create` builds one notifier per kind in use.

Importing this package (or its `config`) loads no HTTP client: `create` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.notify import Notifier
    from integrations.outputs.config import OutputConfig

__all__ = ["create"]


def create(outputs: Sequence[OutputConfig]) -> list[Notifier]:
    """One notifier per kind of output configured, serving those outputs by name."""
    from integrations.outputs.slack_webhook import SlackWebhookNotifier
    from integrations.outputs.teams import TeamsNotifier
    from integrations.outputs.telegram import TelegramNotifier
    from integrations.outputs.webhook import WebhookNotifier

    kinds: list[tuple[str, type[Any]]] = [
        ("webhook", WebhookNotifier),
        ("slack_webhook", SlackWebhookNotifier),
        ("teams", TeamsNotifier),
        ("telegram", TelegramNotifier),
    ]
    notifiers: list[Notifier] = []
    for kind, notifier in kinds:
        named = {o.name: o for o in outputs if o.kind == kind}
        if named:
            notifiers.append(notifier(named))
    return notifiers
