"""The early card story in the store: fused verdicts drive the sink, the official page is
polled as usual, and the outbox shows what each channel would see.

An `early` channel gets the unconfirmed card; the page's incident lands on that same card
with the lag; a false alarm is said on the same card; a channel without `early` only ever
hears the official story.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY

from bot.commands import CommandService
from bot.config import parse_config
from bot.early_cards import EarlyCards, product_name
from bot.events import EventKind
from bot.fusion import (
    Change,
    CrowdView,
    FusionSettings,
    FusionState,
    OfficialView,
    ProbeView,
    Signals,
    fuse,
)
from bot.machine import MachineSettings, SourceState, transition
from bot.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Snapshot,
)
from bot.notify import CardRef, Delivery
from bot.probe_window import ProbeStatus
from bot.routing import Subscription
from bot.store.store import PollCommit, Store
from tests.botproc import write_config
from tests.test_cli import bot, jsonl

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
CONFIG = parse_config(
    {
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt"],
                "sources": [{"kind": "statuspage", "url": "https://o.example/s.json"}],
                "probes": [
                    {"name": "API", "url": "https://api.o.example/v1/models",
                     "alive": {"status": [401]}},
                    {"name": "ChatGPT", "url": "https://chat.o.example/",
                     "alive": {"status": [200, 403]}},
                ],
            }
        }
    },
    "test",
)  # fmt: skip
MACHINE = MachineSettings(provider="openai", source_id="openai", display_name="OpenAI")
SPIKE = CrowdView(users=23, channels=9, workspaces=4, spike=True, since=T0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def failing() -> tuple[ProbeView, ...]:
    return tuple(
        ProbeView(name, ProbeStatus.FAILING, since=at(0), failing_span_s=180)
        for name in ("API", "ChatGPT")
    )


def answering() -> tuple[ProbeView, ...]:
    return tuple(ProbeView(name, ProbeStatus.UP, latency_ms=180) for name in ("API", "ChatGPT"))


def page(minute: float, incident: bool) -> Snapshot:
    incidents = ()
    if incident:
        incidents = (
            Incident(
                id="inc1",
                title="Elevated error rates for ChatGPT",
                status=IncidentStatus.INVESTIGATING,
                impact=Impact.MAJOR,
                updates=(
                    IncidentUpdate("u1", IncidentStatus.INVESTIGATING, "Looking into it", at(14)),
                ),
                components_known=False,
            ),
        )
    chat = ComponentStatus.MAJOR_OUTAGE if incident else ComponentStatus.OPERATIONAL
    return Snapshot(
        page_name="OpenAI",
        page_url="https://status.openai.com",
        observed_at=at(minute),
        components=(Component("chat", "ChatGPT", chat),),
        incidents=incidents,
    )


@dataclass
class World:
    """The store, the sink, and the provider's fusion state, one step at a time."""

    store: Store
    sink: EarlyCards
    state: FusionState = field(default_factory=FusionState)
    changes: list[Change] = field(default_factory=list)

    async def fuse(
        self, minute: float, probes: tuple[ProbeView, ...], crowd: CrowdView, official: bool
    ) -> None:
        view = OfficialView(confirmed=True, title="Elevated error rates") if official else None
        signals = Signals("openai", "OpenAI", view or OfficialView(), probes, crowd)
        verdict = fuse(self.state, signals, at(minute), FusionSettings())
        self.state = verdict.state
        if verdict.change is not None:
            self.changes.append(verdict.change)
            await self.sink.verdict_changed("openai", verdict, signals)

    async def poll(self, minute: float, incident: bool) -> None:
        record = await self.store.polls.load_source("openai")
        state = record.state if record else SourceState()
        state, events = transition(state, page(minute, incident), MACHINE)
        await self.store.polls.commit_poll(
            PollCommit("openai", "openai", state, at(minute), events)
        )

    async def deliver(self, minute: float, posted: dict[str, str]) -> list[Delivery]:
        """Hand out what is due, as a platform would: a new card gets `posted[channel]`."""
        due = await self.store.outbox.due_deliveries(at(minute))
        for delivery in due:
            new = None if delivery.card else CardRef(posted[delivery.channel_id])
            await self.store.outbox.mark_delivered(delivery, at(minute), new_card=new)
        return due


async def world(store: Store) -> World:
    for channel, early in (("C-early", True), ("C-plain", False)):
        await store.subscriptions.subscribe(
            Subscription("slack", channel, "openai", workspace_id="T1", early=early,
                         created_at=at(-60))
        )  # fmt: skip
    w = World(store, EarlyCards(CONFIG, store.early, clock=lambda: at(0)))
    await w.poll(-30, incident=False)  # the page is quiet when the bot starts
    return w


def test_the_card_names_the_product_people_use() -> None:
    assert product_name(CONFIG, "openai") == "ChatGPT"


def sampled(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"provider": "openai"}) or 0.0


async def test_an_early_card_becomes_the_official_card_with_the_lag_on_it(store: Store) -> None:
    lags, leads = (
        sampled("statusbot_page_confirm_lag_seconds_sum"),
        sampled("statusbot_probe_recovery_lead_seconds_sum"),
    )
    w = await world(store)
    await w.fuse(1, failing(), SPIKE, official=False)
    await w.fuse(2, failing(), SPIKE, official=False)
    assert w.changes == [Change.SUSPECTED]

    [early] = await w.deliver(2, {"C-early": "ts-early"})
    assert early.channel_id == "C-early"  # the plain channel hears nothing yet
    assert early.event.kind is EventKind.SUSPECTED
    assert early.event.title == "ChatGPT may be down"
    assert early.event.reasons[0] == "2 of 2 probes failing since 20:00 UTC"
    assert "23 people in 9 channels across 4 workspaces report it" in early.event.reasons

    # 14 min after our first signal, the page opens an incident.
    await w.poll(14, incident=True)
    due = {d.channel_id: d for d in await w.deliver(14, {"C-plain": "ts-plain"})}
    assert due["C-early"].card == CardRef("ts-early")  # the same card, edited in place
    assert due["C-plain"].card is None  # its own new official card
    for delivery in due.values():
        assert delivery.event.kind is EventKind.OUTAGE
        assert delivery.event.lag == ("OpenAI confirmed this 14 min after our first signal",)
    await w.fuse(14.5, failing(), SPIKE, official=True)
    assert w.changes[-1] is Change.CONFIRMED

    # Our probes answer again at minute 31; the page resolves at minute 40.
    await w.fuse(31, answering(), CrowdView(), official=True)
    assert w.changes[-1] is Change.PROBES_RECOVERED
    [recovered] = await w.deliver(31, {})
    assert (recovered.channel_id, recovered.card) == ("C-early", CardRef("ts-early"))
    assert recovered.event.kind is EventKind.PROBES_RECOVERED
    assert recovered.event.text == (
        "Our probes see OpenAI answering again since 20:31 UTC; "
        "the official page still reports the incident"
    )
    assert recovered.event.title == "Elevated error rates for ChatGPT"  # the official card

    await w.poll(40, incident=False)
    due = {d.channel_id: d for d in await w.deliver(40, {})}
    assert due["C-early"].card == CardRef("ts-early")
    assert due["C-plain"].card == CardRef("ts-plain")
    for delivery in due.values():
        assert delivery.event.kind is EventKind.RESTORED
        assert delivery.event.lag == (
            "OpenAI confirmed this 14 min after our first signal",
            "our probes saw recovery 9 min before the page",
        )
    await w.fuse(40.5, answering(), CrowdView(), official=False)
    assert w.changes[-1] is Change.RESOLVED

    [episode] = await store.early.episodes("openai")
    assert episode.incident_key == due["C-plain"].event.incident_key
    assert (episode.confirm_lag_s, episode.recovery_lead_s) == (14 * 60, 9 * 60)
    assert not episode.never_confirmed
    # /metrics exports both ends.
    assert sampled("statusbot_page_confirm_lag_seconds_sum") - lags == 14 * 60
    assert sampled("statusbot_probe_recovery_lead_seconds_sum") - leads == 9 * 60


async def test_a_false_alarm_is_said_on_the_same_card(store: Store) -> None:
    w = await world(store)
    await w.fuse(2, failing(), SPIKE, official=False)
    [early] = await w.deliver(2, {"C-early": "ts-early"})
    for minute in (4, 10, 16, 17):  # cleared at 4; called off once the hold is over
        await w.fuse(minute, answering(), CrowdView(), official=False)
    assert w.changes == [Change.SUSPECTED, Change.RETRACTED]

    [retracted] = await w.deliver(17, {})
    assert (retracted.channel_id, retracted.card) == ("C-early", CardRef("ts-early"))
    assert retracted.event.kind is EventKind.FALSE_ALARM
    assert retracted.event.incident_key == early.event.incident_key
    assert retracted.event.text == (
        "False alarm: signals cleared after 4 min; OpenAI never confirmed it"
    )
    [episode] = await store.early.episodes()
    assert episode.never_confirmed
    # A later incident is a new story: the closed early card is not reused.
    await w.poll(60, incident=True)
    due = await w.deliver(60, {"C-early": "ts-new", "C-plain": "ts-plain"})
    assert {(d.channel_id, d.card) for d in due} == {("C-early", None), ("C-plain", None)}
    assert all(d.event.lag == () for d in due)


async def test_an_early_card_not_yet_out_gives_way_to_the_official_one(store: Store) -> None:
    w = await world(store)
    await w.fuse(2, failing(), SPIKE, official=False)  # queued, but Slack is slow today
    await w.poll(3, incident=True)
    due = await w.deliver(3, {"C-early": "ts-1", "C-plain": "ts-2"})
    assert sorted((d.channel_id, d.event.kind, d.card) for d in due) == [
        ("C-early", EventKind.OUTAGE, None),
        ("C-plain", EventKind.OUTAGE, None),
    ]
    assert due[0].event.lag == ("OpenAI confirmed this 3 min after our first signal",)
    assert await w.deliver(4, {}) == []  # the early card never follows


async def test_a_channel_opting_in_during_a_suspicion_gets_its_card_at_once(
    store: Store,
) -> None:
    w = await world(store)
    await w.fuse(2, failing(), SPIKE, official=False)
    await w.deliver(2, {"C-early": "ts-early"})
    commands = CommandService(CONFIG, store, clock=lambda: at(5))
    reply = await commands.subscribe("slack", "T1", "C-late", "chatgpt early")
    assert "Suspected now: ⚠️ ChatGPT may be down — its unconfirmed card follows here." in reply
    assert "Nothing is open right now." not in reply
    plain = await commands.subscribe("slack", "T1", "C-late-plain", "chatgpt")
    assert "Suspected" not in plain
    [late] = await w.deliver(5, {"C-late": "ts-late"})
    assert (late.channel_id, late.event.kind) == ("C-late", EventKind.SUSPECTED)
    again = await commands.subscribe("slack", "T1", "C-late", "chatgpt early")
    assert "Suspected" not in again  # it has the card already
    # The page confirms: both early cards become the official one.
    await w.poll(14, incident=True)
    due = {d.channel_id: d.card for d in await w.deliver(14, {"C-plain": "p", "C-late-plain": "q"})}
    assert due == {
        "C-early": CardRef("ts-early"), "C-late": CardRef("ts-late"),
        "C-plain": None, "C-late-plain": None,
    }  # fmt: skip


async def test_the_page_first_is_recorded_without_an_early_card(store: Store) -> None:
    w = await world(store)
    await w.poll(5, incident=True)
    due = await w.deliver(5, {"C-early": "ts-1", "C-plain": "ts-2"})
    assert [d.event.kind for d in due] == [EventKind.OUTAGE, EventKind.OUTAGE]
    await w.fuse(5.5, answering(), CrowdView(), official=True)
    [episode] = await store.early.episodes("openai")
    assert episode.suspected_at is None
    assert episode.incident_key == due[0].event.incident_key
    assert episode.confirmed_at == at(5.5)


async def test_lag_command_sums_up_each_provider(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lag.db'}"
    store = Store(url)
    await store.initialize()
    try:
        w = await world(store)
        # A false alarm at minute 2, then a real outage the page confirms 14 min after us.
        await w.fuse(2, failing(), SPIKE, official=False)
        for minute in (4, 17):
            await w.fuse(minute, answering(), CrowdView(), official=False)
        later = [ProbeView(p.name, p.status, since=at(40), failing_span_s=180) for p in failing()]
        await w.fuse(42, later, replace(SPIKE, since=at(40)), official=False)
        await w.poll(54, incident=True)
        await w.fuse(54.5, later, SPIKE, official=True)
        await w.fuse(60, answering(), CrowdView(), official=True)
        await w.poll(69, incident=False)
        await w.fuse(69.5, answering(), CrowdView(), official=False)
    finally:
        await store.aclose()
    config = write_config(tmp_path / "c.yaml", {"store": {"url": url}})

    result = bot("lag", "chatgpt", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "OpenAI: 2 episodes",
        "  confirmed by the page after our first signal: 1, median 14 min later (longest 14 min)",
        "  recovery seen by our probes first: 1, median 9 min before the page",
        "  never acknowledged by the page: 1",
        "    2026-02-03 20:00 UTC, signals for 4 min",
    ]
    [summary] = jsonl(bot("lag", "--json", "--config", str(config)).stdout)[:1]
    assert summary["median_confirm_lag_s"] == 14 * 60
    assert summary["median_recovery_lead_s"] == 9 * 60


async def test_metrics_export_the_stored_lag(tmp_path: Path) -> None:
    import httpx

    from bot.app import Application
    from fakes.statuspage import FakeStatusPage

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    store = Store(url)
    await store.initialize()
    try:
        w = await world(store)
        await w.fuse(2, failing(), SPIKE, official=False)
        await w.poll(14, incident=True)
        await w.fuse(14.5, failing(), SPIKE, official=True)
    finally:
        await store.aclose()
    async with FakeStatusPage() as page:
        page.set_payload("/s.json", b"{}")
        config = parse_config(
            {
                "store": {"url": url},
                "providers": {
                    "openai": {
                        "name": "OpenAI",
                        "sources": [{"kind": "statuspage", "url": page.url("/s.json")}],
                    }
                },
                "health": {"host": "127.0.0.1", "port": 0},
                "console": {"enabled": False},
            },
            "test",
        )
        async with Application(config) as app:
            assert app.health is not None
            base = f"http://127.0.0.1:{app.health.bound_port}"
            async with httpx.AsyncClient(base_url=base) as client:
                text = (await client.get("/metrics")).text
    assert 'statusbot_page_confirm_lag_median_seconds{provider="openai"} 840.0' in text
    assert 'statusbot_page_never_acknowledged{provider="openai"} 0.0' in text
