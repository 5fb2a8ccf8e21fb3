"""The chat crowd, counted: distinct people, channels and workspaces reporting a provider.

Pure. A person counts once per provider per window, whatever they click or ask; their latest
report in the window decides whether they say "down" (asking `/is-chatgpt-down` counts as
down) or "works". A spike is more distinct reporters than the provider's learned baseline
allows, with a floor from config, spread over enough channels that one room's chatter is
not a spike.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter

# The baseline forgets with this horizon, in windows (a day of 10-minute windows).
BASELINE_HORIZON = 144


class ReportKind(StrEnum):
    ASK = "ask"  # /is-chatgpt-down: people ask when they suspect
    DOWN = "down"  # "Down for me too"
    WORKS = "works"  # "Works for me"

    @property
    def says_down(self) -> bool:
        return self is not ReportKind.WORKS


@dataclass(frozen=True, slots=True)
class CrowdRules:
    min_users: int = 3
    min_channels: int = 2
    window_s: float = 600.0


@dataclass(frozen=True, slots=True)
class CrowdReport:
    provider: str
    platform: str
    workspace_id: str | None
    channel_id: str
    user_id: str
    kind: ReportKind
    at: datetime

    @property
    def person(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace_id or "", self.user_id)

    @property
    def channel(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace_id or "", self.channel_id)

    @property
    def workspace(self) -> tuple[str, str]:
        # A DM has no workspace on Discord: its channel stands alone.
        return (self.platform, self.workspace_id or f"channel:{self.channel_id}")


@dataclass(frozen=True, slots=True)
class CrowdCount:
    """Who reports a provider within the window ending at `at`."""

    provider: str
    at: datetime
    users: int = 0
    channels: int = 0
    workspaces: int = 0
    works: int = 0
    # When the down reporters reached each number (first report of the n-th person), so a
    # spike can say since when it has been one.
    user_times: tuple[datetime, ...] = ()
    channel_times: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class CrowdBaseline:
    """Distinct down reporters per window on an ordinary day, learned as windows pass."""

    mean: float = 0.0
    windows: int = 0
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _BASELINE.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrowdBaseline:
        return _BASELINE.validate_python(data)


def count(
    reports: Iterable[CrowdReport], provider: str, now: datetime, window_s: float
) -> CrowdCount:
    """Count distinct people, channels and workspaces in the window (now - window_s, now]."""
    start = now - timedelta(seconds=window_s)
    latest: dict[tuple[str, str, str], CrowdReport] = {}
    first_down: dict[tuple[str, str, str], datetime] = {}
    # Ties (one person, one instant, two words) resolve the same whatever the arrival order.
    for report in sorted(reports, key=_order):
        if report.provider != provider or not start < report.at <= now:
            continue
        latest[report.person] = report
        if report.kind.says_down:
            first_down.setdefault(report.person, report.at)
    down = [r for r in latest.values() if r.kind.says_down]
    channel_first: dict[tuple[str, str, str], datetime] = {}
    for person, at in first_down.items():
        if latest[person].kind.says_down:
            report = latest[person]
            channel_first[report.channel] = min(at, channel_first.get(report.channel, at))
    return CrowdCount(
        provider=provider,
        at=now,
        users=len(down),
        channels=len({r.channel for r in down}),
        workspaces=len({r.workspace for r in down}),
        works=len(latest) - len(down),
        user_times=tuple(sorted(first_down[r.person] for r in down)),
        channel_times=tuple(sorted(channel_first.values())),
    )


def _order(report: CrowdReport) -> tuple[datetime, str, tuple[str, str, str], str]:
    return (report.at, report.kind.value, report.channel, report.user_id)


def threshold(baseline: CrowdBaseline, rules: CrowdRules) -> int:
    """Distinct reporters that make a spike: the floor, or well above the usual (3 sigma)."""
    usual = max(0.0, baseline.mean)
    return max(rules.min_users, math.ceil(usual + 3 * math.sqrt(usual) + 1))


def is_spike(crowd: CrowdCount, baseline: CrowdBaseline, rules: CrowdRules) -> bool:
    return (
        crowd.users >= threshold(baseline, rules)
        and crowd.channels >= rules.min_channels
        and crowd.users > crowd.works
    )


def spike_since(crowd: CrowdCount, baseline: CrowdBaseline, rules: CrowdRules) -> datetime | None:
    """When the current spike began: the moment both floors were reached."""
    if not is_spike(crowd, baseline, rules):
        return None
    need = threshold(baseline, rules)
    return max(crowd.user_times[need - 1], crowd.channel_times[rules.min_channels - 1])


def learn(baseline: CrowdBaseline, crowd: CrowdCount, rules: CrowdRules) -> CrowdBaseline:
    """Fold one window's count into the baseline; a spike is not an ordinary day."""
    if is_spike(crowd, baseline, rules):
        return dataclasses.replace(baseline, updated_at=crowd.at)
    # A running mean at first, then an exponential one with a day's memory.
    weight = 1.0 / min(baseline.windows + 1, BASELINE_HORIZON)
    mean = baseline.mean + weight * (crowd.users - baseline.mean)
    return CrowdBaseline(mean=mean, windows=baseline.windows + 1, updated_at=crowd.at)


def may_count_click(last_counted: datetime | None, now: datetime, every_s: float) -> bool:
    """One person's clicks count at most once every `every_s` seconds (the rest are thanked)."""
    return last_counted is None or (now - last_counted).total_seconds() >= every_s


_BASELINE: TypeAdapter[CrowdBaseline] = TypeAdapter(CrowdBaseline)
