"""Whatever the outside world sends, parsers give a Snapshot or a PayloadError, nothing else."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import SourceConfig
from bot.errors import PayloadError
from bot.fetch import FetchResult, Validators
from bot.models import FetchFailure, Snapshot
from bot.reading import SourceReader
from integrations.sources import (
    betterstack,
    feed,
    gcp,
    incidentio,
    instatus,
    parse,
    parse_any,
    statuspage,
)

FIXTURES = Path(__file__).parent / "fixtures"
JSON_FIXTURES = [json.loads(p.read_bytes()) for p in sorted(FIXTURES.glob("*_summary_*.json"))]
XML_FIXTURES = [
    (FIXTURES / name).read_bytes()
    for name in (
        "xai_feed_2026-10-07.xml",
        "synthetic_statuspage_history.atom",
        "synthetic_statuspage_history.rss",
    )
]
# Real payloads of the other JSON formats, mutated the same way.
OTHER_JSON = {
    "gcp": [
        json.loads(p.read_bytes())
        for p in sorted((FIXTURES / "gcp").glob("*.json"))
        if "capture" not in p.name  # the 116 KB capture makes each example slow, not harder
    ],
    "betterstack": [
        json.loads(p.read_bytes()) for p in sorted((FIXTURES / "betterstack").glob("*"))
    ],
    "instatus": [json.loads(p.read_bytes()) for p in sorted((FIXTURES / "instatus").glob("*"))],
}
COMPONENTS_LIST = json.loads(
    (
        FIXTURES / "incident_io" / "CONSTRUCTED_openai_components_union_of_two_summaries.json"
    ).read_bytes()
)
NEW_PARSERS = {"gcp": gcp.parse, "betterstack": betterstack.parse, "instatus": instatus.parse}
NOW = datetime(2026, 10, 8, tzinfo=UTC)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUMMARY_KEYS = [
    "page", "status", "components", "incidents", "scheduled_maintenances", "id", "name",
    "status", "impact", "updated_at", "created_at", "started_at", "incident_updates",
    "group", "group_id", "shortlink", "display_at", "body", "url", "indicator",
    # Google Cloud, Better Stack, Instatus:
    "begin", "end", "created", "modified", "when", "updates", "status_impact", "severity",
    "affected_products", "data", "included", "attributes", "relationships", "type",
    "aggregate_state", "published_at", "starts_at", "ends_at", "affected_resources",
    "status_page_resource_id", "activeIncidents", "activeMaintenances", "started", "start",
]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-10-07T13:25:04.155Z", "0001-01-01T00:00:00+01:00", "operational"]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(SUMMARY_KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)


def only_snapshot_or_payload_error(parse: Any, raw: bytes) -> None:
    for observed_at in (None, NOW):
        try:
            result = parse(raw, observed_at)
        except PayloadError as exc:
            reason = exc.reason
        else:
            assert isinstance(result, Snapshot)
            assert result.observed_at.tzinfo is not None
            continue
        assert 0 < len(reason) < 120


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    items = (
        tree.items()
        if isinstance(tree, dict)
        else enumerate(tree)
        if isinstance(tree, list)
        else []
    )
    for key, value in items:
        out.append((*prefix, key))
        out.extend(paths(value, (*prefix, key)))
    return out


def mutate(draw: st.DrawFn, original: Any) -> bytes:
    """A copy of a real payload with a few keys deleted or values replaced by random JSON."""
    tree = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        candidates = paths(tree)
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return json.dumps(tree).encode()


@st.composite
def mutated_summaries(draw: st.DrawFn) -> bytes:
    """A real summary with a few keys deleted or values replaced by random JSON."""
    return mutate(draw, draw(st.sampled_from(JSON_FIXTURES)))


@st.composite
def mutated_others(draw: st.DrawFn) -> tuple[str, bytes]:
    """(format, a mutated real payload of that format)."""
    fmt = draw(st.sampled_from(sorted(OTHER_JSON)))
    return fmt, mutate(draw, draw(st.sampled_from(OTHER_JSON[fmt])))


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    """A feed fixture with a slice cut out, replaced by random bytes."""
    raw = draw(st.sampled_from(XML_FIXTURES))
    start = draw(st.integers(0, len(raw)))
    end = draw(st.integers(start, min(len(raw), start + 400)))
    return raw[:start] + draw(st.binary(max_size=40)) + raw[end:]


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw: bytes) -> None:
    only_snapshot_or_payload_error(statuspage.parse, raw)
    only_snapshot_or_payload_error(feed.parse, raw)
    only_snapshot_or_payload_error(parse_any, raw)
    for parser in NEW_PARSERS.values():
        only_snapshot_or_payload_error(parser, raw)


@FUZZ
@given(json_values)
def test_arbitrary_json(value: Any) -> None:
    raw = json.dumps(value).encode()
    only_snapshot_or_payload_error(statuspage.parse, raw)
    only_snapshot_or_payload_error(statuspage.parse, json.dumps({"page": value}).encode())
    for parser in NEW_PARSERS.values():
        only_snapshot_or_payload_error(parser, raw)
        only_snapshot_or_payload_error(parse_any, raw)
    only_snapshot_or_payload_error(gcp.parse, json.dumps([value]).encode())
    only_snapshot_or_payload_error(betterstack.parse, json.dumps({"data": value}).encode())
    only_snapshot_or_payload_error(
        instatus.parse, json.dumps({"activeIncidents": [value]}).encode()
    )


@FUZZ
@given(mutated_summaries())
def test_mutated_real_summaries(raw: bytes) -> None:
    only_snapshot_or_payload_error(statuspage.parse, raw)


@FUZZ
@given(mutated_feeds())
def test_mutated_real_feeds(raw: bytes) -> None:
    only_snapshot_or_payload_error(feed.parse, raw)


@FUZZ
@given(mutated_others())
def test_mutated_real_payloads_of_the_other_formats(sample: tuple[str, bytes]) -> None:
    fmt, raw = sample
    only_snapshot_or_payload_error(NEW_PARSERS[fmt], raw)
    only_snapshot_or_payload_error(parse_any, raw)


@FUZZ
@given(mutated_summaries())
def test_incidentio_pair_with_a_mutated_summary_or_component_list(summary: bytes) -> None:
    components = json.dumps(COMPONENTS_LIST).encode()
    only_snapshot_or_payload_error(
        lambda raw, at: incidentio.parse_pair(raw, components, at), summary
    )
    only_snapshot_or_payload_error(
        lambda raw, at: incidentio.parse_pair(json.dumps(JSON_FIXTURES[0]).encode(), raw, at),
        summary,
    )


class CannedFetcher:
    """Answers every fetch with the same body, as a page serving garbage with 200 would."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def fetch(self, url: str, **_: Any) -> FetchResult:
        return FetchResult(False, self.body, Validators('"x"'), 200, len(self.body))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=500),
        mutated_summaries(),
        mutated_feeds(),
        mutated_others().map(lambda sample: sample[1]),
    )
)
def test_the_poll_step_never_raises_and_never_hits_the_internal_error_path(raw: bytes) -> None:
    for kind in ("statuspage", "incidentio", "rss", "gcp", "betterstack", "instatus"):
        source = SourceConfig(kind=kind, url="https://status.example.com/api/v2/summary.json")
        reader = SourceReader(source, CannedFetcher(raw), parse)
        reading = asyncio.run(reader.read(NOW))
        assert isinstance(reading.observation, Snapshot | FetchFailure)
        if isinstance(reading.observation, FetchFailure):
            assert reading.observation.reason != "could not parse the response"
        else:
            assert reading.observation.observed_at == NOW


# --- properties the parsers keep on top of being total ------------------------------------

ELEMENT_FIXTURES = [
    json.loads((FIXTURES / name).read_bytes())
    for name in (
        "anthropic_summary_2026-10-07_monitoring.json",
        "cloudflare_summary_2026-09-03_trimmed_groups_active_incidents_scheduled_maintenance.json",
        "openai_summary_2026-09-22_monitoring.json",
    )
]


def element_ids(snapshot: Snapshot, section: str) -> set[str]:
    if section == "components":
        return {c.id for c in snapshot.components}
    return {i.id for i in snapshot.incidents}


@st.composite
def one_broken_element(draw: st.DrawFn) -> tuple[bytes, bytes, str, int]:
    """A real summary, and a copy where garbage hit one component or one incident only."""
    tree = copy.deepcopy(draw(st.sampled_from(ELEMENT_FIXTURES)))
    clean = json.dumps(tree).encode()
    section = draw(st.sampled_from(["components", "incidents"]))
    index = draw(st.integers(0, len(tree[section]) - 1))
    if draw(st.booleans()):
        tree[section][index] = draw(json_values)
    else:
        element = tree[section][index]
        for _ in range(draw(st.integers(1, 4))):
            path = draw(st.sampled_from(paths(element)))
            parent = element
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
    return clean, json.dumps(tree).encode(), section, index


@FUZZ
@given(one_broken_element())
def test_a_broken_element_costs_only_itself(case: tuple[bytes, bytes, str, int]) -> None:
    clean, broken, section, index = case
    before = statuspage.parse(clean)
    after = statuspage.parse(broken)  # never a PayloadError: the page itself is fine
    hit = json.loads(clean)[section][index].get("id")
    assert element_ids(before, section) - {hit} <= element_ids(after, section)
    other = "incidents" if section == "components" else "components"
    if section == "incidents" or json.loads(clean)[section][index].get("group") is not True:
        assert element_ids(after, other) == element_ids(before, other)


WORDS = ["Investigating", "Identified", "Update", "Monitoring", "Resolved"]
timelines = st.lists(
    st.tuples(
        st.integers(0, 23 * 60),  # minute of the day
        st.sampled_from(WORDS),
        st.text(alphabet="abcdefgh .,", min_size=1, max_size=20),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda update: update[0],
)


def history_with(updates: list[tuple[int, str, str]]) -> bytes:
    from tests.feedcraft import Item, history_rss

    timeline = [(f"Oct 7, {m // 60:02d}:{m % 60:02d} UTC", word, text) for m, word, text in updates]
    item = Item("Elevated errors", "https://status.example.com/incidents/x", None, timeline)
    return history_rss(item, pub_date="Wed, 07 Oct 2026 23:59:00 +0000")


@FUZZ
@given(timelines, st.randoms(use_true_random=False))
def test_feed_timeline_order_never_changes_what_is_read(
    updates: list[tuple[int, str, str]], shuffler: Any
) -> None:
    listed = sorted(updates, reverse=True)  # newest first, as feeds are supposed to list them
    shuffled = list(updates)
    shuffler.shuffle(shuffled)
    (expected,) = feed.parse(history_with(listed)).incidents
    (incident,) = feed.parse(history_with(shuffled)).incidents
    assert incident == expected
    times = [u.at for u in incident.updates]
    assert times == sorted(times, reverse=True)
    assert len({u.id for u in incident.updates}) == len(incident.updates)


@FUZZ
@given(st.integers(0, 90 * 366 * 24 * 60), st.integers(-3 * 24 * 60, 3 * 24 * 60))
def test_a_date_without_a_year_lands_next_to_the_item_date(item_minute: int, minutes: int) -> None:
    from tests.feedcraft import Item, history_rss

    item = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(minutes=item_minute)
    moment = item + timedelta(minutes=minutes)
    text = f"{moment:%b} {moment.day}, {moment:%H:%M} UTC"
    pub = f"{item:%a, %d %b %Y %H:%M:%S} +0000"
    raw = history_rss(
        Item("E", "https://status.example.com/incidents/x", pub, [(text, "Investigating", "t")])
    )
    (incident,) = feed.parse(raw).incidents
    assert incident.updates[0].at == moment
