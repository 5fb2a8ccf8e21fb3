"""What reaches logs and the console: one line per record, secrets in no encoding.

The real bot at DEBUG polls a page whose text carries escape sequences and CR/LF meant to
forge a log line, through a URL that carries a secret with a space and URL-special
characters (so httpx's request log has it percent-encoded).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import yaml

from bot.logs import RedactSecrets
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.statuspage import FakeStatusPage
from tests.botproc import bot_writing_log
from tests.security.hostile import hostile_summary, quiet_summary
from tests.waiting import until

pytestmark = pytest.mark.slow

PAGE_KEY = 'page key/with+plus&"quote"'


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        fake.set_payload(SUMMARY, quiet_summary())
        yield fake


def forms(secret: str) -> list[str]:
    """The secret as clients write it: raw, percent-encoded by several rules, JSON-escaped."""
    return [
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote(secret, safe="/+&"),  # httpx leaves these alone in a query
        quote(secret, safe="").lower(),
        json.dumps(secret)[1:-1],
    ]


async def test_page_text_cannot_forge_log_lines_and_secrets_stay_hidden(
    tmp_path: Path, page: FakeStatusPage
) -> None:
    url = page.url(SUMMARY) + "?key=${PAGE_KEY}"
    source = {"kind": "statuspage", "url": url, "interval": 1, "flap_window": 0}
    config = {
        "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "providers": {"openai": {"name": "OpenAI", "sources": [source]}},
        "logging": {"level": "DEBUG"},
    }
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    log = tmp_path / "bot.log"
    async with bot_writing_log(config_file, log, {"PAGE_KEY": PAGE_KEY}) as process:
        await until(lambda: page.count(SUMMARY) >= 2 or process.returncode, "the baseline")
        page.set_payload(SUMMARY, hostile_summary())
        await until(lambda: "OUTAGE" in log.read_text(errors="replace"), "the console line")
        page.set_payload(SUMMARY, hostile_summary(resolved=True))
        await until(lambda: "RESTORED" in log.read_text(errors="replace"), "the restoration")

    text = log.read_bytes().decode("utf-8", "replace")
    assert "\x1b" not in text
    assert "\r" not in text
    assert not any(line.startswith("FAKE 2026-01-01") for line in text.splitlines())
    # The console line shows the title as written, escapes visible.
    assert "\\x1b[2J\\nFAKE 2026-01-01 CRITICAL forged" in text, text[-2000:]
    assert "[redacted]" in text
    for form in forms(PAGE_KEY):
        assert form not in text, f"the page key leaked as {form!r}"


def test_every_encoding_of_a_secret_is_redacted() -> None:
    scrub = RedactSecrets([PAGE_KEY]).scrub
    for form in forms(PAGE_KEY):
        assert scrub(f"GET /x?key={form} 200") == "GET /x?key=[redacted] 200"
