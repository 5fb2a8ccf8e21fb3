"""Checks on every request slack-bolt dispatches, before any listener runs.

Docs: https://slack.dev/bolt-python/concepts/global-middleware . A request that fails a check
is answered here and never reaches a command.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.junklog import JunkLog

log = logging.getLogger(__name__)

# https://api.slack.com/interactivity/handling#message_responses: response_url is on Slack's
# hooks host (GovSlack on slack-gov.com).
SLACK_DOMAINS = ("slack.com", "slack-gov.com")


def response_url_allowed(url: str, api_url: str) -> bool:
    """True when `url` is on Slack's hosts over https, or on the configured Web API's origin."""
    try:
        target, api = urlsplit(url), urlsplit(api_url)
        host = (target.hostname or "").lower()
        same_origin = (target.scheme, host, target.port) == (
            api.scheme,
            (api.hostname or "").lower(),
            api.port,
        )
    except ValueError:
        return False
    on_slack = (
        target.scheme == "https"
        and target.port in (None, 443)
        and any(host == domain or host.endswith("." + domain) for domain in SLACK_DOMAINS)
    )
    return on_slack or same_origin


class RequestGuards:
    """Refuses requests whose `response_url` would send our answer somewhere else."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self._junk = JunkLog(log, "slack")

    def register(self, app: AsyncApp) -> None:
        app.middleware(self.check)

    async def check(
        self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]
    ) -> BoltResponse | None:
        url = body.get("response_url")
        if url is not None and not response_url_allowed(str(url), self.api_url):
            self._junk.refused(400, "response_url outside Slack")
            return BoltResponse(status=400, body="response_url outside Slack")
        await next()
        return None
