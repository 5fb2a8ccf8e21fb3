"""How big each benchmark is: the full run (under 10 minutes in all) and `--quick`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    # Detection: (interval s, sources polled in parallel, flips per source).
    detection: tuple[tuple[float, int, int], ...]
    # Fan-out.
    slack_channels: int
    slack_workspaces: int
    discord_channels: int
    discord_guilds: int
    fanout_interval_s: float
    wave_budget_s: float
    fanout_budget_s: float
    # Resources.
    poll_sources: int
    poll_interval_s: float
    poll_window_s: float
    idle_settle_s: float
    # Fusion: simulated months, and days per month (the quick run plays a short one).
    fusion_months: int = 6
    fusion_days: int = 30


FULL = Sizes(
    detection=((3.0, 10, 3), (20.0, 30, 1)),
    slack_channels=10_000,
    slack_workspaces=1_000,
    discord_channels=2_000,
    discord_guilds=20,
    fanout_interval_s=2.0,
    wave_budget_s=150.0,
    fanout_budget_s=330.0,
    poll_sources=100,
    poll_interval_s=30.0,
    poll_window_s=60.0,
    idle_settle_s=10.0,
)

QUICK = Sizes(
    detection=((1.0, 2, 1), (2.0, 2, 1)),
    slack_channels=20,
    slack_workspaces=4,
    discord_channels=6,
    discord_guilds=2,
    fanout_interval_s=1.0,
    wave_budget_s=30.0,
    fanout_budget_s=60.0,
    poll_sources=5,
    poll_interval_s=1.0,
    poll_window_s=2.0,
    idle_settle_s=1.0,
    fusion_months=1,
    fusion_days=2,
)
