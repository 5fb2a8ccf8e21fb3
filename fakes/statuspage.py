"""A fake status page over real sockets, with the faults real pages have.

Serves payloads with strong ETags and Last-Modified (answering 304s), injects faults per path
(hang, reset, status codes, 429, truncated, huge, slow drip, redirect loop, redirect elsewhere)
and records every request. Drive it in-process or over HTTP under `/_control/`; run it alone:
`python -m fakes.statuspage --port 8099 --payload /api/v2/summary.json:summary.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import socket
import struct
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from fakes.server import LocalServer

FAULTS = frozenset(
    {
        "timeout",
        "reset",
        "status",
        "429",
        "truncated",
        "huge",
        "slow_drip",
        "redirect_loop",
        "redirect",
    }
)
RECORDED_HEADERS = ("If-None-Match", "If-Modified-Since", "User-Agent", "Accept")


@dataclass
class RecordedRequest:
    """What the fake saw and answered, for assertions ("two 304s", "bytes saved")."""

    path: str
    method: str
    headers: dict[str, str]
    status: int
    bytes_sent: int


@dataclass
class _Payload:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


@dataclass
class _Fault:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


class FakeStatusPage(LocalServer):
    """An aiohttp server on 127.0.0.1 (ephemeral port by default) playing a status page."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.requests: list[RecordedRequest] = []
        self._payloads: dict[str, _Payload] = {}
        self._faults: dict[str, _Fault] = {}

    # --- lifecycle -----------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/_control/{what}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._serve)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # --- configuration -------------------------------------------------------------------

    def set_payload(self, path: str, body: bytes, content_type: str = "application/json") -> None:
        """Serve `body` at `path` with a strong ETag from its hash and Last-Modified = now."""
        digest = hashlib.sha256(body).hexdigest()[:32]
        self._payloads[path] = _Payload(
            body=body,
            content_type=content_type,
            etag=f'"{digest}"',
            last_modified=format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True),
        )

    def set_fault(self, path: str, fault: str, **options: Any) -> None:
        """Make `path` misbehave; see FAULTS. Options: code/body (status), retry_after (429),
        size (huge), duration/interval (slow_drip), hang (timeout), location/code (redirect)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {sorted(FAULTS)}")
        self._faults[path] = _Fault(fault, options)

    def clear_fault(self, path: str) -> None:
        self._faults.pop(path, None)

    def count(self, path: str | None = None, status: int | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (path is None or r.path == path) and (status is None or r.status == status)
        )

    # --- serving -------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            fault = self._faults.get(request.path)
            if fault is not None:
                return await self._fault(request, fault)
            return self._payload(request)
        finally:
            if task is not None:
                self._handlers.discard(task)

    def _payload(self, request: web.Request) -> web.Response:
        payload = self._payloads.get(request.path)
        if payload is None:
            return self._record(request, web.Response(status=404, text="not found"))
        headers = {"ETag": payload.etag, "Last-Modified": payload.last_modified}
        if _not_modified(request, payload):
            return self._record(request, web.Response(status=304, headers=headers))
        response = web.Response(body=payload.body, headers=headers)
        response.content_type = payload.content_type
        return self._record(request, response, len(payload.body))

    async def _fault(self, request: web.Request, fault: _Fault) -> web.StreamResponse:
        opts = fault.options
        kind = fault.kind
        if kind == "timeout":
            self._record_raw(request, 0, 0)
            await asyncio.sleep(float(opts.get("hang", 3600)))
            return web.Response(status=504)
        if kind == "reset":
            self._record_raw(request, 0, 0)
            _reset(request)
            raise asyncio.CancelledError  # nothing more to send on a dead connection
        if kind == "status":
            body = str(opts.get("body", ""))
            is_html = body.lstrip().startswith("<")
            response = web.Response(
                status=int(opts.get("code", 500)),
                text=body,
                content_type="text/html" if is_html else "text/plain",
            )
            return self._record(request, response, len(body.encode()))
        if kind == "429":
            retry_after = str(opts.get("retry_after", "30"))
            response = web.Response(
                status=429, text="rate limited", headers={"Retry-After": retry_after}
            )
            return self._record(request, response, 12)
        if kind == "truncated":
            payload = self._payloads.get(request.path)
            full = payload.body if payload else json.dumps({"page": {"name": "x"}}).encode()
            half = full[: len(full) // 2]
            return self._record(
                request, web.Response(body=half, content_type="application/json"), len(half)
            )
        if kind == "huge":
            return await self._huge(request, int(opts.get("size", 20_000_000)))
        if kind == "slow_drip":
            return await self._slow_drip(
                request, float(opts.get("duration", 30.0)), float(opts.get("interval", 0.1))
            )
        if kind == "redirect":
            location = str(opts["location"])
            response = web.Response(
                status=int(opts.get("code", 302)), headers={"Location": location}
            )
            return self._record(request, response)
        # redirect_loop: always send the client back where it came from.
        response = web.Response(status=302, headers={"Location": request.path_qs})
        return self._record(request, response)

    async def _huge(self, request: web.Request, size: int) -> web.StreamResponse:
        """Stream `size` bytes without a Content-Length, so only the client's cap stops it."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b'{"pad":"' + b"x" * 65_520 + b'",'
        sent = 0
        with contextlib.suppress(ConnectionError, OSError):
            while sent < size:
                piece = chunk[: size - sent]
                await response.write(piece)
                sent += len(piece)
            await response.write_eof()
        self._record_raw(request, 200, sent)
        return response

    async def _slow_drip(
        self, request: web.Request, duration: float, interval: float
    ) -> web.StreamResponse:
        """Keep the connection alive with one byte per `interval` for `duration` seconds."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        sent = 0
        with contextlib.suppress(ConnectionError, OSError):
            await response.write(b"{")
            sent += 1
            while loop.time() < deadline:
                await asyncio.sleep(interval)
                await response.write(b" ")
                sent += 1
            await response.write(b"}")
            await response.write_eof()
        self._record_raw(request, 200, sent)
        return response

    # --- control API ---------------------------------------------------------------------

    async def _control(self, request: web.Request) -> web.StreamResponse:
        what = request.match_info["what"]
        path = request.query.get("path", "")
        if what == "requests" and request.method == "GET":
            return web.json_response([asdict(r) for r in self.requests])
        if what == "requests" and request.method == "DELETE":
            self.requests.clear()
            return web.json_response({"ok": True})
        if not path.startswith("/"):
            return web.json_response({"error": "query parameter path=/... is required"}, status=400)
        if what == "payload" and request.method == "PUT":
            content_type = request.headers.get("Content-Type", "application/json")
            self.set_payload(path, await request.read(), content_type.split(";")[0])
            return web.json_response({"ok": True, "etag": self._payloads[path].etag})
        if what == "fault" and request.method == "PUT":
            options = {
                k: _number(v) for k, v in request.query.items() if k not in ("path", "fault")
            }
            try:
                self.set_fault(path, request.query.get("fault", ""), **options)
            except ValueError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            return web.json_response({"ok": True})
        if what == "fault" and request.method == "DELETE":
            self.clear_fault(path)
            return web.json_response({"ok": True})
        return web.json_response({"error": "unknown control call"}, status=404)

    # --- recording -----------------------------------------------------------------------

    def _record(
        self, request: web.Request, response: web.Response, body_len: int = 0
    ) -> web.Response:
        self._record_raw(request, response.status, body_len)
        return response

    def _record_raw(self, request: web.Request, status: int, bytes_sent: int) -> None:
        headers = {k: request.headers[k] for k in RECORDED_HEADERS if k in request.headers}
        self.requests.append(
            RecordedRequest(request.path, request.method, headers, status, bytes_sent)
        )


def _not_modified(request: web.Request, payload: _Payload) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only when there is no If-None-Match."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or payload.etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(payload.last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _reset(request: web.Request) -> None:
    """Close with a TCP RST (SO_LINGER 0) rather than a polite FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _number(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


async def _serve_forever(host: str, port: int, payloads: dict[str, tuple[bytes, str]]) -> None:
    fake = FakeStatusPage(host, port)
    for path, (body, content_type) in payloads.items():
        fake.set_payload(path, body, content_type)
    url = (await fake.start()).base_url
    print(f"fake status page on {url} (control API under /_control/)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a fake status page server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--payload",
        action="append",
        default=[],
        metavar="PATH:FILE",
        help="serve FILE at PATH, e.g. /api/v2/summary.json:tests/fixtures/x.json",
    )
    args = parser.parse_args(argv)
    payloads = {}
    for spec in args.payload:
        path, _, file = spec.partition(":")
        if not path.startswith("/") or not file:
            parser.error(f"--payload wants PATH:FILE, got {spec!r}")
        content_type = "application/json" if file.endswith(".json") else "application/xml"
        payloads[path] = (Path(file).read_bytes(), content_type)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(args.host, args.port, payloads))


if __name__ == "__main__":
    main()
