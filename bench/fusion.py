"""`python -m bench fusion`: how early, and how often wrong, the fused verdict is.

Simulated months (bench/fusion_world.py) are played tick by tick (every 30 s, the probe
interval) through the bot's own pure pieces: probe windows, the network check, crowd
counting with its learned baseline, and `fuse`. Nothing is re-implemented here; only the
world is simulated. Measured: the lead of our suspicion over the page, misses, false
suspicions per provider per month (and which control caused them), retractions, false
confirmations, and how long before the page our probes saw recovery.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import fusion_world as world
from bench.stats import median, percentile
from bot import crowd as crowd_mod
from bot.crowd import CrowdBaseline, CrowdReport, CrowdRules
from bot.fusion import (
    Change,
    CrowdView,
    FusionSettings,
    FusionState,
    OfficialView,
    ProbeView,
    Signals,
    fuse,
)
from bot.probe_window import (
    ProbeRules,
    ProbeStatus,
    ProbeWindow,
    Sample,
    our_network_down,
    record,
)
from integrations.probes import ProbeOutcome

TICK = timedelta(seconds=30)
LEARN_EVERY = timedelta(minutes=10)
START = datetime(2026, 1, 1, tzinfo=UTC)
TARGETS = {
    "false_confirmations": 0,
    "false_suspicions_per_provider_month": 1.0,
    "median_lead_min_when_page_lags_10": 5.0,
}


@dataclass
class Outcome:
    """Everything one month's play produced, per provider."""

    changes: list[tuple[str, datetime, Change, str]] = field(default_factory=list)
    suspicions_in_network_outage: int = 0
    confirm_lags_min: list[float] = field(default_factory=list)


def play(month: world.Month, rnd: random.Random) -> Outcome:
    """Run the bot's pure pipeline over one simulated month."""
    probe_rules = ProbeRules(failing_after=3, slow_factor=4.0)
    crowd_rules = CrowdRules(min_users=3, min_channels=2, window_s=600)
    settings = FusionSettings(hold_s=900)
    windows = {key: ProbeWindow(f"{key[0]}:{key[1]}", key[0], key[1]) for key in month.effects}
    effects = {key: sorted(v, key=lambda e: e.start) for key, v in month.effects.items()}
    cursor = dict.fromkeys(effects, 0)
    active: dict[tuple[str, str], list[world.ProbeEffect]] = {k: [] for k in effects}
    states = {p: FusionState() for p in world.PROBES}
    baselines = {p: CrowdBaseline() for p in world.PROBES}
    reports = month.reports
    report_at = dict.fromkeys(world.PROBES, 0)
    recent: dict[str, deque[CrowdReport]] = {p: deque() for p in world.PROBES}
    incidents = {p: [i for i in month.incidents if i.provider == p] for p in world.PROBES}
    outcome = Outcome()
    end = month.start + timedelta(days=month.days)
    next_learn = month.start + LEARN_EVERY
    now = month.start
    while now < end:
        net = any(s <= now < e for s, e in month.network_down)
        for key, window in windows.items():
            queue = effects[key]
            while cursor[key] < len(queue) and queue[cursor[key]].start <= now:
                active[key].append(queue[cursor[key]])
                cursor[key] += 1
            live = [e for e in active[key] if e.end > now]
            active[key] = live
            windows[key] = record(window, _sample(rnd, key[0], live, net, now), probe_rules)
        now_status = {key: w.status(probe_rules) for key, w in windows.items()}
        statuses = {p: [now_status[(p, n)] for n in names] for p, names in world.PROBES.items()}
        network_down = our_network_down(statuses)
        counts = {}
        for provider in world.PROBES:
            counts[provider] = _crowd(provider, now, reports, report_at, recent, crowd_rules)
            signals = Signals(
                provider,
                provider,
                _official(incidents[provider], now),
                tuple(
                    _view(windows[(provider, n)], now_status[(provider, n)], probe_rules)
                    for n in world.PROBES[provider]
                ),
                _crowd_view(counts[provider], baselines[provider], crowd_rules),
                network_down,
            )
            verdict = fuse(states[provider], signals, now, settings)
            states[provider] = verdict.state
            if verdict.change is not None:
                episode_key = verdict.episode.key if verdict.episode else ""
                outcome.changes.append((provider, now, verdict.change, episode_key))
                if verdict.change is Change.SUSPECTED and net:
                    outcome.suspicions_in_network_outage += 1
                if verdict.change is Change.CONFIRMED and verdict.episode:
                    lag = verdict.episode.confirm_lag_s
                    if lag is not None:
                        outcome.confirm_lags_min.append(lag / 60)
        if now >= next_learn:
            for provider, crowd in counts.items():
                if crowd is not None:
                    baselines[provider] = crowd_mod.learn(baselines[provider], crowd, crowd_rules)
                else:
                    empty = crowd_mod.CrowdCount(provider, now)
                    baselines[provider] = crowd_mod.learn(baselines[provider], empty, crowd_rules)
            next_learn += LEARN_EVERY
        now += TICK
    return outcome


def _sample(
    rnd: random.Random,
    provider: str,
    live: list[world.ProbeEffect],
    network_down: bool,
    now: datetime,
) -> Sample:
    if network_down:
        return Sample(now, ProbeOutcome.FAILING, "timed out")
    if any(e.challenge for e in live):
        return Sample(now, ProbeOutcome.INCONCLUSIVE, "bot challenge")
    fail_p = max((e.fail_p for e in live), default=0.0)
    if fail_p and rnd.random() < fail_p:
        return Sample(now, ProbeOutcome.FAILING, "HTTP 503")
    factor = max((e.latency_factor for e in live), default=1.0)
    latency = world.BASE_LATENCY_MS[provider] * factor * rnd.uniform(0.85, 1.25)
    return Sample(now, ProbeOutcome.UP, "HTTP 401 as expected", latency)


def _view(window: ProbeWindow, status: ProbeStatus, rules: ProbeRules) -> ProbeView:
    if status is ProbeStatus.UP:
        # The common case, without the window's slower lookups.
        return ProbeView(window.name, status, latency_ms=window.recent[-1].latency_ms)
    return ProbeView(
        window.name,
        status,
        window.since(rules),
        latency_ms=window.last.latency_ms if window.last else None,
        usual_ms=window.median_ms(),
        failing_span_s=window.failing_span_s(),
    )


def _official(incidents: list[world.SimIncident], now: datetime) -> OfficialView:
    for incident in incidents:
        if incident.page_confirm <= now < incident.page_resolve:
            return OfficialView(True, incident.title, incident.page_confirm)
    return OfficialView()


def _crowd(
    provider: str,
    now: datetime,
    reports: dict[str, list[CrowdReport]],
    report_at: dict[str, int],
    recent: dict[str, deque[CrowdReport]],
    rules: CrowdRules,
) -> crowd_mod.CrowdCount | None:
    queue, window = reports[provider], recent[provider]
    while report_at[provider] < len(queue) and queue[report_at[provider]].at <= now:
        window.append(queue[report_at[provider]])
        report_at[provider] += 1
    horizon = now - timedelta(seconds=rules.window_s)
    while window and window[0].at <= horizon:
        window.popleft()
    if not window:
        return None
    return crowd_mod.count(window, provider, now, rules.window_s)


def _crowd_view(
    crowd: crowd_mod.CrowdCount | None, baseline: CrowdBaseline, rules: CrowdRules
) -> CrowdView:
    if crowd is None:
        return CrowdView()
    return CrowdView(
        users=crowd.users,
        channels=crowd.channels,
        workspaces=crowd.workspaces,
        works=crowd.works,
        spike=crowd_mod.is_spike(crowd, baseline, rules),
        since=crowd_mod.spike_since(crowd, baseline, rules),
    )


# --- scoring ---------------------------------------------------------------------------------


def score(months: list[world.Month], outcomes: list[Outcome]) -> dict[str, Any]:
    """Turn changes into the figures the issue asks for."""
    per_incident: list[dict[str, Any]] = []
    false_by_provider: Counter[str] = Counter()
    false_by_cause: Counter[str] = Counter()
    retracted_titles: Counter[str] = Counter()
    retractions = retracted_real = false_confirmations = 0
    recovery_leads = []
    for month, outcome in zip(months, outcomes, strict=True):
        suspicions = [(p, t, k) for p, t, c, k in outcome.changes if c is Change.SUSPECTED]
        for provider, at, change, _ in outcome.changes:
            if change is Change.RETRACTED:
                retractions += 1
                real = _real_at(month, provider, at)
                if real is not None:
                    retracted_real += 1
                    retracted_titles[real.title] += 1
            if change is Change.CONFIRMED and not _page_says(month, provider, at):
                false_confirmations += 1
        for provider, at, _ in suspicions:
            if (
                _real_at(month, provider, at - timedelta(minutes=2)) is None
                and _real_at(month, provider, at) is None
            ):
                false_by_provider[provider] += 1
                false_by_cause[_cause(month, provider, at)] += 1
        for incident in month.incidents:
            early = [
                at
                for p, at, _ in suspicions
                if p == incident.provider
                and incident.real_start - timedelta(minutes=2) <= at < incident.page_confirm
            ]
            lead = (incident.page_confirm - min(early)).total_seconds() / 60 if early else None
            per_incident.append(
                {
                    "probe_visible": _probe_visible(incident),
                    "provider": incident.provider,
                    "title": incident.title,
                    "visibility": incident.visibility,
                    "page_lag_min": round(incident.page_lag_min, 1),
                    "lead_min": round(lead, 1) if lead is not None else None,
                    "lag_from_fixture": incident.lag_from_fixture,
                }
            )
            recovered = [
                at
                for p, at, c, _ in outcome.changes
                if p == incident.provider
                and c is Change.PROBES_RECOVERED
                and incident.page_confirm <= at < incident.page_resolve
            ]
            if recovered:
                recovery_leads.append((incident.page_resolve - max(recovered)).total_seconds() / 60)
    month_count = sum(m.days for m in months) / 30
    provider_months = month_count * len(world.PROBES)
    every_lagging = [i for i in per_incident if i["page_lag_min"] >= 10]
    lagging = [i for i in every_lagging if i["probe_visible"]]
    leads_lagging = [i["lead_min"] or 0.0 for i in lagging]
    leads_every = [i["lead_min"] or 0.0 for i in every_lagging]
    detected = [i for i in per_incident if i["lead_min"] is not None]
    lags = [i["page_lag_min"] for i in per_incident]
    by_visibility: dict[str, list[int]] = {}
    for item in per_incident:
        seen = by_visibility.setdefault(item["visibility"], [0, 0])
        seen[0] += 1
        seen[1] += item["lead_min"] is not None
    return {
        "months": round(month_count, 2),
        "providers": list(world.PROBES),
        "incidents": len(per_incident),
        "page_lag_min": {
            "median": round(median(lags), 1),
            "mean": round(sum(lags) / len(lags), 1),
            "max": round(max(lags), 1),
        },
        "detected_early": len(detected),
        "detected_by_visibility": {
            k: {"incidents": v[0], "early": v[1]} for k, v in by_visibility.items()
        },
        "median_lead_min": round(median([i["lead_min"] for i in detected]), 1) if detected else 0.0,
        "lagging_incidents": len(lagging),
        "median_lead_min_when_page_lags_10": round(median(leads_lagging), 1) if lagging else 0.0,
        "p25_lead_min_when_page_lags_10": round(percentile(leads_lagging, 25), 1)
        if lagging
        else 0.0,
        "misses": sum(1 for i in lagging if i["lead_min"] is None),
        "every_lagging_incident": len(every_lagging),
        "median_lead_min_every_lagging_incident": round(median(leads_every), 1)
        if every_lagging
        else 0.0,
        "early_of_every_lagging_incident": sum(1 for i in every_lagging if i["lead_min"]),
        "false_suspicions": sum(false_by_provider.values()),
        "false_suspicions_per_provider_month": round(
            sum(false_by_provider.values()) / provider_months, 2
        ),
        "false_suspicions_by_provider_per_month": {
            p: round(false_by_provider[p] / month_count, 2) for p in world.PROBES
        },
        "false_suspicions_by_cause": dict(false_by_cause),
        "suspicions_while_our_network_was_down": sum(
            o.suspicions_in_network_outage for o in outcomes
        ),
        "retractions": retractions,
        "retractions_of_real_outages": retracted_real,
        "retracted_real_outages": dict(retracted_titles),
        "false_confirmations": false_confirmations,
        "probes_saw_recovery_before_page_min": round(median(recovery_leads), 1)
        if recovery_leads
        else None,
        "recovery_samples": len(recovery_leads),
        "card_confirm_lag_min_median": round(
            median([x for o in outcomes for x in o.confirm_lags_min]), 1
        )
        if any(o.confirm_lags_min for o in outcomes)
        else None,
        "per_incident": per_incident,
    }


def _probe_visible(incident: world.SimIncident) -> bool:
    """Whether our probes can see it fail at all (a web-app probe exists only for ChatGPT)."""
    if incident.visibility in ("api_down", "api_partial"):
        return True
    return incident.visibility == "app" and "ChatGPT" in world.PROBES[incident.provider]


def _real_at(month: world.Month, provider: str, at: datetime) -> world.SimIncident | None:
    for incident in month.incidents:
        end = max(incident.real_end, incident.page_resolve)
        if incident.provider == provider and incident.real_start <= at < end:
            return incident
    return None


def _page_says(month: world.Month, provider: str, at: datetime) -> bool:
    return any(
        i.provider == provider and i.page_confirm <= at < i.page_resolve for i in month.incidents
    )


def _cause(month: world.Month, provider: str, at: datetime) -> str:
    for kind, start, end in month.controls.get(provider, []):
        if start - timedelta(minutes=12) <= at <= end + timedelta(minutes=2):
            return kind
    return "background"


def run(months: int = 6, seed: int = 13, days: int = 30) -> dict[str, Any]:
    """Play `months` simulated months of `days` days and score them."""
    rnd = random.Random(seed)
    timelines = world.real_timelines()
    played, outcomes = [], []
    for n in range(months):
        month = world.build_month(rnd, START + timedelta(days=days * n), timelines, days)
        played.append(month)
        outcomes.append(play(month, rnd))
    result = score(played, outcomes)
    result["seed"] = seed
    result["targets"] = TARGETS
    result["met"] = {
        "false_confirmations": result["false_confirmations"] == 0,
        "false_suspicions_per_provider_month": all(
            v <= TARGETS["false_suspicions_per_provider_month"]
            for v in result["false_suspicions_by_provider_per_month"].values()
        ),
        "median_lead_min_when_page_lags_10": result["median_lead_min_when_page_lags_10"]
        >= TARGETS["median_lead_min_when_page_lags_10"],
    }
    return result
