"""HTTP mode: slack-bolt behind an aiohttp server, with signature checks and replay refusal.

slack-bolt verifies the signature and the 5-minute timestamp window
(https://api.slack.com/authentication/verifying-requests-from-slack); on top of that we
refuse a correctly signed request seen before, so a captured request cannot be replayed.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.commands import ReplayBook
from bot.junklog import JunkLog
from bot.webserve import serve
from integrations.slack.config import SlackHttpConfig, SlackOAuthConfig

log = logging.getLogger(__name__)


class ReplayGuard:
    """Refuses a (timestamp, signature) pair seen before, for as long as Slack's window
    would accept it; pairs live in the store, so restarts and replicas share them."""

    WINDOW_S = 5 * 60
    # Clock skew between Slack and us: keep pairs a little longer than the window.
    SLACK_S = 60

    def __init__(self, book: ReplayBook) -> None:
        self.book = book

    async def first_time(self, timestamp: str, signature: str) -> bool:
        """True the first time a pair is seen; False for a replay."""
        keep_for = timedelta(seconds=self.WINDOW_S + self.SLACK_S)
        return await self.book.first_time(timestamp, signature, keep_for)


class SlackHttpServer:
    """Serves slack-bolt at config.host:port/path."""

    def __init__(
        self,
        app: AsyncApp,
        config: SlackHttpConfig,
        signing_secret: str,
        replays: ReplayBook,
        oauth: SlackOAuthConfig | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.oauth = oauth
        self._verifier = SignatureVerifier(signing_secret)
        self._replays = ReplayGuard(replays)
        self._junk = JunkLog(log, "slack HTTP mode")
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_post(self.config.path, self._handle)
        if self.oauth is not None:
            # "Add to Slack": a browser starts here, and Slack sends it back with a code.
            web_app.router.add_get(self.oauth.install_path, self._install)
            web_app.router.add_get(self.oauth.redirect_path, self._oauth_redirect)
        self._runner = await serve(web_app, self.config.host, self.config.port)
        log.info("slack HTTP mode listening on %s:%s%s", *self._where())

    def _where(self) -> tuple[str, int, str]:
        return self.config.host, self.config.port, self.config.path

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not signature:
            return self._refuse(401, "no valid signature headers")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse(400, "body is not UTF-8")
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return self._refuse(401, "bad signature or stale timestamp")
        problem = _body_problem(request.content_type, request.charset, body)
        if problem:
            return self._refuse(400, problem)
        if not await self._replays.first_time(timestamp, signature):
            return self._refuse(401, "replayed request")
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=dict(request.headers),
        )
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def _install(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None  # routed only with oauth configured
        return await to_aiohttp_response(await flow.handle_installation(_bolt_get(request)))

    async def _oauth_redirect(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(_bolt_get(request)))

    def _refuse(self, status: int, reason: str) -> web.Response:
        self._junk.refused(status, reason)
        return web.json_response({"error": reason}, status=status)


def _bolt_get(request: web.Request) -> AsyncBoltRequest:
    """A browser's GET as bolt's request (its query and cookies carry the OAuth state)."""
    return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))


def _body_problem(content_type: str, charset: str | None, text: str) -> str | None:
    """Why a signed body is not something Slack sends, or None when it is.

    Slack sends UTF-8 forms (commands, `payload=` JSON objects for interactions) or JSON
    objects (events); anything else would only reach slack-bolt to fail there.
    """
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return f"unsupported charset {charset[:40]!r}"
    if content_type == "application/json":
        return None if _is_json_object(text) else "JSON body is not an object"
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        return "body is not a form"
    payloads = form.get("payload")
    if payloads is not None and not all(_is_json_object(p) for p in payloads):
        return "payload is not a JSON object"
    return None


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
