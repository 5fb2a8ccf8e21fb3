"""Where idle memory goes: resident size after importing each heavy dependency in turn.

Runs one fresh interpreter that imports the bot's dependencies one group at a time and
prints VmRSS after each, so "idle RSS is X MB" comes with "and Y of it is just imports".
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from bench.botrun import ROOT

GROUPS = (
    ("python", ""),
    ("aiohttp", "import aiohttp"),
    ("httpx", "import httpx"),
    ("pydantic + yaml", "import pydantic, yaml"),
    ("sqlalchemy + aiosqlite", "import sqlalchemy, sqlalchemy.ext.asyncio, aiosqlite"),
    ("alembic", "import alembic.command, alembic.config"),
    ("apscheduler", "import apscheduler.schedulers.asyncio"),
    ("slack_sdk + slack_bolt", "import slack_bolt.async_app, slack_bolt.adapter.socket_mode"),
    ("discord.py", "import discord"),
    ("feedparser", "import feedparser"),
    ("bot.app + integrations", "import bot.app, integrations.slack, integrations.discord"),
)

_SCRIPT = """
import json, sys
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
out = []
for name, statement in json.loads(sys.argv[1]):
    try:
        exec(statement)
    except Exception as exc:
        name += f" (failed: {type(exc).__name__})"
    out.append((name, round(rss(), 1)))
print(json.dumps(out))
"""


async def run() -> list[dict[str, Any]]:
    """[{group, rss_mb (cumulative), added_mb}] in import order; [] if the probe fails."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SCRIPT, json.dumps(GROUPS),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    try:
        steps = json.loads(stdout)
    except ValueError:
        return []
    rows, previous = [], 0.0
    for name, rss in steps:
        rows.append({"group": name, "rss_mb": rss, "added_mb": round(rss - previous, 1)})
        previous = rss
    return rows
