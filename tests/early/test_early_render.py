"""What the early card looks like on Slack and on Discord, and how a channel opts in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.events import Event, EventKind
from bot.models import IncidentStatus, Severity
from bot.render import one_line, thread_text
from integrations.discord.commands import subscribe_args
from integrations.discord.embeds import card_embed
from integrations.slack.blocks import card_blocks, card_text

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
SUSPECTED = Event(
    kind=EventKind.SUSPECTED,
    provider="openai",
    source_id="early:openai",
    page_name="OpenAI",
    incident_key="early:openai:1770148920",
    title="ChatGPT may be down",
    severity=Severity.DEGRADED,
    at=T0 + timedelta(minutes=2),
    started_at=T0,
    url="https://status.openai.com/",
    reasons=(
        "2 of 2 probes failing since 20:00 UTC",
        "23 people in 9 channels across 4 workspaces report it",
    ),
)
FALSE_ALARM = SUSPECTED.replace(
    kind=EventKind.FALSE_ALARM,
    severity=Severity.OPERATIONAL,
    reasons=(),
    text="False alarm: signals cleared after 4 min; OpenAI never confirmed it",
)
OFFICIAL = Event(
    kind=EventKind.OUTAGE,
    provider="openai",
    source_id="openai",
    page_name="OpenAI",
    incident_key="openai:inc1",
    incident_id="inc1",
    title="Elevated error rates <!channel>",
    severity=Severity.MAJOR_OUTAGE,
    status=IncidentStatus.INVESTIGATING,
    at=T0 + timedelta(minutes=14),
    started_at=T0 + timedelta(minutes=13),
    lag=("OpenAI confirmed this 14 min after our first signal",),
)


def slack_text(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", ())]
        for element in block.get("elements", ()):
            text = element["text"]  # a context's mrkdwn, or a button's plain_text label
            out.append(text if isinstance(text, str) else text["text"])
    return "\n".join(out)


def test_slack_unconfirmed_card_says_so_with_its_reasons() -> None:
    blocks = card_blocks(SUSPECTED)
    assert blocks[0]["text"]["text"] == "⚠️ ChatGPT may be down — not confirmed by OpenAI yet"
    text = slack_text(blocks)
    assert "*Why we think so*\n• 2 of 2 probes failing since 20:00 UTC\n• 23 people" in text
    assert "Unconfirmed: OpenAI's status page does not report it yet" in text
    assert card_text(SUSPECTED).startswith("⚠️ ChatGPT may be down — not confirmed by OpenAI yet")


def test_slack_false_alarm_and_official_lag() -> None:
    blocks = card_blocks(FALSE_ALARM)
    assert blocks[0]["text"]["text"] == (
        "🟢 False alarm: signals cleared after 4 min; OpenAI never confirmed it"
    )
    assert "Why we think so" not in slack_text(blocks)
    official = slack_text(card_blocks(OFFICIAL))
    assert "*Official lag*\n• OpenAI confirmed this 14 min after our first signal" in official
    assert "<!channel>" not in official  # page text never pings anyone
    assert thread_text(FALSE_ALARM) == (
        "🟢 False alarm: signals cleared after 4 min; OpenAI never confirmed it"
    )


def test_discord_cards() -> None:
    embed = card_embed(SUSPECTED)
    assert embed.title == "⚠️ ChatGPT may be down — not confirmed by OpenAI yet"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Why we think so"] == (
        "• 2 of 2 probes failing since 20:00 UTC\n"
        "• 23 people in 9 channels across 4 workspaces report it"
    )
    assert card_embed(FALSE_ALARM).title == (
        "🟢 False alarm: signals cleared after 4 min; OpenAI never confirmed it"
    )
    lag = {f.name: f.value for f in card_embed(OFFICIAL).fields}["Official lag"]
    assert lag == "• OpenAI confirmed this 14 min after our first signal"


def test_the_console_line_carries_reasons_and_lag() -> None:
    assert "[2 of 2 probes failing since 20:00 UTC; 23 people" in one_line(SUSPECTED)
    assert one_line(OFFICIAL).endswith("(OpenAI confirmed this 14 min after our first signal)")


def test_discord_early_option_becomes_the_word() -> None:
    assert subscribe_args("chatgpt", None, None, None, True) == "chatgpt early"
    assert subscribe_args("chatgpt", None, None, None, False) == "chatgpt"
