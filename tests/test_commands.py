"""The platform-neutral command service: verdicts, staleness, alternatives, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.commands import CommandService
from bot.config import parse_config
from bot.errors import CommandError
from bot.machine import ALL_OPERATIONAL, MachineSettings, transition
from bot.models import Component, ComponentStatus, FetchFailure, Severity, Snapshot
from bot.status import Verdict
from bot.store.store import PollCommit, Store

NOW = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)
CONFIG = parse_config(
    {
        "providers": {
            "openai": {
                "name": "OpenAI",
                "aliases": ["chatgpt", "gpt"],
                "alias_components": {"sora": ["Sora"]},
                "sources": [{"kind": "statuspage", "url": "https://o.example/s.json"}],
            },
            "anthropic": {
                "name": "Anthropic",
                "aliases": ["claude"],
                "sources": [{"kind": "statuspage", "url": "https://a.example/s.json"}],
            },
            "google": {
                "name": "Google",
                "aliases": ["gemini"],
                "sources": [{"kind": "rss", "url": "https://g.example/feed.atom"}],
            },
        }
    },
    "test",
)


async def observe(store: Store, provider: str, status: ComponentStatus, minute: float = 0) -> None:
    """Record that a provider's page showed one component in `status`."""
    settings = MachineSettings(provider=provider, source_id=provider)
    record = await store.polls.load_source(provider)
    state = record.state if record else ALL_OPERATIONAL
    at = NOW + timedelta(minutes=minute)
    snap = Snapshot(
        page_name=provider.title(),
        page_url=f"https://{provider}.example",
        observed_at=at,
        components=(Component("c1", "Chat", status),),
    )
    state, events = transition(state, snap, settings)
    await store.polls.commit_poll(PollCommit(provider, provider, state, at, events))


async def fail(store: Store, provider: str, minute: float) -> None:
    settings = MachineSettings(provider=provider, source_id=provider)
    record = await store.polls.load_source(provider)
    assert record is not None
    at = NOW + timedelta(minutes=minute)
    state, events = transition(record.state, FetchFailure(at, "HTTP 503"), settings)
    await store.polls.commit_poll(
        PollCommit(provider, provider, state, at, events, error="HTTP 503")
    )


def service(store: Store, minute: float = 0.5) -> CommandService:
    return CommandService(CONFIG, store, clock=lambda: NOW + timedelta(minutes=minute))


async def test_outage_verdict_names_incident_and_operational_alternatives(store: Store) -> None:
    await observe(store, "openai", ComponentStatus.MAJOR_OUTAGE)
    await observe(store, "anthropic", ComponentStatus.OPERATIONAL)
    report = await service(store).status("chatgpt")
    assert report.provider.verdict is Verdict.OUTAGE
    text = report.text()
    assert text.splitlines()[0] == "🔴 OpenAI is having an outage"
    assert "Chat (major outage)" in text
    assert "Official page: https://openai.example" in text
    assert "Last checked 30 s ago" in text
    assert "Up right now: Anthropic ✅" in text  # Google never polled


async def test_unreachable_source_is_said_plainly_not_all_good(store: Store) -> None:
    await observe(store, "openai", ComponentStatus.OPERATIONAL)
    for minute in (1, 2, 3):
        await fail(store, "openai", minute)
    report = await service(store, minute=4).status("openai")
    assert report.provider.verdict is Verdict.UNKNOWN
    assert "Cannot reach the official status page since" in report.text()
    assert "is operational" not in report.text()


async def test_a_stale_source_is_unknown(store: Store) -> None:
    await observe(store, "openai", ComponentStatus.OPERATIONAL)
    report = await service(store, minute=30).status("openai")
    assert report.provider.verdict is Verdict.UNKNOWN


async def test_degraded_verdict(store: Store) -> None:
    await observe(store, "anthropic", ComponentStatus.DEGRADED)
    report = await service(store).status("Claude")
    assert report.provider.verdict is Verdict.DEGRADED
    assert report.text().startswith("⚠️ Anthropic is degraded")


async def test_unknown_provider_lists_the_known_ones(store: Store) -> None:
    with pytest.raises(CommandError, match="Known providers: openai \\(chatgpt, gpt\\)"):
        await service(store).status("altavista")


@pytest.mark.parametrize(
    ("args", "providers", "components", "severity", "remind"),
    [
        ("", ("openai",), (), Severity.DEGRADED, 0),
        ("claude gemini", ("anthropic", "google"), (), Severity.DEGRADED, 0),
        ("chatgpt major", ("openai",), (), Severity.MAJOR_OUTAGE, 0),
        (
            "openai component:Login,Files min:partial remind:60",
            ("openai",),
            ("Login", "Files"),
            Severity.PARTIAL_OUTAGE,
            60,
        ),
        ("sora", ("openai",), ("Sora",), Severity.DEGRADED, 0),
        ("ＣＨＡＴＧＰＴ", ("openai",), (), Severity.DEGRADED, 0),  # full-width letters
    ],
)
def test_subscribe_arguments(
    args: str, providers: tuple, components: tuple, severity: Severity, remind: int
) -> None:
    request = CommandService(CONFIG, None).parse_subscribe(args)  # type: ignore[arg-type]
    assert request.providers == providers
    assert request.components == components
    assert request.min_severity is severity
    assert request.reminder_minutes == remind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("x" * 400, "too long"),
        ("chatgpt\u200b", "invisible or control characters"),
        ("altavista", "I don't understand 'altavista'"),
        ("min:apocalyptic", "unknown severity"),
        ("remind:2", "every 5 minutes"),
        ("remind:soon", "remind: takes minutes"),
    ],
)
def test_bad_subscribe_arguments_get_clear_messages(args: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        CommandService(CONFIG, None).parse_subscribe(args)  # type: ignore[arg-type]


async def test_subscribe_list_unsubscribe_round_trip(store: Store) -> None:
    commands = service(store)
    reply = await commands.subscribe("slack", "T1", "C1", "chatgpt claude min:major", "U1")
    assert reply.splitlines() == [
        "Subscribed this channel to OpenAI, Anthropic: all components, major outage and worse.",
        "Nothing is open right now.",
    ]
    listing = await commands.list("slack", "C1")
    assert "• OpenAI: all components, major outage and worse" in listing
    assert "• Anthropic" in listing
    assert await commands.unsubscribe("slack", "C1", "claude") == (
        "Unsubscribed this channel from Anthropic."
    )
    assert (
        await commands.unsubscribe("slack", "C1", "")
        == "Unsubscribed this channel from everything."
    )
    assert "no subscriptions" in await commands.list("slack", "C1")


async def test_early_is_a_word_of_subscribe_and_shows_in_the_list(store: Store) -> None:
    commands = service(store)
    assert CommandService(CONFIG, None).parse_subscribe("chatgpt").early is False  # type: ignore[arg-type]
    reply = await commands.subscribe("slack", "T1", "C1", "chatgpt EARLY min:major", "U1")
    assert reply.splitlines()[1].startswith("Early warnings on: when our own probes")
    [saved] = await store.subscriptions.channel_subscriptions("slack", "C1")
    assert saved.early
    assert saved.min_severity is Severity.MAJOR_OUTAGE
    assert "• OpenAI: all components, major outage and worse, early warnings" in (
        await commands.list("slack", "C1")
    )
    # Subscribing again without the word turns it off.
    await commands.subscribe("slack", "T1", "C1", "chatgpt", "U1")
    assert not (await store.subscriptions.channel_subscriptions("slack", "C1"))[0].early


def test_autocomplete_choices() -> None:
    commands = CommandService(CONFIG, None)  # type: ignore[arg-type]
    assert [v for _, v in commands.provider_choices("cl")] == ["anthropic"]
    assert len(commands.provider_choices("")) == 3


def test_component_names_with_spaces_are_quoted() -> None:
    commands = CommandService(CONFIG, None)  # type: ignore[arg-type]
    request = commands.parse_subscribe('openai component:"Chat Completions",Login')
    assert request.components == ("Chat Completions", "Login")
    with pytest.raises(CommandError, match="quote is not closed"):
        commands.parse_subscribe('component:"Chat')


@pytest.mark.parametrize(
    ("platform", "args", "mention", "wake"),
    [
        ("slack", "chatgpt mention:here wake:major", "here", True),
        ("slack", "mention:@here", "here", False),
        ("discord", "mention:<@&123456789012345678>", "role:123456789012345678", False),
        ("discord", "mention:role:123456789012345678 wake:major", "role:123456789012345678", True),
        ("slack", "mention:off", None, False),
    ],
)
def test_mentions_are_opt_in_and_per_platform(
    platform: str, args: str, mention: str | None, wake: bool
) -> None:
    request = CommandService(CONFIG, None).parse_subscribe(args, platform)  # type: ignore[arg-type]
    assert (request.mention, request.wake_on_major) == (mention, wake)


@pytest.mark.parametrize(
    ("platform", "args", "message"),
    [
        ("discord", "mention:here", "On Discord a major outage can mention a role"),
        ("slack", "mention:<@&123456789012345678>", "On Slack a major outage can mention @here"),
        ("slack", "mention:everyone", "nothing else is ever pinged"),
        ("slack", "mention:channel", "nothing else is ever pinged"),
        ("slack", "wake:sometimes", "wake: takes major"),
    ],
)
def test_no_other_mention_can_be_asked_for(platform: str, args: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        CommandService(CONFIG, None).parse_subscribe(args, platform)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("verb", "args", "message"),
    [
        ("mute", "chatgpt", "Usage: mute <provider|all> <duration>"),
        ("mute", "chatgpt forever", "can't read the duration"),
        ("mute", "nosuch 2h", "I don't know 'nosuch'"),
        ("quiet", "22:00", "Usage: quiet 22:00-07:00"),
        ("quiet", "22:00-07:00 Moon/Base", "I don't know the timezone"),
    ],
)
async def test_mute_and_quiet_explain_their_usage(
    store: Store, verb: str, args: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        await getattr(service(store), verb)("slack", "C1", args)


async def test_mute_unmute_and_quiet_are_listed_for_the_channel(store: Store) -> None:
    commands = service(store)
    assert "Muted OpenAI" in await commands.mute("slack", "C1", "chatgpt 2h")
    assert "Muted every provider" in await commands.mute("slack", "C1", "all 30m")
    assert "Quiet hours set: 22:00–07:00 Europe/Paris" in await commands.quiet(
        "slack", "C1", "22:00-07:00 Europe/Paris"
    )
    listed = await commands.list("slack", "C1")
    assert "Quiet hours: 22:00–07:00 Europe/Paris" in listed
    assert "Muted: OpenAI until" in listed
    assert "Muted: every provider until" in listed
    assert "Unmuted every provider" in await commands.unmute("slack", "C1", "all")
    assert "Muted" not in await commands.list("slack", "C1")
    assert "Quiet hours off" in await commands.quiet("slack", "C1", "off")
    assert "had no quiet hours" in await commands.quiet("slack", "C1", "off")
