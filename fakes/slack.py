"""A fake Slack over real sockets: the Web API, Socket Mode and response_url, on 127.0.0.1.

Tests point the real slack-sdk / slack-bolt clients at it and assert on what it recorded
("chat.postMessage called once"). Faults are injected per method, per channel or per
workspace. Every call is O(1) so benchmarks can drive 10,000 channels through it.

Upstream shapes: https://api.slack.com/methods and https://api.slack.com/apis/socket-mode
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import random
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from fakes.slack_state import ChannelInfo, FakeMessage, SlackWorld

__all__ = [
    "Call",
    "ChannelInfo",
    "FakeFile",
    "FakeMessage",
    "FakeSlack",
    "SlashRun",
    "sign_request",
]


@dataclass(frozen=True, slots=True)
class Call:
    """One Web API call as the fake saw it."""

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None
    token: str = ""  # the token the call was made with


@dataclass(slots=True)
class FakeFile:
    """A file uploaded the files_upload_v2 way: URL asked for, bytes sent, upload completed."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None

    @property
    def shared(self) -> bool:
        return self.channel is not None


@dataclass(slots=True)
class SlashRun:
    """One slash command pushed over Socket Mode: its ack and its response_url posts."""

    envelope_id: str
    sent_at: float
    ack: dict[str, Any] | None = None
    acked_at: float | None = None
    responses: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def text(self) -> str:
        """Everything the user was shown, ack payload first, then response_url posts."""
        parts = []
        if self.ack and self.ack.get("text"):
            parts.append(str(self.ack["text"]))
        parts += [str(r.get("text", "")) for r in self.responses]
        return "\n".join(parts)

    async def wait_response(self, count: int = 1, within: float = 5.0) -> list[dict[str, Any]]:
        """Wait until `count` response_url posts arrived (or fail with TimeoutError)."""
        async with asyncio.timeout(within):
            while len(self.responses) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.responses


def sign_request(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with `body` (for HTTP-mode tests)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass(slots=True)
class _Fault:
    remaining: int
    status: int
    error: str
    retry_after: int | None
    drop_after_commit: bool = False


class FakeSlack:
    """Start with `async with FakeSlack() as slack:`; `slack.api_url` is the Web API base."""

    # Message posts per channel: a bucket of BURST refilled at RATE per second (Slack: ~1/s).
    RATE_LIMIT_RATE = 1.0
    RATE_LIMIT_BURST = 3

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-fake-app-token",
        team_id: str = "T0FAKE",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        seed: int = 0,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.world = SlackWorld()
        self.calls: list[Call] = []
        self._by_method: dict[str, list[Call]] = defaultdict(list)
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self.rate_limit_enabled = False
        self._buckets: dict[str, tuple[float, float]] = {}
        self.random_429_probability = 0.0
        self._random = random.Random(seed)
        self.revoked_error: str | None = None
        self.slash_runs: dict[str, SlashRun] = {}
        self.files: dict[str, FakeFile] = {}  # by file id, in upload order
        self.acks: list[str] = []  # envelope ids acknowledged over Socket Mode, in order
        self.connections_opened = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        # Told to reconnect: like Slack, send them nothing new while the client moves over.
        self._retiring: set[web.WebSocketResponse] = set()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        # OAuth ("Add to Slack" in many workspaces): the app's client credentials, codes
        # granted by a consenting workspace, and the bot token each workspace got.
        self.client_id = "1111.2222"
        self.client_secret = "fake-client-secret-c0ffee"
        self._codes: dict[str, tuple[str, str]] = {}
        self.team_tokens: dict[str, str] = {}  # token -> team id
        self.revoked_teams: set[str] = set()

    # --- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket-mode", self._socket_mode)
        app.router.add_post("/response/{run_id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def aclose(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # --- recording -----------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Every call to `method` (including failed ones), oldest first."""
        return self._by_method.get(method, [])

    def ok_calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls_to(method) if c.error is None]

    def messages(self, channel: str) -> list[FakeMessage]:
        """Every message in a channel, thread replies included, in posting order."""
        return self.world.messages(channel)

    def top_level(self, channel: str) -> list[FakeMessage]:
        return [m for m in self.world.messages(channel) if m.thread_ts is None]

    def replies(self, channel: str, thread_ts: str) -> list[FakeMessage]:
        return [m for m in self.world.messages(channel) if m.thread_ts == thread_ts]

    # --- behaviours to inject -------------------------------------------------

    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        status: int = 429,
        error: str = "ratelimited",
        retry_after: int | None = 1,
    ) -> None:
        """The next `count` calls to `method` answer with this error (429 + Retry-After)."""
        for _ in range(count):
            self._faults[method].append(_Fault(count, status, error, retry_after))

    def drop_after_commit(self, method: str, count: int = 1) -> None:
        """The next `count` calls to `method` take effect, then the connection drops."""
        for _ in range(count):
            self._faults[method].append(_Fault(count, 200, "", None, drop_after_commit=True))

    def set_channel(self, channel: str, **facts: Any) -> ChannelInfo:
        """Configure a channel: is_private, is_member, is_archived, exists, name."""
        return self.world.set_channel(channel, **facts)

    def delete_channel(self, channel: str) -> None:
        self.world.set_channel(channel, exists=False)

    def delete_message(self, channel: str, ts: str) -> None:
        """A moderator deletes a message (a card): it leaves history; its thread is closed."""
        self.world.delete_message(channel, ts)

    def set_user(self, user: str, *, admin: bool = False, owner: bool = False) -> None:
        self.world.users[user] = {"is_admin": admin, "is_owner": owner}

    def revoke_token(self, error: str = "token_revoked") -> None:
        """Every bot-token call now fails workspace-wide (token_revoked, app_uninstalled...)."""
        self.revoked_error = error

    # --- Web API ---------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(args.pop("token", ""))
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        team = self.team_tokens.get(token) if method != "apps.connections.open" else None
        status, headers, body = 200, {}, None
        fault = self._faults[method].popleft() if self._faults.get(method) else None
        if method == "oauth.v2.access":
            body = self._oauth_access(request, args)
        elif token != expected and team is None:
            body = {"ok": False, "error": "invalid_auth"}
        elif team is not None and team in self.revoked_teams:
            body = {"ok": False, "error": "token_revoked"}
        elif team is not None and method == "auth.test":
            body = self._auth_test(team)
        elif self.revoked_error and method != "apps.connections.open":
            body = {"ok": False, "error": self.revoked_error}
        elif fault is not None and not fault.drop_after_commit:
            status, body = fault.status, {"ok": False, "error": fault.error}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
        elif method == "chat.postMessage" and self._rate_limited(str(args.get("channel", ""))):
            status, body = 429, {"ok": False, "error": "ratelimited"}
            headers["Retry-After"] = "1"
        else:
            body = self._handle(method, args)
        error = None if body.get("ok") else str(body.get("error"))
        call = Call(method, args, time.monotonic(), status, error, token)
        self.calls.append(call)
        self._by_method[method].append(call)
        if fault is not None and fault.drop_after_commit:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # the response is lost on the way back
        return web.json_response(body, status=status, headers=headers)

    def _rate_limited(self, channel: str) -> bool:
        if self.random_429_probability and self._random.random() < self.random_429_probability:
            return True
        if not self.rate_limit_enabled:
            return False
        now = time.monotonic()
        tokens, last = self._buckets.get(channel, (float(self.RATE_LIMIT_BURST), now))
        tokens = min(float(self.RATE_LIMIT_BURST), tokens + (now - last) * self.RATE_LIMIT_RATE)
        if tokens < 1.0:
            self._buckets[channel] = (tokens, now)
            return True
        self._buckets[channel] = (tokens - 1.0, now)
        return False

    def shared_files(self, channel: str) -> list[FakeFile]:
        """Files completed into `channel`, oldest first."""
        return [f for f in self.files.values() if f.channel == channel]

    # --- OAuth (https://api.slack.com/authentication/oauth-v2) -----------------------

    def grant(self, team_id: str, team_name: str) -> str:
        """A workspace admin consents on Slack's screen: the code Slack redirects back with."""
        code = f"code-{team_id}-{next(self._ids)}"
        self._codes[code] = (team_id, team_name)
        return code

    def token_of(self, team_id: str) -> str | None:
        """The bot token the workspace's installation was given (the newest)."""
        found = [t for t, team in self.team_tokens.items() if team == team_id]
        return found[-1] if found else None

    def revoke_team(self, team_id: str) -> None:
        """The workspace uninstalled the app: its tokens stop working."""
        self.revoked_teams.add(team_id)

    def _oauth_access(self, request: web.Request, args: dict[str, Any]) -> dict[str, Any]:
        basic = request.headers.get("Authorization", "").removeprefix("Basic ").strip()
        client_id, client_secret = (
            str(args.get("client_id", "")),
            str(args.get("client_secret", "")),
        )
        if basic:
            client_id, _, client_secret = base64.b64decode(basic).decode().partition(":")
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client_id"}
        grant = self._codes.pop(str(args.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, team_name = grant
        self.revoked_teams.discard(team_id)
        token = f"xoxb-{team_id}-{next(self._ids)}-oauth"
        self.team_tokens[token] = team_id
        return {
            "ok": True,
            "app_id": "A0FAKE",
            "access_token": token,
            "token_type": "bot",
            "scope": "chat:write,commands",
            "bot_user_id": self.bot_user_id,
            "team": {"id": team_id, "name": team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U0ADMIN"},
        }

    def _auth_test(self, team_id: str) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{team_id.lower()}.slack.com/",
            "team": team_id,
            "team_id": team_id,
            "user": "statusbot",
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def event_body(self, team_id: str, event: dict[str, Any]) -> str:
        """An Events API callback (JSON) as Slack would POST it to the app."""
        return json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team_id,
                "api_app_id": "A0FAKE",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(self._ids):08d}",
                "event_time": int(time.time()),
            }
        )

    def _handle(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            return self._upload_url(args)
        if method == "files.completeUploadExternal":
            return self._complete_upload(args)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "team_id": self.team_id,
                "user": "statusbot",
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            self.connections_opened += 1
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket-mode"}
        return self.world.handle(method, args, bot_id=self.bot_id, bot_user=self.bot_user_id)

    # --- files (https://api.slack.com/messaging/files#uploading_files) ---------------

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        length = str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        alt = args.get("alt_txt")
        self.files[file_id] = FakeFile(file_id, filename, int(length), str(alt) if alt else None)
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if file is None:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        if len(data) != file.length:
            return web.Response(status=400, text="length does not match")
        file.data = data
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        listed = args.get("files")
        if not isinstance(listed, list) or not listed:
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id") or None
        if channel is not None and (error := self.world._postable(str(channel))):
            return {"ok": False, "error": error}
        done = []
        for item in listed:
            file = self.files.get(str((item or {}).get("id")))
            if file is None or file.data is None:
                return {"ok": False, "error": "file_not_found"}
            file.title = (item or {}).get("title") or file.filename
            file.channel = str(channel) if channel else None
            file.initial_comment = args.get("initial_comment") or None
            file.thread_ts = args.get("thread_ts") or None
            done.append({"id": file.id, "name": file.filename, "title": file.title})
        return {"ok": True, "files": done}

    # --- Socket Mode -------------------------------------------------------------

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0FAKE"},
            }
        )
        self._socket_ready.set()
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._on_ack(json.loads(message.data))
        finally:
            self._sockets.remove(ws)
            self._retiring.discard(ws)
            if not self._live_sockets():
                self._socket_ready.clear()
        return ws

    def _on_ack(self, data: dict[str, Any]) -> None:
        envelope_id = str(data.get("envelope_id"))
        self.acks.append(envelope_id)
        run = self.slash_runs.get(envelope_id)
        if run is None:
            return
        run.ack = data.get("payload") or {}
        run.acked_at = time.monotonic()
        run.changed.set()

    @property
    def socket_connected(self) -> bool:
        return bool(self._sockets)

    def _live_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if ws not in self._retiring]

    async def request_reconnect(self) -> None:
        """Slack's periodic `disconnect` (refresh_requested): clients must reconnect."""
        retiring = list(self._sockets)
        self._retiring.update(retiring)
        self._socket_ready.clear()
        for ws in retiring:
            await ws.send_json({"type": "disconnect", "reason": "refresh_requested"})

    def slash_form(
        self,
        command: str,
        text: str = "",
        *,
        channel_id: str = "C0GENERAL",
        user_id: str = "U0USER",
        team_id: str | None = None,
    ) -> tuple[SlashRun, dict[str, str]]:
        """A slash-command payload whose response_url points at this fake."""
        run_id = f"run{next(self._ids)}"
        run = SlashRun(envelope_id=f"env-{run_id}", sent_at=time.monotonic())
        self.slash_runs[run.envelope_id] = run
        self.slash_runs[run_id] = run
        payload = {
            "token": "verification-token-unused",
            "team_id": team_id or self.team_id,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": self.world.channel(channel_id).name,
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0FAKE",
            "is_enterprise_install": "false",
            "response_url": f"{self.url}/response/{run_id}",
            "trigger_id": f"trigger-{run_id}",
        }
        return run, payload

    def slash_body(self, payload: dict[str, str]) -> str:
        """The form-encoded body Slack posts in HTTP mode."""
        return urlencode(payload)

    async def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        channel_id: str = "C0GENERAL",
        user_id: str = "U0USER",
        team_id: str | None = None,
        wait_response: bool = True,
        within: float = 5.0,
    ) -> SlashRun:
        """Push a slash command over Socket Mode; wait for the ack (and a response)."""
        run, payload = self.slash_form(
            command, text, channel_id=channel_id, user_id=user_id, team_id=team_id
        )
        async with asyncio.timeout(within):
            await self._socket_ready.wait()
            run.sent_at = time.monotonic()
            await self._live_sockets()[-1].send_json(
                {
                    "envelope_id": run.envelope_id,
                    "type": "slash_commands",
                    "payload": payload,
                    "accepts_response_payload": True,
                }
            )
            while run.ack is None or (wait_response and not run.responses and not run.text):
                run.changed.clear()
                await run.changed.wait()
        return run

    async def block_action(
        self, payload: dict[str, Any], *, wait_response: bool = True, within: float = 5.0
    ) -> SlashRun:
        """Push a `block_actions` interaction (a button click) over Socket Mode, its
        response_url pointing at this fake; wait for the ack (and a response)."""
        run_id = f"run{next(self._ids)}"
        run = SlashRun(envelope_id=f"env-{run_id}", sent_at=time.monotonic())
        self.slash_runs[run.envelope_id] = run
        self.slash_runs[run_id] = run
        payload = {**payload, "response_url": f"{self.url}/response/{run_id}"}
        async with asyncio.timeout(within):
            await self._socket_ready.wait()
            await self._sockets[-1].send_json(
                {
                    "envelope_id": run.envelope_id,
                    "type": "interactive",
                    "payload": payload,
                    "accepts_response_payload": False,
                }
            )
            while run.ack is None or (wait_response and not run.responses):
                run.changed.clear()
                await run.changed.wait()
        return run

    async def _response_url(self, request: web.Request) -> web.Response:
        run = self.slash_runs.get(request.match_info["run_id"])
        if run is None:
            return web.Response(status=404, text="unknown response_url")
        run.responses.append(await request.json())
        run.changed.set()
        return web.Response(text="ok")


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Slack takes query strings, form bodies and JSON bodies alike."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        else:
            args.update(dict(await request.post()))
    for key in ("blocks", "metadata", "attachments", "files"):
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                pass
    return args
