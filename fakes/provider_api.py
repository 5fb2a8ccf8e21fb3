"""Fake provider APIs over real sockets: they refuse an anonymous call as the real ones do
when up, and fail in the real ways (5xx, 529, timeouts, resets, HTML error pages, a bot
challenge, slowness, bare 429s).

One server plays every provider under its own path prefix (`/openai/v1/models`,
`/anthropic/v1/models`, `/google/v1beta/models`, `/chatgpt/`...). Drive it in-process with
`set_mode(provider, mode)` or over HTTP: `PUT /_control/mode?provider=openai&mode=error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fakes.server import LocalServer
from fakes.statuspage import _reset

MODES = frozenset(
    {"up", "error", "overloaded", "html", "timeout", "reset", "challenge", "slow", "429"}
)


@dataclass(frozen=True)
class ProviderAnswer:
    """How a provider refuses an anonymous request when it is up, and how its errors look."""

    path: str
    status: int
    body: dict[str, Any] | None
    error_status: int = 500
    error_body: dict[str, Any] | None = None
    html: bool = False  # the up answer is a web page (chatgpt.com)


ANSWERS: dict[str, ProviderAnswer] = {
    "openai": ProviderAnswer(
        "/openai/v1/models",
        401,
        {
            "error": {
                "message": "You didn't provide an API key.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
        error_body={"error": {"message": "The server had an error", "type": "server_error"}},
    ),
    "anthropic": ProviderAnswer(
        "/anthropic/v1/models",
        401,
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": "x-api-key header is required"},
        },
        error_status=529,
        error_body={
            "type": "error",
            "error": {"type": "overloaded_error", "message": "Overloaded"},
        },
    ),
    "google": ProviderAnswer(
        "/google/v1beta/models",
        403,
        {
            "error": {
                "code": 403,
                "message": "Method doesn't allow unregistered callers.",
                "status": "PERMISSION_DENIED",
            }
        },
        error_status=503,
        error_body={"error": {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}},
    ),
    "mistral": ProviderAnswer("/mistral/v1/models", 401, {"detail": "Unauthorized"}),
    "groq": ProviderAnswer(
        "/groq/openai/v1/models",
        401,
        {
            "error": {
                "message": "Invalid API Key",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
    ),
    "xai": ProviderAnswer(
        "/xai/v1/models",
        400,
        {"code": "Client specified an invalid argument", "error": "Incorrect API key provided"},
    ),
    "cohere": ProviderAnswer("/cohere/v1/models", 401, {"message": "no api key supplied"}),
    "chatgpt": ProviderAnswer("/chatgpt/", 403, None, error_status=502, html=True),
}

CHALLENGE_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>'
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=1"></script>'
    "</body></html>"
)
BAD_GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>cloudflare</center></body></html>"
)


def probe_config(base_url: str, provider: str) -> dict[str, Any]:
    """A config entry (`providers.<key>.probes[]` item) probing this fake like the real API."""
    from bot.catalog import known_probes

    answer = ANSWERS[provider]
    real = "openai" if provider == "chatgpt" else provider
    name = "ChatGPT" if provider == "chatgpt" else None
    shipped = known_probes(real)
    spec = next((p for p in shipped if name is None or p["name"] == name), shipped[0])
    return {**spec, "url": base_url + answer.path}


class FakeProviderAPIs(LocalServer):
    """An aiohttp server on 127.0.0.1 playing every provider's API at once."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.modes: dict[str, str] = dict.fromkeys(ANSWERS, "up")
        self.slow_s = 1.0
        self.hits: Counter[str] = Counter()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/_control/{what}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._serve)

    def url(self, provider: str) -> str:
        return self.base_url + ANSWERS[provider].path

    def set_mode(self, provider: str, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {sorted(MODES)}")
        if provider == "all":
            self.modes = dict.fromkeys(ANSWERS, mode)
        elif provider not in ANSWERS:
            raise KeyError(f"unknown provider {provider!r}")
        else:
            self.modes[provider] = mode

    # --- serving ---------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        provider = next((k for k, a in ANSWERS.items() if a.path == request.path), None)
        if provider is None:
            return web.Response(status=404, text="not found")
        self.hits[provider] += 1
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            return await self._answer(request, ANSWERS[provider], self.modes[provider])
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _answer(
        self, request: web.Request, answer: ProviderAnswer, mode: str
    ) -> web.StreamResponse:
        if mode == "timeout":
            await asyncio.sleep(3600)
        if mode == "reset":
            _reset(request)
            raise asyncio.CancelledError  # nothing more to send on a dead connection
        if mode == "slow":
            await asyncio.sleep(self.slow_s)
            mode = "up"
        if mode == "up":
            if answer.html:
                return web.Response(
                    status=answer.status, text=CHALLENGE_PAGE, content_type="text/html"
                )
            return _json(answer.status, answer.body)
        if mode == "challenge":
            return web.Response(
                status=403,
                text=CHALLENGE_PAGE,
                content_type="text/html",
                headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
            )
        if mode == "html":
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
        if mode == "429":
            return web.Response(status=429, text="Too Many Requests", content_type="text/plain")
        if mode == "overloaded":
            return _json(529, ANSWERS["anthropic"].error_body)
        # error: the provider's own 5xx
        if answer.error_body is None:
            return web.Response(
                status=answer.error_status, text=BAD_GATEWAY_PAGE, content_type="text/html"
            )
        return _json(answer.error_status, answer.error_body)

    async def _control(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["what"] == "mode" and request.method == "PUT":
            try:
                self.set_mode(request.query.get("provider", ""), request.query.get("mode", ""))
            except (KeyError, ValueError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response({"ok": True})
        if request.match_info["what"] == "hits" and request.method == "GET":
            return web.json_response(dict(self.hits))
        return web.json_response({"error": "unknown control call"}, status=404)


def _json(status: int, body: dict[str, Any] | None) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body or {}).encode(), content_type="application/json"
    )


async def serve_forever(host: str = "127.0.0.1", port: int = 0) -> None:
    async with FakeProviderAPIs(host, port) as fake:
        print(f"fake provider APIs on {fake.base_url}", flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()
