"""Raw wire shapes of Statuspage v2 `summary.json`, as served (not as we would like them).

Atlassian pages send every key; incident.io's compatible output (OpenAI) leaves out
`components`/`shortlink`/`started_at` on incidents, component groups, and sometimes the
`incidents` and `scheduled_maintenances` keys. Hence `total=False` nearly everywhere:
the parser must check every key it reads.
"""

from __future__ import annotations

from typing import TypedDict


class RawPage(TypedDict, total=False):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str


class RawStatus(TypedDict, total=False):
    indicator: str  # none | minor | major | critical | maintenance
    description: str


class RawComponent(TypedDict, total=False):
    id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    position: int  # reshuffled between polls on incident.io: ignore
    description: str | None
    page_id: str
    # Atlassian only:
    group: bool
    group_id: str | None
    components: list[str]  # on group components: the ids of their children
    only_show_if_degraded: bool
    showcase: bool
    start_date: str | None


class RawAffectedComponent(TypedDict, total=False):
    code: str
    name: str
    old_status: str
    new_status: str


class RawIncidentUpdate(TypedDict, total=False):
    id: str
    incident_id: str
    status: str
    body: str | None
    created_at: str
    display_at: str | None
    updated_at: str
    # Atlassian only:
    affected_components: list[RawAffectedComponent] | None
    custom_tweet: str | None
    deliver_notifications: bool
    tweet_id: str | None


class RawIncident(TypedDict, total=False):
    id: str
    name: str
    status: str
    impact: str
    created_at: str
    updated_at: str
    monitoring_at: str | None
    page_id: str
    incident_updates: list[RawIncidentUpdate]
    # Atlassian only (absent on incident.io):
    components: list[RawComponent]
    shortlink: str
    started_at: str
    resolved_at: str | None
    reminder_intervals: str | list[int] | None  # null, a list, or the string "[]"
    # Scheduled maintenances only:
    scheduled_for: str
    scheduled_until: str


class RawSummary(TypedDict, total=False):
    page: RawPage
    status: RawStatus
    components: list[RawComponent]
    incidents: list[RawIncident]  # missing on incident.io when nothing is open
    scheduled_maintenances: list[RawIncident]  # missing on incident.io
