"""Prometheus metrics (prometheus-client); served at /metrics by the health server."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
