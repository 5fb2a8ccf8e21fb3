"""Crash test: SIGKILL the real bot during an incident storm; users see each message once.

The bot runs against the fake status page, fake Slack and fake Discord (5 channels each).
Two incidents go degraded → updates → outage → updates → restored while the bot is killed
at random moments, some of them inside the fake's handler right after a message was stored.
Afterwards every expected message is there exactly once, in order, and every card is green.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.botproc import ROOT
from tests.chatfakes import Rig, run_storm
from tests.storm import audit, committed_events, storm

pytestmark = pytest.mark.slow

CHANNELS = 5
UPDATES = 12
KILLS = 6


def replayed(payloads: list[bytes], workdir: Path) -> list[tuple]:
    """What `python -m bot replay` says the state machine announces for these payloads."""
    files = []
    for n, payload in enumerate(payloads):
        path = workdir / f"payload-{n:03d}.json"
        path.write_bytes(payload)
        files.append(str(path))
    out = subprocess.run(
        [sys.executable, "-m", "bot", "replay", "--format", "jsonl", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [(r["kind"], r["incident_id"], r["status"], r["text"]) for r in records]


def committed(db: Path) -> list[tuple]:
    return [
        (e["kind"], e["event"]["incident_id"], e["event"]["status"], e["event"]["text"])
        for e in committed_events(db)
    ]


async def test_sigkill_storm_shows_every_message_once_in_order(tmp_path: Path) -> None:
    payloads = storm(UPDATES, per_incident=6)
    async with Rig(tmp_path, CHANNELS) as rig:
        crasher = await run_storm(rig, payloads, kills=KILLS, seed=20261125, spacing=2.5)
        figures = audit(rig.db, rig.slack, rig.slack_channels, rig.discord, rig.discord_channels)
        assert await rig.stop_bot() == 0, rig.stderr[-30:]

    assert len(crasher.done) == KILLS, crasher.done
    assert crasher.died == [], rig.stderr[-30:]  # it never exited on its own
    # At least one kill landed after a message was stored but before the bot heard back.
    assert "inside_post" in crasher.done, crasher.done
    # Every payload was committed, so the bot announced exactly what replay predicts.
    assert committed(rig.db) == replayed(payloads, tmp_path)
    kinds = [k for k, *_ in committed(rig.db)]
    assert kinds.count("restored") == 2
    assert figures.expected == figures.seen > 0, figures.problems
    assert figures.clean, (figures.as_dict(), crasher.done)
    assert figures.undelivered_rows == 0, figures.problems
