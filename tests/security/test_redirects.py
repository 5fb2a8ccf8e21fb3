"""No SSRF by redirect: a page that redirects to an internal service does not get it read.

A second local server stands for an internal service (a cloud metadata endpoint): it
serves a page-shaped answer that must never become a card. The configured URL's own origin
may be private (self-hosted pages, these tests); another origin must resolve to public
addresses only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.fetch import MAX_REDIRECTS, StatusFetcher, is_public_address
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import Incident, SummaryPage
from fakes.statuspage import FakeStatusPage
from tests.botproc import BotProcess
from tests.waiting import until

SECRET_TITLE = "iam-role credentials AKIAFAKESECRET"


def internal_answer() -> bytes:
    """What the internal service would say, shaped like a page in an outage."""
    page = SummaryPage("OpenAI").component("ChatGPT", "major_outage")
    return page.add(Incident("leak", SECRET_TITLE).update("investigating", "secret")).encode()


@pytest.fixture
async def internal() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as service:
        service.set_payload("/latest/meta-data", internal_answer())
        yield service


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, SummaryPage("OpenAI").component("ChatGPT").encode())
        yield fake


@pytest.mark.slow
async def test_bot_never_reads_an_internal_service_a_page_redirects_to(
    tmp_path: Path, page: FakeStatusPage, internal: FakeStatusPage
) -> None:
    source = {"kind": "statuspage", "url": page.url(SUMMARY), "interval": 1, "flap_window": 0}
    config = {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {"openai": {"name": "OpenAI", "sources": [source]}},
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    async with BotProcess(config_file) as bot:
        await until(lambda: page.count(SUMMARY) >= 2, "the baseline polls")
        page.set_fault(SUMMARY, "redirect", location=internal.url("/latest/meta-data"))
        await until(lambda: page.count(SUMMARY) >= 6, "polls that meet the redirect")
        await asyncio.sleep(1)

        assert internal.requests == [], "the bot fetched the internal service"
        assert not any(SECRET_TITLE in str(event) for event in bot.events), bot.events
        stderr = "\n".join(bot.stderr)
        assert "redirected to a private or local address (refused)" in stderr, stderr[-2000:]
        assert "AKIAFAKESECRET" not in stderr


async def test_same_origin_redirect_is_followed(page: FakeStatusPage) -> None:
    page.set_payload("/moved.json", b'{"moved": true}')
    page.set_fault(SUMMARY, "redirect", location="/moved.json", code=301)
    async with StatusFetcher() as fetcher:
        result = await fetcher.fetch(page.url(SUMMARY), timeout=5, max_bytes=1000, validators=None)
    assert result.body == b'{"moved": true}'


async def test_probes_follow_the_same_rule(page: FakeStatusPage, internal: FakeStatusPage) -> None:
    page.set_fault("/v1/models", "redirect", location=internal.url("/latest/meta-data"))
    async with StatusFetcher() as fetcher:
        with pytest.raises(Exception, match="private or local address"):
            await fetcher.probe(page.url("/v1/models"), timeout=5, max_bytes=1000)
    assert internal.requests == []


async def test_redirect_chains_stop_after_a_few_hops(page: FakeStatusPage) -> None:
    for hop in range(MAX_REDIRECTS + 2):
        page.set_fault(f"/hop{hop}", "redirect", location=f"/hop{hop + 1}")
    async with StatusFetcher() as fetcher:
        with pytest.raises(Exception, match=f"more than {MAX_REDIRECTS} redirects"):
            await fetcher.fetch(page.url("/hop0"), timeout=5, max_bytes=1000, validators=None)
    assert page.count() == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("224.0.0.1", False),
    ],
)
def test_public_address_check(address: str, public: bool) -> None:
    assert is_public_address(address) is public
