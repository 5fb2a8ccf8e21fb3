"""The early-warning section of bench/results.md."""

from __future__ import annotations

from typing import Any

from bench import fusion_world as world

VISIBILITY_WORDS = {
    "api_down": "API down (every API probe fails)",
    "api_partial": "API errors, intermittent",
    "app": "web app only",
    "slow": "slowness only",
    "regional": "another region",
    "none": "a feature no probe touches",
}


def fusion_section(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return ["## Early warning (fusion)", "", "Not measured in this run.", ""]
    lag = data["page_lag_min"]
    lines = [
        "## Early warning (fusion)",
        "",
        f"How it was measured (`python -m bench fusion`, seed {data['seed']}): "
        f"{data['months']:g} simulated months for {len(data['providers'])} providers "
        f"({', '.join(data['providers'])}), played every 30 s through the bot's own pure "
        "pieces — probe windows, the network check, crowd counting with its learned "
        "baseline, and `fuse` — so only the world is simulated. Official timelines are the "
        f"real incidents in the fixtures ({data['incidents']} incident-replays: when each page "
        "confirmed and resolved); the real outage starts before the page by a lag drawn from "
        "the published figures for 25 SaaS outages (lognormal, median 16 min, clipped at "
        f"121 min; drawn here: median {lag['median']} min, mean {lag['mean']} min, max "
        f"{lag['max']} min — Google's Vertex AI incident keeps its real 3.6 h, it was posted "
        "after it ended). What probes and people see of each incident follows what it broke, "
        "one judgement per real incident from its title.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| incidents our probes can see fail, page lag ≥ 10 min | {data['lagging_incidents']} |",
        f"| — suspected before the page (early cards) | "
        f"{data['lagging_incidents'] - data['misses']} |",
        f"| — **median lead over the page** (a miss counts 0) | "
        f"**{data['median_lead_min_when_page_lags_10']} min** "
        f"(p25 {data['p25_lead_min_when_page_lags_10']} min) |",
        f"| — misses | {data['misses']} |",
        f"| median lead of every early card | {data['median_lead_min']} min |",
        f"| every incident with page lag ≥ 10 min, whatever it broke | "
        f"{data['every_lagging_incident']}, early on {data['early_of_every_lagging_incident']}, "
        f"median lead {data['median_lead_min_every_lagging_incident']} min |",
        f"| **false suspicions per provider per month** | "
        f"**{data['false_suspicions_per_provider_month']}** (worst provider "
        f"{max(data['false_suspicions_by_provider_per_month'].values())}) |",
        f"| suspicions while our own network was down | "
        f"{data['suspicions_while_our_network_was_down']} |",
        f"| retractions (false-alarm cards) | {data['retractions']}, of which during a real "
        f"outage the page had not confirmed yet: {data['retractions_of_real_outages']}"
        f"{_titles(data.get('retracted_real_outages'))} |",
        f"| **false confirmations** | **{data['false_confirmations']}** |",
        f'| the card\'s "confirmed N min after our first signal", median | '
        f"{_fmt(data['card_confirm_lag_min_median'])} min |",
        f"| our probes saw recovery before the page resolved, median | "
        f"{_fmt(data['probes_saw_recovery_before_page_min'])} min "
        f"({data['recovery_samples']} incidents) |",
        "",
        "By what the incident broke (every incident, any page lag):",
        "",
        "| what broke | incidents | early card |",
        "|---|---|---|",
    ]
    for kind, seen in sorted(data["detected_by_visibility"].items()):
        words = VISIBILITY_WORDS.get(kind, kind)
        lines.append(f"| {words} | {seen['incidents']} | {seen['early']} |")
    causes = data["false_suspicions_by_cause"]
    lines += [
        "",
        "Negative controls injected per provider and month (all at once, on top of the "
        f"incidents and of people asking on ordinary days): single-probe blips of 1–4 checks "
        f"({world.BLIPS_PER_PROBE_PER_DAY} per probe per day), {world.CLICKERS} people each "
        'clicking "Down for me too" 20–40 times while one probe blips, our own network down '
        f"5–30 min ({world.NETWORK_OUTAGES} per month, every provider), {world.CHALLENGES} bot "
        f"challenges of 1–6 h per probe, {world.QUIET_BURSTS} bursts of 3–5 people asking in "
        f"2–3 channels on a quiet day, {world.REGIONAL_BLIPS} regional blips (every probe of "
        "the provider fails 1–4 checks while people in one workspace ask). False suspicions "
        "by cause: " + (", ".join(f"{k}: {v}" for k, v in causes.items()) or "none") + ".",
        "",
        "What a real deployment should expect: early cards for outages that break the API or "
        "the web app the probes call, typically well before the page when the page is slow "
        "(the lead is bounded by the page's own lag, minus about 2–5 minutes for probes to "
        "fail for 2 minutes and people to report); no early card for incidents confined to a "
        "feature no keyless probe reaches (Work Mode, Codex reviews, app-store billing) or to "
        "slowness alone — there the crowd is the only signal, and one signal alone never "
        "raises a suspicion, by design. The crowd figures assume a deployment of "
        f"{world.PEOPLE} people in {world.CHANNELS} channels across {world.WORKSPACES} "
        "workspaces; a single small team will mostly see the several-probes rule fire "
        "(ChatGPT, with an API and a web-app probe) and rarely the crowd rule.",
        "",
    ]
    return lines


def _titles(titles: dict[str, int] | None) -> str:
    if not titles:
        return ""
    return " (" + "; ".join(f"{t[:60]} ×{n}" for t, n in titles.items()) + ")"


def _fmt(value: Any) -> str:
    return "—" if value is None else str(value)
