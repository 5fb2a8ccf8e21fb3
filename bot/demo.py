"""`demo`: a simulated ChatGPT outage on a local status page, watched by the real bot.

The page walks operational → degraded → major outage → monitoring → resolved, one stage
per `step_s` seconds; the bot polls it every second and prints to the console. No tokens,
no internet. The page is the repository's fake status page (fakes/), which is not part of
the installed package: the demo runs from a checkout (`make demo`), and says so otherwise.

Before it starts, the demo's store gets 90 days of simulated history (fakes/history.py), so
the card says what past outages suggest and the status board, served while it runs, has
something to show. It leaves a copy of the board behind (`demo-board/`): during the outage
(outage.html) and after it (index.html).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.config import parse_config
from bot.errors import StatusBotError
from bot.logs import configure_logging
from bot.store.store import Store

SUMMARY = "/api/v2/summary.json"
BOARD_DIR = Path("demo-board")
PAST_INCIDENTS = 16
# The stage whose board is saved as outage.html: the incident open, its cause identified.
OUTAGE_STAGE = 3
NEEDS_CHECKOUT = (
    "the demo plays its outage on the fake status page in the repository's fakes/, which "
    "is not installed with the package: run it from a checkout with `make demo`"
)

PAGE_NAME, PAGE_URL = "OpenAI (simulated)", "http://127.0.0.1/"
COMPONENTS = ["ChatGPT", "Conversations", "Login", "Voice mode", "API", "Sora"]
INCIDENT_ID = "01DEMOCHATGPTOUTAGE0000000"
TITLE = 'ChatGPT: "Hmm... Something seems to have gone wrong" for many users'

# (narration, component statuses by name, incident status or None, update text)
STAGES: list[tuple[str, dict[str, str], str | None, str | None]] = [
    ("All systems operational.", {}, None, None),
    (
        "Users start seeing errors; the page marks ChatGPT degraded (no incident yet).",
        {"ChatGPT": "degraded_performance"},
        None,
        None,
    ),
    (
        "OpenAI opens an incident: major outage.",
        {"ChatGPT": "major_outage", "Conversations": "major_outage", "Login": "partial_outage"},
        "investigating",
        "We are investigating elevated errors for ChatGPT users.",
    ),
    (
        "The cause is identified.",
        {"ChatGPT": "major_outage", "Conversations": "major_outage"},
        "identified",
        "We have identified the issue and are rolling out a fix.",
    ),
    (
        "A fix is out; OpenAI is monitoring.",
        {"ChatGPT": "degraded_performance"},
        "monitoring",
        "A fix has been implemented and we are monitoring the results.",
    ),
    ("Resolved: everything is operational again.", {}, "resolved", None),
]


def stage_payload(index: int, started: datetime, step_s: float) -> bytes:
    """The summary.json the simulated page serves at a stage."""
    from fakes.pages import Incident, SummaryPage

    _, statuses, status, _ = STAGES[index]
    now = started + timedelta(seconds=index * step_s)
    page = SummaryPage(PAGE_NAME, url=PAGE_URL, id="demo", updated_at=now)
    for name in COMPONENTS:
        page.component(name, statuses.get(name, "operational"))
    if status is not None and status != "resolved":
        incident = Incident(
            INCIDENT_ID,
            TITLE,
            impact="critical",
            started_at=started + timedelta(seconds=2 * step_s),
            components=tuple(statuses),
        )
        for i in range(2, index + 1):
            _, _, stage_status, text = STAGES[i]
            at = started + timedelta(seconds=i * step_s)
            incident.update(stage_status or "investigating", text or "", at, f"upd{i}")
        page.add(incident)
    return page.encode()


def demo_config(url: str, db_path: Path, json_lines: bool) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite+aiosqlite:///{db_path}"},
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt"],
                "sources": [{"kind": "statuspage", "url": url, "interval": 1, "flap_window": 0}],
            }
        },
        "console": {"json": json_lines},
        "logging": {"level": "WARNING"},
        "web": {"host": "127.0.0.1", "port": 0, "refresh": 10},
    }


async def seed_history(db_path: Path, until: datetime) -> None:
    """90 days of simulated incidents and availability before the demo's own outage."""
    from fakes.history import simulate

    store = Store(f"sqlite+aiosqlite:///{db_path}")
    try:
        await store.initialize()
        await simulate(store, "openai", COMPONENTS, until, days=90, count=PAST_INCIDENTS)
    finally:
        await store.aclose()


async def run_demo(
    step_s: float = 10.0,
    json_lines: bool = False,
    log_level: str = "WARNING",
    board_dir: Path = BOARD_DIR,
) -> int:
    try:
        from fakes.statuspage import FakeStatusPage
    except ModuleNotFoundError:
        raise StatusBotError(NEEDS_CHECKOUT) from None
    configure_logging(log_level, False)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="statusbot-demo-") as tmp:
        await seed_history(Path(tmp) / "demo.db", started)
        async with FakeStatusPage() as page:
            page.set_payload(SUMMARY, stage_payload(0, started, step_s))
            config = parse_config(
                demo_config(page.url(SUMMARY), Path(tmp) / "demo.db", json_lines), "demo"
            )
            async with Application(config) as app:
                assert app.board is not None
                _narrate(f"status board (live while the demo runs): {app.board.url}")
                for index, (narration, *_rest) in enumerate(STAGES):
                    _narrate(f"stage {index + 1}/{len(STAGES)}: {narration}")
                    page.set_payload(SUMMARY, stage_payload(index, started, step_s))
                    await asyncio.sleep(step_s if index else max(2.0, step_s / 2))
                    if index == OUTAGE_STAGE:
                        await app.board.save(board_dir, "outage")
                await asyncio.sleep(2.0)
                assert app.commands is not None
                report = await app.commands.status("chatgpt")
                _narrate("/is-chatgpt-down now says:\n" + report.text())
                saved = await app.board.save(board_dir)
                _narrate(
                    f"the status board is saved: open {saved} (after the outage) and "
                    f"{board_dir / 'outage.html'} (during it)"
                )
    return 0


def _narrate(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)
