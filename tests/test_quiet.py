"""Quiet hours and mutes as rules: when a channel's alert is sent, held or dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import CommandError
from bot.events import Event, EventKind
from bot.models import Severity
from bot.quiet import ChannelHush, Disposition, QuietHours, hold_or_send, parse_duration

NIGHT = QuietHours.parse("22:00-07:00 Europe/Paris")


def event(severity: Severity = Severity.PARTIAL_OUTAGE, **changes: object) -> Event:
    at = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    fields: dict[str, object] = {
        "kind": EventKind.OUTAGE,
        "provider": "openai",
        "source_id": "openai",
        "page_name": "OpenAI",
        "incident_key": "inc-1",
        "title": "Errors",
        "severity": severity,
        "at": at,
        "started_at": at,
    }
    fields.update(changes)
    return Event(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [("20:59", False), ("21:00", True), ("23:59", True), ("05:59", True), ("06:00", False)],
)
def test_quiet_hours_span_midnight_in_the_channels_timezone(utc: str, quiet: bool) -> None:
    hour, minute = map(int, utc.split(":"))
    now = datetime(2026, 11, 25, hour, minute, tzinfo=UTC)  # Paris is UTC+1 in November
    assert NIGHT.active(now) is quiet


def test_quiet_time_ends_at_the_next_local_end() -> None:
    now = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert NIGHT.ends_after(now) == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert NIGHT.describe() == "22:00–07:00 Europe/Paris"


@pytest.mark.parametrize("text", ["22:00", "22-22", "25:00-07:00", "22:00-07:00 Mars/Base", ""])
def test_unreadable_quiet_hours_say_how(text: str) -> None:
    with pytest.raises(CommandError):
        QuietHours.parse(text)


def test_durations() -> None:
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("90") == timedelta(minutes=90)
    for bad in ("0m", "31d", "soon", "-5m"):
        with pytest.raises(CommandError):
            parse_duration(bad)


def test_held_in_quiet_hours_unless_a_major_outage_may_wake_the_channel() -> None:
    hush = ChannelHush(quiet=NIGHT)
    now = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    ends = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)

    assert hold_or_send(hush, event(), now) == (Disposition.HOLD, ends)
    assert hold_or_send(hush, event(Severity.MAJOR_OUTAGE), now) == (Disposition.HOLD, ends)
    assert hold_or_send(hush, event(Severity.MAJOR_OUTAGE), now, wake_on_major=True) == (
        Disposition.SEND,
        None,
    )
    assert hold_or_send(hush, event(test=True), now) == (Disposition.SEND, None)
    assert hold_or_send(hush, event(), now + timedelta(hours=8)) == (Disposition.SEND, None)


def test_a_mute_drops_its_provider_or_all_until_it_ends() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    one = ChannelHush(mutes={"openai": now + timedelta(hours=1)})
    every = ChannelHush(mutes={"*": now + timedelta(hours=1)})

    assert hold_or_send(one, event(), now)[0] is Disposition.DROP
    assert hold_or_send(one, event(provider="anthropic"), now)[0] is Disposition.SEND
    assert hold_or_send(every, event(provider="anthropic"), now)[0] is Disposition.DROP
    assert hold_or_send(one, event(), now + timedelta(hours=2))[0] is Disposition.SEND
