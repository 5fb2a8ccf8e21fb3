"""Block Kit rendering of incident cards, thread replies and status reports.

Every message also carries a plain `text` fallback (notifications, screen readers).
Limits: https://api.slack.com/reference/block-kit/blocks (section text 3000 chars,
header 150, 50 blocks per message) and https://api.slack.com/reference/surfaces/formatting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.crowd_desk import asks_the_crowd
from bot.events import Event, EventKind
from bot.render import card_facts, reply_text, utc_text
from bot.status import StatusReport
from integrations.slack.mrkdwn import escape, link, live_mention

Block = dict[str, Any]


class SlackLimits:
    """Slack's documented limits; longer text is cut with an ellipsis."""

    SECTION_TEXT = 3000
    FIELD_TEXT = 2000
    MAX_FIELDS = 10
    HEADER_TEXT = 150
    CONTEXT_TEXT = 2000
    MAX_BLOCKS = 50
    FALLBACK_TEXT = 4000


def truncate(text: str, limit: int) -> str:
    """Cut to at most `limit` characters, marking the cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(at: datetime) -> str:
    """A time each reader sees in their own timezone; the fallback (old clients) in UTC.

    https://api.slack.com/reference/surfaces/formatting#date-formatting
    """
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{utc_text(at)}>"


def _header(text: str) -> Block:
    return {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": truncate(text, SlackLimits.HEADER_TEXT),
            "emoji": True,
        },
    }


def _section(mrkdwn: str) -> Block:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(mrkdwn, SlackLimits.SECTION_TEXT)},
    }


def _fields(pairs: list[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": truncate(f"*{name}*\n{value}", SlackLimits.FIELD_TEXT)}
            for name, value in pairs[: SlackLimits.MAX_FIELDS]
        ],
    }


def _context(mrkdwn: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, SlackLimits.CONTEXT_TEXT)}],
    }


def _cap(blocks: list[Block]) -> list[Block]:
    return blocks[: SlackLimits.MAX_BLOCKS]


def card_blocks(event: Event) -> list[Block]:
    """The living incident card: the full current state, never a diff."""
    facts = card_facts(event)
    provider = event.page_name
    fields = [("Provider", escape(provider)), ("State", escape(facts.state))]
    if facts.official_status:
        fields.append(("Official status", escape(facts.official_status)))
    fields.append(("Started", local_time(event.started_at)))
    if facts.duration and event.kind in (EventKind.RESTORED, EventKind.MAINTENANCE_ENDED):
        fields.append(("Duration", facts.duration))
    blocks = [_header(facts.headline), _section(f"*{escape(facts.title)}*"), _fields(fields)]
    if facts.components:
        blocks.append(_section("*Affected components*\n" + escape(", ".join(facts.components))))
    if facts.reasons:
        blocks.append(_section("*Why we think so*\n" + _bullets(facts.reasons)))
    if facts.latest_update:
        blocks.append(_section("*Latest official update*\n" + escape(facts.latest_update)))
    if facts.lag:
        blocks.append(_section("*Official lag*\n" + _bullets(facts.lag)))
    page_link = link(facts.url, "Official status page")
    if page_link:
        blocks.append(_section(page_link))
    if facts.expectation:
        blocks.append(_context("📊 " + escape(facts.expectation)))
    blocks.append(_context(f"{escape(event.page_name)} · updated {local_time(event.at)}"))
    if asks_the_crowd(event):
        return [*_cap(blocks)[: SlackLimits.MAX_BLOCKS - 1], crowd_actions(event.provider)]
    return _cap(blocks)


# Button clicks come back as block_actions with these action ids and the provider as value.
CROWD_DOWN, CROWD_WORKS = "crowd_down", "crowd_works"


def crowd_actions(provider: str) -> Block:
    """ "Down for me too" / "Works for me": the chat crowd's early-warning signal."""
    return {
        "type": "actions",
        "block_id": "crowd",
        "elements": [
            {
                "type": "button",
                "action_id": CROWD_DOWN,
                "text": {"type": "plain_text", "text": "Down for me too", "emoji": True},
                "value": provider,
                "style": "danger",
            },
            {
                "type": "button",
                "action_id": CROWD_WORKS,
                "text": {"type": "plain_text", "text": "Works for me", "emoji": True},
                "value": provider,
            },
        ],
    }


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {escape(line)}" for line in lines)


def card_text(event: Event) -> str:
    """The card's `text` fallback (push notifications, unfurl-less clients), escaped too."""
    facts = card_facts(event)
    parts = [facts.headline, facts.title]
    if facts.components:
        parts.append("Affected: " + ", ".join(facts.components))
    parts.extend(facts.reasons)
    if facts.latest_update:
        parts.append(facts.latest_update)
    parts.extend(facts.lag)
    if facts.url:
        parts.append(facts.url)
    if facts.expectation:
        parts.append(facts.expectation)
    return truncate(escape("\n".join(parts)), SlackLimits.FALLBACK_TEXT)


def reply_blocks(event: Event, held: int = 0) -> tuple[str, list[Block]]:
    """A thread reply (with the quiet-hours note when updates were held): (text, blocks)."""
    text = escape(reply_text(event, held))
    return truncate(text, SlackLimits.FALLBACK_TEXT), [_section(text)]


# The only mention the bot ever writes: a subscription's opt-in for major outages.
HERE = live_mention("here")


def with_mention(mention: str | None, text: str, blocks: list[Block]) -> tuple[str, list[Block]]:
    """Prefix an alert with `@here` when the subscription opted in (`mention == "here"`)."""
    if mention != "here":
        return text, blocks
    return f"{HERE} {text}", _cap([_section(HERE), *blocks])


def report_blocks(report: StatusReport) -> tuple[str, list[Block]]:
    """`/is-chatgpt-down`: verdict first, then the details; (fallback text, blocks)."""
    lines = report.lines()
    blocks = [_section(f"*{escape(lines[0])}*")]
    if len(lines) > 1:
        details = "\n".join(escape(line) for line in lines[1:])
        # The times in the reader's own timezone (the UTC text stays as the fallback).
        for at in (report.provider.unreachable_since, report.provider.last_checked):
            if at is not None:
                details = details.replace(utc_text(at), local_time(at))
        blocks.append(_section(details))
    blocks.append(crowd_actions(report.provider.key))
    return truncate(escape(report.text()), SlackLimits.FALLBACK_TEXT), _cap(blocks)


def plain_message(text: str) -> tuple[str, list[Block]]:
    """A short answer (errors, subscribe confirmations): (escaped fallback, one section)."""
    escaped = escape(text)
    return truncate(escaped, SlackLimits.FALLBACK_TEXT), [_section(escaped)]
