"""Slack Web API failures mapped onto the bot's delivery errors.

Error codes: https://api.slack.com/methods/chat.postMessage#errors and
https://api.slack.com/docs/rate-limits (429 with Retry-After).
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.retry_after import parse_retry_after

# The whole workspace is lost to us: disable every channel in it.
WORKSPACE_GONE = frozenset(
    {
        "token_revoked",
        "invalid_auth",
        "not_authed",
        "app_uninstalled",
        "account_inactive",
        "team_access_not_granted",
        "team_not_found",
    }
)
# This one channel is gone or closed to us.
CHANNEL_GONE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        "ekm_access_denied",
        "missing_scope",
    }
)
# Slack's own trouble: worth retrying.
SLACK_TROUBLE = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


def api_error_code(exc: SlackApiError) -> str:
    """The `error` field of a failed call ("" when Slack sent no JSON)."""
    response = exc.response
    try:
        return str(response.get("error") or "") if response is not None else ""
    except (AttributeError, TypeError):
        return ""


def _retry_after(exc: SlackApiError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            # slack-sdk hands back each header's values as a list.
            raw = value[0] if isinstance(value, list | tuple) and value else value
            return parse_retry_after(raw if isinstance(raw, str) else None)
    return None


def delivery_error(exc: BaseException) -> DeliveryError:
    """Translate a slack-sdk or network exception; anything unknown counts as transient."""
    if isinstance(exc, SlackApiError):
        code = api_error_code(exc)
        status = getattr(exc.response, "status_code", 0) or 0
        if code in WORKSPACE_GONE:
            return PermanentDeliveryError(f"slack: {code}", workspace_wide=True)
        if code in CHANNEL_GONE:
            return PermanentDeliveryError(f"slack: {code}")
        if status == 429 or code == "ratelimited":
            return TransientDeliveryError("slack: rate limited", retry_after_s=_retry_after(exc))
        if status >= 500 or code in SLACK_TROUBLE:
            return TransientDeliveryError(f"slack: HTTP {status} {code}".rstrip())
        return TransientDeliveryError(f"slack: {code or 'unexpected answer'} (HTTP {status})")
    if isinstance(exc, SlackClientError):
        return TransientDeliveryError(f"slack: client error ({type(exc).__name__})")
    if isinstance(exc, NETWORK_ERRORS):
        return TransientDeliveryError(f"slack: network error ({type(exc).__name__})")
    return TransientDeliveryError(f"slack: unexpected failure ({type(exc).__name__})")
