"""Classify one probe answer: up, failing or inconclusive, by status code and JSON shape.

Message texts are never read: providers reword them, not their codes. The order matters:
the expected answer is up even when it is a 403 challenge page (chatgpt.com's edge answers
bots that way when it is up); otherwise a bot challenge says nothing about the provider.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Cloudflare's managed challenge: the `cf-mitigated` header, or the challenge platform's
# script path in an HTML page. Markup, not wording.
CHALLENGE_MARKERS = (b"/cdn-cgi/challenge-platform/", b"challenges.cloudflare.com", b"_cf_chl_opt")
CHALLENGE_STATUSES = (403, 429, 503)


class ProbeOutcome(StrEnum):
    UP = "up"
    FAILING = "failing"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class Alive:
    """What "up" looks like for one probe."""

    status: frozenset[int]
    json_key: str | None = None
    json_value: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back over HTTP (the body may be cut short)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    cf_mitigated: str | None = None


def classify(answer: Answer, alive: Alive) -> tuple[ProbeOutcome, str]:
    """(outcome, reason in a few words) for an HTTP answer."""
    status = answer.status
    doc = _json(answer)
    has_key = alive.json_key is not None and _lookup(doc, alive.json_key) is not _MISSING
    if status in alive.status and _shape_ok(doc, alive):
        return ProbeOutcome.UP, f"HTTP {status} as expected"
    if _is_challenge(answer):
        return ProbeOutcome.INCONCLUSIVE, f"bot challenge (HTTP {status})"
    if status >= 500:
        code = _error_type(doc)
        return ProbeOutcome.FAILING, f"HTTP {status}" + (f" {code}" if code else "")
    if status == 429:
        if has_key:
            return ProbeOutcome.INCONCLUSIVE, "rate limited (HTTP 429 from the API itself)"
        return ProbeOutcome.FAILING, "HTTP 429 without the API's own answer"
    # A 2xx/3xx/4xx that is not the expected one: the service answered, but not as this
    # probe knows it (moved endpoint, captive portal): it proves nothing either way.
    return ProbeOutcome.INCONCLUSIVE, f"unexpected answer (HTTP {status})"


_MISSING = object()


def _json(answer: Answer) -> Any:
    body = answer.body.strip()
    if not body.startswith((b"{", b"[")):
        return _MISSING
    try:
        return json.loads(body)
    except ValueError:
        return _MISSING  # cut short or not JSON: no shape to read


def _lookup(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return _MISSING
        doc = doc[part]
    return doc


def _shape_ok(doc: Any, alive: Alive) -> bool:
    if alive.json_key is None:
        return True
    value = _lookup(doc, alive.json_key)
    if value is _MISSING:
        return False
    return alive.json_value is None or (isinstance(value, str) and value == alive.json_value)


def _error_type(doc: Any) -> str | None:
    """An error's machine code (`overloaded_error`), for the reason; never its message."""
    for path in ("error.type", "error.status", "error.code", "type"):
        value = _lookup(doc, path)
        if isinstance(value, str) and 0 < len(value) <= 40 and value.replace("_", "").isalnum():
            return value
    return None


def _is_challenge(answer: Answer) -> bool:
    if (answer.cf_mitigated or "").strip().lower() == "challenge":
        return True
    if answer.status not in CHALLENGE_STATUSES:
        return False
    if "html" not in (answer.content_type or "").lower():
        return False
    head = answer.body[:65536]
    return any(marker in head for marker in CHALLENGE_MARKERS)
