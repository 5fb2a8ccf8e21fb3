"""Slash-command listeners: `/is-chatgpt-down` and
`/statusbot subscribe|unsubscribe|list|history|test|mute|unmute|quiet|help`.

Each listener acks at once (Slack allows 3 s), then answers through `respond()` (the
command's response_url). Docs: https://api.slack.com/interactivity/slash-commands and
https://slack.dev/bolt-python/concepts/commands
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import CommandService, clean_args
from bot.crowd import ReportKind
from bot.crowd_desk import Reporter
from bot.errors import CommandError
from integrations.slack.blocks import CROWD_DOWN, CROWD_WORKS, plain_message, report_blocks
from integrations.slack.config import SlackConfig
from integrations.slack.errors import api_error_code
from integrations.slack.mrkdwn import escape

log = logging.getLogger(__name__)

PLATFORM = "slack"
APOLOGY = "Sorry, something went wrong on my side while handling that. Please try again."
INVITE_ME = (
    "I can't post in this channel yet. Invite me first: `/invite @statusbot`, "
    "then run the command again."
)
ADMINS_ONLY = (
    "Only workspace admins and owners can change this channel's alerts here "
    "(or people listed in the bot's `slack.allow_users`). Ask one of them."
)
CHANNELS_ONLY = (
    "Alerts go to channels: run /statusbot subscribe in the channel that should get them "
    "(and /invite me there first if it is private)."
)
NEEDS_FILES_SCOPE = (
    "I can't post charts yet: my Slack app needs the files:write scope. Ask a workspace "
    "admin to reinstall it from the current manifest."
)
ALT_TEXT_LIMIT = 1000  # Slack's limit on a file's alt text
STATUS_COMMAND = "/is-chatgpt-down"
MANAGE_COMMAND = "/statusbot"

Reply = Callable[..., Awaitable[Any]]


class SlackCommands:
    """The listeners, bound to one CommandService and the Slack section of the config."""

    def __init__(self, commands: CommandService, config: SlackConfig) -> None:
        self.commands = commands
        self.config = config

    def register(self, app: AsyncApp) -> None:
        app.command(STATUS_COMMAND)(self.is_down)
        app.command(MANAGE_COMMAND)(self.statusbot)
        if self.commands.crowd is not None:
            app.action(CROWD_DOWN)(self.crowd_click)
            app.action(CROWD_WORKS)(self.crowd_click)

    # --- "Down for me too" / "Works for me" ------------------------------------------

    async def crowd_click(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A crowd button: counted (paced per person), thanked privately, never posted."""
        await ack()
        try:
            text = await self._count_click(body)
        except CommandError as exc:
            text = str(exc)
        except Exception as exc:  # noqa: BLE001 - the person always gets an answer
            log.error("slack crowd click failed: %s", type(exc).__name__, exc_info=exc)
            text = APOLOGY
        message, _blocks = plain_message(text)
        try:
            await respond(text=message, response_type="ephemeral", replace_original=False)
        except Exception as exc:  # noqa: BLE001 - nothing more we can do
            log.warning("slack crowd answer failed: %s", type(exc).__name__)

    async def _count_click(self, body: dict[str, Any]) -> str:
        crowd = self.commands.crowd
        actions = body.get("actions")
        user = body.get("user")
        if crowd is None or not isinstance(actions, list) or not isinstance(user, dict):
            raise CommandError("I couldn't read that click.")
        action = actions[0] if actions and isinstance(actions[0], dict) else {}
        kind = ReportKind.WORKS if action.get("action_id") == CROWD_WORKS else ReportKind.DOWN
        channel = body.get("channel") or {}
        container = body.get("container") or {}
        team = body.get("team") or {}
        who = Reporter(
            platform=PLATFORM,
            workspace_id=str(team.get("id") or user.get("team_id") or "") or None,
            channel_id=str(channel.get("id") or container.get("channel_id") or ""),
            user_id=str(user.get("id") or ""),
        )
        if not who.user_id:
            raise CommandError("I couldn't read that click.")
        return await crowd.clicked(str(action.get("value") or ""), who, kind)

    # --- /is-chatgpt-down --------------------------------------------------------

    async def is_down(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        """Verdict first; ephemeral unless the user typed `public`."""
        await ack()
        public = False
        try:
            words = clean_args(command.get("text")).split()
            if words and words[-1].lower() == "public":
                public, words = True, words[:-1]
            who = Reporter(
                platform=PLATFORM,
                workspace_id=str(command.get("team_id") or "") or None,
                channel_id=str(command.get("channel_id") or ""),
                user_id=str(command.get("user_id") or ""),
            )
            report = await self.commands.status(" ".join(words) or None, asker=who)
            text, blocks = report_blocks(report)
            await respond(
                text=text,
                blocks=blocks,
                response_type="in_channel" if public else "ephemeral",
                replace_original=False,
            )
        except Exception as exc:  # noqa: BLE001 - the user always gets an answer
            await self._answer_failure(respond, exc, command)

    # --- /statusbot ----------------------------------------------------------------

    async def statusbot(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        try:
            text = clean_args(command.get("text"))
            verb, _, rest = text.partition(" ")
            answer = await self._run(verb.lower(), rest, command, client)
            if answer:  # a chart speaks for itself in the channel
                text, blocks = plain_message(answer)
                await respond(text=text, blocks=blocks, response_type="ephemeral")
        except Exception as exc:  # noqa: BLE001 - the user always gets an answer
            await self._answer_failure(respond, exc, command)

    async def _run(
        self, verb: str, rest: str, command: dict[str, Any], client: AsyncWebClient
    ) -> str:
        channel = str(command.get("channel_id") or "")
        if verb in ("", "help"):
            return self.commands.help()
        if verb == "list":
            return await self.commands.list(PLATFORM, channel)
        if verb == "history":
            self.commands.parse_history(rest)  # refuse bad arguments before drawing
            await self._post_history(client, channel, rest)
            return ""
        if verb in ("subscribe", "sub", "unsubscribe", "unsub"):
            await self._check_manager(client, str(command.get("user_id") or ""))
            if verb.startswith("unsub"):
                return await self.commands.unsubscribe(PLATFORM, channel, rest)
            self.commands.parse_subscribe(rest, PLATFORM)  # refuse bad arguments first
            await self._check_can_post(client, channel)
            return await self.commands.subscribe(
                PLATFORM,
                str(command.get("team_id") or "") or None,
                channel,
                rest,
                user_id=str(command.get("user_id") or "") or None,
            )
        if verb in ("test", "mute", "unmute", "quiet"):
            await self._check_manager(client, str(command.get("user_id") or ""))
            if verb == "test":
                await self._check_can_post(client, channel)
                team = str(command.get("team_id") or "") or None
                return await self.commands.test(PLATFORM, team, channel)
            if verb == "mute":
                return await self.commands.mute(PLATFORM, channel, rest)
            if verb == "unmute":
                return await self.commands.unmute(PLATFORM, channel, rest)
            return await self.commands.quiet(PLATFORM, channel, rest)
        shown = verb if len(verb) <= 30 else verb[:30] + "…"
        raise CommandError(f"I don't know the command '{shown}'.\n{self.commands.help()}")

    async def _post_history(self, client: AsyncWebClient, channel: str, args: str) -> None:
        """The chart as a file in the channel (files_upload_v2), its summary as the comment."""
        answer = await self.commands.history(args)
        try:
            await client.files_upload_v2(
                channel=channel,
                file=answer.png,
                filename=answer.filename,
                title=answer.title,
                alt_txt=answer.alt_text[:ALT_TEXT_LIMIT],
                initial_comment=escape(answer.summary),
            )
        except SlackApiError as exc:
            code = api_error_code(exc)
            if code in ("channel_not_found", "not_in_channel"):
                raise CommandError(INVITE_ME) from None
            if code == "missing_scope":
                raise CommandError(NEEDS_FILES_SCOPE) from None
            raise

    async def _check_manager(self, client: AsyncWebClient, user_id: str) -> None:
        """managers: anyone, or workspace admins/owners plus `allow_users`."""
        if self.config.managers == "anyone" or user_id in self.config.allow_users:
            return
        response = await client.users_info(user=user_id)
        user = response.get("user") or {}
        if not (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")):
            raise CommandError(ADMINS_ONLY)

    async def _check_can_post(self, client: AsyncWebClient, channel: str) -> None:
        """Alerts are useless if we cannot post: a private channel needs an invite first."""
        try:
            response = await client.conversations_info(channel=channel)
        except SlackApiError as exc:
            code = api_error_code(exc)
            if code in ("channel_not_found", "not_in_channel"):
                raise CommandError(INVITE_ME) from None
            if code == "missing_scope":
                # Direct messages need scopes the app does not ask for: alerts go to channels.
                raise CommandError(CHANNELS_ONLY) from None
            raise
        info = response.get("channel") or {}
        if info.get("is_archived"):
            raise CommandError("This channel is archived; I can't post alerts here.")
        if info.get("is_im") or info.get("is_mpim"):
            return
        if not info.get("is_member"):
            raise CommandError(INVITE_ME)

    async def _answer_failure(
        self, respond: AsyncRespond, exc: Exception, command: dict[str, Any]
    ) -> None:
        if isinstance(exc, CommandError):
            message = str(exc)
        else:
            # Log the kind and where, never the payload (it carries tokens and URLs).
            log.error(
                "slack command %s failed: %s",
                command.get("command"),
                type(exc).__name__,
                exc_info=exc,
            )
            message = APOLOGY
        try:
            text, blocks = plain_message(message)
            await respond(text=text, blocks=blocks, response_type="ephemeral")
        except Exception as reply_exc:  # noqa: BLE001 - nothing more we can do
            log.warning("slack command answer failed: %s", type(reply_exc).__name__)
