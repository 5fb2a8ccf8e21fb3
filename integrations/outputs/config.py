"""The `outputs:` section: destinations beyond Slack and Discord, configured rather than
subscribed by a chat command (a webhook cannot run `/statusbot subscribe`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# One name per output: letters, digits, "-" and "_" (it is the output's channel id).
OutputName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,60}$")]


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: OutputName
    # Which providers it hears about (default: the config's default providers).
    providers: list[str] = []
    components: list[str] = []
    min_severity: str = "degraded"


class WebhookOutput(_Output):
    """A generic webhook: one signed JSON POST per event."""

    kind: Literal["webhook"]
    url: SecretStr
    # Signs each body: `X-Statusbot-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp.body))`.
    secret: SecretStr | None = None


class SlackWebhookOutput(_Output):
    """A Slack incoming webhook: no app to create, but no edit-in-place either."""

    kind: Literal["slack_webhook"]
    url: SecretStr
    # `here`: a major outage pings @here, once per incident (nothing else ever pings).
    mention: Literal["here"] | None = None


class TeamsOutput(_Output):
    """A Microsoft Teams incoming webhook or Workflows "post to a channel" URL."""

    kind: Literal["teams"]
    url: SecretStr


class TelegramOutput(_Output):
    """A Telegram chat the bot posts in, with the living card edited in place."""

    kind: Literal["telegram"]
    bot_token: SecretStr
    chat_id: str
    api_url: str = "https://api.telegram.org"


OutputConfig = Annotated[
    WebhookOutput | SlackWebhookOutput | TeamsOutput | TelegramOutput,
    Field(discriminator="kind"),
]


def output_secrets(output: OutputConfig) -> list[str]:
    """Its URL (webhook URLs carry their credentials), token and signing secret."""
    values = []
    for field in ("url", "secret", "bot_token"):
        secret = getattr(output, field, None)
        if isinstance(secret, SecretStr):
            values.append(secret.get_secret_value())
    return values
