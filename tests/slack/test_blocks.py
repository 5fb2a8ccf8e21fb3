"""Block Kit rendering stays inside Slack's limits and never loses the plain-text fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.events import EventKind
from bot.models import Severity
from bot.status import ProviderStatus, StatusReport, Verdict
from fakes.slack import FakeSlack
from integrations.slack.blocks import SlackLimits, card_blocks, card_text, report_blocks
from integrations.slack.notifier import SlackNotifier
from tests.slack.conftest import SavedCards, make_delivery, make_event


def _texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        for element in block.get("elements", []):
            text = element["text"]  # a context's mrkdwn, or a button's plain_text label
            out.append(text if isinstance(text, str) else text["text"])
    return out


def test_huge_incident_is_truncated_to_slack_limits_with_ellipsis() -> None:
    event = make_event(
        EventKind.OUTAGE,
        page_name="P" * 400,
        title="T" * 5000,
        text="U" * 10_000,
        components=tuple(f"component {i}" for i in range(500)),
    )
    blocks = card_blocks(event)

    assert len(blocks) <= SlackLimits.MAX_BLOCKS
    header = blocks[0]["text"]["text"]
    assert len(header) == SlackLimits.HEADER_TEXT
    assert header.endswith("…")
    texts = _texts(blocks)
    assert all(len(t) <= SlackLimits.SECTION_TEXT for t in texts)
    assert any(t.endswith("U…") for t in texts)
    assert card_text(event)
    assert len(card_text(event)) <= SlackLimits.FALLBACK_TEXT


def test_official_text_cannot_inject_slack_markup() -> None:
    event = make_event(EventKind.OUTAGE, text="Errors <!channel> & <https://evil.example|click>")
    rendered = " ".join(_texts(card_blocks(event)))

    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in rendered


def test_status_report_puts_the_verdict_first() -> None:
    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    incident = make_event(EventKind.OUTAGE, started_at=now - timedelta(minutes=47))
    openai = ProviderStatus(
        key="openai",
        name="OpenAI",
        verdict=Verdict.OUTAGE,
        severity=Severity.PARTIAL_OUTAGE,
        incidents=(incident,),
        components=(("ChatGPT", "partial outage"),),
        url="https://status.openai.com",
        last_checked=now - timedelta(minutes=1),
        unreachable_since=None,
        last_error=None,
    )
    claude = ProviderStatus(
        "anthropic", "Anthropic", Verdict.OPERATIONAL, Severity.OPERATIONAL, (), (),
        None, now, None, None,
    )  # fmt: skip
    text, blocks = report_blocks(StatusReport(openai, (claude,), now))

    assert text.splitlines()[0] == "🔴 OpenAI is having an outage"
    assert blocks[0]["text"]["text"] == "*🔴 OpenAI is having an outage*"
    details = blocks[1]["text"]["text"]
    assert "started 47 min ago" in details
    assert "Affected: ChatGPT (partial outage)" in details
    assert "Up right now: Anthropic ✅" in details


async def test_rate_limited_channel_loses_and_doubles_nothing(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.rate_limit_enabled = True
    saved = SavedCards()
    ref = await notifier.deliver(make_delivery(make_event(EventKind.OUTAGE)), saved)
    for n in range(2, 4):
        update = make_event(EventKind.UPDATE, text=f"update {n}")
        await notifier.deliver(make_delivery(update, delivery_id=n, card=ref), saved)

    statuses = [c.status for c in slack.calls_to("chat.postMessage")]
    assert 429 in statuses
    assert len(slack.top_level("C0ALERTS")) == 1
    replies = [r.text for r in slack.replies("C0ALERTS", ref.message_id)]
    assert replies[1:] == [
        "🟠 Update · Investigating: update 2",
        "🟠 Update · Investigating: update 3",
    ]


def test_card_times_are_shown_in_each_readers_timezone() -> None:
    event = make_event(EventKind.OUTAGE)
    texts = " ".join(_texts(card_blocks(event)))
    started = int(event.started_at.timestamp())

    # Slack renders <!date^…> in the reader's own timezone; old clients get the UTC fallback.
    assert f"<!date^{started}^{{date_short_pretty}} {{time}}|2026-11-25 13:00 UTC>" in texts
    assert f"<!date^{int(event.at.timestamp())}^" in texts


def test_the_status_report_shows_when_it_was_checked_in_each_readers_timezone() -> None:
    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    checked = now - timedelta(minutes=1)
    openai = ProviderStatus(
        key="openai",
        name="OpenAI",
        verdict=Verdict.OPERATIONAL,
        severity=Severity.OPERATIONAL,
        incidents=(),
        components=(),
        url="https://status.openai.com",
        last_checked=checked,
        unreachable_since=None,
        last_error=None,
    )
    text, blocks = report_blocks(StatusReport(provider=openai, alternatives=(), now=now))
    shown = " ".join(_texts(blocks))
    assert f"<!date^{int(checked.timestamp())}^{{date_short_pretty}} {{time}}|" in shown
    assert "2026-11-25 13:59 UTC" in text  # the plain fallback keeps UTC
