"""Slash commands: `/is-chatgpt-down` and
`/statusbot subscribe|unsubscribe|list|history|test|mute|unmute|quiet`.

Upstream: https://discord.com/developers/docs/interactions/application-commands and
https://discordpy.readthedocs.io/en/stable/interactions/api.html#commandtree.
Handlers parse Discord's options, check permissions, call the platform-neutral
CommandService and render its answer. Every failure becomes a short ephemeral message.
"""

from __future__ import annotations

import asyncio
import io
import logging
import shlex
from collections.abc import Awaitable
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.commands import EARLY_WORD, CommandService, HistoryAnswer
from bot.crowd_desk import Reporter
from bot.errors import CommandError
from bot.junklog import JunkLog
from integrations.discord.crowd import crowd_view
from integrations.discord.embeds import EmbedLimits, cut, status_embed
from integrations.discord.markup import escape

log = logging.getLogger(__name__)
UNREADABLE = (
    app_commands.TransformerError,
    app_commands.CommandNotFound,
    app_commands.CommandSignatureMismatch,
)
_JUNK = JunkLog(log, "discord commands")

PLATFORM = "discord"
DEFER_AFTER_S = 2.0  # Discord allows 3 s for the first answer; slower work is deferred
CHOICE_NAME_LIMIT = 100
ALT_TEXT_LIMIT = 1024  # an attachment's description
# What the bot itself needs in a channel to keep a living card there.
BOT_NEEDS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("read_message_history", "Read Message History"),  # the restored notice replies to the card
)
PERIOD_CHOICES = [
    Choice(name="Last 24 hours", value="24h"),
    Choice(name="Last 7 days", value="7d"),
    Choice(name="Last 30 days", value="30d"),
    Choice(name="Last 90 days", value="90d"),
]
SEVERITY_CHOICES = [
    Choice(name="Degraded and worse", value="degraded"),
    Choice(name="Partial outage and worse", value="partial"),
    Choice(name="Major outage only", value="major"),
]
CARD_CHANNEL_TYPES = (discord.ChannelType.text, discord.ChannelType.news)
THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)


def missing_bot_permissions(granted: discord.Permissions) -> list[str]:
    """Names of the channel permissions the bot lacks, in Discord's own words."""
    return [label for flag, label in BOT_NEEDS if not getattr(granted, flag)]


def subscribe_args(
    providers: str | None,
    components: str | None,
    min_severity: str | None,
    remind_minutes: int | None,
    early: bool | None = None,
    mention: int | None = None,
    wake_on_major: bool | None = None,
) -> str:
    """Discord's separate options as the CommandService's one-line argument string."""
    parts = (providers or "").split()
    for name in (components or "").split(","):
        name = name.strip()
        if name:
            parts.append("component:" + shlex.quote(name))
    if min_severity:
        parts.append(f"min:{min_severity}")
    if remind_minutes is not None:
        parts.append(f"remind:{remind_minutes}")
    if early:
        parts.append(EARLY_WORD)
    if mention is not None:
        parts.append(f"mention:role:{mention}")
    if wake_on_major:
        parts.append("wake:major")
    return " ".join(parts)


def install_commands(tree: app_commands.CommandTree, service: CommandService) -> None:
    """Add both commands and the error handler to `tree`."""

    async def provider_autocomplete(_: discord.Interaction, current: str) -> list[Choice[str]]:
        # Several providers may be typed; complete the last word, keep the ones before.
        words = current.split()
        done = words[:-1] if words and not current.endswith(" ") else words
        last = words[-1] if words and not current.endswith(" ") else ""
        return [
            Choice(name=cut(label, CHOICE_NAME_LIMIT), value=" ".join([*done, key]))
            for label, key in service.provider_choices(last)
        ]

    @app_commands.command(
        name="is-chatgpt-down",
        description="Is ChatGPT, Claude or Gemini down right now? Official status, verdict first.",
    )
    @app_commands.describe(
        provider="openai, anthropic, google, or an alias such as chatgpt, claude, gemini",
        public="Show the answer to the whole channel (default: only you)",
    )
    @app_commands.autocomplete(provider=provider_autocomplete)
    async def is_down(
        interaction: discord.Interaction, provider: str | None = None, public: bool = False
    ) -> None:
        who = Reporter(
            platform=PLATFORM,
            workspace_id=str(interaction.guild_id) if interaction.guild_id else None,
            channel_id=str(interaction.channel_id or ""),
            user_id=str(interaction.user.id),
        )

        async def work() -> discord.Embed:
            return status_embed(await service.status(provider, asker=who))

        key = service.resolve_provider(provider)
        view = crowd_view(key) if service.crowd is not None else None
        await answer(interaction, work(), ephemeral=not public, view=view)

    statusbot = app_commands.Group(
        name="statusbot",
        description="Outage alerts for AI providers in this channel",
        default_permissions=discord.Permissions(manage_channels=True),
        guild_only=True,
    )

    @statusbot.command(name="subscribe", description="Post outage alerts in this channel")
    @app_commands.describe(
        providers="One or more of openai, anthropic, google (default: openai)",
        components="Only these components, comma-separated words, e.g. Login, API",
        min_severity="Least severe problem worth an alert",
        remind_minutes="Remind in the thread every N minutes while it lasts (0 = off)",
        early="Also unconfirmed cards from our own probes and reports, before the official page",
        mention="Mention this role when a major outage starts (nothing else is ever pinged)",
        wake_on_major="Let a major outage through this channel's quiet hours",
    )
    @app_commands.autocomplete(providers=provider_autocomplete)
    @app_commands.choices(min_severity=SEVERITY_CHOICES)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def subscribe(
        interaction: discord.Interaction,
        providers: str | None = None,
        components: str | None = None,
        min_severity: Choice[str] | None = None,
        remind_minutes: app_commands.Range[int, 0, 1440] | None = None,
        early: bool | None = None,
        mention: discord.Role | None = None,
        wake_on_major: bool | None = None,
    ) -> None:
        channel_id = _alert_channel_id(interaction)
        missing = missing_bot_permissions(interaction.app_permissions)
        if missing:
            raise CommandError(
                f"I can't keep alerts in this channel: I'm missing {', '.join(missing)}. "
                "Ask an admin to grant them to my role here, then subscribe again."
            )
        args = subscribe_args(
            providers,
            components,
            min_severity.value if min_severity else None,
            remind_minutes,
            early,
            mention.id if mention is not None else None,
            wake_on_major,
        )
        work = service.subscribe(
            PLATFORM, str(interaction.guild_id), channel_id, args, str(interaction.user.id)
        )
        await answer(interaction, work, ephemeral=False)

    @statusbot.command(name="unsubscribe", description="Stop outage alerts in this channel")
    @app_commands.describe(provider="Only this provider (default: everything)")
    @app_commands.autocomplete(provider=provider_autocomplete)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def unsubscribe(interaction: discord.Interaction, provider: str | None = None) -> None:
        work = service.unsubscribe(PLATFORM, _alert_channel_id(interaction), provider)
        await answer(interaction, work, ephemeral=False)

    @statusbot.command(name="list", description="What this channel is subscribed to")
    async def list_subscriptions(interaction: discord.Interaction) -> None:
        await answer(
            interaction, service.list(PLATFORM, str(interaction.channel_id)), ephemeral=True
        )

    @statusbot.command(name="test", description="Post a sample alert here, then mark it a test")
    @app_commands.checks.has_permissions(manage_channels=True)
    async def test(interaction: discord.Interaction) -> None:
        channel_id = _alert_channel_id(interaction)
        missing = missing_bot_permissions(interaction.app_permissions)
        if missing:
            raise CommandError(f"I can't post alerts here: I'm missing {', '.join(missing)}.")
        work = service.test(PLATFORM, str(interaction.guild_id), channel_id)
        await answer(interaction, work, ephemeral=True)

    @statusbot.command(name="mute", description="No alerts about a provider for a while")
    @app_commands.describe(
        provider="A provider (openai, claude…) or all", duration="How long: 30m, 2h, 1d"
    )
    @app_commands.autocomplete(provider=provider_autocomplete)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def mute(interaction: discord.Interaction, provider: str, duration: str) -> None:
        work = service.mute(PLATFORM, str(interaction.channel_id), f"{provider} {duration}")
        await answer(interaction, work, ephemeral=False)

    @statusbot.command(name="unmute", description="Alerts about a muted provider again")
    @app_commands.describe(provider="A provider or all (default: all)")
    @app_commands.autocomplete(provider=provider_autocomplete)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def unmute(interaction: discord.Interaction, provider: str | None = None) -> None:
        work = service.unmute(PLATFORM, str(interaction.channel_id), provider)
        await answer(interaction, work, ephemeral=False)

    @statusbot.command(name="quiet", description="Hold alerts during quiet hours, summed up after")
    @app_commands.describe(
        hours="22:00-07:00, or off (empty: show them)",
        timezone="Area/City, e.g. Europe/Paris (default UTC)",
    )
    @app_commands.checks.has_permissions(manage_channels=True)
    async def quiet(
        interaction: discord.Interaction, hours: str | None = None, timezone: str | None = None
    ) -> None:
        args = " ".join(part for part in (hours, timezone) if part)
        work = service.quiet(PLATFORM, str(interaction.channel_id), args)
        await answer(interaction, work, ephemeral=False)

    @statusbot.command(name="history", description="Uptime and incidents as a chart")
    @app_commands.describe(
        provider="openai, anthropic, google, or an alias such as chatgpt (default: openai)",
        period="How far back (default: 7 days)",
    )
    @app_commands.autocomplete(provider=provider_autocomplete)
    @app_commands.choices(period=PERIOD_CHOICES)
    async def history(
        interaction: discord.Interaction,
        provider: str | None = None,
        period: Choice[str] | None = None,
    ) -> None:
        args = " ".join(part for part in (provider, period.value if period else None) if part)
        service.parse_history(args)  # refuse bad arguments before drawing
        await answer(interaction, service.history(args), ephemeral=False)

    tree.add_command(is_down)
    tree.add_command(statusbot)
    tree.on_error = _on_error  # type: ignore[method-assign]


async def answer(
    interaction: discord.Interaction,
    work: Awaitable[str | discord.Embed | HistoryAnswer],
    *,
    ephemeral: bool,
    view: discord.ui.View | None = None,
) -> None:
    """Reply with what `work` produces; when it is slow, acknowledge first ("thinking…"),
    because Discord drops an interaction that gets no answer within 3 seconds."""
    task = asyncio.ensure_future(work)
    try:
        result = await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER_S)
    except TimeoutError:
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        result = await task
    if isinstance(result, discord.Embed):
        body: dict[str, Any] = {"embed": result}
    elif isinstance(result, HistoryAnswer):
        body = chart_message(result)
    else:
        body = {"content": cut(result, EmbedLimits.CONTENT)}
    # Answers quote roles and names: they show, but never ping.
    body["allowed_mentions"] = discord.AllowedMentions.none()
    if view is not None:
        body["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=ephemeral, **body)
    else:
        await interaction.response.send_message(ephemeral=ephemeral, **body)


def chart_message(chart: HistoryAnswer) -> dict[str, Any]:
    """The chart as an attachment (its alt text as the attachment's description) with its
    summary as the message; page text in the summary cannot format or ping."""
    summary = escape(chart.summary)
    image = discord.File(
        io.BytesIO(chart.png),
        filename=chart.filename,
        description=cut(chart.alt_text, ALT_TEXT_LIMIT),
    )
    return {
        "content": cut(summary, EmbedLimits.CONTENT),
        "file": image,
        "allowed_mentions": discord.AllowedMentions.none(),
    }


def _alert_channel_id(interaction: discord.Interaction) -> str:
    """The channel to subscribe: a text or announcement channel, where cards can have threads."""
    kind = getattr(interaction.channel, "type", None)
    if kind in THREAD_TYPES:
        raise CommandError(
            "Run this in the text channel itself: alert cards open their own threads."
        )
    if kind is not None and kind not in CARD_CHANNEL_TYPES:
        raise CommandError("Alerts need a text or announcement channel; run this in one.")
    return str(interaction.channel_id)


async def _on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Every failure becomes one short private message; tracebacks go to the log only."""
    original = getattr(error, "original", error)
    if isinstance(original, CommandError):
        text = str(original)
    elif isinstance(error, app_commands.MissingPermissions):
        text = "You need the **Manage Channels** permission to change this channel's alerts."
    elif isinstance(error, app_commands.NoPrivateMessage):
        text = "Use this command in a server channel."
    elif isinstance(error, UNREADABLE):
        # What the gateway sent does not match our commands: no traceback, one line a minute.
        _JUNK.refused(400, type(error).__name__)
        text = "I couldn't read that command; please pick the options from the list."
    else:
        log.error(
            "command %s failed",
            getattr(interaction.command, "qualified_name", "?"),
            exc_info=original,
        )
        text = "Something went wrong on my side; please try again in a minute."
    text = cut(text, EmbedLimits.CONTENT)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about a failed command")
