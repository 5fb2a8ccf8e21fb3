"""The Discord connection: log in, sync slash commands, hold the gateway open.

Upstream: https://discord.com/developers/docs/topics/gateway and
https://discordpy.readthedocs.io/en/stable/api.html#client. Intents are `guilds` only: no
privileged intents and no message content, because the bot only answers slash commands
and posts over REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from typing import Any

import aiohttp
import discord
import yarl

from bot.commands import CommandService, SettingsBook
from bot.errors import ConfigError, PlatformUnavailable
from integrations.discord.commands import install_commands
from integrations.discord.config import DiscordConfig
from integrations.discord.crowd import crowd_button_type
from integrations.discord.interactions import GuardedTree
from integrations.discord.markup import NO_PINGS
from integrations.discord.notifier import DiscordNotifier

log = logging.getLogger(__name__)


def point_at(api_base_url: str, gateway_url: str) -> None:
    """Send discord.py's REST calls and gateway to these addresses (class attributes, so
    process-wide: every client in one process talks to the same Discord)."""
    discord.http.Route.BASE = api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


# A 429 asking for a longer wait surfaces as discord.RateLimited, so the outbox can schedule the
# retry instead of a worker sleeping on it.
MAX_RATELIMIT_WAIT_S = 30.0
# The settings key under which the last synced command definitions are kept.
SYNCED_COMMANDS_KEY = "discord.synced_commands"


def minimal_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class StatusBotClient(discord.Client):
    """A discord.Client whose setup_hook syncs the command tree before the gateway opens."""

    def __init__(
        self,
        guild_ids: list[int],
        guild_ready_timeout: float,
        settings: SettingsBook,
        **options: Any,
    ) -> None:
        super().__init__(
            intents=minimal_intents(),
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S,
            # Sent with every message: page and user text never pings anyone.
            allowed_mentions=NO_PINGS,
            **options,
        )
        self.guild_ids = guild_ids
        self.settings = settings
        self.tree = GuardedTree(self)

    async def setup_hook(self) -> None:
        for guild_id in self.guild_ids:
            self.tree.copy_global_to(guild=discord.Object(id=guild_id))
        await sync_commands(self, self.settings)


class ShardedStatusBotClient(StatusBotClient, discord.AutoShardedClient):
    """The same bot over several gateway connections (shards); one REST client for all."""


def make_client(
    config: DiscordConfig, guild_ready_timeout: float, settings: SettingsBook
) -> StatusBotClient:
    """One connection, or shards: Discord's recommended count, or the configured ones."""
    if config.shard_count is None:
        return StatusBotClient(config.guild_ids, guild_ready_timeout, settings)
    options: dict[str, Any] = {}
    if isinstance(config.shard_count, int):
        options["shard_count"] = config.shard_count
        if config.shard_ids is not None:
            options["shard_ids"] = config.shard_ids
    return ShardedStatusBotClient(config.guild_ids, guild_ready_timeout, settings, **options)


class RequestPace:
    """At most `per_second` REST requests per second for the whole process (every shard
    shares discord.py's one HTTP client), so a fan-out never meets the global limit."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    def install(self, http: discord.http.HTTPClient) -> None:
        request = http.request

        async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
            await self.wait()
            return await request(route, **kwargs)

        http.request = paced  # type: ignore[method-assign]


async def sync_commands(client: StatusBotClient, settings: SettingsBook) -> None:
    """Sync the command tree only when its definitions or target changed since the last sync
    (stored), and remove the copies the previous target left (global vs guild), so nobody
    sees each command twice. Syncing on every start would spend Discord's rate limits."""
    app_id = client.application_id
    definitions = [command.to_dict(client.tree) for command in client.tree.get_commands()]
    wanted = {
        "application_id": str(app_id),
        "definitions": hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest(),
        "guild_ids": sorted(client.guild_ids),
    }
    last = await settings.get(SYNCED_COMMANDS_KEY)
    if last == wanted:
        log.info("discord commands unchanged since the last sync; not synced again")
        return
    # Guild commands appear at once; global ones can take a while to reach every client.
    if client.guild_ids:
        for guild_id in client.guild_ids:
            synced = await client.tree.sync(guild=discord.Object(id=guild_id))
            log.info("synced %d commands to guild %s", len(synced), guild_id)
    else:
        synced = await client.tree.sync()
        log.info("synced %d global commands", len(synced))
    same_app = isinstance(last, dict) and last.get("application_id") == str(app_id)
    previous_guilds = set(last.get("guild_ids") or []) if same_app and last else set()
    if app_id is not None and client.guild_ids and not previous_guilds:
        # Global before (or unknown): the global copies would show beside the guild ones.
        await client.http.bulk_upsert_global_commands(app_id, [])
        log.info("removed the global commands (now synced per guild)")
    for guild_id in previous_guilds - set(client.guild_ids):
        if app_id is not None:
            await client.http.bulk_upsert_guild_commands(app_id, guild_id, [])
            log.info("removed the commands of guild %s (no longer configured)", guild_id)
    await settings.put(SYNCED_COMMANDS_KEY, wanted)


class DiscordPlatform:
    """The ChatPlatform for Discord: `start()` returns once READY, `stop()` closes."""

    READY_TIMEOUT_S = 30.0
    GUILD_READY_TIMEOUT_S = 2.0  # discord.py waits this long after the last GUILD_CREATE

    def __init__(
        self,
        config: DiscordConfig,
        commands: CommandService,
        guild_ready_timeout: float | None = None,
    ) -> None:
        self.config = config
        self.client = make_client(
            config,
            self.GUILD_READY_TIMEOUT_S if guild_ready_timeout is None else guild_ready_timeout,
            commands.store.settings,
        )
        RequestPace(config.requests_per_second).install(self.client.http)
        install_commands(self.client.tree, commands)
        if commands.crowd is not None:
            self.client.add_dynamic_items(crowd_button_type(commands.crowd))
        self.notifier = DiscordNotifier(self.client)
        self._task: asyncio.Task[None] | None = None
        # Replicas on one database: every gateway session hears every command, so one
        # replica holds the gateway (a lease) unless each replica was given its own shards.
        self.connection_lease = "discord:gateway" if config.shard_ids is None else ""
        self._shared = False
        self._closing: set[asyncio.Task[None]] = set()

    def share_connection(self) -> None:
        self._shared = True

    def hold_connection(self, held: bool) -> None:
        if held and self._task is None:
            log.info("discord: this replica holds the gateway")
            self._task = asyncio.create_task(
                self.client.connect(reconnect=True), name="discord-gateway"
            )
        elif not held and self._task is not None:
            log.info("discord: another replica holds the gateway now")
            closing = asyncio.create_task(self._close_gateway(self._task))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
            self._task = None

    async def _close_gateway(self, task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        client = self.client
        with contextlib.suppress(Exception):
            if isinstance(client, discord.AutoShardedClient):
                for shard in client.shards.values():
                    await shard.disconnect()
            elif client.ws is not None:
                await client.ws.close(code=1000)

    @property
    def connected(self) -> bool:
        # is_ready() stays true through a gateway outage; the socket says whether it is open.
        client = self.client
        if self._shared and self._task is None:
            # Another replica holds the gateway; this one delivers over REST.
            return client.user is not None and not client.is_closed()
        if not client.is_ready() or client.is_closed():
            return False
        if isinstance(client, discord.AutoShardedClient):
            return all(not shard.is_closed() for shard in client.shards.values())
        ws = client.ws
        return ws is not None and ws.open

    async def start(self) -> None:
        """Log in (which syncs commands), open the gateway in the background, wait for READY."""
        point_at(self.config.api_base_url, self.config.gateway_url)
        try:
            await self.client.login(self.config.token.get_secret_value())
        except discord.LoginFailure:
            await self.client.close()
            raise ConfigError("discord.token: Discord rejected the bot token") from None
        except (aiohttp.ClientError, OSError) as exc:
            await self.client.close()  # do not leak the HTTP session
            raise PlatformUnavailable(
                f"cannot reach Discord at {self.config.api_base_url} ({type(exc).__name__})"
            ) from None
        if self._shared:
            log.info("discord: logged in; the gateway opens on the replica that holds it")
            return
        self._task = asyncio.create_task(
            self.client.connect(reconnect=True), name="discord-gateway"
        )
        ready = asyncio.create_task(self.client.wait_until_ready(), name="discord-ready")
        done, _ = await asyncio.wait(
            {self._task, ready}, timeout=self.READY_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            failure = (
                self._task.exception()
                if self._task in done and not self._task.cancelled()
                else None
            )
            await self.stop()
            if isinstance(failure, discord.LoginFailure | discord.PrivilegedIntentsRequired):
                raise ConfigError(f"discord: {failure}") from None
            raise PlatformUnavailable(f"discord gateway not ready after {self.READY_TIMEOUT_S}s")
        shards = getattr(self.client, "shards", None)
        log.info(
            "discord connected as %s%s",
            self.client.user,
            f" (shards {sorted(shards)} of {self.client.shard_count})" if shards else "",
        )

    async def stop(self) -> None:
        await self.client.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
