"""Quiet hours and mutes: when a channel wants its alerts held, or not at all.

Pure values and rules; the store keeps them per channel and applies `hold_or_send` to
every outbox row it queues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import CommandError
from bot.events import Event
from bot.models import Severity

ALL_PROVIDERS = "*"
MAX_MUTE = timedelta(days=30)
_CLOCK = re.compile(r"^([01]?\d|2[0-3])(?::([0-5]\d))?$")
_DURATION = re.compile(r"^(\d{1,5})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)?$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Every day from `start_minute` to `end_minute` (minutes after local midnight)."""

    start_minute: int
    end_minute: int
    timezone: str = "UTC"

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`22:00-07:00 [Area/City]`; CommandError with the usage otherwise."""
        words = text.split()
        if not 1 <= len(words) <= 2 or "-" not in words[0]:
            raise CommandError(QUIET_USAGE)
        start, _, end = words[0].partition("-")
        zone = words[1] if len(words) == 2 else "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f"I don't know the timezone '{zone[:40]}'. Use a name like Europe/Paris or UTC."
            ) from None
        hours = cls(_minute_of_day(start), _minute_of_day(end), zone)
        if hours.start_minute == hours.end_minute:
            raise CommandError("Quiet hours need an end different from their start.")
        return hours

    def active(self, now: datetime) -> bool:
        minute = _local_minute(now, self.timezone)
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute

    def ends_after(self, now: datetime) -> datetime:
        """The next end of quiet time after `now` (an aware UTC-comparable datetime)."""
        local = now.astimezone(ZoneInfo(self.timezone))
        hour, minute = divmod(self.end_minute, 60)
        end = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(now.tzinfo)

    def describe(self) -> str:
        return f"{_clock(self.start_minute)}–{_clock(self.end_minute)} {self.timezone}"


QUIET_USAGE = (
    "Usage: quiet 22:00-07:00 [Area/City] (hold alerts then, summed up when it ends; "
    "timezone UTC unless given), or quiet off."
)


@dataclass(frozen=True, slots=True)
class ChannelHush:
    """What a channel asked for: quiet hours, and mutes by provider (`*`: all) until when."""

    quiet: QuietHours | None = None
    mutes: dict[str, datetime] = field(default_factory=dict)

    def muted(self, provider: str, now: datetime) -> bool:
        return any(
            until > now for key, until in self.mutes.items() if key in (provider, ALL_PROVIDERS)
        )


class Disposition(StrEnum):
    SEND = "send"
    HOLD = "hold"
    DROP = "drop"


def hold_or_send(
    hush: ChannelHush | None, event: Event, now: datetime, wake_on_major: bool = False
) -> tuple[Disposition, datetime | None]:
    """Send now, hold until the quiet time ends (returned), or drop (muted).

    A sample card someone asked for is always sent; a major outage comes through quiet
    hours when the subscription says so.
    """
    if hush is None or event.test:
        return Disposition.SEND, None
    if hush.muted(event.provider, now):
        return Disposition.DROP, None
    if hush.quiet is not None and hush.quiet.active(now):
        if wake_on_major and event.severity >= Severity.MAJOR_OUTAGE:
            return Disposition.SEND, None
        return Disposition.HOLD, hush.quiet.ends_after(now)
    return Disposition.SEND, None


def parse_duration(text: str) -> timedelta:
    """`30m`, `2h`, `1d`, `90` (minutes); at most 30 days."""
    match = _DURATION.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise CommandError(
            f"I can't read the duration '{text[:20]}': use 30m, 2h or 1d (at most 30 days)."
        )
    amount, unit = int(match.group(1)), (match.group(2) or "m")[0]
    span = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(days=amount)
    )
    if span > MAX_MUTE:
        raise CommandError("Mutes last at most 30 days; unsubscribe to stop alerts for good.")
    return span


def _minute_of_day(text: str) -> int:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise CommandError(f"I can't read the time '{text[:10]}'. {QUIET_USAGE}")
    return int(match.group(1)) * 60 + int(match.group(2) or 0)


def _local_minute(now: datetime, zone: str) -> int:
    local = now.astimezone(ZoneInfo(zone))
    return local.hour * 60 + local.minute


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
