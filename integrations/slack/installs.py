"""Slack installations in many workspaces, kept in the bot's own database.

slack-sdk's SQLAlchemy stores (https://slack.dev/python-slack-sdk/oauth/): the installations
and bot tokens (tables `slack_installations`, `slack_bots`) and the OAuth states of install
links in flight (`slack_oauth_states`). Their tables are slack-sdk's, created at start if
missing (replicas on PostgreSQL take turns, under the schema lock).
"""

from __future__ import annotations

import logging
import time

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.store.engine import lock_schema, make_engine
from integrations.slack.config import SlackOAuthConfig

log = logging.getLogger(__name__)


class Installations:
    """Which workspaces installed the app, and each one's bot token."""

    # A token found (or found missing) is trusted this long; an uninstall seen here forgets
    # it at once, one seen by another replica makes Slack refuse the old token meanwhile.
    TOKEN_CACHE_S = 60.0

    def __init__(self, config: SlackOAuthConfig, store_url: str) -> None:
        self.engine = make_engine(store_url)
        self.store = AsyncSQLAlchemyInstallationStore(
            client_id=config.client_id, engine=self.engine, logger=log
        )
        self.states = AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=config.state_expiration, engine=self.engine, logger=log
        )
        self._tokens: dict[str, tuple[float, str | None]] = {}

    async def create_tables(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(lock_schema)
            await conn.run_sync(self.store.metadata.create_all)
            await conn.run_sync(self.states.metadata.create_all)

    async def token_for(self, team_id: str | None) -> str | None:
        """The bot token the workspace's installation gave us; None when not installed."""
        if not team_id:
            return None
        cached = self._tokens.get(team_id)
        if cached is not None and time.monotonic() - cached[0] < self.TOKEN_CACHE_S:
            return cached[1]
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        self._tokens[team_id] = (time.monotonic(), token)
        return token

    async def forget(self, team_id: str) -> None:
        """Delete the workspace's installation and tokens (uninstalled, or tokens revoked)."""
        self._tokens.pop(team_id, None)
        await self.store.async_delete_all(enterprise_id=None, team_id=team_id)

    async def aclose(self) -> None:
        await self.engine.dispose()
