"""RSS/Atom parsing: the real xAI feed and synthetic Statuspage history feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import PayloadError
from bot.models import Impact, IncidentStatus
from integrations.sources.feed import parse, parse_async

FIXTURES = Path(__file__).parent / "fixtures"
XAI = (FIXTURES / "xai_feed_2026-10-07.xml").read_bytes()
ATOM = (FIXTURES / "synthetic_statuspage_history.atom").read_bytes()
RSS = (FIXTURES / "synthetic_statuspage_history.rss").read_bytes()


def test_xai_items_are_deduplicated_by_guid() -> None:
    assert XAI.count(b"<item>") == 19
    snapshot = parse(XAI)
    assert snapshot.page_name == "SpaceXAI System Status"
    assert snapshot.page_url == "https://status.x.ai"
    assert snapshot.components == ()
    assert [i.id for i in snapshot.incidents] == [
        "ps_d022a635bce02f4a",
        "ps_f64984fa7d669b08",
        "INC578e0bc8",
        "INC698e276c",
        "INC72f6dd00",
        "INC5a3245c3",
    ]
    assert all(i.status is IncidentStatus.RESOLVED for i in snapshot.incidents)
    assert all(not i.components_known for i in snapshot.incidents)


def test_xai_component_names_merged_into_title() -> None:
    incident = next(i for i in parse(XAI).incidents if i.id == "INC578e0bc8")
    assert incident.title == (
        "Outages across API, Grok.com, and Grok Build"
        " — Global (api.x.ai), US (us.api.x.ai), Grok (Build), grok.com"
    )
    models = next(i for i in parse(XAI).incidents if i.id == "INC72f6dd00")
    assert models.title.count(",") == 7  # eight components, one incident


def test_xai_severity_and_timeline() -> None:
    incidents = {i.id: i for i in parse(XAI).incidents}
    assert incidents["INC578e0bc8"].impact is Impact.MAJOR  # outage
    assert incidents["INC5a3245c3"].impact is Impact.MINOR  # disruption
    updates = incidents["INC578e0bc8"].updates
    assert [u.status for u in updates] == [
        IncidentStatus.RESOLVED,
        IncidentStatus.INVESTIGATING,
        IncidentStatus.INVESTIGATING,
    ]
    assert updates[0].at == datetime(2026, 9, 22, 1, 28, 43, tzinfo=UTC)
    assert updates[0].body.startswith("This incident has been resolved. All services")
    assert [u.id for u in updates] == ["INC578e0bc8/3", "INC578e0bc8/2", "INC578e0bc8/1"]
    assert incidents["INC578e0bc8"].started_at == datetime(2026, 9, 22, 1, 2, 42, tzinfo=UTC)


def test_observed_at_from_feed_or_argument() -> None:
    assert parse(XAI).observed_at == datetime(2026, 10, 7, 0, 30, 19, tzinfo=UTC)
    assert parse(ATOM).observed_at == datetime(2026, 10, 7, 21, 44, 41, tzinfo=UTC)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert parse(XAI, now).observed_at == now


def test_statuspage_atom_history() -> None:
    snapshot = parse(ATOM)
    assert snapshot.page_name == "Example AI - Incident History"
    open_incident, resolved = snapshot.incidents
    assert open_incident.id == "27311045"  # from tag:status.example.com,2005:Incident/27311045
    assert open_incident.status is IncidentStatus.MONITORING
    assert open_incident.url == "https://status.example.com/incidents/978mjkgw6mh7"
    assert [u.status.value for u in open_incident.updates] == [
        "monitoring",
        "identified",  # an "Update" label keeps the status before it
        "identified",
        "investigating",
    ]
    assert open_incident.updates[0].at == datetime(2026, 10, 7, 21, 44, tzinfo=UTC)
    assert open_incident.updates[0].body.startswith("A fix has been rolled out")
    assert resolved.status is IncidentStatus.RESOLVED
    (maintenance,) = snapshot.maintenances
    assert maintenance.status is IncidentStatus.COMPLETED
    assert maintenance.impact is Impact.MAINTENANCE
    # "Dec 31" in an entry updated on Jan 1 belongs to the previous year.
    assert [u.at.year for u in maintenance.updates] == [2026, 2025]


def test_statuspage_rss_history() -> None:
    snapshot = parse(RSS)
    assert [(i.id, i.status) for i in snapshot.incidents] == [
        ("978mjkgw6mh7", IncidentStatus.MONITORING),
        ("k1l2m3n4p5q6", IncidentStatus.RESOLVED),
    ]
    assert snapshot.incidents[0].started_at == datetime(2026, 10, 7, 13, 25, 4, tzinfo=UTC)


def test_google_style_title_prefix_and_plain_entries() -> None:
    atom = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Cloud Service Health</title>
<updated>2026-10-01T10:00:00+00:00</updated>
<entry><title>RESOLVED: Vertex AI Gemini API elevated error rates</title>
<id>tag:status.cloud.google.com,2026:feed:abc</id><updated>2026-10-01T10:00:00+00:00</updated>
<content type="html">&lt;p&gt;The issue with Vertex AI has been resolved.&lt;/p&gt;</content>
</entry>
<entry><title>UPDATE: Gemini API degraded performance</title>
<id>tag:status.cloud.google.com,2026:feed:def</id><updated>2026-10-01T09:00:00+00:00</updated>
<content type="html">&lt;p&gt;We are investigating reports of slowness.&lt;/p&gt;</content>
</entry>
</feed>"""
    snapshot = parse(atom)
    resolved, ongoing = snapshot.incidents
    assert resolved.title == "Vertex AI Gemini API elevated error rates"
    assert resolved.status is IncidentStatus.RESOLVED
    assert ongoing.status is IncidentStatus.INVESTIGATING


async def test_parse_async_runs_the_same_parser() -> None:
    assert await parse_async(XAI) == parse(XAI)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff\xfe garbage", b'{"page": {}}', b"<html><body>hi</body></html>", XAI[:300]],
)
def test_not_a_feed_is_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(raw)


def test_bytes_that_look_like_a_path_are_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(XAI)
    with pytest.raises(PayloadError):
        parse(str(secret).encode())


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9, 0.999])
def test_truncated_feed_is_an_error_not_fewer_incidents(fraction: float) -> None:
    for feed in (XAI, ATOM, RSS):
        with pytest.raises(PayloadError, match="truncated"):
            parse(feed[: int(len(feed) * fraction)], datetime(2030, 1, 1, tzinfo=UTC))


def test_sloppy_but_complete_xml_is_read_with_a_warning() -> None:
    sloppy = RSS.replace(b"<title>Login failures", b"<title>Login &nbsp; failures")
    snapshot = parse(sloppy)
    assert len(snapshot.incidents) == 2
    assert snapshot.warnings
