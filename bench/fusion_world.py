"""The simulated world of `bench fusion`: real official timelines, simulated probes and crowd.

Official timelines come from real status payloads (bench/fixtures/, xAI's feed in
tests/fixtures/): when each page confirmed and resolved an incident. The real outage is
placed before the page by a lag drawn from the published figures (25 SaaS outages: median
16 min, mean 29, max 121), and ends before the page resolves by a smaller lag. What the
probes and the chat crowd see of each incident depends on what it broke (`VISIBILITY`, one
judgement per real incident, read from its title). Negative controls are injected on top.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.crowd import CrowdReport, ReportKind
from integrations.sources import feed

FIXTURES = Path(__file__).parent / "fixtures"
XAI_FEED = Path(__file__).parent.parent / "tests" / "fixtures" / "xai_feed_2026-10-07.xml"

# Page lag before confirmation: lognormal with the published median (16 min); sigma puts the
# mean near 29 min once clipped at the published maximum (121 min).
LAG_MEDIAN_MIN, LAG_SIGMA, LAG_MAX_MIN = 16.0, 1.2, 121.0
# Pages also lag on resolution; no published figure, assumed smaller (median 8 min).
RESOLVE_LAG_MEDIAN_MIN, RESOLVE_LAG_SIGMA = 8.0, 0.8

# Probes per provider (names as in the built-in probe targets).
PROBES: dict[str, tuple[str, ...]] = {
    "openai": ("API", "ChatGPT"),
    "anthropic": ("API",),
    "google": ("Gemini API",),
    "groq": ("API",),
    "xai": ("API",),
}
BASE_LATENCY_MS = {
    "openai": 180.0,
    "anthropic": 210.0,
    "google": 230.0,
    "groq": 120.0,
    "xai": 260.0,
}

# What an incident breaks, from its title: api_down (every API probe fails), api_partial (the
# API fails intermittently), slow, app (the web app only: only a web-app probe sees it),
# regional (elsewhere: probes fine, people in two workspaces report), none (a feature no
# probe touches; a few people ask).
VISIBILITY: dict[str, str] = {
    "Elevated errors across ChatGPT and Codex": "app",
    "ChatGPT Work Mode High Error Rates": "none",
    "Elevated errors from GPT-5.6 and GPT-5.6 Instant on paid plans": "api_partial",
    "Elevated errors affecting Work Mode in ChatGPT": "none",
    "Degraded Performance affecting Agents API": "slow",
    "Elevated error rates for Codex and ChatGPT Work": "none",
    "Elevated errors for ChatGPT users in Europe": "regional",
    "Codex GitHub Review and Pull Request Failures": "none",
    "Issues with Google Play subscriptions": "none",
    "Intermittent error spikes for Claude Mythos 5.1 and Claude Fable 5": "api_partial",
    "Degraded functionality for Claude Cowork on Windows": "none",
    "Data Center Failure Impacting Capacity": "api_partial",
    "openai/gpt-oss-120b Performance Issue": "slow",
    "meta-llama/llama-4-scout-17b-16e-instruct Degraded Performance": "slow",
    "Vertex AI Gemini API": "api_partial",
    "grok.com": "app",
    "Enterprise Voice Degraded": "none",
    "Outages across API, Grok.com, and Grok Build": "api_down",
    "Models outage": "api_down",
    "grok-4.6 and grok-4.5 high error rate": "api_partial",
}
# Per visibility: chance a probe check fails, latency factor, distinct reporters per hour.
EFFECT = {
    "api_down": (0.9, 1.0, 40.0),
    "api_partial": (0.5, 1.0, 15.0),
    "slow": (0.0, 8.0, 6.0),
    "app": (0.7, 1.0, 25.0),
    "regional": (0.0, 1.0, 15.0),
    "none": (0.0, 1.0, 3.0),
}

# The simulated deployment: people in channels in workspaces.
WORKSPACES, CHANNELS, PEOPLE = 12, 40, 400
# Background: people asking about a provider on an ordinary day (per hour).
ASKS_PER_HOUR = {"openai": 1.5, "anthropic": 0.6, "google": 0.4, "groq": 0.2, "xai": 0.2}
# Negative controls, per provider per month unless said otherwise.
BLIPS_PER_PROBE_PER_DAY = 8  # one probe failing 1-4 checks in a row
CLICKERS = 8  # one person clicking "Down for me too" 20-40 times in a few minutes
NETWORK_OUTAGES = 3  # per month, all providers: our network down 5-30 min
CHALLENGES = 4  # a probe behind a bot challenge for 1-6 hours
QUIET_BURSTS = 4  # 3-5 people in 2-3 channels ask within 8 min, nothing wrong
REGIONAL_BLIPS = 3  # the provider's edge near us fails 1-4 checks; a few nearby people ask


@dataclass(frozen=True)
class Timeline:
    """One real incident as its page told it."""

    provider: str
    title: str
    page_confirm: datetime
    page_resolve: datetime
    # Known only when the page says when it really began and ended.
    real_start: datetime | None = None
    real_end: datetime | None = None


@dataclass
class SimIncident:
    provider: str
    title: str
    visibility: str
    real_start: datetime
    real_end: datetime
    page_confirm: datetime
    page_resolve: datetime
    lag_from_fixture: bool

    @property
    def page_lag_min(self) -> float:
        return (self.page_confirm - self.real_start).total_seconds() / 60


@dataclass
class ProbeEffect:
    """What a probe sees during [start, end): fail with chance p, latency factor, challenge."""

    start: datetime
    end: datetime
    fail_p: float = 0.0
    latency_factor: float = 1.0
    challenge: bool = False


@dataclass
class Month:
    start: datetime
    days: int = 30
    incidents: list[SimIncident] = field(default_factory=list)
    effects: dict[tuple[str, str], list[ProbeEffect]] = field(default_factory=dict)
    reports: dict[str, list[CrowdReport]] = field(default_factory=dict)
    network_down: list[tuple[datetime, datetime]] = field(default_factory=list)
    controls: dict[str, list[tuple[str, datetime, datetime]]] = field(default_factory=dict)


def _visibility(title: str) -> str:
    for prefix, kind in VISIBILITY.items():
        if title.startswith(prefix):
            return kind
    return "none"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def real_timelines() -> list[Timeline]:
    """Every resolved incident in the fixtures, with the page's confirmation and resolution."""
    out: list[Timeline] = []
    for path, provider in (
        ("openai_incidents_2026-09-03_trimmed_2_incidents.json", "openai"),
        ("openai_incidents_2026-09-15_excerpt_6_incidents_keysorted.json", "openai"),
        ("anthropic_incidents_2026-09-19_trimmed_3_incidents_impact_none.json", "anthropic"),
        ("groq_incidents_2026-07-02_trimmed_3_incidents.json", "groq"),
    ):
        data = json.loads((FIXTURES / path).read_text(encoding="utf-8"))
        for inc in data["incidents"]:
            if inc.get("resolved_at"):
                out.append(
                    Timeline(
                        provider, inc["name"], _when(inc["created_at"]), _when(inc["resolved_at"])
                    )
                )
    gcp = json.loads(
        (FIXTURES / "incident_vertex_gemini_41E5S3mkTGDfkZuJZH5k_resolved.json").read_text()
    )
    for inc in gcp:
        # Posted after it ended: the page confirmed and resolved at once, 3.6 h late.
        posted = _when(inc["created"])
        began, ended = _when(inc["begin"]), _when(inc["end"])
        out.append(Timeline("google", "Vertex AI Gemini API", posted, posted, began, ended))
    snapshot = feed.parse(XAI_FEED.read_bytes(), None)
    for inc in snapshot.incidents:
        if inc.updates and inc.status.is_closed:
            first = min(u.at for u in inc.updates)
            last = max(u.at for u in inc.updates)
            if last > first:
                out.append(Timeline("xai", inc.title, first, last))
    return out


def draw_lag_min(rnd: random.Random) -> float:
    lag = math.exp(rnd.gauss(math.log(LAG_MEDIAN_MIN), LAG_SIGMA))
    return min(LAG_MAX_MIN, max(1.0, lag))


def _person(rnd: random.Random, workspaces: tuple[int, ...] | None = None) -> tuple[str, str, str]:
    """(workspace, channel, user): people sit in channels, channels in workspaces."""
    while True:
        user = rnd.randrange(PEOPLE)
        channel = user % CHANNELS
        workspace = channel % WORKSPACES
        if workspaces is None or workspace in workspaces:
            return f"T{workspace}", f"C{channel}", f"U{user}"


def _reports(
    rnd: random.Random,
    provider: str,
    start: datetime,
    end: datetime,
    per_hour: float,
    workspaces: tuple[int, ...] | None = None,
    kinds: tuple[ReportKind, ...] = (ReportKind.ASK, ReportKind.DOWN),
) -> list[CrowdReport]:
    out = []
    at = start
    while per_hour > 0:
        at += timedelta(hours=rnd.expovariate(per_hour))
        if at >= end:
            break
        workspace, channel, user = _person(rnd, workspaces)
        platform = "slack" if int(workspace[1:]) % 3 else "discord"
        out.append(CrowdReport(provider, platform, workspace, channel, user, rnd.choice(kinds), at))
    return out


def build_month(
    rnd: random.Random, start: datetime, timelines: list[Timeline], days: int = 30
) -> Month:
    """One simulated month: every provider's real incidents at random places, plus controls."""
    month = Month(start, days)
    end = start + timedelta(days=days)
    for provider in PROBES:
        month.reports[provider] = _reports(rnd, provider, start, end, ASKS_PER_HOUR[provider])
        for name in PROBES[provider]:
            month.effects[(provider, name)] = []
    for timeline in timelines:
        month.incidents.append(_place(rnd, month, timeline, start, days))
    for provider in PROBES:
        _controls(rnd, month, provider, start, days)
    for _ in range(max(1, round(NETWORK_OUTAGES * days / 30))):
        at = start + timedelta(minutes=rnd.uniform(60, days * 1440 - 60))
        month.network_down.append((at, at + timedelta(minutes=rnd.uniform(5, 30))))
    for reports in month.reports.values():
        reports.sort(key=lambda r: r.at)
    return month


def _place(
    rnd: random.Random, month: Month, timeline: Timeline, start: datetime, days: int
) -> SimIncident:
    page_len = timeline.page_resolve - timeline.page_confirm
    if timeline.real_start is not None:
        lag = timeline.page_confirm - timeline.real_start
        known = True
    else:
        lag = timedelta(minutes=draw_lag_min(rnd))
        known = False
    real_start = start + timedelta(minutes=rnd.uniform(180, max(181, days * 1440 - 6 * 60)))
    page_confirm = real_start + lag
    page_resolve = page_confirm + page_len
    if timeline.real_start is not None and timeline.real_end is not None:
        real_end = real_start + (timeline.real_end - timeline.real_start)
    else:
        resolve_lag = math.exp(rnd.gauss(math.log(RESOLVE_LAG_MEDIAN_MIN), RESOLVE_LAG_SIGMA))
        resolve_lag = min(resolve_lag, 0.5 * page_len.total_seconds() / 60)
        real_end = max(
            page_resolve - timedelta(minutes=resolve_lag), real_start + timedelta(minutes=2)
        )
    incident = SimIncident(
        timeline.provider,
        timeline.title,
        _visibility(timeline.title),
        real_start,
        real_end,
        page_confirm,
        page_resolve,
        known,
    )
    fail_p, slow, per_hour = EFFECT[incident.visibility]
    provider = timeline.provider
    for name in PROBES[provider]:
        web_app = name == "ChatGPT"
        hit = (incident.visibility == "app") == web_app and incident.visibility not in (
            "regional",
            "none",
        )
        if hit:
            month.effects[(provider, name)].append(
                ProbeEffect(real_start, real_end, fail_p=fail_p, latency_factor=slow)
            )
    workspaces = (0, 1) if incident.visibility == "regional" else None
    month.reports[provider] += _reports(rnd, provider, real_start, real_end, per_hour, workspaces)
    return incident


def _controls(rnd: random.Random, month: Month, provider: str, start: datetime, days: int) -> None:
    def moment(margin_min: float = 30) -> datetime:
        return start + timedelta(minutes=rnd.uniform(margin_min, days * 1440 - margin_min))

    def per_month(count: int) -> int:
        return max(1, round(count * days / 30))

    controls = month.controls.setdefault(provider, [])
    for name in PROBES[provider]:
        for _ in range(BLIPS_PER_PROBE_PER_DAY * days):
            at = moment()
            checks = rnd.randint(1, 4)
            end = at + timedelta(seconds=30 * checks - 1)
            month.effects[(provider, name)].append(ProbeEffect(at, end, fail_p=1.0))
            controls.append(("single-probe blip", at, end))
        for _ in range(per_month(CHALLENGES)):
            at = moment()
            end = at + timedelta(hours=rnd.uniform(1, 6))
            month.effects[(provider, name)].append(ProbeEffect(at, end, challenge=True))
            controls.append(("bot challenge", at, end))
    for _ in range(per_month(CLICKERS)):
        at = moment()
        workspace, channel, user = _person(rnd)
        clicks = rnd.randint(20, 40)
        for n in range(clicks):
            month.reports[provider].append(
                CrowdReport(
                    provider,
                    "slack",
                    workspace,
                    channel,
                    user,
                    ReportKind.DOWN,
                    at + timedelta(seconds=8 * n),
                )
            )
        # ...while one probe blips at the worst moment.
        name = rnd.choice(PROBES[provider])
        month.effects[(provider, name)].append(
            ProbeEffect(at, at + timedelta(seconds=119), fail_p=1.0)
        )
        controls.append(("one person clicking repeatedly", at, at + timedelta(minutes=5)))
    for _ in range(per_month(QUIET_BURSTS)):
        at = moment()
        people = rnd.randint(3, 5)
        for _ in range(people):
            workspace, channel, user = _person(rnd)
            when = at + timedelta(minutes=rnd.uniform(0, 8))
            month.reports[provider].append(
                CrowdReport(provider, "slack", workspace, channel, user, ReportKind.ASK, when)
            )
        controls.append(("crowd noise on a quiet day", at, at + timedelta(minutes=8)))
    for _ in range(per_month(REGIONAL_BLIPS)):
        at = moment()
        checks = rnd.randint(1, 4)
        end = at + timedelta(seconds=30 * checks - 1)
        for name in PROBES[provider]:
            month.effects[(provider, name)].append(ProbeEffect(at, end, fail_p=1.0))
        month.reports[provider] += _reports(
            rnd, provider, at, at + timedelta(minutes=10), 12.0, workspaces=(rnd.randrange(12),)
        )
        controls.append(("regional blip", at, end + timedelta(minutes=10)))
