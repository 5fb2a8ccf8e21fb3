"""Links from a page are used only when nothing in them can relabel or redirect a reader."""

from __future__ import annotations

import pytest

from bot.untrusted import safe_url


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
