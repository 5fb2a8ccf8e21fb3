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
from slack_bolt.context.async_context import AsyncBoltContext
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
    """Refuses requests from another workspace than the installed one, and requests whose
    `response_url` would send our answer somewhere else."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.team_id: str | None = None
        self.enterprise_id: str | None = None
        # Installed in many workspaces (OAuth): any workspace bolt finds an installation for.
        self.any_installed = False
        self._junk = JunkLog(log, "slack")

    def install(self, team_id: str | None, enterprise_id: str | None) -> None:
        """The workspace (and Enterprise Grid org) the bot token belongs to, from auth.test."""
        self.team_id, self.enterprise_id = team_id or None, enterprise_id or None

    def from_installation(self, context: AsyncBoltContext) -> bool:
        """A request from the installed workspace, or from its org for an org-wide install."""
        if self.any_installed:
            return True
        if self.enterprise_id is not None and context.enterprise_id == self.enterprise_id:
            return True
        return self.team_id is not None and context.team_id == self.team_id

    def register(self, app: AsyncApp) -> None:
        app.middleware(self.check)

    async def check(
        self, body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> BoltResponse | None:
        if not self.from_installation(context):
            self._junk.refused(401, "request from another workspace")
            return BoltResponse(status=401, body="not the installed workspace")
        url = body.get("response_url")
        if url is not None and not response_url_allowed(str(url), self.api_url):
            self._junk.refused(400, "response_url outside Slack")
            return BoltResponse(status=400, body="response_url outside Slack")
        await next()
        return None
