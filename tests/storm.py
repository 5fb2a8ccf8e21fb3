"""A storm of official status-page updates, and an audit of what the chat fakes received.

Used by tests/test_crash.py and scripts/stress.py. The storm is a list of Statuspage
`summary.json` payloads, served one after another; each adds one official update, so the
state machine announces every payload (degraded → updates → outage → updates → restored).
The audit checks the fakes' records against the events the bot committed: every expected
message exactly once, in order per channel, every card in its final (restored) state.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fakes.discord import FakeDiscord
from fakes.pages import SUMMARY_PATH, Incident, SummaryPage
from fakes.slack import FakeSlack

SUMMARY = SUMMARY_PATH
HEALTH_KINDS = ("source_unreachable", "source_recovered")


def summary(incident: Incident | None, at: datetime) -> bytes:
    """One summary.json: ChatGPT in the incident's state, or everything operational."""
    page = SummaryPage("OpenAI", updated_at=at).component("ChatGPT").component("API")
    if incident is not None:
        page.component("ChatGPT", COMPONENT[incident.impact]).add(incident)
    return page.encode()


COMPONENT = {"minor": "degraded_performance", "major": "major_outage"}


def storm(updates: int, per_incident: int = 10, start: datetime | None = None) -> list[bytes]:
    """`updates` payloads after an operational baseline, in incidents of `per_incident`.

    Each incident: degraded + investigating, updates, a major outage half way, updates,
    then resolved (the incident leaves the page and the component is operational).
    """
    at = start or datetime.now(UTC) - timedelta(hours=6)
    payloads = [summary(None, at)]
    number = 0
    while len(payloads) - 1 < updates:
        number += 1
        steps = max(2, min(per_incident, updates - (len(payloads) - 1)))
        incident = Incident(
            f"inc{number}", f"Elevated errors in ChatGPT #{number}", started_at=at,
            components=("ChatGPT",),
        )  # fmt: skip
        for step in range(steps - 1):
            at += timedelta(minutes=1)
            status = "investigating" if step == 0 else ("identified", "monitoring")[step % 2]
            incident.impact = "minor" if step < (steps - 1) // 2 else "major"
            incident.update(
                status, f"Incident {number}, official update {step}.", at, f"i{number}u{step}"
            )
            payloads.append(summary(incident, at))
        at += timedelta(minutes=1)
        payloads.append(summary(None, at))  # resolved: gone from the page, all operational
    return payloads


# --- reading the bot's store ------------------------------------------------------


def source_version(db: Path, source_id: str = "openai") -> int:
    """How many polls the bot has committed for the source (0 before the first)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            row = conn.execute(
                "SELECT version FROM sources WHERE source_id = ?", (source_id,)
            ).fetchone()
        except sqlite3.OperationalError:
            return 0  # schema not created yet
    return int(row[0]) if row else 0


def committed_events(db: Path) -> list[dict[str, Any]]:
    """The incident events the bot committed, oldest first (id, kind, incident, text)."""
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT id, kind, incident_key, payload FROM events ORDER BY id")
        out = []
        for event_id, kind, key, payload in rows:
            data = json.loads(payload) if isinstance(payload, str) else payload
            out.append({"id": event_id, "kind": kind, "incident_key": key, "event": data})
    return [e for e in out if e["kind"] not in HEALTH_KINDS]


def outbox(db: Path) -> dict[tuple[str, str, int], tuple[int, str]]:
    """(platform, channel, event id) -> (outbox id, status)."""
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT id, platform, channel_id, event_id, status FROM outbox")
        return {(p, c, e): (i, s) for i, p, c, e, s in rows if e is not None}


def pending(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()
        return int(row[0])


# --- the audit ----------------------------------------------------------------------


@dataclass
class Figures:
    """What a user would notice, counted over every channel."""

    channels: int = 0
    events: int = 0
    expected: int = 0
    seen: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    out_of_order: int = 0
    cards_not_final: int = 0
    undelivered_rows: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def clean(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.unexpected
            or self.out_of_order
            or self.cards_not_final
        )

    def note(self, problem: str) -> None:
        if len(self.problems) < 40:
            self.problems.append(problem)


@dataclass
class _Seen:
    """Messages as (key, place, final-state flag) in the order the fake recorded them."""

    keys: list[tuple[str, str]] = field(default_factory=list)  # (delivery key, place)
    cards: dict[str, bool] = field(default_factory=dict)  # card key -> in final state


def _expected_keys(
    events: list[dict[str, Any]], rows: dict, platform: str, channel: str, figures: Figures
) -> list[tuple[str, str]]:
    """(key, place) pairs the channel must show, in delivery order."""
    expected: list[tuple[str, str]] = []
    carded: set[str] = set()
    for event in events:
        row = rows.get((platform, channel, event["id"]))
        if row is None:
            figures.note(f"{platform}:{channel}: no outbox row for event {event['id']}")
            figures.undelivered_rows += 1
            continue
        key = f"sb-{row[0]}"
        if row[1] != "sent":
            figures.undelivered_rows += 1
            figures.note(f"{platform}:{channel}: {key} is {row[1]}")
        first = event["incident_key"] not in carded
        carded.add(event["incident_key"])
        restored = event["kind"] == "restored"
        text = bool(event["event"].get("text"))
        if platform == "slack":
            if first:
                expected.append((key, "card"))
            if not first or text or restored:
                expected.append((key + ":r", "thread"))
        else:
            if first:
                expected += [(key, "card"), (key + "t", "thread")]
            else:
                expected.append((key + "t", "thread"))
            if restored and not first:
                expected.append((key + "r", "channel"))
    return expected


def _slack_seen(slack: FakeSlack, channel: str) -> _Seen:
    seen = _Seen()
    for message in slack.messages(channel):
        meta = (message.metadata or {}).get("event_payload") or {}
        key = str(meta.get("delivery_id", "?"))
        place = "thread" if message.thread_ts else "card"
        seen.keys.append((key, place))
        if place == "card":
            header = str((message.blocks or [{}])[0].get("text", {}).get("text", ""))
            seen.cards[key] = header.startswith("🟢") and "Restored after" in header
    return seen


def _discord_seen(fake: FakeDiscord, channel: int) -> _Seen:
    seen = _Seen()
    for message in fake.messages(channel):
        nonce = str(message.get("nonce", "?"))
        if message.get("embeds"):
            seen.keys.append((nonce, "card"))
            title = str(message["embeds"][0].get("title", ""))
            seen.cards[nonce] = "Restored after" in title
            thread = int(message["id"])
            if thread in fake.channels:
                seen.keys += [(str(m.get("nonce", "?")), "thread") for m in fake.messages(thread)]
        else:
            seen.keys.append((nonce, "channel"))
    return seen


def _order_key(key: str) -> int:
    digits = "".join(ch for ch in key.removeprefix("sb-").split(":")[0] if ch.isdigit())
    return int(digits) if digits else -1


def audit_channel(
    figures: Figures, platform: str, channel: str, expected: list[tuple[str, str]], seen: _Seen
) -> None:
    """Compare one channel; Discord thread lines follow their card, so order is per place."""
    counts = Counter(seen.keys)
    for item in expected:
        n = counts.get(item, 0)
        figures.expected += 1
        if n == 0:
            figures.lost += 1
            figures.note(f"{platform}:{channel}: lost {item}")
        else:
            figures.seen += 1
        if n > 1:
            figures.duplicated += n - 1
            figures.note(f"{platform}:{channel}: {item} shown {n} times")
    wanted = set(expected)
    for item, n in counts.items():
        if item not in wanted:
            figures.unexpected += n
            figures.note(f"{platform}:{channel}: unexpected {item} x{n}")
    for place in ("card", "thread", "channel"):
        order = [_order_key(k) for k, p in seen.keys if p == place]
        inversions = sum(1 for a, b in zip(order, order[1:], strict=False) if b < a)
        if inversions:
            figures.out_of_order += inversions
            figures.note(f"{platform}:{channel}: {place} messages out of order: {order}")
    for key, final in seen.cards.items():
        if not final:
            figures.cards_not_final += 1
            figures.note(f"{platform}:{channel}: card {key} is not in its restored state")


def audit(
    db: Path,
    slack: FakeSlack | None,
    slack_channels: list[str],
    discord: FakeDiscord | None,
    discord_channels: list[int],
) -> Figures:
    """Figures for every channel, from the bot's committed events and the fakes' records."""
    return audit_rows(
        committed_events(db), outbox(db), slack, slack_channels, discord, discord_channels
    )


def audit_rows(
    events: list[dict[str, Any]],
    rows: dict[tuple[str, str, int], tuple[int, str]],
    slack: FakeSlack | None,
    slack_channels: list[str],
    discord: FakeDiscord | None,
    discord_channels: list[int],
) -> Figures:
    """`audit` from events and outbox rows already read (any database)."""
    figures = Figures()
    figures.events = len(events)
    if slack is not None:
        for channel in slack_channels:
            expected = _expected_keys(events, rows, "slack", channel, figures)
            audit_channel(figures, "slack", channel, expected, _slack_seen(slack, channel))
            figures.channels += 1
    if discord is not None:
        for cid in discord_channels:
            expected = _expected_keys(events, rows, "discord", str(cid), figures)
            audit_channel(figures, "discord", str(cid), expected, _discord_seen(discord, cid))
            figures.channels += 1
    return figures
