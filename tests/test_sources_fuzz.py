"""Whatever the outside world sends, parsers give a Snapshot or a PayloadError, nothing else."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime
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
