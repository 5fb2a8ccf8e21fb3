"""One POST to an output, its answer classified for the outbox (retry, give up, done)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.retry_after import parse_retry_after

TIMEOUT_S = 15.0
# The destination is gone or refuses us for good: retrying only spends attempts.
GONE = frozenset({401, 403, 404, 410})


def client() -> httpx.AsyncClient:
    """Redirects are never followed: a webhook URL that moves is treated as gone."""
    return httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False)


async def post(
    http: httpx.AsyncClient,
    url: str,
    what: str,
    *,
    json_body: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST and return a 2xx answer; anything else raises a DeliveryError that names `what`
    (never the URL, which carries the credentials)."""
    try:
        response = await http.post(url, json=json_body, content=content, headers=headers)
    except httpx.HTTPError as exc:
        raise TransientDeliveryError(f"{what}: network: {type(exc).__name__}") from None
    raise_for_answer(response, what)
    return response


def raise_for_answer(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientDeliveryError(f"{what}: rate limited (429)", retry_after)
    if status in GONE:
        raise PermanentDeliveryError(f"{what}: refused ({status})")
    if 300 <= status < 400:
        raise PermanentDeliveryError(f"{what}: moved ({status}); redirects are not followed")
    raise TransientDeliveryError(f"{what}: answered {status}")
