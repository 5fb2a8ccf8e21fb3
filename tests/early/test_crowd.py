"""The chat crowd, counted: property tests (one person counts once) and the spike rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crowd import (
    CrowdBaseline,
    CrowdReport,
    CrowdRules,
    ReportKind,
    count,
    is_spike,
    learn,
    may_count_click,
    spike_since,
    threshold,
)

T0 = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=30)
RULES = CrowdRules(min_users=3, min_channels=2, window_s=600)
PROPS = settings(max_examples=80, deadline=None)


def report(
    user: str,
    channel: str = "C1",
    kind: ReportKind = ReportKind.DOWN,
    minutes_ago: float = 1,
    workspace: str | None = "T1",
    platform: str = "slack",
    provider: str = "openai",
) -> CrowdReport:
    return CrowdReport(
        provider=provider,
        platform=platform,
        workspace_id=workspace,
        channel_id=channel,
        user_id=user,
        kind=kind,
        at=NOW - timedelta(minutes=minutes_ago),
    )


reports = st.builds(
    report,
    user=st.sampled_from([f"U{n}" for n in range(8)]),
    channel=st.sampled_from([f"C{n}" for n in range(5)]),
    kind=st.sampled_from(list(ReportKind)),
    minutes_ago=st.floats(min_value=0, max_value=25),
    workspace=st.sampled_from(["T1", "T2", None]),
    platform=st.sampled_from(["slack", "discord"]),
    provider=st.sampled_from(["openai", "anthropic"]),
)


@PROPS
@given(st.lists(reports, max_size=60))
def test_a_person_counts_once_per_provider_per_window(batch: list[CrowdReport]) -> None:
    crowd = count(batch, "openai", NOW, RULES.window_s)
    people = {
        r.person for r in batch if r.provider == "openai" and r.at > NOW - timedelta(minutes=10)
    }
    assert crowd.users + crowd.works == len(people)
    assert crowd.channels <= crowd.users
    assert crowd.workspaces <= crowd.channels


@PROPS
@given(st.lists(reports, max_size=40), st.integers(min_value=1, max_value=20))
def test_clicking_again_changes_nothing(batch: list[CrowdReport], repeats: int) -> None:
    """One person clicking "Down for me too" many times is one person."""
    if not batch:
        return
    before = count(batch, "openai", NOW, RULES.window_s)
    last = max(batch, key=lambda r: r.at)
    again = [last] * repeats
    assert count(batch + again, "openai", NOW, RULES.window_s) == before


@PROPS
@given(st.lists(reports, max_size=40), st.randoms())
def test_order_of_arrival_does_not_matter(batch: list[CrowdReport], rnd: object) -> None:
    shuffled = list(batch)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert count(shuffled, "openai", NOW, 600) == count(batch, "openai", NOW, 600)


@PROPS
@given(st.lists(reports, max_size=40))
def test_other_providers_and_old_reports_never_count(batch: list[CrowdReport]) -> None:
    noise = [report(f"X{n}", provider="anthropic") for n in range(5)]
    noise += [report(f"Y{n}", minutes_ago=11) for n in range(5)]
    assert count(batch + noise, "openai", NOW, 600) == count(batch, "openai", NOW, 600)


@PROPS
@given(st.floats(min_value=0, max_value=50), st.integers(min_value=0, max_value=60))
def test_more_reporters_never_undo_a_spike(mean: float, users: int) -> None:
    baseline = CrowdBaseline(mean=mean, windows=100)
    batch = [report(f"U{n}", channel=f"C{n % 4}") for n in range(users)]
    more = batch + [report("extra", channel="C9")]
    if is_spike(count(batch, "openai", NOW, 600), baseline, RULES):
        assert is_spike(count(more, "openai", NOW, 600), baseline, RULES)


@PROPS
@given(st.floats(min_value=0, max_value=1000))
def test_threshold_never_below_the_floor_and_grows_with_the_baseline(mean: float) -> None:
    low = threshold(CrowdBaseline(mean=mean), RULES)
    high = threshold(CrowdBaseline(mean=mean + 5), RULES)
    assert RULES.min_users <= low <= high


def test_three_people_in_two_channels_is_a_spike_on_a_quiet_provider() -> None:
    batch = [report("U1", "C1"), report("U2", "C1"), report("U3", "C2")]
    crowd = count(batch, "openai", NOW, 600)
    assert (crowd.users, crowd.channels, crowd.workspaces) == (3, 2, 1)
    assert is_spike(crowd, CrowdBaseline(), RULES)


def test_one_channel_alone_is_chatter_not_a_spike() -> None:
    batch = [report(f"U{n}", "C1") for n in range(10)]
    assert not is_spike(count(batch, "openai", NOW, 600), CrowdBaseline(), RULES)


def test_works_for_me_outweighs() -> None:
    batch = [report("U1", "C1"), report("U2", "C2"), report("U3", "C3")]
    batch += [report(f"W{n}", "C4", ReportKind.WORKS) for n in range(4)]
    crowd = count(batch, "openai", NOW, 600)
    assert crowd.works == 4
    assert not is_spike(crowd, CrowdBaseline(), RULES)


def test_changing_your_mind_counts_your_latest_word() -> None:
    batch = [report("U1", minutes_ago=5), report("U1", kind=ReportKind.WORKS, minutes_ago=1)]
    crowd = count(batch, "openai", NOW, 600)
    assert (crowd.users, crowd.works) == (0, 1)


def test_same_user_id_in_two_workspaces_is_two_people() -> None:
    batch = [report("U1", "C1", workspace="T1"), report("U1", "C1", workspace="T2")]
    crowd = count(batch, "openai", NOW, 600)
    assert (crowd.users, crowd.channels, crowd.workspaces) == (2, 2, 2)


def test_a_busy_provider_needs_more_than_the_floor() -> None:
    baseline = CrowdBaseline(mean=4.0, windows=500)
    assert threshold(baseline, RULES) == 11  # 4 + 3*2 + 1
    batch = [report(f"U{n}", f"C{n}") for n in range(5)]
    assert not is_spike(count(batch, "openai", NOW, 600), baseline, RULES)


def test_spike_since_is_when_both_floors_were_reached() -> None:
    batch = [
        report("U1", "C1", minutes_ago=9),
        report("U2", "C1", minutes_ago=7),
        report("U3", "C1", minutes_ago=5),
        report("U4", "C2", minutes_ago=2),
    ]
    crowd = count(batch, "openai", NOW, 600)
    assert spike_since(crowd, CrowdBaseline(), RULES) == NOW - timedelta(minutes=2)


def test_baseline_learns_ordinary_days_and_skips_spikes() -> None:
    baseline = CrowdBaseline()
    quiet = count([report("U1", "C1")], "openai", NOW, 600)
    for _ in range(50):
        baseline = learn(baseline, quiet, RULES)
    assert 0.9 < baseline.mean <= 1.0
    spike = count([report(f"U{n}", f"C{n}") for n in range(30)], "openai", NOW, 600)
    assert learn(baseline, spike, RULES).mean == baseline.mean


def test_clicks_are_rate_limited_per_person() -> None:
    assert may_count_click(None, NOW, 30)
    assert not may_count_click(NOW - timedelta(seconds=10), NOW, 30)
    assert may_count_click(NOW - timedelta(seconds=31), NOW, 30)
