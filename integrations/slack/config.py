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


_OPTIONAL_SECRETS = ("app_token", "signing_secret")


class SlackConfig(_Section):
    """One Slack app: tokens from the environment, Socket Mode or HTTP mode."""

    bot_token: SecretStr
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
        if not self.bot_token.get_secret_value():
            raise ValueError("bot_token is empty")
        if self.mode == "socket" and self.app_token is None:
            raise ValueError("mode 'socket' needs app_token (an xapp-... token)")
        if self.mode == "http" and self.signing_secret is None:
            raise ValueError("mode 'http' needs signing_secret")
        return self
