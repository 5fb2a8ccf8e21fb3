"""Crowd reports as they come in, against the real store: thanks with the count, clicks paced
per person (one person clicking repeatedly is one report), asks counted, junk refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.crowd import ReportKind
from bot.crowd_desk import CrowdDesk, Reporter
from bot.errors import CommandError
from bot.fusion import Verdict
from bot.store.store import Store

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Fuser:
    steps: list[str] = field(default_factory=list)

    async def step(self, provider: str) -> Verdict | None:
        self.steps.append(provider)
        return None


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    store = Store(sqlite_url)
    await store.initialize()
    yield store
    await store.aclose()


def desk(store: Store, clock: Clock, fuser: Fuser) -> CrowdDesk:
    return CrowdDesk(
        {"openai": "OpenAI"}, store.signals, fuser, window_s=600, click_every_s=30, clock=clock
    )


def person(user: str, channel: str = "C1", workspace: str | None = "T1") -> Reporter:
    return Reporter("slack", workspace, channel, user)


async def test_a_click_is_counted_thanked_and_fused(store: Store) -> None:
    clock, fuser = Clock(), Fuser()
    crowd = desk(store, clock, fuser)
    await crowd.asked("openai", person("U1", "C1"))
    text = await crowd.clicked("openai", person("U2", "C2"), ReportKind.DOWN)
    assert text == "Thanks — 2 people in 2 channels report this."
    assert fuser.steps == ["openai", "openai"]


async def test_clicking_again_soon_counts_once(store: Store) -> None:
    clock, fuser = Clock(), Fuser()
    crowd = desk(store, clock, fuser)
    await crowd.clicked("openai", person("U1"), ReportKind.DOWN)
    for seconds in (1, 10, 29):
        clock.now = T0 + timedelta(seconds=seconds)
        text = await crowd.clicked("openai", person("U1"), ReportKind.WORKS)
        assert text.startswith("Thanks — you told me a moment ago; that counts once.")
    assert (await crowd.count("openai")).users == 1  # the "works" clicks did not count
    clock.now = T0 + timedelta(seconds=31)
    text = await crowd.clicked("openai", person("U1"), ReportKind.WORKS)
    assert text == "Thanks — noted that OpenAI works for you. No one reports a problem right now."
    assert fuser.steps == ["openai", "openai"]


async def test_pacing_is_per_person_not_per_channel(store: Store) -> None:
    crowd = desk(store, Clock(), Fuser())
    for n in range(3):
        await crowd.clicked("openai", person(f"U{n}", f"C{n % 2}"), ReportKind.DOWN)
    count = await crowd.count("openai")
    assert (count.users, count.channels) == (3, 2)
    # The same user id in another workspace is another person.
    text = await crowd.clicked("openai", person("U0", "C9", workspace="T2"), ReportKind.DOWN)
    assert text == "Thanks — 4 people in 3 channels report this."


async def test_a_button_for_a_provider_not_watched_is_refused(store: Store) -> None:
    crowd = desk(store, Clock(), Fuser())
    with pytest.raises(CommandError):
        await crowd.clicked("<!channel>", person("U1"), ReportKind.DOWN)
    assert (await crowd.count("openai")).users == 0


async def test_old_reports_leave_the_window_and_the_store(store: Store) -> None:
    clock = Clock()
    crowd = desk(store, clock, Fuser())
    await crowd.asked("openai", person("U1"))
    clock.now = T0 + timedelta(minutes=11)
    assert (await crowd.count("openai")).users == 0
    assert await store.signals.prune_reports(T0 + timedelta(seconds=1)) == 1
