"""Probe classification as a table: what came back over HTTP -> up, failing or inconclusive."""

from __future__ import annotations

import json

import pytest

from integrations.probes import Alive, Answer, ProbeOutcome, classify

UP, FAILING, INCONCLUSIVE = ProbeOutcome.UP, ProbeOutcome.FAILING, ProbeOutcome.INCONCLUSIVE

OPENAI = Alive(frozenset({401}), json_key="error")
ANTHROPIC = Alive(frozenset({401}), json_key="error.type", json_value="authentication_error")
GOOGLE = Alive(frozenset({403}), json_key="error.status", json_value="PERMISSION_DENIED")
CHATGPT = Alive(frozenset({200, 403}))
MISTRAL = Alive(frozenset({401}))

JSON = "application/json"
HTML = "text/html; charset=UTF-8"


def body(doc: object) -> bytes:
    return json.dumps(doc).encode()


OPENAI_401 = body(
    {"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error"}}
)
ANTHROPIC_401 = body(
    {"type": "error", "error": {"type": "authentication_error", "message": "x-api-key required"}}
)
ANTHROPIC_529 = body({"type": "error", "error": {"type": "overloaded_error", "message": "Over"}})
ANTHROPIC_429 = body({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}})
GOOGLE_403 = body(
    {"error": {"code": 403, "message": "unregistered", "status": "PERMISSION_DENIED"}}
)
CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b'<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script></body></html>'
)
BAD_GATEWAY = b"<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"

CASES = [
    # (id, alive, answer, outcome, words in the reason)
    ("openai up", OPENAI, Answer(401, OPENAI_401, JSON), UP, "401"),
    ("openai 401 reworded is still up", OPENAI, Answer(401, body({"error": {}}), JSON), UP, ""),
    ("openai 500", OPENAI, Answer(500, OPENAI_401, JSON), FAILING, "500"),
    ("openai 503 html page", OPENAI, Answer(503, BAD_GATEWAY, HTML), FAILING, "503"),
    ("openai 502 html page", OPENAI, Answer(502, BAD_GATEWAY, HTML), FAILING, "502"),
    ("openai 401 html is not its answer", OPENAI, Answer(401, BAD_GATEWAY, HTML), INCONCLUSIVE, ""),
    ("openai 429 bare", OPENAI, Answer(429, b"Too Many Requests", "text/plain"), FAILING, "429"),
    ("openai 429 own json", OPENAI, Answer(429, OPENAI_401, JSON), INCONCLUSIVE, "rate limited"),
    ("openai 404 moved", OPENAI, Answer(404, b"{}", JSON), INCONCLUSIVE, "unexpected"),
    ("openai 200 unexpected", OPENAI, Answer(200, b"{}", JSON), INCONCLUSIVE, "unexpected"),
    ("anthropic up", ANTHROPIC, Answer(401, ANTHROPIC_401, JSON), UP, ""),
    ("anthropic 529", ANTHROPIC, Answer(529, ANTHROPIC_529, JSON), FAILING, "overloaded_error"),
    ("anthropic 429 own", ANTHROPIC, Answer(429, ANTHROPIC_429, JSON), INCONCLUSIVE, "429"),
    (
        "anthropic 401 other error type",
        ANTHROPIC,
        Answer(401, body({"type": "error", "error": {"type": "permission_error"}}), JSON),
        INCONCLUSIVE,
        "",
    ),
    ("google up", GOOGLE, Answer(403, GOOGLE_403, JSON), UP, ""),
    (
        "google other status",
        GOOGLE,
        Answer(403, body({"error": {"status": "UNAUTHENTICATED"}}), JSON),
        INCONCLUSIVE,
        "",
    ),
    (
        "google 500 json",
        GOOGLE,
        Answer(500, body({"error": {"status": "INTERNAL"}}), JSON),
        FAILING,
        "INTERNAL",
    ),
    ("truncated json", OPENAI, Answer(401, OPENAI_401[:20], JSON), INCONCLUSIVE, ""),
    (
        "bot challenge 403 on an api",
        OPENAI,
        Answer(403, CHALLENGE, HTML),
        INCONCLUSIVE,
        "challenge",
    ),
    ("bot challenge 503", OPENAI, Answer(503, CHALLENGE, HTML), INCONCLUSIVE, "challenge"),
    (
        "cf-mitigated header",
        GOOGLE,
        Answer(403, b"", HTML, cf_mitigated="challenge"),
        INCONCLUSIVE,
        "challenge",
    ),
    ("chatgpt 200", CHATGPT, Answer(200, b"<html></html>", HTML), UP, ""),
    ("chatgpt challenge is its edge up", CHATGPT, Answer(403, CHALLENGE, HTML), UP, ""),
    ("chatgpt 502", CHATGPT, Answer(502, BAD_GATEWAY, HTML), FAILING, "502"),
    ("mistral any 401", MISTRAL, Answer(401, body({"detail": "Unauthorized"}), JSON), UP, ""),
    ("mistral 401 no body", MISTRAL, Answer(401), UP, ""),
    ("json list is not a shape", OPENAI, Answer(401, b"[1, 2]", JSON), INCONCLUSIVE, ""),
    (
        "json_value must be a string",
        GOOGLE,
        Answer(403, body({"error": {"status": 403}}), JSON),
        INCONCLUSIVE,
        "",
    ),
]


@pytest.mark.parametrize(
    ("alive", "answer", "outcome", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classification(alive: Alive, answer: Answer, outcome: ProbeOutcome, words: str) -> None:
    got, reason = classify(answer, alive)
    assert got is outcome, reason
    assert words in reason


def test_message_text_is_never_read() -> None:
    """Two answers that differ only in their message words classify the same."""
    a = body({"error": {"message": "service is down, everything is broken", "type": "x"}})
    b = body({"error": {"message": "all good", "type": "x"}})
    assert classify(Answer(401, a, JSON), OPENAI) == classify(Answer(401, b, JSON), OPENAI)
    assert classify(Answer(503, a, JSON), OPENAI)[0] is FAILING
    assert classify(Answer(503, b, JSON), OPENAI)[0] is FAILING


def test_reason_never_carries_hostile_text() -> None:
    """An error type that is not a plain code does not reach the reason shown in chat."""
    hostile = body({"error": {"type": "<!channel> go to https://evil.example"}})
    _, reason = classify(Answer(500, hostile, JSON), OPENAI)
    assert reason == "HTTP 500"
