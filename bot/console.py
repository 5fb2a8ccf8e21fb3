"""The console channel: every event, printed, with no tokens needed."""

from __future__ import annotations

import json
import sys
from typing import ClassVar, TextIO

from bot.notify import CardRef, Delivery, SaveCard
from bot.render import event_record, one_line
from bot.untrusted import json_line_safe


class ConsoleNotifier:
    """Prints each event as a readable line, or as a JSON line with `json_lines`."""

    platform: ClassVar[str] = "console"
    per_channel_interval_s: ClassVar[float] = 0.0
    # Record first, then print: a crash can never make a line appear twice.
    commit_first: ClassVar[bool] = True

    def __init__(self, json_lines: bool = False, stream: TextIO | None = None) -> None:
        self.json_lines = json_lines
        self.stream = stream or sys.stdout

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef:
        self.print_event(delivery)
        return delivery.card or CardRef(message_id=delivery.key)

    def print_event(self, delivery: Delivery) -> None:
        if self.json_lines:
            record = {"delivery_id": delivery.key, **event_record(delivery.event)}
            line = json_line_safe(json.dumps(record, ensure_ascii=False))
        else:
            line = one_line(delivery.event)
        self.stream.write(line + "\n")
        self.stream.flush()

    async def aclose(self) -> None:
        return None
