"""Errors the bot raises on purpose.

StatusBotError
├── ConfigError              bad config file or environment; exit code 2
├── SchemaError              the database's schema is missing or not this version's
├── SourceError              a poll failed; never evidence of an outage
│   ├── SourceUnavailable    timeout, refused, DNS, 5xx, 429, redirect loop, too large
│   └── PayloadError         the body is not the format we expected
│       └── UndatedPayload   readable, but it carries no time and the caller gave none
├── DeliveryError            a chat side effect failed
│   ├── TransientDeliveryError   retry later (rate limit, 5xx, network); may carry retry_after
│   └── PermanentDeliveryError   the channel is gone or closed to us; disable the subscription
├── PlatformUnavailable      a chat platform cannot be reached or is not ready at start-up
├── ConcurrentUpdate         another process committed the same source's poll first
├── LocalResourceExhausted   we ran out (file descriptors, memory); never about a page
└── CommandError             a chat command the user got wrong; the message is shown to them

Retry-After values are read by bot.retry_after.parse_retry_after, the one parser.
"""

from __future__ import annotations

from typing import Any


class StatusBotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(StatusBotError):
    """The configuration cannot be used; the message names the file and key."""


class SchemaError(StatusBotError):
    """The database has no schema, or another version's; `statusbot migrate` says more."""


class SourceError(StatusBotError):
    """A status source could not be read."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class SourceUnavailable(SourceError):
    """The source did not answer usefully (network, HTTP status, size)."""


class PayloadError(SourceError):
    """The source answered with something we cannot parse."""


class UndatedPayload(PayloadError):
    """A readable body with no timestamp of its own (replay must date it another way)."""


class DeliveryError(StatusBotError):
    """A chat API call failed."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying; `retry_after_s` is the platform's own hint when it gave one."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(DeliveryError):
    """The destination is gone or forbids us; retrying will not help.

    `workspace_wide` means the whole workspace is lost (token revoked, app uninstalled),
    not just this channel.
    """

    def __init__(self, reason: str, workspace_wide: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.workspace_wide = workspace_wide


class PlatformUnavailable(StatusBotError):
    """Slack or Discord could not be reached, or did not get ready, at start-up."""


class ConcurrentUpdate(StatusBotError):
    """Another bot process recorded a newer state of the same source; ours is discarded."""


class LocalResourceExhausted(StatusBotError):
    """Our own process or host ran out of descriptors or memory: the poll says nothing about
    the page, so it is skipped rather than counted as the page failing."""


class CommandError(StatusBotError):
    """A user's command could not be carried out; str(error) is safe to show them."""


def describe_validation(origin: str, exc: Any, prefix: str = "") -> str:
    """One line per problem of a pydantic ValidationError: file, key path, what was expected.

    Never the input value (it may be a secret).
    """
    return "\n".join(line for _loc, line in validation_problems(origin, exc, prefix))


def validation_problems(origin: str, exc: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(key path, line) per problem, as describe_validation words them."""
    out = []
    for error in exc.errors(include_input=False, include_url=False):
        parts = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
        loc = (prefix + ".".join(parts)).rstrip(".")
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append((loc, f"{origin}: {loc or '(top level)'}: {msg}"))
    return out
