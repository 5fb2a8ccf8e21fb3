"""Prometheus metrics (prometheus-client); served at /metrics by the health server."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

POLLS = Counter("statusbot_polls_total", "Polls of status sources", ["source", "outcome"])
EVENTS = Counter("statusbot_events_total", "Events emitted by the state machine", ["kind"])
DELIVERIES = Counter(
    "statusbot_deliveries_total", "Chat deliveries by outcome", ["platform", "outcome"]
)
OUTBOX_DEPTH = Gauge("statusbot_outbox_depth", "Deliveries waiting in the outbox")
DELIVERY_LATENCY = Histogram(
    "statusbot_delivery_latency_seconds",
    "From the observation that caused an event to its delivery",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
)
POLL_DURATION = Histogram(
    "statusbot_poll_duration_seconds", "Fetch and process one poll", ["source"]
)
OFFICIAL_LAG = Histogram(
    "statusbot_official_lag_seconds",
    "From an official update's own timestamp to when we saw it",
    ["source"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600),
)
SOURCE_UP = Gauge("statusbot_source_up", "1 when the source's last poll succeeded", ["source"])
STALE_SNAPSHOTS = Counter(
    "statusbot_stale_snapshots_total",
    "Copies of a status page older than one already seen (CDN caches), ignored",
    ["source"],
)
SOURCE_LAST_SUCCESS = Gauge(
    "statusbot_source_last_success_timestamp_seconds",
    "Unix time of the source's last successful poll, as recorded in the store",
    ["source"],
)
DEAD_LETTERS = Gauge(
    "statusbot_dead_letters", "Deliveries given up on after max_attempts (`statusbot outbox`)"
)
CHAT_CONNECTED = Gauge(
    "statusbot_chat_connected", "1 while the chat platform's connection is up", ["platform"]
)
EARLY_EPISODES = Counter(
    "statusbot_early_episodes_total",
    "Early-warning episodes by outcome: suspected, confirmed (after our suspicion), "
    "page_first (the page confirmed before we suspected), false_alarm",
    ["provider", "outcome"],
)
_LAG_BUCKETS = (0, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200)
PAGE_CONFIRM_LAG = Histogram(
    "statusbot_page_confirm_lag_seconds",
    "From our first signal to the official page confirming the incident",
    ["provider"],
    buckets=_LAG_BUCKETS,
)
PROBE_RECOVERY_LEAD = Histogram(
    "statusbot_probe_recovery_lead_seconds",
    "How long before the official page resolved an incident our probes saw recovery",
    ["provider"],
    buckets=_LAG_BUCKETS,
)
# From the store at each scrape, so every replica reports the same and a restart forgets nothing.
PAGE_LAG_MEDIAN = Gauge(
    "statusbot_page_confirm_lag_median_seconds",
    "Median, over the stored episodes, of how long after our first signal the page confirmed",
    ["provider"],
)
RECOVERY_LEAD_MEDIAN = Gauge(
    "statusbot_probe_recovery_lead_median_seconds",
    "Median, over the stored episodes, of how long before the page our probes saw recovery",
    ["provider"],
)
NEVER_ACKNOWLEDGED = Gauge(
    "statusbot_page_never_acknowledged",
    "Stored suspicions the official page never confirmed (false alarms, or outages it never "
    "admitted)",
    ["provider"],
)
BUILD_INFO = Info("statusbot_build", "The running statusbot's version")


def set_build_info() -> None:
    """statusbot_build_info{version, python} 1."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("statusbot")
    except PackageNotFoundError:
        ours = "unknown"
    BUILD_INFO.info({"version": ours, "python": platform.python_version()})


PROBE_STATUS = Gauge(
    "statusbot_probe_up",
    "1 while the provider's probe answers as it does when up (0 failing, -1 inconclusive)",
    ["probe"],
)
PROBE_LATENCY = Histogram(
    "statusbot_probe_latency_seconds",
    "How long a probe's answer took",
    ["probe"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
NETWORK_DOWN = Gauge(
    "statusbot_own_network_down",
    "1 while every provider's probes fail at once (the fault is probably ours)",
)
CROWD_REPORTS = Counter(
    "statusbot_crowd_reports_total",
    "Reports counted from the chat crowd (ask, down, works)",
    ["provider", "kind"],
)
FUSED_LEVEL = Gauge(
    "statusbot_fused_level",
    "What the bot believes of a provider: 0 operational, 1 suspected, 2 confirmed",
    ["provider"],
)
