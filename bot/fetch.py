"""Fetch status pages over HTTP: one shared client, conditional GET, hard size and time caps.

httpx docs: https://www.python-httpx.org/async/ . Every failure becomes a SourceUnavailable
with a short reason that never contains the URL (it may carry credentials).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import socket
from dataclasses import dataclass
from importlib import metadata

import httpx

from bot.errors import LocalResourceExhausted, SourceUnavailable
from bot.retry_after import parse_retry_after

MAX_REDIRECTS = 5
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Our side ran out: too many open files (process or system), no memory or buffers.
LOCAL_SHORTAGE = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})


def _user_agent() -> str:
    try:
        version = metadata.version("statusbot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"statusbot/{version} (+https://github.com/statusbot)"


USER_AGENT = _user_agent()


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators from the last 200, sent back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one GET produced; `body` is empty when `not_modified`."""

    not_modified: bool
    body: bytes
    validators: Validators
    status_code: int
    bytes_received: int
    content_type: str | None = None
    # Only what a probe needs to tell a bot challenge apart (lower-case names).
    headers: tuple[tuple[str, str], ...] = ()
    truncated: bool = False

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)


class StatusFetcher:
    """Owns the one httpx.AsyncClient all polls share (keep-alive across sources)."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 20,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,
            # Redirects are followed by hand: another origin only when it is a public address.
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=120.0,
            ),
            headers={
                "User-Agent": user_agent,
                "Accept": "application/json, application/xml;q=0.9, */*;q=0.5",
            },
            trust_env=False,
        )

    async def __aenter__(self) -> StatusFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        timeout: float,  # noqa: ASYNC109 - per-source budget, enforced with asyncio.timeout
        max_bytes: int,
        validators: Validators | None,
    ) -> FetchResult:
        """GET `url` within `timeout` seconds overall, reading at most `max_bytes` of body."""
        headers = validators.request_headers() if validators else {}
        return await self._guarded(url, headers, timeout, max_bytes, validators, probe=False)

    async def probe(
        self,
        url: str,
        *,
        timeout: float,  # noqa: ASYNC109 - per-probe budget, enforced with asyncio.timeout
        max_bytes: int,
    ) -> FetchResult:
        """GET `url` and return whatever status came back, with at most `max_bytes` of body.

        A probe wants the refusal itself (a 401 from an API means it is up): unlike `fetch`,
        no status is an error and a long body is cut, not refused. Network faults still
        raise SourceUnavailable.
        """
        return await self._guarded(url, {}, timeout, max_bytes, None, probe=True)

    async def _guarded(
        self,
        url: str,
        headers: dict[str, str],
        timeout: float,  # noqa: ASYNC109
        max_bytes: int,
        validators: Validators | None,
        *,
        probe: bool,
    ) -> FetchResult:
        try:
            try:
                async with asyncio.timeout(timeout):
                    return await self._get(url, headers, timeout, max_bytes, validators, probe)
            except MemoryError:
                raise LocalResourceExhausted("out of memory") from None
            except (httpx.TransportError, OSError) as exc:
                # Our own shortage says nothing about the page: never a failed poll.
                if (shortage := _local_shortage(exc)) is not None:
                    raise LocalResourceExhausted(shortage) from None
                raise
        except TimeoutError:
            raise SourceUnavailable(f"timed out after {timeout:g}s") from None
        except httpx.TimeoutException:
            raise SourceUnavailable(f"timed out after {timeout:g}s") from None
        except httpx.TooManyRedirects:
            raise SourceUnavailable(f"more than {MAX_REDIRECTS} redirects (loop?)") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise SourceUnavailable("invalid or unsupported URL") from None
        except httpx.ConnectError as exc:
            raise SourceUnavailable(_connect_reason(exc)) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise SourceUnavailable("connection reset or closed by the server") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"HTTP failure ({type(exc).__name__})") from None
        except OSError as exc:
            raise SourceUnavailable(f"network error ({_errno_name(exc)})") from None

    async def _get(
        self,
        url: str,
        headers: dict[str, str],
        read_timeout: float,
        max_bytes: int,
        validators: Validators | None,
        probe: bool = False,
    ) -> FetchResult:
        """Follow at most MAX_REDIRECTS hops, then read the answer."""
        target = httpx.URL(url)
        configured = _origin(target)
        for _hop in range(MAX_REDIRECTS + 1):
            request = self._client.build_request(
                "GET", target, headers=headers, timeout=read_timeout
            )
            response = await self._client.send(request, stream=True)
            try:
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_CODES and location:
                    target = await _next_hop(configured, response.url, location)
                    continue
                return await _read(response, max_bytes, validators, probe)
            finally:
                await response.aclose()
        raise httpx.TooManyRedirects("too many redirects")


async def _read(
    response: httpx.Response, max_bytes: int, validators: Validators | None, probe: bool
) -> FetchResult:
    status = response.status_code
    if probe:
        return await _read_probe(response, max_bytes)
    if status == 304:
        # Finish the (empty) body so that the connection goes back to the pool:
        # left unread, it is closed, and the next poll pays a new TCP+TLS handshake.
        async for _ in response.aiter_bytes():
            break
        return FetchResult(
            not_modified=True,
            body=b"",
            validators=_merge(validators, response.headers),
            status_code=status,
            bytes_received=response.num_bytes_downloaded,
        )
    _raise_for_status(response)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise SourceUnavailable(f"response larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise SourceUnavailable(f"response larger than {max_bytes} bytes")
        chunks.append(chunk)
    return FetchResult(
        not_modified=False,
        body=b"".join(chunks),
        validators=_merge(None, response.headers),
        status_code=status,
        bytes_received=response.num_bytes_downloaded,
        content_type=response.headers.get("Content-Type"),
    )


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


async def _next_hop(
    configured: tuple[str, str, int | None], here: httpx.URL, location: str
) -> httpx.URL:
    """Where a redirect points, if we may go there.

    The configured URL's own origin may be private (self-hosted pages, tests); any other
    origin must resolve only to public addresses, so a page cannot make the bot fetch a
    cloud metadata endpoint or an internal service and post what it says.
    """
    try:
        target = here.join(location)
    except httpx.InvalidURL:
        raise SourceUnavailable("redirected to an invalid URL") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise SourceUnavailable("redirected to a non-HTTP URL (refused)")
    if _origin(target) != configured:
        await _require_public(target.host, target.port or (443 if target.scheme == "https" else 80))
    return target


async def _require_public(host: str, port: int) -> None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise SourceUnavailable("redirected to a host that does not resolve") from None
    if not infos or not all(is_public_address(str(info[4][0])) for info in infos):
        raise SourceUnavailable("redirected to a private or local address (refused)")


def is_public_address(text: str) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local…"""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


PROBE_HEADERS = ("server", "cf-mitigated", "retry-after")


async def _read_probe(response: httpx.Response, max_bytes: int) -> FetchResult:
    """Any status, the body cut at `max_bytes`: enough to read an error's JSON shape."""
    chunks: list[bytes] = []
    size = 0
    truncated = False
    async for chunk in response.aiter_bytes():
        chunks.append(chunk[: max_bytes - size])
        size += len(chunks[-1])
        if size >= max_bytes:
            truncated = True
            break
    return FetchResult(
        not_modified=False,
        body=b"".join(chunks),
        validators=Validators(),
        status_code=response.status_code,
        bytes_received=response.num_bytes_downloaded,
        content_type=response.headers.get("Content-Type"),
        headers=tuple((h, response.headers[h]) for h in PROBE_HEADERS if h in response.headers),
        truncated=truncated,
    )


def _merge(old: Validators | None, headers: httpx.Headers) -> Validators:
    """Fresh validators from the response, falling back to the ones we sent (304s may omit them)."""
    old = old or Validators()
    return Validators(
        etag=headers.get("ETag") or old.etag,
        last_modified=headers.get("Last-Modified") or old.last_modified,
    )


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise SourceUnavailable("HTTP 429 (rate limited)", retry_after_s=retry_after)
    if status == 503:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise SourceUnavailable("HTTP 503", retry_after_s=retry_after)
    raise SourceUnavailable(f"HTTP {status}")


def _connect_reason(exc: BaseException) -> str:
    """Name the cause (DNS, refused, reset) from the exception chain, never the URL."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return "DNS lookup failed"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        if isinstance(current, OSError) and current.errno == errno.ECONNREFUSED:
            return "connection refused"
        current = current.__cause__ or current.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text:
        return "DNS lookup failed"
    if "name resolution" in text or "getaddrinfo" in text:
        return "DNS lookup failed"
    if "refused" in text:
        return "connection refused"
    if "certificate" in text or "ssl" in text:
        return "TLS handshake failed"
    return "could not connect"


def _local_shortage(exc: BaseException) -> str | None:
    """'too many open files (EMFILE)' when our side ran out somewhere in the chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in LOCAL_SHORTAGE:
            return f"{os.strerror(current.errno).lower()} ({_errno_name(current)})"
        current = current.__cause__ or current.__context__
    return None


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, type(exc).__name__)
