"""What a channel sees from feeds and pages with quirks: `replay --format jsonl`, and polls.

Each case is a real payload (or a variant of one that says what it changes) fed through the
parser and the state machine, asserting the events a user would read.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import SourceConfig
from bot.fetch import FetchResult, Validators
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import Snapshot
from bot.reading import SourceReader
from integrations.sources import parse
from tests.conftest import FIXTURES
from tests.feedcraft import Item, history_rss, without_state_category, xai_feed, xai_item
from tests.feedcraft import xai_timeline as timeline
from tests.test_cli import bot, jsonl

LINK = "https://status.example.com/incidents/abc"


def replay(tmp_path: Path, *payloads: bytes) -> list[dict[str, Any]]:
    files = []
    for n, payload in enumerate(payloads):
        path = tmp_path / f"poll{n}"
        path.write_bytes(payload)
        files.append(str(path))
    result = bot("replay", "--format", "jsonl", *files)
    assert result.returncode == 0, result.stderr
    return jsonl(result.stdout)


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str | None, float | None]]:
    return [(e["kind"], e["at"], e["duration_s"]) for e in events]


def test_feed_listing_its_timeline_oldest_first_restores(tmp_path: Path) -> None:
    # The real xAI item while open (two updates), then resolved; oldest first, and only the
    # timeline (no state category) says it is resolved.
    item = xai_item()
    events = replay(
        tmp_path,
        xai_feed(timeline(item, keep=2, oldest_first=True, resolved=False)),
        xai_feed(without_state_category(timeline(item, keep=3, oldest_first=True, resolved=True))),
    )
    assert kinds(events) == [
        ("outage", "2026-09-22T01:20:08Z", None),
        # From the item's pubDate (01:02:42) to the resolving update (01:28:43).
        ("restored", "2026-09-22T01:28:43Z", 1561.0),
    ]
    assert (
        events[1]["text"] == "This incident has been resolved. All services are operating normally."
    )


def test_feed_new_message_with_the_same_status_word_is_relayed(tmp_path: Path) -> None:
    # One message per item whose pubDate never changes; the channel's pubDate moves.
    pub = "Wed, 07 Oct 2026 14:10:00 +0000"

    def poll(text: str, channel: str) -> bytes:
        return history_rss(
            Item("Elevated errors on the API", LINK, pub, plain=text), pub_date=channel
        )

    events = replay(
        tmp_path,
        poll(
            "Investigating - We are looking into elevated errors.",
            "Wed, 07 Oct 2026 14:12:00 +0000",
        ),
        poll("Investigating - We have narrowed it down.", "Wed, 07 Oct 2026 14:40:00 +0000"),
        poll("Resolved - This incident has been resolved.", "Wed, 07 Oct 2026 15:05:00 +0000"),
    )
    assert kinds(events) == [
        ("degraded", "2026-10-07T14:12:00Z", None),
        ("update", "2026-10-07T14:40:00Z", None),
        ("restored", "2026-10-07T15:05:00Z", 3300.0),  # not 0 s
    ]
    assert events[1]["text"] == "Investigating - We have narrowed it down."
    assert events[2]["text"] == "Resolved - This incident has been resolved."


def test_feed_new_year_incident_lasts_minutes_not_a_year(tmp_path: Path) -> None:
    pub = "Wed, 31 Dec 2025 23:30:00 +0000"
    opened = ("Dec 31, 23:30 UTC", "Investigating", "Some users cannot log in.")
    resolved = ("Jan 1, 00:15 UTC", "Resolved", "This incident has been resolved.")
    events = replay(
        tmp_path,
        history_rss(
            Item("Login failures", LINK, pub, [opened]), pub_date="Wed, 31 Dec 2025 23:31:00 +0000"
        ),
        history_rss(
            Item("Login failures", LINK, pub, [resolved, opened]),
            pub_date="Thu, 01 Jan 2026 00:16:00 +0000",
        ),
    )
    assert kinds(events) == [
        ("degraded", "2025-12-31T23:31:00Z", None),
        ("restored", "2026-01-01T00:16:00Z", 46 * 60.0),
    ]
    assert events[1]["started_at"] == "2025-12-31T23:30:00Z"


def test_summary_with_a_timeless_update_still_announces_its_incident(tmp_path: Path) -> None:
    # The real Anthropic incident, one of its updates stripped of its times, next to an
    # incident with no id: both broken elements are dropped, the incident is announced.
    data = json.loads((FIXTURES / "anthropic_summary_2026-10-07_monitoring.json").read_bytes())
    broken = data["incidents"][0]["incident_updates"][2]
    del broken["display_at"], broken["created_at"]
    data["incidents"].append({"name": "garbage", "status": "investigating"})
    data["components"][3]["status"] = None
    # The healthy page, dated after the incident's (an older copy would be ignored as stale).
    healthy = json.loads((FIXTURES / "anthropic_summary_2026-09-15_operational.json").read_bytes())
    healthy["page"]["updated_at"] = "2026-10-08T00:00:00.000Z"
    events = replay(tmp_path, json.dumps(data).encode(), json.dumps(healthy).encode())
    assert [(e["kind"], e["incident_id"]) for e in events] == [
        ("outage", "978mjkgw6mh7"),
        ("restored", "978mjkgw6mh7"),
    ]
    assert events[0]["components"] == ["Claude Console (platform.claude.com)"]
    assert events[0]["text"].startswith("We've mitigated the errors")


class Canned:
    """A feed server answering each poll with the next body."""

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = list(bodies)

    async def fetch(self, url: str, **_: Any) -> FetchResult:
        body = self.bodies.pop(0)
        return FetchResult(False, body, Validators(None), 200, len(body))


def test_feed_without_any_date_restores_by_poll_times() -> None:
    def item(text: str) -> bytes:
        return history_rss(Item("Elevated errors on the API", LINK, None, plain=text))

    fetcher = Canned(
        item("Investigating - We are looking into elevated errors."),
        item("Investigating - We are looking into elevated errors."),
        item("Resolved - This incident has been resolved."),
    )
    source = SourceConfig(kind="rss", url="https://status.example.com/history.rss")
    settings = MachineSettings(provider="example", source_id="example")
    reader = SourceReader(source, fetcher, parse)
    state, seen = ALL_OPERATIONAL, []
    first = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
    for n in range(3):
        now = first + timedelta(minutes=10 * n)
        reading = asyncio.run(reader.read(now))
        assert isinstance(reading.observation, Snapshot)
        state, events = transition(state, reading.observation, settings)
        seen.extend(events)
    assert [(e.kind.value, e.at, e.duration_s) for e in seen] == [
        ("degraded", first, None),  # the same undated text on the next poll is no news
        ("restored", first + timedelta(minutes=20), 1200.0),
    ]
    assert seen[1].text == "Resolved - This incident has been resolved."


def test_replay_dates_an_undated_feed_by_its_files(tmp_path: Path) -> None:
    def item(text: str) -> bytes:
        return history_rss(Item("Elevated errors on the API", LINK, None, plain=text))

    payloads = [
        item("Investigating - We are looking into elevated errors."),
        item("Resolved - This incident has been resolved."),
    ]
    files = []
    first = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
    for n, payload in enumerate(payloads):
        path = tmp_path / f"poll{n}.rss"
        path.write_bytes(payload)
        stamp = (first + timedelta(minutes=25 * n)).timestamp()
        os.utime(path, (stamp, stamp))  # when each copy was captured
        files.append(str(path))
    result = bot("replay", "--format", "jsonl", *files)
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    assert kinds(events) == [
        ("degraded", "2026-10-08T09:00:00Z", None),
        ("restored", "2026-10-08T09:25:00Z", 1500.0),
    ]
    assert events[1]["text"] == "Resolved - This incident has been resolved."
    assert "dated by the file" in result.stderr
