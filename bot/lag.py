"""How far each provider's official page lags: a summary of the stored early-warning episodes
(`statusbot lag`).

Per provider: how often the page confirmed what we suspected and how long after our first
signal; how long before the page our probes saw recovery; how often the page was first;
and the suspicions it never acknowledged (false alarms, or outages it never admitted).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.render import human_duration, utc_text
from bot.store.early import EpisodeRecord


@dataclass(frozen=True, slots=True)
class ProviderLag:
    provider: str
    name: str
    episodes: int
    confirmed_after_us: tuple[float, ...]  # seconds from our first signal to the page
    page_first: int
    recovery_leads: tuple[float, ...]  # seconds our probes saw recovery before the page
    never_acknowledged: tuple[EpisodeRecord, ...]
    open_now: int

    @property
    def median_confirm_lag_s(self) -> float | None:
        return statistics.median(self.confirmed_after_us) if self.confirmed_after_us else None

    @property
    def median_recovery_lead_s(self) -> float | None:
        return statistics.median(self.recovery_leads) if self.recovery_leads else None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "episodes": self.episodes,
            "confirmed_after_our_signal": len(self.confirmed_after_us),
            "median_confirm_lag_s": self.median_confirm_lag_s,
            "max_confirm_lag_s": max(self.confirmed_after_us, default=None),
            "page_first": self.page_first,
            "recoveries_seen_first": len(self.recovery_leads),
            "median_recovery_lead_s": self.median_recovery_lead_s,
            "never_acknowledged": [
                {
                    "episode_key": e.episode_key,
                    "first_signal_at": _iso(e.first_signal_at or e.suspected_at),
                    "signals_s": _signals_s(e),
                }
                for e in self.never_acknowledged
            ],
            "open_now": self.open_now,
        }


def summarize(
    records: Iterable[EpisodeRecord], names: Mapping[str, str], providers: Sequence[str] = ()
) -> list[ProviderLag]:
    """One summary per provider (those in `providers` first, even without episodes)."""
    by_provider: dict[str, list[EpisodeRecord]] = {p: [] for p in providers}
    for record in records:
        by_provider.setdefault(record.provider, []).append(record)
    out = []
    for provider, episodes in by_provider.items():
        confirmed = tuple(
            lag
            for e in episodes
            if e.suspected_at is not None and (lag := e.confirm_lag_s) is not None
        )
        leads = tuple(lead for e in episodes if (lead := e.recovery_lead_s) is not None)
        out.append(
            ProviderLag(
                provider=provider,
                name=names.get(provider, provider),
                episodes=len(episodes),
                confirmed_after_us=confirmed,
                page_first=sum(1 for e in episodes if e.suspected_at is None),
                recovery_leads=leads,
                never_acknowledged=tuple(e for e in episodes if e.never_confirmed),
                open_now=sum(1 for e in episodes if _open(e)),
            )
        )
    return out


def lag_text(summary: ProviderLag) -> list[str]:
    """The summary in a few lines."""
    s = summary
    if not s.episodes:
        return [f"{s.name}: no early-warning episodes recorded yet"]
    lines = [f"{s.name}: {s.episodes} episode{'' if s.episodes == 1 else 's'}"]
    if s.confirmed_after_us:
        median = s.median_confirm_lag_s
        assert median is not None
        longest = max(s.confirmed_after_us)
        lines.append(
            f"  confirmed by the page after our first signal: {len(s.confirmed_after_us)}, "
            f"median {human_duration(median)} later (longest {human_duration(longest)})"
        )
    if s.recovery_leads:
        lead = s.median_recovery_lead_s
        assert lead is not None
        lines.append(
            f"  recovery seen by our probes first: {len(s.recovery_leads)}, "
            f"median {human_duration(lead)} before the page"
        )
    if s.page_first:
        lines.append(f"  the page reported first: {s.page_first}")
    lines.append(f"  never acknowledged by the page: {len(s.never_acknowledged)}")
    for e in s.never_acknowledged:
        began = e.first_signal_at or e.suspected_at
        span = _signals_s(e)
        lasted = f", signals for {human_duration(span)}" if span is not None else ""
        lines.append(f"    {utc_text(began) if began else e.episode_key}{lasted}")
    if s.open_now:
        lines.append(f"  open now: {s.open_now}")
    return lines


def _open(e: EpisodeRecord) -> bool:
    return e.retracted_at is None and e.resolved_at is None


def _signals_s(e: EpisodeRecord) -> float | None:
    began = e.first_signal_at or e.suspected_at
    cleared = e.signals_cleared_at or e.retracted_at
    if began is None or cleared is None:
        return None
    return max(0.0, (cleared - began).total_seconds())


def _iso(at: Any) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None
