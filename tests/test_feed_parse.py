"""RSS/Atom parsing: the real xAI feed and synthetic Statuspage history feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import PayloadError
from bot.models import Impact, IncidentStatus
from integrations.sources.feed import parse, parse_async
from tests.feedcraft import (
    Item,
    history_rss,
    without_state_category,
    xai_feed,
    xai_item,
    xai_timeline,
)

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
    assert len({u.id for u in updates}) == 3
    assert all(u.id.startswith("INC578e0bc8/") for u in updates)
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
    # The earliest moment known: the first update (minutes only) precedes the item's pubDate.
    assert snapshot.incidents[0].started_at == datetime(2026, 10, 7, 13, 25, tzinfo=UTC)


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
    assert snapshot.warnings == ("feed is not well-formed XML (undefined entity); read leniently",)


# --- updates: their order, their identity, the feed's clock, dates without a year -----------

ITEM = xai_item()  # the real "Outages across API, Grok.com, and Grok Build" item, 3 updates
LINK = "https://status.example.com/incidents/978mjkgw6mh7"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("oldest_first", [False, True], ids=["newest-first", "oldest-first"])
def test_updates_are_ordered_by_their_own_times(oldest_first: bool) -> None:
    item = xai_timeline(ITEM, keep=3, oldest_first=oldest_first, resolved=True)
    (incident,) = parse(xai_feed(without_state_category(item))).incidents
    # Only the timeline says "Resolved", and it says it last when listed oldest first.
    assert incident.status is IncidentStatus.RESOLVED
    assert [u.at for u in incident.updates] == [
        at("2026-09-22 01:28:43"),
        at("2026-09-22 01:20:08"),
        at("2026-09-22 01:03:07"),
    ]
    assert [u.status for u in incident.updates] == [
        IncidentStatus.RESOLVED,
        IncidentStatus.INVESTIGATING,
        IncidentStatus.INVESTIGATING,
    ]
    assert incident.updates[0].body == (
        "This incident has been resolved. All services are operating normally."
    )
    assert incident.started_at == at("2026-09-22 01:02:42")  # the item's pubDate
    newest_first = parse(xai_feed(ITEM)).incidents[0]
    assert [u.id for u in incident.updates] == [u.id for u in newest_first.updates]


def test_an_update_label_keeps_the_status_before_it_in_either_order() -> None:
    timeline = [
        ("Oct 7, 17:28 UTC", "Update", "We are continuing to work on a fix."),
        ("Oct 7, 16:36 UTC", "Identified", "The issue has been identified."),
        ("Oct 7, 13:25 UTC", "Investigating", "We are investigating elevated errors."),
    ]
    for order in (timeline, timeline[::-1]):
        feed = history_rss(Item("Errors", LINK, "Wed, 07 Oct 2026 13:25:04 +0000", order))
        (incident,) = parse(feed).incidents
        assert incident.status is IncidentStatus.IDENTIFIED
        assert [u.status.value for u in incident.updates] == [
            "identified",
            "identified",
            "investigating",
        ]


FIRST = ("Oct 7, 14:10 UTC", "Investigating", "We are looking into elevated errors.")
PUB = "Wed, 07 Oct 2026 14:10:00 +0000"


@pytest.mark.parametrize(
    ("before", "after", "new_update"),
    [
        pytest.param(
            Item("E", LINK, PUB, [FIRST]), Item("E", LINK, PUB, [FIRST]), False, id="same"
        ),
        pytest.param(
            Item("E", LINK, PUB, [FIRST]),
            Item(
                "E",
                LINK,
                PUB,
                [("Oct 7, 14:40 UTC", "Investigating", "We have narrowed it down."), FIRST],
            ),
            True,
            id="new-message-same-status-word",
        ),
        pytest.param(
            Item("E", LINK, PUB, plain="Investigating - We are looking into elevated errors."),
            Item("E", LINK, PUB, plain="Investigating - We have narrowed it down."),
            True,
            id="one-message-entry-rewritten-pubdate-unchanged",
        ),
        pytest.param(
            Item("E", LINK, PUB, [("Oct 7, 14:10 UTC", "Update", FIRST[2])]),
            Item("E", LINK, PUB, [FIRST]),
            False,
            id="same-time-and-text-relabelled",
        ),
        pytest.param(
            Item("E", LINK, PUB, [("Oct 7, 14:10 UTC", "Identified", "Still working on it.")]),
            Item(
                "E",
                LINK,
                PUB,
                [
                    ("Oct 7, 15:10 UTC", "Identified", "Still working on it."),
                    ("Oct 7, 14:10 UTC", "Identified", "Still working on it."),
                ],
            ),
            True,
            id="same-text-later-time",
        ),
    ],
)
def test_an_update_is_identified_by_its_time_and_text(
    before: Item, after: Item, new_update: bool
) -> None:
    (old,) = parse(history_rss(before, pub_date=PUB)).incidents
    (new,) = parse(history_rss(after, pub_date=PUB)).incidents
    assert (new.updates[0].id != old.updates[0].id) is new_update
    # An update still listed keeps its id as newer ones arrive.
    kept = {(u.at, u.body): u.id for u in old.updates}
    assert all(kept.get((u.at, u.body), u.id) == u.id for u in new.updates)
    assert len({u.id for u in new.updates}) == len(new.updates)


def test_the_same_undated_text_twice_is_two_updates() -> None:
    twice = Item(
        "E", LINK, PUB, [(None, "Update", "Still working."), (None, "Update", "Still working.")]
    )
    (incident,) = parse(history_rss(twice)).incidents
    assert len({u.id for u in incident.updates}) == 2


TIMELINE = [
    ("Oct 7, 21:44 UTC", "Monitoring", "A fix has been rolled out."),
    ("Oct 7, 13:25 UTC", "Investigating", "We are investigating elevated errors."),
]


@pytest.mark.parametrize(
    ("channel", "clock"),
    [
        pytest.param(
            {
                "last_build": "Wed, 07 Oct 2026 22:00:00 +0000",
                "pub_date": "Wed, 07 Oct 2026 21:50:00 +0000",
            },
            at("2026-10-07 22:00"),
            id="lastBuildDate",
        ),
        pytest.param(
            {"pub_date": "Wed, 07 Oct 2026 21:50:00 +0000"}, at("2026-10-07 21:50"), id="pubDate"
        ),
        # No channel date: the newest time in any entry, timeline included.
        pytest.param({}, at("2026-10-07 21:44"), id="newest-entry"),
    ],
)
def test_the_feed_clock_is_the_channel_date(channel: dict[str, str], clock: datetime) -> None:
    raw = history_rss(Item("E", LINK, "Wed, 07 Oct 2026 13:25:04 +0000", TIMELINE), **channel)
    snapshot = parse(raw)
    assert snapshot.page_updated_at == clock
    assert snapshot.observed_at == clock  # replay dates events by the feed's own clock
    polled = datetime(2026, 10, 8, tzinfo=UTC)
    assert parse(raw, polled).observed_at == polled
    assert parse(raw, polled).page_updated_at == clock


def test_real_feeds_clock() -> None:
    assert parse(RSS).page_updated_at == at("2026-10-07 21:44:41")  # channel pubDate
    assert parse(ATOM).page_updated_at == at("2026-10-07 21:44:41")  # feed <updated>
    assert parse(XAI).page_updated_at == at("2026-10-07 00:30:19")  # newest update


@pytest.mark.parametrize(
    ("item_date", "dates", "expected"),
    [
        pytest.param(
            "Wed, 31 Dec 2025 23:30:00 +0000",
            ["Jan 1, 00:15 UTC", "Dec 31, 23:30 UTC"],
            [at("2026-01-01 00:15"), at("2025-12-31 23:30")],
            id="new-year-item-dated-before",
        ),
        pytest.param(
            "Thu, 01 Jan 2026 00:20:00 +0000",
            ["Jan 1, 00:15 UTC", "Dec 31, 23:30 UTC"],
            [at("2026-01-01 00:15"), at("2025-12-31 23:30")],
            id="new-year-item-dated-after",
        ),
        pytest.param(
            "Wed, 07 Oct 2026 13:25:04 +0000",
            ["Oct 7, 21:44 UTC"],
            [at("2026-10-07 21:44")],
            id="same-day",
        ),
        pytest.param(
            "Wed, 07 Oct 2026 13:25:04 +0000",
            ["Oct 7, 2024 - 21:44 UTC"],
            [at("2024-10-07 21:44")],
            id="explicit-year-wins",
        ),
        pytest.param(
            "Sun, 01 Mar 2026 10:00:00 +0000",
            ["Feb 29, 09:00 UTC"],
            [at("2026-03-01 10:00")],  # no leap year near: the item's own date
            id="no-such-day-near",
        ),
    ],
)
def test_dates_without_a_year_take_the_year_next_to_the_item(
    item_date: str, dates: list[str], expected: list[datetime]
) -> None:
    timeline = [(d, "Investigating", f"message {n}") for n, d in enumerate(dates)]
    (incident,) = parse(history_rss(Item("E", LINK, item_date, timeline))).incidents
    assert [u.at for u in incident.updates] == expected


def test_a_feed_with_no_dates_uses_the_poll_time() -> None:
    raw = history_rss(
        Item("Elevated errors", LINK, None, plain="Resolved - This incident has been resolved.")
    )
    with pytest.raises(PayloadError, match="timestamp"):
        parse(raw)
    polled = datetime(2026, 10, 8, 9, 30, tzinfo=UTC)
    snapshot = parse(raw, polled)
    (incident,) = snapshot.incidents
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.updates[0].body == "Resolved - This incident has been resolved."
    assert (incident.updates[0].at, incident.started_at) == (polled, polled)
    assert snapshot.page_updated_at is None
    # The poll time is not part of the update's identity: the next poll sees the same update.
    later = parse(raw, datetime(2026, 10, 8, 10, 0, tzinfo=UTC)).incidents[0]
    assert later.updates[0].id == incident.updates[0].id


def test_updates_with_unreadable_dates_take_the_item_date_in_feed_order() -> None:
    timeline = [
        ("sometime", "Resolved", "This incident has been resolved."),
        ("earlier", "Investigating", "We are investigating."),
    ]
    (incident,) = parse(history_rss(Item("E", LINK, PUB, timeline))).incidents
    assert incident.status is IncidentStatus.RESOLVED
    assert [u.at for u in incident.updates] == [at("2026-10-07 14:10")] * 2
    assert [u.body for u in incident.updates] == [
        "This incident has been resolved.",
        "We are investigating.",
    ]


def test_an_entry_that_cannot_be_named_is_skipped_with_a_warning() -> None:
    nameless = "<item><description>Investigating - something</description></item>"
    raw = RSS.replace(b"<item>", nameless.encode() + b"<item>", 1)
    snapshot = parse(raw)
    assert [i.id for i in snapshot.incidents] == ["978mjkgw6mh7", "k1l2m3n4p5q6"]
    assert snapshot.warnings == ("entry #1 skipped: no id, link or title",)


# --- what each part of a feed becomes -------------------------------------------------------


def one_entry_atom(entry: str, feed_extra: str = "<title>Feed</title>") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"{feed_extra}<updated>2026-10-07T12:00:00Z</updated><entry>{entry}</entry></feed>"
    ).encode()


def rss_with_categories(*terms: str, description: str = "We are looking into it.") -> bytes:
    categories = "".join(f"<category>{t}</category>" for t in terms)
    return history_rss(Item("E", LINK, PUB, plain=description)).replace(
        b"</item>", categories.encode() + b"</item>"
    )


@pytest.mark.parametrize(
    ("terms", "impact", "still_open"),
    [
        ((), Impact.MINOR, True),
        (("outage",), Impact.MAJOR, True),
        (("Critical",), Impact.MAJOR, True),
        (("major",), Impact.MAJOR, True),
        (("disruption",), Impact.MINOR, True),
        (("degraded performance",), Impact.MINOR, True),
        (("minor", "outage"), Impact.MAJOR, True),  # the worst hint wins, in either order
        (("outage", "minor"), Impact.MAJOR, True),
        (("cosmic rays",), Impact.MINOR, True),
        (("outage", "resolved"), Impact.MAJOR, False),
        (("in_progress",), Impact.MAINTENANCE, True),
        (("Status: completed",), Impact.MAINTENANCE, False),
    ],
)
def test_categories_give_impact_and_state(
    terms: tuple[str, ...], impact: Impact, still_open: bool
) -> None:
    snapshot = parse(rss_with_categories(*terms))
    (incident,) = snapshot.incidents + snapshot.maintenances
    assert incident.impact is impact
    assert incident.status.is_closed is not still_open
    assert (incident in snapshot.maintenances) is (impact is Impact.MAINTENANCE)


def test_severity_written_in_the_text_counts() -> None:
    (incident,) = parse(rss_with_categories(description="<p>Severity: major outage</p>")).incidents
    assert incident.impact is Impact.MAJOR


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("We are investigating. It was identified later.", IncidentStatus.INVESTIGATING),
        ("Identified earlier; now monitoring.", IncidentStatus.IDENTIFIED),
        ("This incident has been resolved.", IncidentStatus.RESOLVED),
        ("Scheduled maintenance is in progress.", IncidentStatus.SCHEDULED),
        ("Nothing to say.", IncidentStatus.INVESTIGATING),
    ],
)
def test_one_message_entry_status_is_its_first_status_word(
    text: str, status: IncidentStatus
) -> None:
    snapshot = parse(history_rss(Item("E", LINK, PUB, plain=text)))
    (incident,) = snapshot.incidents + snapshot.maintenances
    assert incident.status is status
    assert incident.updates[0].body == text


def test_a_closed_category_wins_over_the_timeline_and_an_open_one_fills_in() -> None:
    (closed,) = parse(
        rss_with_categories("resolved", description="We are investigating.")
    ).incidents
    assert closed.status is IncidentStatus.RESOLVED
    assert closed.updates[0].status is IncidentStatus.INVESTIGATING
    (hinted,) = parse(rss_with_categories("monitoring", description="No word here.")).incidents
    assert hinted.status is IncidentStatus.MONITORING


@pytest.mark.parametrize(
    ("title", "expected_title", "status"),
    [
        ("RESOLVED: API errors", "API errors", IncidentStatus.RESOLVED),
        ("Update: API errors", "API errors", IncidentStatus.INVESTIGATING),
        ("Note: API errors", "Note: API errors", IncidentStatus.INVESTIGATING),
        ("[Voice] Identified: API errors", "API errors — Voice", IncidentStatus.IDENTIFIED),
        ("", "(untitled incident)", IncidentStatus.INVESTIGATING),
    ],
)
def test_title_prefixes(title: str, expected_title: str, status: IncidentStatus) -> None:
    item = Item(title, LINK, PUB, plain="Nothing to say.")
    (incident,) = parse(history_rss(item)).incidents
    assert (incident.title, incident.status) == (expected_title, status)


@pytest.mark.parametrize(
    ("entry_id", "expected"),
    [
        ("tag:status.example.com,2005:Incident/27311045", "27311045"),
        ("tag:status.example.com,2005:Maintenance/99", "99"),
        ("https://status.example.com/incidents/978mjkgw6mh7", "978mjkgw6mh7"),
        ("https://status.example.com/maintenances/abc/", "abc"),
        ("urn:uuid:1234", "urn:uuid:1234"),
    ],
)
def test_incident_ids_from_entry_ids(entry_id: str, expected: str) -> None:
    raw = one_entry_atom(f"<id>{entry_id}</id><title>T</title><summary>Investigating</summary>")
    assert parse(raw).incidents[0].id == expected


def test_atom_content_is_read_before_the_summary() -> None:
    raw = one_entry_atom(
        "<id>x</id><title>T</title><summary>Investigating - short</summary>"
        '<content type="html">Resolved - the full text</content>'
    )
    (incident,) = parse(raw).incidents
    assert incident.updates[0].body == "Resolved - the full text"
    assert incident.status is IncidentStatus.RESOLVED


def test_entry_without_id_or_link_is_keyed_by_its_title() -> None:
    raw = one_entry_atom("<title>Login failures</title><summary>Investigating</summary>")
    (incident,) = parse(raw).incidents
    assert (incident.id, incident.url) == ("Login failures", None)


def test_feed_without_title_link_or_subtitle() -> None:
    raw = one_entry_atom("<id>x</id><title>T</title><summary>Investigating</summary>", "")
    snapshot = parse(raw)
    assert (snapshot.page_name, snapshot.page_url, snapshot.description) == (
        "status feed",
        None,
        "",
    )


def test_xai_copies_merge_components_once_and_keep_the_earliest_date() -> None:
    item = xai_item()
    later = item.replace(
        b"Tue, 22 Sep 2026 01:02:42 GMT</pubDate>", b"Tue, 22 Sep 2026 02:00:00 GMT</pubDate>"
    )
    shorter = re.sub(rb"<div>.*?</div>", b"", later, count=1)
    (incident,) = parse(xai_feed(shorter, item, item)).incidents
    assert incident.title == "Outages across API, Grok.com, and Grok Build — Global (api.x.ai)"
    assert incident.started_at == at("2026-09-22 01:02:42")
    assert len(incident.updates) == 3  # the longest timeline of the copies


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"just text", "not an RSS or Atom feed"),
        (
            history_rss(Item("E", LINK, None, plain="Investigating")),
            "feed has no timestamp to date it",
        ),
        (RSS[:-40], "feed ends early (truncated XML)"),
    ],
)
def test_feed_errors_say_what_is_wrong(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse(raw)
    assert info.value.reason == reason


def test_only_bytes_are_parsed() -> None:
    with pytest.raises(PayloadError, match="expected bytes"):
        parse(XAI.decode())  # type: ignore[arg-type]
    assert parse(bytearray(RSS)) == parse(RSS)


async def test_parse_async_passes_the_poll_time() -> None:
    polled = datetime(2030, 1, 1, tzinfo=UTC)
    assert (await parse_async(XAI, polled)).observed_at == polled


@pytest.mark.parametrize(
    ("polled", "expected"),
    [
        (datetime.fromisoformat("2030-01-01T12:00:00"), datetime(2030, 1, 1, 12, 0, tzinfo=UTC)),
        (
            datetime.fromisoformat("2030-01-01T14:00:00+02:00"),
            datetime(2030, 1, 1, 12, 0, tzinfo=UTC),
        ),
    ],
)
def test_poll_time_is_always_utc(polled: datetime, expected: datetime) -> None:
    observed = parse(XAI, polled).observed_at
    assert observed == expected
    assert observed.tzinfo is UTC


@pytest.mark.parametrize(
    ("date_text", "expected"),
    [
        ("Tue, 22 Sep 2026 03:28:43 +0200", at("2026-09-22 01:28:43")),
        ("Tue, 22 Sep 2026 01:28:43 -0000", at("2026-09-22 01:28:43")),  # "zone unknown"
        ("Sep 22, 01:28 UTC", at("2026-09-22 01:28")),
        ("Sept. 22, 2026, 01:28", at("2026-09-22 01:28")),
        ("Smarch 22, 01:28", at("2026-09-22 09:00")),  # no such month: the item's date
    ],
)
def test_timeline_dates(date_text: str, expected: datetime) -> None:
    item = Item("E", LINK, "Tue, 22 Sep 2026 09:00:00 +0000", [(date_text, "Monitoring", "t")])
    (incident,) = parse(history_rss(item)).incidents
    assert incident.updates[0].at == expected


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("Resolved", IncidentStatus.RESOLVED),
        ("status: Monitoring", IncidentStatus.MONITORING),
        ("In progress", IncidentStatus.IN_PROGRESS),
        ("in_progress", IncidentStatus.IN_PROGRESS),
        ("Verifying", IncidentStatus.VERIFYING),
        ("Postmortem", IncidentStatus.POSTMORTEM),
        ("Completed", IncidentStatus.COMPLETED),
        ("Scheduled", IncidentStatus.SCHEDULED),
        ("Identified", IncidentStatus.IDENTIFIED),
        ("Investigating", IncidentStatus.INVESTIGATING),
    ],
)
def test_timeline_status_words(word: str, status: IncidentStatus) -> None:
    (incident,) = [
        *(snapshot := parse(history_rss(Item("E", LINK, PUB, [(FIRST[0], word, "t")])))).incidents,
        *snapshot.maintenances,
    ]
    assert incident.status is status
    assert incident.updates[0].status is status


def test_a_repeated_undated_text_keeps_the_older_copy_id() -> None:
    once = Item("E", LINK, PUB, [(None, "Update", "Still working.")])
    twice = Item("E", LINK, PUB, [(None, "Update", "Still working."), *once.timeline])
    (first,) = parse(history_rss(once)).incidents
    (second,) = parse(history_rss(twice)).incidents
    assert second.updates[1].id == first.updates[0].id
    assert second.updates[0].id != first.updates[0].id


def test_copies_of_an_item_pool_their_categories() -> None:
    item = xai_item()
    still_open = item.replace(b"<category>resolved</category>", b"")
    (incident,) = parse(xai_feed(still_open, item)).incidents
    assert incident.status is IncidentStatus.RESOLVED
    (incident,) = parse(xai_feed(item, still_open)).incidents
    assert incident.status is IncidentStatus.RESOLVED


def test_the_feed_subtitle_is_the_page_description() -> None:
    raw = one_entry_atom(
        "<id>tag:x,2026:1</id><title>API errors</title>",
        feed_extra="<title>Feed</title><subtitle>Status of the Example API</subtitle>",
    )
    assert parse(raw).description == "Status of the Example API"


def test_an_atom_entry_without_published_is_dated_by_its_updated() -> None:
    raw = one_entry_atom(
        "<id>tag:x,2026:1</id><title>API errors</title>"
        "<updated>2026-10-07T11:00:00Z</updated>"
        '<content type="html">We are investigating.</content>'
    )
    (incident,) = parse(raw).incidents
    assert incident.updates[0].at == datetime(2026, 10, 7, 11, 0, tzinfo=UTC)


def test_text_instead_of_bytes_is_refused_by_name() -> None:
    with pytest.raises(PayloadError, match="^expected bytes$"):
        parse("<rss/>")  # type: ignore[arg-type]
