"""History as a user meets it: polls of a real page become per-minute availability and one
record per incident; uptime, durations and the official page's lag come out of them; charts
change with the data; cards and /is-chatgpt-down say what past incidents suggest; old
history is pruned."""

from __future__ import annotations

import dataclasses
import io
import struct
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.chart import png_bytes, render_png
from bot.commands import CommandService
from bot.config import parse_config
from bot.events import EventKind
from bot.fetch import StatusFetcher
from bot.history import Period
from bot.models import Severity
from bot.poller import SourcePoller
from bot.render import card_facts
from bot.store import schema
from bot.store.store import Store
from fakes.history import PastIncident, simulate, write_past
from fakes.pages import SUMMARY_PATH as SUMMARY
from fakes.pages import Incident, SummaryPage
from fakes.statuspage import FakeStatusPage
from integrations.sources import parse

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TITLE = "Elevated errors on ChatGPT"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def page_at(at: datetime, chatgpt: str, incident: str | None = None) -> bytes:
    page = SummaryPage("OpenAI", updated_at=at).component("ChatGPT", chatgpt).component("API")
    if incident is not None:
        official = Incident("inc1", TITLE, impact="critical", components=("ChatGPT",))
        official.started_at = T0 + timedelta(minutes=10)
        official.update(incident, "We are investigating.", T0 + timedelta(minutes=10), "u1")
        page.add(official)
    return page.encode()


def config_for(url: str, store_url: str):  # type: ignore[no-untyped-def]
    return parse_config(
        {
            "store": {"url": store_url},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "aliases": ["chatgpt"],
                    "sources": [
                        {"kind": "statuspage", "url": url, "interval": 30, "flap_window": 0}
                    ],
                }
            },
        },
        "test",
    )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[tuple[SourcePoller, FakeStatusPage, Store, Clock]]:
    async with FakeStatusPage() as page, StatusFetcher() as fetcher:
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
        await store.initialize()
        config = config_for(page.url(SUMMARY), store.url)
        provider, sid, source = config.source_ids()[0]
        clock = Clock()
        poller = SourcePoller(
            provider, sid, source, fetcher, parse, store.polls, clock=clock, display_name="OpenAI"
        )
        try:
            yield poller, page, store, clock
        finally:
            await store.aclose()


async def poll(rig, minute: float, chatgpt: str, incident: str | None = None) -> list:  # type: ignore[no-untyped-def]
    poller, page, _store, clock = rig
    clock.now = T0 + timedelta(minutes=minute)
    page.set_payload(SUMMARY, page_at(clock.now, chatgpt, incident))
    return await poller.check_once()


async def outage_story(rig, quiet_start: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Degraded at minute 5 (no incident yet), official major outage at 10, resolved at 40;
    polled every minute around the changes and every 5 minutes in between."""
    if quiet_start:
        for minute in range(0, 5):
            await poll(rig, minute, "operational")
    await poll(rig, 5, "degraded_performance")
    await poll(rig, 10, "major_outage", "investigating")
    for minute in range(15, 40, 5):
        await poll(rig, minute, "major_outage", "identified")
    await poll(rig, 40, "operational", "resolved")
    for minute in range(41, 46):
        await poll(rig, minute, "operational")


async def test_an_outage_becomes_one_record_with_its_duration_and_the_official_lag(rig) -> None:
    await outage_story(rig)
    _poller, _page, store, _clock = rig

    [incident] = await store.history.incidents("openai", T0, T0 + timedelta(hours=1))

    assert incident.title == TITLE
    assert incident.severity == Severity.MAJOR_OUTAGE
    assert "ChatGPT" in incident.components
    assert incident.first_signal_at == T0 + timedelta(minutes=5)  # the component went bad
    assert incident.official_at == T0 + timedelta(minutes=10)  # the page named an incident
    assert incident.lag_s == 5 * 60
    assert incident.resolved_at == T0 + timedelta(minutes=40)
    assert incident.duration_s == 35 * 60


async def test_every_minute_is_accounted_for_and_uptime_counts_the_outage(rig) -> None:
    await outage_story(rig)
    _poller, _page, store, clock = rig

    view = await store.history.view("openai", "OpenAI", Period.DAY, clock.now)

    # Minutes 0..45 observed (the 5-minute steps filled in); 10..39 were a major outage.
    assert view.uptime.observed_min == 46
    assert view.uptime.down_min == 30
    assert view.uptime.text() == "34.78 %"
    worst = {s.minute: s.severity for s in view.samples}
    assert worst[T0 + timedelta(minutes=5)] == Severity.DEGRADED
    assert worst[T0 + timedelta(minutes=22)] == Severity.MAJOR_OUTAGE
    assert T0 + timedelta(minutes=40) not in worst  # operational again
    assert view.samples[-1].components == {"ChatGPT": Severity.MAJOR_OUTAGE}
    # Before the first poll nothing was known: the chart shows it as no data.
    assert view.gaps[0] == (view.start, T0)
    assert view.summary() == (
        "OpenAI, last 24 hours: uptime 34.78 %, 1 incident, median duration 35 min, "
        "median lag of the official page 5 min."
    )


async def test_a_page_that_cannot_be_read_is_no_data_not_uptime(rig) -> None:
    _poller, page, store, clock = rig
    for minute in range(0, 3):
        await poll(rig, minute, "operational")
    page.set_payload(SUMMARY, b"<html>maintenance</html>", content_type="text/html")
    for minute in range(3, 20):
        clock.now = T0 + timedelta(minutes=minute)
        await rig[0].check_once()

    view = await store.history.view("openai", "OpenAI", Period.DAY, clock.now)

    # Three failures in a row make the source unreachable: from then on, nothing is claimed.
    assert view.uptime.down_min == 0
    assert view.uptime.observed_min < 8
    assert view.gaps[-1][1] == view.end


MAJOR_RED = (0xCF, 0x22, 0x2E)


def pixels(png: bytes, colour: tuple[int, int, int]) -> int:
    from PIL import Image  # matplotlib's own dependency

    counts = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=10**6) or []
    return sum(n for n, c in counts if c == colour)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_the_chart_is_a_chat_sized_png_that_changes_with_the_data(rig) -> None:
    _poller, _page, store, clock = rig
    for minute in range(0, 5):
        await poll(rig, minute, "operational")
    quiet = png_bytes(await store.history.view("openai", "OpenAI", Period.DAY, clock.now))
    await outage_story(rig, quiet_start=False)
    view = await store.history.view("openai", "OpenAI", Period.DAY, clock.now)
    stormy = await render_png(view)

    width, height = png_size(stormy)
    assert width == 800
    assert 200 <= height <= 600
    assert 10_000 < len(stormy) < 300_000
    assert stormy != quiet
    assert png_size(quiet)[1] < height  # a strip for the component that had trouble
    # The outage is drawn in red (the quiet chart has red only in its legend).
    assert pixels(stormy, MAJOR_RED) > pixels(quiet, MAJOR_RED) + 500
    assert "ChatGPT" in view.alt_text()
    assert "Uptime 34.78 %" in view.alt_text()


async def seed_major_outages(store: Store, minutes: list[int], end: datetime) -> None:
    past = [
        PastIncident(
            title=f"Past outage {n}",
            severity=Severity.MAJOR_OUTAGE,
            components=("ChatGPT",),
            start=end - timedelta(days=10 + n),
            official_at=end - timedelta(days=10 + n) + timedelta(minutes=4),
            end=end - timedelta(days=10 + n) + timedelta(minutes=length),
        )
        for n, length in enumerate(minutes)
    ]
    start, stop = end - timedelta(days=20), end - timedelta(days=9)
    await write_past(store, "openai", "openai", past, start, stop)


async def test_an_open_outage_card_says_what_past_outages_suggest(rig) -> None:
    _poller, _page, store, _clock = rig
    await seed_major_outages(store, [30, 42, 50, 90, 200], T0)
    for minute in range(0, 3):
        await poll(rig, minute, "operational")

    await poll(rig, 10, "major_outage", "investigating")

    # The stored card (what the outbox delivers and /is-chatgpt-down reads).
    [card] = await store.incidents.open_incidents("openai")
    assert card.kind is EventKind.OUTAGE
    expected = (
        "History, not a promise: OpenAI's past 5 major outages lasted a median 50 min; "
        "80 % were over within 2 h."
    )
    assert card.expectation == expected
    assert card_facts(card).expectation == expected
    config = config_for(rig[1].url(SUMMARY), store.url)
    report = await CommandService(config, store, clock=rig[3]).status("chatgpt")
    assert expected in report.text()

    await poll(rig, 40, "operational", "resolved")
    [restored] = [e for e in await store.events.recent_events() if e.kind is EventKind.RESTORED]
    assert card_facts(restored).expectation is None


async def test_no_expectation_from_too_few_past_incidents(rig) -> None:
    _poller, _page, store, _clock = rig
    await seed_major_outages(store, [30, 42], T0)
    await poll(rig, 0, "operational")
    await poll(rig, 10, "major_outage", "investigating")
    [card] = await store.incidents.open_incidents("openai")
    assert card.expectation is None


async def test_history_older_than_the_retention_is_pruned(rig) -> None:
    _poller, _page, store, clock = rig
    await seed_major_outages(store, [30, 42, 50], T0)
    await outage_story(rig)

    gone = await store.history.prune(T0 - timedelta(days=5))

    assert gone > 0
    kept = await store.history.incidents("openai", T0 - timedelta(days=90), clock.now)
    assert [i.title for i in kept] == [TITLE]
    view = await store.history.view("openai", "OpenAI", Period.QUARTER, clock.now)
    assert view.uptime.observed_min == 46


async def test_the_early_warnings_first_signal_makes_the_lag_when_it_saw_it_first(rig) -> None:
    await outage_story(rig)
    _poller, _page, store, _clock = rig
    [official] = await store.history.incidents("openai", T0, T0 + timedelta(hours=1))
    async with store.db.engine.begin() as conn:
        await conn.execute(
            sa.insert(schema.early_episodes).values(
                provider="openai",
                episode_key="early:openai:1",
                incident_key=official.incident_key,
                first_signal_at=T0 + timedelta(minutes=2),
                suspected_at=T0 + timedelta(minutes=3),
                confirmed_at=T0 + timedelta(minutes=10),
                probes_recovered_at=T0 + timedelta(minutes=36),
                reasons=[],
                updated_at=T0 + timedelta(minutes=40),
            )
        )

    [incident] = await store.history.incidents("openai", T0, T0 + timedelta(hours=1))

    assert incident.first_signal_at == T0 + timedelta(minutes=2)
    assert incident.lag_s == 8 * 60
    assert incident.recovered_at == T0 + timedelta(minutes=36)
    assert incident.duration_s == 38 * 60


async def test_our_probes_get_a_strip_of_their_own_and_never_count_as_official(
    rig, tmp_path: Path
) -> None:
    from bot.config import ProbeConfig
    from bot.probe_window import ProbeRules
    from bot.probing import ProbeRunner
    from fakes.provider_api import FakeProviderAPIs, probe_config

    _poller, _page, store, clock = rig
    for minute in range(0, 20):
        await poll(rig, minute, "operational")
    async with FakeProviderAPIs() as apis, StatusFetcher() as fetcher:
        probe = ProbeConfig.model_validate({**probe_config(apis.base_url, "openai"), "timeout": 2})
        runner = ProbeRunner(
            "openai", "openai:API", probe, fetcher, store.signals, ProbeRules(failing_after=2),
            clock=clock, history=store.history,
        )  # fmt: skip
        for minute in range(0, 20):
            clock.now = T0 + timedelta(minutes=minute)
            apis.set_mode("openai", "error" if 5 <= minute < 12 else "up")
            await runner.check_once()

    view = await store.history.view("openai", "OpenAI", Period.DAY, clock.now)

    assert view.uptime.down_min == 0  # the official page said all was well
    assert view.probes is not None
    assert view.probes.uptime.observed_min == 20
    # Failing from the 2nd failed answer (minute 6) until the first good one counted (13).
    assert view.probes.uptime.down_min == 7
    assert "our probes got answers 65 % of the time" in view.summary()
    assert "one for our own probes" in view.alt_text()
    spans = view.probe_spans()
    assert spans is not None
    assert (T0 + timedelta(minutes=6), T0 + timedelta(minutes=13), Severity.MAJOR_OUTAGE) in spans
    without = dataclasses.replace(view, probes=None)
    assert png_size(png_bytes(view))[1] > png_size(png_bytes(without))[1]


async def test_daily_bars_and_views_read_alike_on_sqlite_and_postgresql(store: Store) -> None:
    end = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    past = await simulate(store, "openai", ["ChatGPT", "API"], end, days=10, count=4, probe_id="p")

    days = await store.history.days("openai", end, 10)
    view = await store.history.view("openai", "OpenAI", Period.WEEK, end)

    assert len(days) == 10
    assert days[-1].start == datetime(2026, 3, 2, tzinfo=UTC)
    assert days[-1].observed_min == 12 * 60  # midnight to noon
    assert sum(d.observed_min for d in days) == 9 * 24 * 60 + 12 * 60  # began at noon
    assert {d.worst for d in days} >= {Severity.OPERATIONAL}
    bad_days = {p.start.date() for p in past}
    assert {d.start.date() for d in days if d.worst and d.worst > 0} == bad_days
    # The period ends with the minute now (noon, not yet sampled).
    assert view.uptime.observed_min == 7 * 24 * 60 - 1
    assert view.gaps == [(end, end + timedelta(minutes=1))]
    assert view.probes is not None
    assert view.probes.uptime.observed_min == 7 * 24 * 60 - 1


async def test_the_running_bot_forgets_history_older_than_its_retention(tmp_path: Path) -> None:
    from bot.app import Application

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    now = datetime.now(UTC)
    store = Store(url)
    await store.initialize()
    await simulate(store, "openai", ["ChatGPT"], now, days=5, count=5)
    await store.aclose()
    config = parse_config(
        {
            "store": {"url": url},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [{"kind": "statuspage", "url": "http://127.0.0.1:9/s.json"}],
                }
            },
            "history": {"retention_days": 2},
            "console": {"enabled": False},
        },
        "test",
    )
    app = Application(config)
    await app.initialize()
    try:
        assert app.store is not None
        await app._prune_history()  # the hourly chore's one run
        view = await app.store.history.view("openai", "OpenAI", Period.WEEK, now)
        kept = await app.store.history.incidents("openai", now - timedelta(days=7), now)
    finally:
        await app.shutdown()

    assert 2 * 24 * 60 - 5 <= view.uptime.observed_min <= 2 * 24 * 60 + 1  # minute of the cut
    assert all(i.resolved_at and i.resolved_at >= now - timedelta(days=2) for i in kept)
