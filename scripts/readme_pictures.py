"""The README's pictures, made by the project's own code: `statusbot demo` plays its outage
against 90 days of simulated history and saves the status board during the outage; headless
Chromium (tests/browser.py) photographs that page, and its 30-day chart (drawn by
bot/chart.py) is the README's chart.

    .venv/bin/python scripts/readme_pictures.py     # writes docs/board.png, docs/history-chart.png
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.demo import run_demo  # noqa: E402
from tests.browser import browser_problem, chromium  # noqa: E402

DOCS = ROOT / "docs"
STEP_S = 2.0


def photograph(page: Path, picture: Path) -> None:
    with chromium(width=1000, height=1500) as browser:
        browser.get(page.as_uri())
        browser.save_screenshot(str(picture))


def main() -> int:
    problem = browser_problem()
    if problem:
        print(f"cannot take the board's picture: {problem}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="statusbot-pictures-") as tmp:
        board = Path(tmp) / "board"
        with contextlib.redirect_stdout(io.StringIO()):  # the demo's alerts
            asyncio.run(run_demo(STEP_S, board_dir=board))
        photograph(board / "outage.html", DOCS / "board.png")
        shutil.copyfile(board / "history" / "outage-openai-30d.png", DOCS / "history-chart.png")
    print(f"wrote {DOCS / 'board.png'} and {DOCS / 'history-chart.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
