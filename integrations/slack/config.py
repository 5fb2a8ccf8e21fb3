"""Slack's section of the config file (`slack:`); validated at start-up with the rest."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackHttpConfig(_Section):
    """Where the HTTP-mode server listens for Slack's requests."""

    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    path: str = "/slack/events"


# The bot scopes integrations/slack/manifest.yaml asks for.
BOT_SCOPES = [
    "chat:write",
    "commands",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "users:read",
    "files:write",
]


class SlackOAuthConfig(_Section):
    """Installation in many workspaces ("Add to Slack"); each workspace's token is stored in
    the bot's database and used for its channels."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    scopes: list[str] = BOT_SCOPES
    install_path: str = "/slack/install"
    redirect_path: str = "/slack/oauth_redirect"
    # The redirect URL registered with the app, when it has several; default: Slack's choice.
    redirect_uri: str | None = None
    # Seconds an install link stays valid.
    state_expiration: int = Field(default=600, ge=60)


_OPTIONAL_SECRETS = ("app_token", "signing_secret", "bot_token")


class SlackConfig(_Section):
    """One Slack app: tokens from the environment, Socket Mode or HTTP mode; with `oauth`,
    installed in many workspaces (then `bot_token` is optional)."""

    bot_token: SecretStr | None = None
    oauth: SlackOAuthConfig | None = None
    mode: Literal["socket", "http"] = "socket"
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    http: SlackHttpConfig = SlackHttpConfig()
    api_url: str = "https://slack.com/api/"
    # Who may change a channel's subscriptions: anyone, or workspace admins plus allow_users.
    managers: Literal["anyone", "admins"] = "anyone"
    allow_users: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _empty_secret_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: v for k, v in data.items() if not (k in _OPTIONAL_SECRETS and v in ("", None))
            }
        return data

    @model_validator(mode="after")
    def _mode_needs_its_secret(self) -> SlackConfig:
        if self.bot_token is None and self.oauth is None:
            raise ValueError("bot_token is empty (or give oauth: to install in many workspaces)")
        if self.oauth is not None and self.mode != "http":
            raise ValueError("oauth needs mode 'http' (Slack redirects browsers to the bot)")
        if self.mode == "socket" and self.app_token is None:
            raise ValueError("mode 'socket' needs app_token (an xapp-... token)")
        if self.mode == "http" and self.signing_secret is None:
            raise ValueError("mode 'http' needs signing_secret")
        return self
