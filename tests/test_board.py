"""The status board as a person sees it: the real bot serves it while it watches a fake page,
and a real headless Chromium loads it. The verdicts, the open incident with its timeline,
the uptime bars, the recent incidents and the charts are on it; page text stays text; the
page works from the keyboard, without JavaScript, and refreshes itself."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Application
from bot.config import parse_config
from bot.store.store import Store
from fakes.history import simulate
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import Incident, SummaryPage
from fakes.statuspage import FakeStatusPage
from tests.browser import browser_problem, chromium
from tests.waiting import until

HOSTILE_TITLE = '<script>alert("board")</script> ChatGPT <b>down</b> & out'
ANTHROPIC = "/anthropic/api/v2/summary.json"
MAJOR_RED = (0xCF, 0x22, 0x2E)
LOADED_WIDTH = "return arguments[0].complete && arguments[0].naturalWidth"


def openai_page(outage: bool) -> bytes:
    now = datetime.now(UTC)
    page = SummaryPage("OpenAI", updated_at=now).component("ChatGPT").component("API")
    if outage:
        page = page.copy()
        page.component("ChatGPT", "major_outage")
        incident = Incident("inc9", HOSTILE_TITLE, impact="critical", components=("ChatGPT",))
        incident.started_at = now - timedelta(minutes=3)
        incident.update("investigating", "We are investigating <img src=x>.", now, "u1")
        page.add(incident)
    return page.encode()


@pytest.fixture
async def board(tmp_path: Path) -> AsyncIterator[Application]:
    async with FakeStatusPage() as page:
        page.set_payload(SUMMARY, openai_page(outage=False))
        page.set_payload(ANTHROPIC, SummaryPage("Anthropic").component("Claude API").encode())
        url = f"sqlite+aiosqlite:///{tmp_path / 'board.db'}"
        store = Store(url)
        await store.initialize()
        now = datetime.now(UTC)
        await simulate(store, "openai", ["ChatGPT", "API", "Login"], now, days=90, count=10)
        await simulate(store, "anthropic", ["Claude API"], now, days=90, count=4, seed=3)
        await store.aclose()
        source = {"kind": "statuspage", "interval": 1, "flap_window": 0, "timeout": 2}
        config = parse_config(
            {
                "store": {"url": url},
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "aliases": ["chatgpt"],
                        "sources": [{**source, "url": page.url(SUMMARY)}],
                    },
                    "anthropic": {
                        "name": "Anthropic",
                        "sources": [{**source, "url": page.url(ANTHROPIC)}],
                    },
                },
                "web": {"host": "127.0.0.1", "port": 0, "refresh": 30},
                "console": {"enabled": False},
            },
            "test",
        )
        async with Application(config) as app:
            assert app.store is not None
            store = app.store
            await until(lambda: _polled(store), "both pages polled once")
            page.set_payload(SUMMARY, openai_page(outage=True))
            await until(lambda: store.incidents.open_incidents("openai"), "the outage seen")
            yield app


async def _polled(store: Store) -> bool:
    return len(await store.sources.all_sources()) == 2


def board_url(app: Application) -> str:
    assert app.board is not None
    return app.board.url


async def test_the_page_is_served_read_only_with_its_charts(board: Application) -> None:
    url = board_url(board)
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        chart = await http.get(url + "history/openai.png?period=30d")
        unknown = await http.get(url + "history/nobody.png")
        junk_period = await http.get(url + "history/openai.png?period=forever")
        posted = await http.post(url, content=b"x")
        missing = await http.get(url + "admin")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert '<meta http-equiv="refresh" content="30">' in page.text
    assert "<script" not in page.text  # no JavaScript, and none smuggled in by page text
    assert "&lt;script&gt;alert(&#34;board&#34;)&lt;/script&gt;" in page.text
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/png"
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert (unknown.status_code, junk_period.status_code) == (404, 400)
    assert (posted.status_code, missing.status_code) == (405, 404)


def look(url: str, shot: Path) -> dict[str, Any]:
    """What a person (and a keyboard user) finds on the page, read from the real DOM."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with chromium() as browser:
        browser.get(url)
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        first_focus = browser.switch_to.active_element.text
        images = browser.find_elements(By.TAG_NAME, "img")
        seen = {
            "title": browser.title,
            "first_focus": first_focus,
            "openai": browser.find_element(By.CSS_SELECTOR, "#openai p.verdict").text,
            "anthropic": browser.find_element(By.CSS_SELECTOR, "#anthropic p.verdict").text,
            "open_titles": [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#openai h4")],
            "timeline": [
                e.text for e in browser.find_elements(By.CSS_SELECTOR, "#openai .timeline li")
            ],
            "bars": len(browser.find_elements(By.CSS_SELECTOR, "#openai .bars .day")),
            "bars_label": browser.find_element(By.CSS_SELECTOR, "#openai .bars").get_attribute(
                "aria-label"
            ),
            "recent_rows": len(browser.find_elements(By.CSS_SELECTOR, "#openai tbody tr")),
            "alts": [i.get_attribute("alt") for i in images],
            "loaded": [browser.execute_script(LOADED_WIDTH, i) for i in images],
            "scripts": browser.execute_script("return document.scripts.length"),
        }
        browser.save_screenshot(str(shot))
    return seen


@pytest.mark.skipif(browser_problem() is not None, reason=str(browser_problem()))
async def test_a_browser_shows_verdicts_open_incident_history_and_charts(
    board: Application, tmp_path: Path
) -> None:
    shot = tmp_path / "board.png"

    seen = await asyncio.to_thread(look, board_url(board), shot)

    assert seen["title"].startswith("Status board · 2 providers")
    assert seen["first_focus"] == "Skip to the providers"  # the keyboard starts at the top
    assert seen["openai"].startswith("OpenAI is having an outage")
    assert seen["anthropic"].startswith("Anthropic is operational")
    assert seen["open_titles"] == [HOSTILE_TITLE]  # shown as written, not as markup
    assert seen["scripts"] == 0
    assert any("We are investigating <img src=x>." in line for line in seen["timeline"])
    assert seen["bars"] == 90
    assert seen["bars_label"].startswith("90-day uptime 99.")
    assert seen["recent_rows"] >= 5
    assert len(seen["alts"]) == 2
    assert all(alt and alt.startswith("Availability chart of") for alt in seen["alts"])
    assert seen["loaded"] == [800, 800]  # both charts arrived
    from PIL import Image

    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert image.size[0] >= 1000
    reds = sum(n for n, c in image.getcolors(maxcolors=10**7) or [] if c == MAJOR_RED)
    assert reds > 200  # the open outage and its history are drawn in red
