"""Crowd buttons in Slack blocks: open cards carry them, ended cards do not."""

from __future__ import annotations

from typing import Any

import pytest

from bot.events import EventKind
from integrations.slack.blocks import card_blocks
from tests.slack.conftest import make_event


def crowd_buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (e["action_id"], e["value"], e["text"]["text"])
        for block in blocks
        if block["type"] == "actions"
        for e in block["elements"]
    ]


@pytest.mark.parametrize("kind", [EventKind.DEGRADED, EventKind.OUTAGE, EventKind.UPDATE])
def test_an_open_card_asks_the_crowd(kind: EventKind) -> None:
    assert crowd_buttons(card_blocks(make_event(kind))) == [
        ("crowd_down", "openai", "Down for me too"),
        ("crowd_works", "openai", "Works for me"),
    ]


@pytest.mark.parametrize(
    "kind", [EventKind.RESTORED, EventKind.MAINTENANCE_STARTED, EventKind.FALSE_ALARM]
)
def test_an_ended_card_does_not(kind: EventKind) -> None:
    assert crowd_buttons(card_blocks(make_event(kind))) == []


def test_a_huge_card_keeps_its_buttons_within_the_block_limit() -> None:
    event = make_event(EventKind.OUTAGE, components=tuple(f"C{n}" for n in range(500)))
    blocks = card_blocks(event)
    assert len(blocks) <= 50
    assert blocks[-1]["block_id"] == "crowd"
