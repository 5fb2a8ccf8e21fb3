"""A fake webhook receiver on 127.0.0.1 for the outputs that only POST: the generic webhook
(`/hooks/NAME`, dedupes by delivery id as a careful receiver does), Slack incoming webhooks
(`/services/NAME`, answers `ok` as text) and Microsoft Teams (`/workflows/NAME`, 202).

Faults: `fail_next` (a status such as 429 with Retry-After, or 500), `gone` (404/410 from
then on), `drop_after_commit` (the post is kept, the answer is lost on the way back).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fakes.server import LocalServer

ANSWERS = {"hooks": (200, "application/json", b"{}"), "services": (200, "text/plain", b"ok"),
           "workflows": (202, "text/plain", b"")}  # fmt: skip


@dataclass(frozen=True)
class Received:
    """One POST as it arrived: the raw body (for signature checks), parsed JSON, headers."""

    name: str
    raw: bytes
    body: Any
    headers: dict[str, str]


class FakeWebhooks(LocalServer):
    """Records what each webhook URL received; see the module docstring for the paths."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.attempts: Counter[str] = Counter()
        self._failures: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        self._gone: dict[str, int] = {}
        self._drops: Counter[str] = Counter()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{kind}/{name}", self._post)

    def url(self, kind: str, name: str) -> str:
        """`kind`: hooks (generic), services (Slack incoming webhook) or workflows (Teams)."""
        return f"http://{self.host}:{self.port}/{kind}/{name}"

    def fail_next(self, name: str, status: int = 429, retry_after: float | None = None) -> None:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        self._failures[name].append((status, headers))

    def gone(self, name: str, status: int = 404) -> None:
        self._gone[name] = status

    def drop_after_commit(self, name: str) -> None:
        self._drops[name] += 1

    def bodies(self, name: str) -> list[Any]:
        """What the receiver kept: a repeated generic-webhook delivery id counts once."""
        seen: set[str] = set()
        out = []
        for item in self.received[name]:
            key = item.headers.get("X-Statusbot-Delivery")
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            out.append(item.body)
        return out

    async def _post(self, request: web.Request) -> web.StreamResponse:
        kind, name = request.match_info["kind"], request.match_info["name"]
        if kind not in ANSWERS:
            return web.Response(status=404, text="no such hook")
        self.attempts[name] += 1
        raw = await request.read()
        if name in self._gone:
            return web.Response(status=self._gone[name], text="no_service")
        if self._failures[name]:
            status, headers = self._failures[name].pop(0)
            return web.Response(status=status, headers=headers, text="rate_limited")
        try:
            body = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        self.received[name].append(Received(name, raw, body, dict(request.headers)))
        if self._drops[name] > 0:
            self._drops[name] -= 1
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # kept, but the answer is lost on the way back
        status, content_type, answer = ANSWERS[kind]
        return web.Response(status=status, body=answer, content_type=content_type)
