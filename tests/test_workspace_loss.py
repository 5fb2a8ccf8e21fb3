"""Losing one chat workspace mid-incident stops delivery there and nowhere else.

The real bot serves Slack and Discord at once. Slack uninstalls the app (or revokes its
token), or Discord kicks the bot from the guild, during an incident: that platform's
subscriptions are disabled after one refused call each (no retry storm), while the other
platform's channels get every update and their cards end green.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.chatfakes import SLACK_POST, Rig
from tests.storm import audit, pending, storm
from tests.waiting import until

pytestmark = pytest.mark.slow

CHANNELS = 3


def subscriptions(db: Path, platform: str) -> list[tuple[int, str | None]]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(
            "SELECT enabled, disabled_reason FROM subscriptions WHERE platform = ?", (platform,)
        ).fetchall()


def slack_failures(rig: Rig) -> int:
    return sum(1 for c in rig.slack.calls if c.method.startswith("chat.") and c.error)


@pytest.mark.parametrize("lost", ["slack:app_uninstalled", "slack:token_revoked", "discord:kick"])
async def test_a_lost_workspace_stops_there_and_the_other_platform_carries_on(
    tmp_path: Path, lost: str
) -> None:
    platform, how = lost.split(":")
    payloads = storm(4, per_incident=4)
    async with Rig(tmp_path, CHANNELS) as rig:
        rig.page.set_payload("/api/v2/summary.json", payloads[0])
        await rig.subscribe_all()
        await rig.start_bot()
        await until(lambda: rig.version() >= 2, "the baseline polls")
        await rig.hold(payloads[1])
        await until(lambda: pending(rig.db) == 0, "the first cards delivered")

        if platform == "slack":
            rig.slack.revoke_token(how)
        else:
            for channel in rig.discord_channels:
                rig.discord.forbid_channel(channel)  # kicked: every channel is 403/50001
        for payload in payloads[2:]:
            await rig.hold(payload)
        await rig.drain()
        figures = audit(
            rig.db,
            rig.slack if platform != "slack" else None,
            rig.slack_channels,
            rig.discord if platform != "discord" else None,
            rig.discord_channels,
        )
        lost_subs = subscriptions(rig.db, platform)
        kept_subs = subscriptions(rig.db, "discord" if platform == "slack" else "slack")
        posts_before_stop = len(rig.slack.ok_calls_to(SLACK_POST))
        assert await rig.stop_bot() == 0, rig.stderr[-20:]

    # The other platform saw everything, in order, and its cards are green.
    assert figures.expected == figures.seen > 0, figures.problems
    assert figures.clean, figures.as_dict()
    assert all(enabled for enabled, _ in kept_subs), kept_subs
    # The lost one is disabled, saying why, after one refused call per channel at most.
    assert len(lost_subs) == CHANNELS
    assert not any(enabled for enabled, _ in lost_subs), lost_subs
    if platform == "slack":
        assert all(how in str(reason) for _, reason in lost_subs), lost_subs
        assert slack_failures(rig) <= CHANNELS, "the bot kept calling a revoked workspace"
        assert posts_before_stop == 2 * CHANNELS  # the first card and its thread reply
    else:
        assert all("50001" in str(reason) for _, reason in lost_subs), lost_subs
