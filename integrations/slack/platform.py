"""SlackPlatform: the connection that serves commands (Socket Mode or HTTP) plus the notifier.

Socket Mode (default): https://api.slack.com/apis/socket-mode, via slack-bolt's
AsyncSocketModeHandler. HTTP mode: https://api.slack.com/apis/http (see http_mode.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import CommandService
from bot.errors import ConfigError, PlatformUnavailable
from integrations.slack.commands import SlackCommands
from integrations.slack.config import SlackConfig
from integrations.slack.errors import WORKSPACE_GONE, api_error_code
from integrations.slack.guards import RequestGuards
from integrations.slack.http_mode import SlackHttpServer
from integrations.slack.installs import Installations
from integrations.slack.notifier import SlackNotifier

log = logging.getLogger(__name__)
T = TypeVar("T")


class _DropTokenSkippedWarning(logging.Filter):
    """slack-bolt warns that SLACK_BOT_TOKEN is unused whenever that env var is set and a
    client is given; we always give the client, so the warning only misleads operators."""

    MESSAGE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.MESSAGE


bolt_log = logging.getLogger("integrations.slack.bolt")
bolt_log.addFilter(_DropTokenSkippedWarning())


class SlackPlatform:
    """Implements bot.notify.ChatPlatform for one Slack workspace."""

    CONNECT_TIMEOUT_S = 30.0
    RATE_LIMIT_RETRIES = 2

    def __init__(self, config: SlackConfig, commands: CommandService) -> None:
        self.config = config
        token = config.bot_token.get_secret_value() if config.bot_token else ""
        # Installed in many workspaces: each request and delivery uses its workspace's token.
        self.installs = (
            Installations(config.oauth, commands.config.store.url) if config.oauth else None
        )
        self.client = AsyncWebClient(token=token or None, base_url=config.api_url)
        self.client.retry_handlers.append(
            AsyncRateLimitErrorRetryHandler(max_retry_count=self.RATE_LIMIT_RETRIES)
        )
        signing_secret = config.signing_secret.get_secret_value() if config.signing_secret else ""
        self.app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret,
            # Socket Mode requests carry no signature; bolt skips the check for them.
            request_verification_enabled=True,
            logger=bolt_log,
            oauth_settings=self._oauth_settings(),
        )
        self.guards = RequestGuards(config.api_url)
        self.guards.register(self.app)
        self.commands = commands
        SlackCommands(commands, config).register(self.app)
        if self.installs is not None:
            self.guards.any_installed = True  # bolt finds the workspace's installation
            self.app.event("app_uninstalled")(self._uninstalled)
            self.app.event("tokens_revoked")(self._tokens_revoked)
        self.notifier = SlackNotifier(
            token, config.api_url, tokens=self.installs.token_for if self.installs else None
        )
        self._socket: AsyncSocketModeHandler | None = None
        self._http: SlackHttpServer | None = None

    async def start(self) -> None:
        """Connect (Socket Mode) or listen (HTTP mode); returns once commands can arrive.

        A token Slack refuses fails start-up at once with a ConfigError naming the key.
        """
        if self.config.bot_token is not None:
            me = await self._check_token("slack.bot_token", self.client.auth_test())
            self.guards.install(me.get("team_id"), me.get("enterprise_id"))
        if self.installs is not None:
            await self.installs.create_tables()
        if self.config.mode == "http":
            assert self.config.signing_secret is not None  # the config validator requires it
            self._http = SlackHttpServer(
                self.app,
                self.config.http,
                self.config.signing_secret.get_secret_value(),
                self.commands.store.replays,
                oauth=self.config.oauth,
            )
            await self._http.start()
            return
        assert self.config.app_token is not None  # the config validator requires it
        self._socket = AsyncSocketModeHandler(
            self.app, self.config.app_token.get_secret_value(), logger=log
        )
        socket_client = self._socket.client
        # slack-sdk retries a refused URL request forever; ask once ourselves to fail fast.
        socket_client.wss_uri = await self._check_token(
            "slack.app_token", socket_client.issue_new_wss_url()
        )
        try:
            async with asyncio.timeout(self.CONNECT_TIMEOUT_S):
                await self._socket.connect_async()
        except TimeoutError:
            await self._socket.close_async()
            self._socket = None
            raise PlatformUnavailable("slack: Socket Mode did not connect in time") from None
        log.info("slack Socket Mode connected")

    def _oauth_settings(self) -> AsyncOAuthSettings | None:
        oauth, installs = self.config.oauth, self.installs
        if oauth is None or installs is None:
            return None
        return AsyncOAuthSettings(
            client_id=oauth.client_id,
            client_secret=oauth.client_secret.get_secret_value(),
            scopes=oauth.scopes,
            installation_store=installs.store,
            state_store=installs.states,
            install_path=oauth.install_path,
            redirect_uri_path=oauth.redirect_path,
            redirect_uri=oauth.redirect_uri,
            # /slack/install goes straight to Slack's consent screen.
            install_page_rendering_enabled=False,
        )

    async def _uninstalled(self, context: AsyncBoltContext) -> None:
        await self._leave(context.team_id, "the app was uninstalled")

    async def _tokens_revoked(self, event: dict[str, object], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens")
        if isinstance(tokens, dict) and tokens.get("bot"):
            await self._leave(context.team_id, "its bot token was revoked")

    async def _leave(self, team_id: str | None, why: str) -> None:
        """Nothing stays for a workspace the app left: installation, subscriptions, cards."""
        if not team_id or self.installs is None:
            return
        await self.installs.forget(team_id)
        channels = await self.commands.forget_workspace("slack", team_id)
        log.info("slack workspace %s left (%s): %d channels forgotten", team_id, why, channels)

    async def _check_token(self, key: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except SlackApiError as exc:
            code = api_error_code(exc)
            if code in WORKSPACE_GONE:
                raise ConfigError(f"{key} was refused by Slack ({code})") from None
            raise

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._http is not None:
            await self._http.stop()
            self._http = None
        await self.notifier.aclose()
        if self.installs is not None:
            await self.installs.aclose()

    @property
    def connected(self) -> bool:
        if self._http is not None:
            return self._http.running
        if self._socket is None:
            return False
        client = self._socket.client
        session = client.current_session
        return not client.closed and session is not None and not session.closed
