"""A fake Discord (REST under /api/v10 plus the gateway websocket) over real sockets.

It lets the real discord.py client log in, sync commands, receive interactions, and post,
edit and thread messages, while recording every call so tests can assert "one embed
created, edited twice". Behaviour mirrors https://discord.com/developers/docs/reference:
JSON bodies with Content-Type exactly `application/json`, rate-limit headers, 429s with
`retry_after`, nonce de-duplication under `enforce_nonce`, embed limit checks (400/50035),
404/10003 for a deleted channel and 403/50001 for missing access. Every lookup is a dict
access so benchmarks with thousands of channels stay O(1) per call.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from fakes import discord_payloads as wire
from fakes.discord_interactions import (
    InteractionReply,
    command_options,
    component_payload,
    interaction_payload,
)

API_PREFIX = "/api/v10"
NONCE_TTL_S = 300.0  # Discord de-duplicates enforced nonces for "a few minutes".
HEARTBEAT_INTERVAL_MS = 41_250
ALL_PERMISSIONS = (1 << 51) - 1


@dataclass
class RecordedCall:
    """One REST request the fake answered."""

    method: str
    route: str  # the route template, e.g. "POST /channels/{channel}/messages"
    path: str
    status: int
    body: Any
    channel_id: int | None = None


@dataclass
class FakeChannel:
    id: int
    guild_id: int
    name: str
    payload: dict[str, Any]
    parent_id: int | None = None
    deleted: bool = False
    forbidden: bool = False
    # Permission names the bot lacks here, e.g. {"read_message_history"} (403/50013 on use).
    missing: set[str] = field(default_factory=set)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    nonces: dict[str, tuple[int, float]] = field(default_factory=dict)


class FakeDiscord:
    """An aiohttp server on 127.0.0.1 playing Discord's REST API and gateway."""

    def __init__(
        self,
        token: str = "fake-discord-bot-token",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 50,
        rate_window_s: float = 1.0,
        record_calls: bool = True,
    ) -> None:
        self.token = token
        self.host, self.port = host, port
        self.app_id = wire.snowflake()
        self.bot_user = wire.user(wire.snowflake(), "StatusBot", bot=True)
        self.owner = wire.user(wire.snowflake(), "owner")
        self.rate_limit, self.rate_window_s = rate_limit, rate_window_s
        self.record_calls = record_calls
        self.calls: list[RecordedCall] = []
        self.counts: Counter[str] = Counter()
        self.guilds: dict[int, list[int]] = {}
        self.guild_names: dict[int, str] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.replies: dict[str, InteractionReply] = {}
        self.token_revoked = False
        self.gateway_down = False  # True: the gateway refuses connections (an outage)
        self.recommended_shards = 1  # what GET /gateway/bot recommends
        self.duplicate_acks = 0
        self.identified_shards: list[tuple[int, int]] = []  # (shard, count) per IDENTIFY
        self._failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._drops: Counter[str] = Counter()
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._identified = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    # --- world set-up and faults ---------------------------------------------

    def add_guild(
        self, name: str = "Test server", channels: int = 1, shard: tuple[int, int] | None = None
    ) -> tuple[int, list[int]]:
        """A guild with `channels` text channels; returns (guild id, channel ids).

        `shard=(id, count)`: an id that lands on that shard ((guild_id >> 22) % count)."""
        guild_id = wire.snowflake()
        if shard is not None:
            number, count = shard
            guild_id = (((guild_id >> 22) // count * count + number) << 22) | (guild_id & 0x3FFFFF)
        self.guilds[guild_id] = []
        self.guild_names[guild_id] = name
        ids = [self.add_channel(guild_id, f"alerts-{n}") for n in range(channels)]
        return guild_id, ids

    def add_channel(self, guild_id: int, name: str) -> int:
        channel_id = wire.snowflake()
        payload = wire.text_channel(channel_id, guild_id, name)
        self.channels[channel_id] = FakeChannel(channel_id, guild_id, name, payload)
        self.guilds[guild_id].append(channel_id)
        return channel_id

    def delete_channel(self, channel_id: int) -> None:
        self.channels[channel_id].deleted = True

    def forbid_channel(self, channel_id: int) -> None:
        """The bot lost access (kicked, or View Channel taken away)."""
        self.channels[channel_id].forbidden = True

    def deny(self, channel_id: int, *permissions: str) -> None:
        """Take permissions from the bot in one channel ("read_message_history", ...)."""
        self.channels[channel_id].missing.update(permissions)

    def fail_next(
        self, route: str, count: int = 1, status: int = 429, retry_after: float = 0.05
    ) -> None:
        """Answer the next `count` calls of `route` (e.g. "POST /channels/{channel}/messages")."""
        if status == 429:
            body = {"message": "You are being rate limited.", "retry_after": retry_after}
            body["global"] = False
            headers = {"Retry-After": str(max(1, round(retry_after))), "Via": "1.1 google"}
            headers["X-RateLimit-Scope"] = "user"
        else:
            body, headers = {"message": f"{status}: fake failure", "code": 0}, {}
        self._failures.setdefault(route, []).extend([(status, body, headers)] * count)

    def drop_after_commit(self, route: str, count: int = 1) -> None:
        """The next `count` successful calls of `route` take effect, then the connection drops
        (the bot cannot tell whether Discord has the message: a crash at the worst moment)."""
        self._drops[route] += count

    # --- what tests read -------------------------------------------------------

    def count(self, route: str) -> int:
        """Successful calls of a route template ("PATCH /channels/{channel}/messages/{message}")."""
        return self.counts[route]

    def messages(self, channel_id: int) -> list[dict[str, Any]]:
        return list(self.channels[channel_id].messages.values())

    def calls_to(self, route: str, channel_id: int | None = None) -> list[RecordedCall]:
        return [
            c
            for c in self.calls
            if c.route == route and (channel_id is None or c.channel_id == channel_id)
        ]

    # --- interactions ------------------------------------------------------------

    def connections(self) -> int:
        """Gateway connections that identified or resumed."""
        return len(self._sockets)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection as Discord does on an outage (4000: reconnect)."""
        for ws in list(self._sockets):
            self._sockets.discard(ws)
            await ws.close(code=code, message=b"Unknown error")

    async def wait_identified(self, within_s: float = 5.0) -> None:
        await asyncio.wait_for(self._identified.wait(), within_s)

    async def interact(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        channel_id: int,
        focused: str | None = None,
        permissions: int = ALL_PERMISSIONS,
        app_permissions: int = ALL_PERMISSIONS,
        user_name: str = "member",
        within_s: float = 5.0,
    ) -> InteractionReply:
        """Push INTERACTION_CREATE (a slash command, or autocomplete when `focused` is set) as a
        member with `permissions`, and wait for the bot's answer."""
        channel = self.channels[channel_id]
        definition = self._command(channel.guild_id, command)
        data_options = command_options(definition, subcommand, options or {}, focused)
        interaction_id, token = wire.snowflake(), f"itok-{wire.snowflake()}"
        payload = interaction_payload(
            interaction_id, token, self.app_id, channel.guild_id, channel.payload, definition,
            data_options, member=wire.member(wire.user(wire.snowflake(), user_name), permissions),
            app_permissions=app_permissions, autocomplete=focused is not None,
        )  # fmt: skip
        reply = self.replies[token] = InteractionReply(interaction_id, token)
        await self.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(reply.done.wait(), within_s)
        return reply

    def reply_message(self, reply: InteractionReply, channel_id: int) -> dict[str, Any]:
        """The message an interaction's answer became, as a later click carries it."""
        channel = self.channels[channel_id]
        return wire.message(
            wire.snowflake(), channel_id, channel.guild_id, self.bot_user, reply.message
        )

    async def click(
        self,
        channel_id: int,
        message: dict[str, Any],
        custom_id: str,
        *,
        user_id: int | None = None,
        user_name: str = "member",
        within_s: float = 5.0,
    ) -> InteractionReply:
        """Push a button click (INTERACTION_CREATE type 3) on `message` as a member; wait for
        the bot's answer. The button must be on the message, as on Discord."""
        buttons = [
            c.get("custom_id")
            for row in message.get("components") or []
            for c in row.get("components") or []
        ]
        if custom_id not in buttons:
            raise KeyError(f"no button {custom_id!r} on that message (has {buttons})")
        channel = self.channels[channel_id]
        interaction_id, token = wire.snowflake(), f"itok-{wire.snowflake()}"
        clicker = wire.user(user_id or wire.snowflake(), user_name)
        payload = component_payload(
            interaction_id, token, self.app_id, channel.guild_id, channel.payload, message,
            custom_id, member=wire.member(clicker, ALL_PERMISSIONS),
        )  # fmt: skip
        reply = self.replies[token] = InteractionReply(interaction_id, token)
        await self.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(reply.done.wait(), within_s)
        return reply

    def _command(self, guild_id: int, name: str) -> dict[str, Any]:
        for definition in self.guild_commands.get(guild_id, []) + self.global_commands:
            if definition["name"] == name:
                return definition
        raise KeyError(f"command /{name} was never synced to guild {guild_id} or globally")

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH to every identified connection (a guild's event only to
        the shard that guild is on)."""
        if not self._sockets:
            raise RuntimeError("no gateway connection")
        guild = data.get("guild_id")
        for ws in list(self._sockets):
            if guild is not None and not _on_shard(ws, int(guild)):
                continue
            ws_seq = getattr(ws, "_fake_seq", 0) + 1
            ws._fake_seq = ws_seq  # type: ignore[attr-defined]
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": ws_seq, "d": data}))

    # --- gateway ----------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        if self.gateway_down:
            raise web.HTTPServiceUnavailable()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op = payload.get("op")
                if op == 1:
                    await ws.send_json({"op": 11})
                elif op == 2:
                    if payload["d"].get("token") != self.token or self.token_revoked:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    shard = payload["d"].get("shard") or [0, 1]
                    ws._fake_shard = (int(shard[0]), int(shard[1]))  # type: ignore[attr-defined]
                    self.identified_shards.append(ws._fake_shard)  # type: ignore[attr-defined]
                    self._sockets.add(ws)
                    await self._ready(ws)
                elif op == 6:
                    self._sockets.add(ws)
                    await self.dispatch("RESUMED", {})
        finally:
            self._sockets.discard(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [
                {"id": str(g), "unavailable": True} for g in self.guilds if _on_shard(ws, g)
            ],
            "shard": list(getattr(ws, "_fake_shard", (0, 1))),
            "session_id": f"session-{wire.snowflake()}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
        }
        ws._fake_seq = 1  # type: ignore[attr-defined]
        await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": ready})
        for guild_id, channel_ids in self.guilds.items():
            if not _on_shard(ws, guild_id):
                continue
            channels = [
                self.channels[c].payload for c in channel_ids if self.channels[c].parent_id is None
            ]
            payload = wire.guild(
                guild_id, self.guild_names[guild_id], int(self.owner["id"]), channels
            )
            ws._fake_seq += 1  # type: ignore[attr-defined]
            await ws.send_json({"op": 0, "t": "GUILD_CREATE", "s": ws._fake_seq, "d": payload})  # type: ignore[attr-defined]
        self._identified.set()

    # --- REST ---------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        parts = request.match_info["tail"].strip("/").split("/")
        route, params = _route(request.method, parts)
        body: Any = None
        if request.can_read_body and request.content_type == "multipart/form-data":
            body = await _read_multipart(request)
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw and request.content_type == "application/json" else raw
        status, answer, headers = self._answer(request, route, params, body)
        if self.record_calls:
            self.calls.append(
                RecordedCall(
                    request.method, route, request.path, status, body, params.get("channel")
                )
            )
        if 200 <= status < 300:
            self.counts[route] += 1
            if self._drops[route] > 0:
                self._drops[route] -= 1
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError  # the answer is lost on the way back
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.Response(
            status=status,
            body=json.dumps(answer).encode(),
            headers=headers,
            content_type="application/json",
        )

    def _answer(
        self, request: web.Request, route: str, params: dict[str, int], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        interaction_route = route.startswith(
            (
                "POST /interactions",
                "POST /webhooks",
                "PATCH /webhooks",
                "GET /webhooks",
                "DELETE /webhooks",
            )
        )
        if not interaction_route:
            if request.headers.get("Authorization") != f"Bot {self.token}" or self.token_revoked:
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
        queued = self._failures.get(route)
        if queued:
            return queued.pop(0)
        channel = self.channels.get(params["channel"]) if "channel" in params else None
        if "channel" in params:
            if channel is None or channel.deleted:
                return 404, {"message": "Unknown Channel", "code": 10003}, {}
            if channel.forbidden:
                return 403, {"message": "Missing Access", "code": 50001}, {}
        headers = self._rate_headers(route, params) if "messages" in route else {}
        if headers.get("X-RateLimit-Remaining") == "-1":
            return self._over_limit(headers)
        handler = _HANDLERS.get(route)
        if handler is None:
            return 404, {"message": f"fake has no route {route}", "code": 0}, {}
        status, answer = handler(self, params, body, channel)
        return status, answer, headers

    def _rate_headers(self, route: str, params: dict[str, int]) -> dict[str, str]:
        """Per-channel bucket headers; Remaining "-1" marks a call over the limit (a 429)."""
        key = (route, params.get("channel", 0))
        now = time.monotonic()
        start, used = self._windows.get(key, (now, 0))
        if now - start >= self.rate_window_s:
            start, used = now, 0
        over = used >= self.rate_limit
        if not over:  # a refused call does not use the bucket
            used += 1
            self._windows[key] = (start, used)
        reset_after = max(0.0, self.rate_window_s - (now - start))
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": "-1" if over else str(self.rate_limit - used),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"fake-{abs(hash(route)) % 10**8}",
        }

    @staticmethod
    def _over_limit(headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """The 429 Discord sends for a full bucket (Via marks it as Discord's, not Cloudflare's)."""
        retry_after = float(headers["X-RateLimit-Reset-After"])
        headers = {**headers, "X-RateLimit-Remaining": "0", "Via": "1.1 google"}
        headers["Retry-After"] = str(max(1, round(retry_after)))
        headers["X-RateLimit-Scope"] = "user"
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body["global"] = False
        return 429, body, headers

    # --- route handlers -------------------------------------------------------------

    def _me(self, params: dict, body: Any, channel: Any) -> tuple[int, Any]:
        return 200, self.bot_user

    def _application(self, params: dict, body: Any, channel: Any) -> tuple[int, Any]:
        return 200, {
            "id": str(self.app_id),
            "name": "StatusBot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "00" * 32,
            "owner": self.owner,
            "flags": 0,
            "bot": self.bot_user,
        }

    def _gateway_info(self, params: dict, body: Any, channel: Any) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return 200, {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": limit,
        }

    def _put_commands(self, params: dict, body: Any, channel: Any) -> tuple[int, Any]:
        guild_id = params.get("guild")
        stored = []
        for definition in body:
            if definition.get("default_member_permissions") is not None:
                # Discord answers with the bitfield as a string, whatever was sent.
                definition["default_member_permissions"] = str(
                    definition["default_member_permissions"]
                )
            stored.append(
                {
                    **definition,
                    "id": str(wire.snowflake()),
                    "application_id": str(self.app_id),
                    "version": str(wire.snowflake()),
                    **({"guild_id": str(guild_id)} if guild_id else {}),
                }
            )
        if guild_id:
            self.guild_commands[guild_id] = stored
        else:
            self.global_commands = stored
        return 200, stored

    def _get_channel(self, params: dict, body: Any, channel: FakeChannel) -> tuple[int, Any]:
        return 200, channel.payload

    def _create_message(self, params: dict, body: Any, channel: FakeChannel) -> tuple[int, Any]:
        problems = wire.form_errors(body)
        if problems:
            return 400, {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": wire.error_tree(problems),
            }
        if body.get("message_reference") and "read_message_history" in channel.missing:
            return 403, {"message": "Missing Permissions", "code": 50013}
        nonce = body.get("nonce")
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = channel.nonces.get(str(nonce))
            if seen and now - seen[1] < NONCE_TTL_S and seen[0] in channel.messages:
                return 200, channel.messages[seen[0]]
        message_id = wire.snowflake()
        message = wire.message(message_id, channel.id, channel.guild_id, self.bot_user, body)
        channel.messages[message_id] = message
        if nonce is not None:
            channel.nonces[str(nonce)] = (message_id, now)
        return 200, message

    def _edit_message(self, params: dict, body: Any, channel: FakeChannel) -> tuple[int, Any]:
        message = channel.messages.get(params["message"])
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        problems = wire.form_errors(body)
        if problems:
            return 400, {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": wire.error_tree(problems),
            }
        for key in ("content", "embeds", "flags", "components"):
            if key in body:
                message[key] = body[key]
        message["edited_timestamp"] = wire.now_iso()
        return 200, message

    def _create_thread(self, params: dict, body: Any, channel: FakeChannel) -> tuple[int, Any]:
        message = channel.messages.get(params["message"])
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        if "create_public_threads" in channel.missing:
            return 403, {"message": "Missing Permissions", "code": 50013}
        thread_id = params["message"]
        if thread_id in self.channels:
            return 400, {
                "message": "A thread has already been created for this message",
                "code": 160004,
            }
        name = (body or {}).get("name") or "thread"
        if len(name) > 100:
            return 400, {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": wire.error_tree(["name: Must be 100 or fewer in length."]),
            }
        payload = wire.thread_channel(
            thread_id,
            channel.guild_id,
            channel.id,
            name,
            int(self.bot_user["id"]),
            int((body or {}).get("auto_archive_duration") or 1440),
        )
        self.channels[thread_id] = FakeChannel(
            thread_id, channel.guild_id, name, payload, channel.id
        )
        self.guilds[channel.guild_id].append(thread_id)
        message["thread"] = payload
        return 201, payload

    def _interaction_callback(self, params: dict, body: Any, channel: Any) -> tuple[int, Any]:
        reply = self.replies.get(params["token"])
        if reply is None:
            return 404, {"message": "Unknown interaction", "code": 10062}
        if reply.callback is not None:
            self.duplicate_acks += 1  # a second bot session answered the same interaction
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        reply.callback = body
        kind = body.get("type")
        if kind in (4, 8):  # a message or autocomplete choices: the user sees it now
            reply.done.set()
        data = body.get("data") or {}
        response: dict[str, Any] = {
            "interaction": {
                "id": str(reply.interaction_id),
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
            }
        }
        if kind == 4:
            message_id = wire.snowflake()
            response["interaction"]["response_message_id"] = str(message_id)
            response["resource"] = {
                "type": 4,
                "message": wire.message(message_id, 0, None, self.bot_user, data),
            }
        return 200, response

    def _webhook_message(self, params: dict, body: Any, channel: Any) -> tuple[int, Any]:
        reply = self.replies.get(params["token"])
        if reply is None:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if body:
            (reply.followups if "original" not in params else reply.edits).append(body)
            reply.done.set()
        return 200, wire.message(wire.snowflake(), 0, None, self.bot_user, reply.message)


async def _read_multipart(request: web.Request) -> dict[str, Any]:
    """A message with attachments: `payload_json` plus `files[n]` parts, as Discord takes
    them (https://discord.com/developers/docs/reference#uploading-files). The files land
    in the message as `_files` (filename, content type, bytes, description)."""
    payload: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif (part.name or "").startswith("files["):
            files.append(
                {
                    "index": int((part.name or "")[6:-1]),
                    "filename": part.filename,
                    "content_type": part.headers.get("Content-Type"),
                    "data": bytes(await part.read()),
                }
            )
    message = payload["data"] if isinstance(payload.get("data"), dict) else payload
    described = {int(a.get("id", -1)): a for a in message.get("attachments") or []}
    for file in files:
        file["description"] = described.get(file["index"], {}).get("description")
    message["_files"] = files
    return payload


_HANDLERS = {
    "GET /users/@me": FakeDiscord._me,
    "GET /oauth2/applications/@me": FakeDiscord._application,
    "GET /gateway": FakeDiscord._gateway_info,
    "GET /gateway/bot": FakeDiscord._gateway_info,
    "PUT /applications/{app}/commands": FakeDiscord._put_commands,
    "PUT /applications/{app}/guilds/{guild}/commands": FakeDiscord._put_commands,
    "GET /channels/{channel}": FakeDiscord._get_channel,
    "POST /channels/{channel}/messages": FakeDiscord._create_message,
    "PATCH /channels/{channel}/messages/{message}": FakeDiscord._edit_message,
    "POST /channels/{channel}/messages/{message}/threads": FakeDiscord._create_thread,
    "POST /interactions/{interaction}/{token}/callback": FakeDiscord._interaction_callback,
    "POST /webhooks/{app}/{token}": FakeDiscord._webhook_message,
    "PATCH /webhooks/{app}/{token}/messages/{original}": FakeDiscord._webhook_message,
    "GET /webhooks/{app}/{token}/messages/{original}": FakeDiscord._webhook_message,
}

_TEMPLATES = [key.split(" ", 1)[1].strip("/").split("/") for key in _HANDLERS]


def _on_shard(ws: web.WebSocketResponse, guild_id: int) -> bool:
    """Whether a guild's events go over this connection: (guild_id >> 22) % count == shard."""
    number, count = getattr(ws, "_fake_shard", (0, 1))
    return (guild_id >> 22) % count == number


def _route(method: str, parts: list[str]) -> tuple[str, dict[str, Any]]:
    """Match a path to a route template; snowflake params become ints, tokens stay strings."""
    for template in _TEMPLATES:
        if len(template) != len(parts):
            continue
        params: dict[str, Any] = {}
        for want, got in zip(template, parts, strict=True):
            if want.startswith("{"):
                name = want[1:-1]
                params[name] = got if name == "token" or not got.isdigit() else int(got)
            elif want != got:
                break
        else:
            route = f"{method} /" + "/".join(template)
            if route in _HANDLERS:
                return route, params
    return f"{method} /" + "/".join(parts), {}
