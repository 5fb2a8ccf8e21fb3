"""Small checks on untrusted input: page links, where answers go, who may send requests."""

from __future__ import annotations

import pytest
from slack_bolt.context.async_context import AsyncBoltContext

from bot.untrusted import safe_url
from integrations.slack.guards import RequestGuards, response_url_allowed


@pytest.mark.parametrize(
    "url",
    ["https://stspg.io/x1", "http://status.example.com/incidents/42?a=1&b=2"],
)
def test_plain_http_links_are_kept(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://stspg.io/x|Official status page> <!channel>",
        "https://stspg.io/x <https://evil.example/phish",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.com/x",
        "https:///no-host",
        "https://ok.example/a\nb",
        "https://ok.example/[x](https://evil.example)",
        "",
        None,
    ],
)
def test_links_that_could_carry_markup_are_dropped(url: str | None) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T0/1/abc", True),
        ("https://hooks.slack-gov.com/commands/T0/1/abc", True),
        ("http://127.0.0.1:8001/response/run1", True),  # the configured api_url's origin
        ("http://hooks.slack.com/commands/T0/1/abc", False),
        ("https://hooks.slack.com.evil.example/x", False),
        ("https://evilslack.com/x", False),
        ("http://127.0.0.1:8002/admin", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("https://hooks.slack.com:8443/x", False),
        ("not a url", False),
    ],
)
def test_answers_go_only_to_slack_hosts(url: str, allowed: bool) -> None:
    assert response_url_allowed(url, "http://127.0.0.1:8001/api/") is allowed


@pytest.mark.parametrize(
    ("installed", "request_ids", "allowed"),
    [
        (("T1", None), ("T1", None), True),
        (("T1", None), ("T2", None), False),
        (("T1", None), (None, None), False),
        (("T1", "E1"), ("T2", "E1"), True),  # an org-wide install: any workspace of the org
        (("T1", "E1"), ("T2", "E2"), False),
        ((None, None), ("T1", None), False),  # no installation known: nothing is let in
    ],
)
def test_only_the_installation_may_send_requests(
    installed: tuple[str | None, str | None],
    request_ids: tuple[str | None, str | None],
    allowed: bool,
) -> None:
    guards = RequestGuards("https://slack.com/api/")
    guards.install(*installed)
    context = AsyncBoltContext(team_id=request_ids[0], enterprise_id=request_ids[1])
    assert guards.from_installation(context) is allowed
