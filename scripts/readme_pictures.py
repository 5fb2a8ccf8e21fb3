"""The README's pictures, made by the project's own code: the demo's outage is played up to
"cause identified" against 90 days of simulated history, then the status board is opened in
headless Chromium (tests/browser.py) and the 30-day chart is drawn by bot/chart.py.

    .venv/bin/python scripts/readme_pictures.py     # writes docs/board.png, docs/history-chart.png
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Application  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.demo import OUTAGE_STAGE, SUMMARY, demo_config, seed_history, stage_payload  # noqa: E402
from bot.history import Period  # noqa: E402
from fakes.statuspage import FakeStatusPage  # noqa: E402
from tests.browser import browser_problem, chromium  # noqa: E402

STEP_S = 2.0
DOCS = ROOT / "docs"


def screenshot(url: str, path: Path) -> None:
    with chromium(width=1000, height=1500) as browser:
        browser.get(url)
        browser.save_screenshot(str(path))


async def main() -> int:
    problem = browser_problem()
    if problem:
        print(f"cannot take the board's picture: {problem}", file=sys.stderr)
        return 1
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="statusbot-pictures-") as tmp:
        db = Path(tmp) / "demo.db"
        await seed_history(db, started)
        async with FakeStatusPage() as page:
            config = parse_config(demo_config(page.url(SUMMARY), db, False), "pictures")
            config = config.model_copy(update={"console": config.console.model_copy(
                update={"enabled": False})})  # fmt: skip
            async with Application(config) as app:
                assert app.board is not None
                for index in range(OUTAGE_STAGE + 1):
                    page.set_payload(SUMMARY, stage_payload(index, started, STEP_S))
                    await asyncio.sleep(STEP_S)
                await asyncio.to_thread(screenshot, app.board.url, DOCS / "board.png")
                chart = await app.board.chart_png("openai", Period.MONTH)
                await asyncio.to_thread((DOCS / "history-chart.png").write_bytes, chart)
    print(f"wrote {DOCS / 'board.png'} and {DOCS / 'history-chart.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
