"""`demo`: a simulated ChatGPT outage, watched by the real bot, told from the first signal.

Our probes of ChatGPT start failing → people report it → an early card ("may be down — not
confirmed by OpenAI yet") → the status page confirms, with the lag → our probes see recovery
before the page → the page resolves. The probes answer from the repository's fake provider
APIs and the page is its fake status page (fakes/, not part of the installed package: the
demo runs from a checkout, `make demo`, and says so otherwise). No tokens, no internet.

The bot's clock runs `SPEED` times faster than the wall clock, so that a story told in
about a minute has an outage's real proportions (minutes of lag, not seconds).

Before it starts, the demo's store gets 90 days of simulated history (fakes/history.py), so
the card says what past outages suggest and the status board, served while it runs, has
something to show. It leaves a copy of the board behind (`demo-board/`): during the outage
(outage.html) and after it (index.html).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.config import parse_config
from bot.crowd import CrowdReport, ReportKind
from bot.errors import StatusBotError
from bot.lag import lag_text, summarize
from bot.logs import configure_logging
from bot.store.store import Store

SUMMARY = "/api/v2/summary.json"
BOARD_DIR = Path("demo-board")
PAST_INCIDENTS = 16
NEEDS_CHECKOUT = (
    "the demo plays its outage on the fake status page and fake provider APIs in the "
    "repository's fakes/, which are not installed with the package: run it from a checkout "
    "with `make demo`"
)
# One wall-clock second is a minute of the bot's time.
SPEED = 60.0
# The longest the demo waits for the bot to notice a stage (wall-clock seconds).
NOTICE_WITHIN_S = 30.0

PAGE_NAME, PAGE_URL = "OpenAI (simulated)", "http://127.0.0.1/"
COMPONENTS = ["ChatGPT", "Conversations", "Login", "Voice mode", "API", "Sora"]
INCIDENT_ID = "01DEMOCHATGPTOUTAGE0000000"
TITLE = 'ChatGPT: "Hmm... Something seems to have gone wrong" for many users'
# People who click "Down for me too": (workspace, channel, user).
REPORTERS = [("T1", "C-eng", "U1"), ("T1", "C-eng", "U2"), ("T1", "C-support", "U3"),
             ("T2", "C-general", "U4"), ("T2", "C-general", "U5")]  # fmt: skip

# The official page's stages: (component statuses by name, incident status or None, text).
PageStage = tuple[dict[str, str], str | None, str | None]
QUIET: PageStage = ({}, None, None)
INVESTIGATING: PageStage = (
    {"ChatGPT": "major_outage", "Conversations": "major_outage", "Login": "partial_outage"},
    "investigating",
    "We are investigating elevated errors for ChatGPT users.",
)
IDENTIFIED: PageStage = (
    {"ChatGPT": "major_outage", "Conversations": "major_outage"},
    "identified",
    "We have identified the issue and are rolling out a fix.",
)
MONITORING: PageStage = (
    {"ChatGPT": "degraded_performance"},
    "monitoring",
    "A fix has been implemented and we are monitoring the results.",
)
RESOLVED: PageStage = ({}, "resolved", None)


class SimulatedPage:
    """The official page's story so far, as summary.json bytes."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, str, datetime]] = []
        self.started_at: datetime | None = None

    def payload(self, stage: PageStage, now: datetime) -> bytes:
        from fakes.pages import Incident, SummaryPage

        statuses, status, text = stage
        page = SummaryPage(PAGE_NAME, url=PAGE_URL, id="demo", updated_at=now)
        for name in COMPONENTS:
            page.component(name, statuses.get(name, "operational"))
        if status is None or status == "resolved":
            return page.encode()
        if self.started_at is None:
            self.started_at = now
        self.updates.append((status, text or "", now))
        incident = Incident(
            INCIDENT_ID, TITLE, impact="critical", started_at=self.started_at,
            components=tuple(statuses),
        )  # fmt: skip
        for n, (s, body, at) in enumerate(self.updates):
            incident.update(s, body, at, f"upd{n}")
        page.add(incident)
        return page.encode()


def demo_config(page_url: str, api_base: str, db_path: Path, json_lines: bool) -> dict[str, Any]:
    from fakes.provider_api import probe_config

    probes = [
        {**probe_config(api_base, "openai"), "interval": 1},
        {**probe_config(api_base, "chatgpt"), "interval": 1},
    ]
    return {
        "store": {"url": f"sqlite+aiosqlite:///{db_path}"},
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt"],
                # Polled every wall-clock second, a minute of the bot's time: the long
                # timeout keeps the page from looking stale between two polls.
                "sources": [
                    {
                        "kind": "statuspage",
                        "url": page_url,
                        "interval": 1,
                        "timeout": 180,
                        "flap_window": 0,
                    }
                ],
                "probes": probes,
            }
        },
        "early_warning": {"probes": {"failing_after": 2}},
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
        await simulate(
            store, "openai", COMPONENTS, until, days=90, count=PAST_INCIDENTS,
            probe_id="openai:simulated",
        )  # fmt: skip
    finally:
        await store.aclose()


def simulated_clock(speed: float = SPEED) -> Callable[[], datetime]:
    """Now, running `speed` times faster than the wall clock from this moment."""
    start, origin = time.monotonic(), datetime.now(UTC)
    return lambda: origin + timedelta(seconds=(time.monotonic() - start) * speed)


async def run_demo(
    step_s: float = 4.0,
    json_lines: bool = False,
    log_level: str = "WARNING",
    board_dir: Path = BOARD_DIR,
) -> int:
    try:
        from fakes.provider_api import FakeProviderAPIs
        from fakes.statuspage import FakeStatusPage
    except ModuleNotFoundError:
        raise StatusBotError(NEEDS_CHECKOUT) from None
    configure_logging(log_level, False)
    clock = simulated_clock()
    story = SimulatedPage()
    with tempfile.TemporaryDirectory(prefix="statusbot-demo-") as tmp:
        await seed_history(Path(tmp) / "demo.db", clock())
        async with FakeStatusPage() as page, FakeProviderAPIs() as apis:
            page.set_payload(SUMMARY, story.payload(QUIET, clock()))
            config = parse_config(
                demo_config(page.url(SUMMARY), apis.base_url, Path(tmp) / "demo.db", json_lines),
                "demo",
            )
            async with Application(config, clock=clock) as app:
                demo = _Demo(app, page, story, clock, step_s, board_dir)
                await demo.tell(apis)
    return 0


class _Demo:
    def __init__(
        self,
        app: Application,
        page: Any,
        story: SimulatedPage,
        clock: Callable[[], datetime],
        step_s: float,
        board_dir: Path,
    ) -> None:
        assert app.store is not None
        assert app.board is not None
        self.board = app.board
        self.board_dir = board_dir
        self.app = app
        self.store = app.store
        self.page = page
        self.story = story
        self.clock = clock
        self.step_s = step_s

    async def tell(self, apis: Any) -> None:
        _narrate(f"The status board, live while the demo runs: {self.board.url}")
        _narrate("All is well: the page is quiet, our probes of ChatGPT get their usual answers.")
        await self._pause()
        _narrate("ChatGPT starts failing: our probes get 5xx answers (probes alone never post).")
        apis.set_mode("openai", "error")
        apis.set_mode("chatgpt", "error")
        await self._pause()
        _narrate(f"{len(REPORTERS)} people in 3 channels click 'Down for me too'.")
        for workspace, channel, user in REPORTERS:
            await self.store.signals.add_report(
                CrowdReport("openai", "slack", workspace, channel, user, ReportKind.DOWN,
                            self.clock())
            )  # fmt: skip
        await self._until("an early card", self._suspected)
        await self._pause()
        _narrate("OpenAI's page opens an incident: the early card becomes the official one.")
        self._set_page(INVESTIGATING)
        await self._until("the page's confirmation", self._confirmed)
        await self._pause()
        _narrate("OpenAI has identified the cause.")
        self._set_page(IDENTIFIED)
        await self._pause()
        await self.board.save(self.board_dir, "outage")
        _narrate("The fix is out: our probes get their usual answers again.")
        apis.set_mode("openai", "up")
        apis.set_mode("chatgpt", "up")
        await self._until("our probes seeing recovery", self._probes_recovered)
        await self._pause()
        _narrate("OpenAI is monitoring the fix.")
        self._set_page(MONITORING)
        await self._pause()
        _narrate("OpenAI resolves the incident.")
        self._set_page(RESOLVED)
        await self._until("the page's resolution", self._resolved)
        await asyncio.sleep(1.0)  # the outbox prints the restoration
        assert self.app.commands is not None
        report = await self.app.commands.status("chatgpt")
        _narrate("/is-chatgpt-down now says:\n" + report.text())
        summary = summarize(await self.store.early.episodes(), {"openai": "OpenAI"})
        _narrate("statusbot lag says:\n" + "\n".join(lag_text(summary[0])))
        saved = await self.board.save(self.board_dir)
        _narrate(
            f"The status board is saved: open {saved} (after the outage) and "
            f"{self.board_dir / 'outage.html'} (during it)"
        )

    def _set_page(self, stage: PageStage) -> None:
        self.page.set_payload(SUMMARY, self.story.payload(stage, self.clock()))

    async def _pause(self) -> None:
        await asyncio.sleep(self.step_s)

    async def _until(self, what: str, done: Callable[[], Awaitable[bool]]) -> None:
        deadline = time.monotonic() + NOTICE_WITHIN_S
        while not await done():
            if time.monotonic() > deadline:
                raise StatusBotError(f"the demo's bot never noticed {what}")
            await asyncio.sleep(0.2)

    async def _suspected(self) -> bool:
        return await self.store.early.open_episode_key("openai") is not None

    async def _confirmed(self) -> bool:
        episodes = await self.store.early.episodes("openai")
        return bool(episodes) and episodes[-1].confirmed_at is not None

    async def _probes_recovered(self) -> bool:
        episodes = await self.store.early.episodes("openai")
        return bool(episodes) and episodes[-1].probes_recovered_at is not None

    async def _resolved(self) -> bool:
        episodes = await self.store.early.episodes("openai")
        return bool(episodes) and episodes[-1].resolved_at is not None


def _narrate(text: str) -> None:
    print(f"\n== {text}", file=sys.stderr, flush=True)
