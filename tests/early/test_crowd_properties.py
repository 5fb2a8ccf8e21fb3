"""More properties of crowd counting: the counts nest (workspaces ≤ channels ≤ people), a spike
always spans enough channels and people, and one person's paced clicks stay few."""

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
    may_count_click,
)

NOW = datetime(2026, 2, 3, 20, 30, tzinfo=UTC)
RULES = CrowdRules(min_users=3, min_channels=2, window_s=600)
PROPS = settings(max_examples=100, deadline=None)

reports = st.builds(
    CrowdReport,
    provider=st.just("openai"),
    platform=st.sampled_from(["slack", "discord"]),
    workspace_id=st.sampled_from(["T1", "T2", None]),
    channel_id=st.sampled_from([f"C{n}" for n in range(6)]),
    user_id=st.sampled_from([f"U{n}" for n in range(10)]),
    kind=st.sampled_from(list(ReportKind)),
    at=st.floats(min_value=0, max_value=900).map(lambda s: NOW - timedelta(seconds=s)),
)


@PROPS
@given(st.lists(reports, max_size=80))
def test_counts_nest(batch: list[CrowdReport]) -> None:
    crowd = count(batch, "openai", NOW, RULES.window_s)
    assert crowd.workspaces <= crowd.channels <= crowd.users
    people = {r.person for r in batch if NOW - timedelta(seconds=600) < r.at <= NOW}
    assert crowd.users + crowd.works == len(people)
    assert len(crowd.user_times) == crowd.users
    assert list(crowd.user_times) == sorted(crowd.user_times)


@PROPS
@given(st.lists(reports, max_size=80), st.floats(min_value=0, max_value=30))
def test_a_spike_has_enough_people_and_channels(batch: list[CrowdReport], mean: float) -> None:
    crowd = count(batch, "openai", NOW, RULES.window_s)
    if is_spike(crowd, CrowdBaseline(mean=mean, windows=10), RULES):
        assert crowd.users >= RULES.min_users
        assert crowd.channels >= RULES.min_channels
        assert crowd.users > crowd.works


@PROPS
@given(
    st.lists(st.floats(min_value=0, max_value=3600), max_size=200),
    st.floats(min_value=1, max_value=120),
)
def test_paced_clicks_are_at_most_one_per_pace(offsets: list[float], every: float) -> None:
    counted: list[datetime] = []
    for offset in sorted(offsets):
        at = NOW + timedelta(seconds=offset)
        if may_count_click(counted[-1] if counted else None, at, every):
            counted.append(at)
    span = (counted[-1] - counted[0]).total_seconds() if counted else 0.0
    assert len(counted) <= span / every + 1
    gaps = [(b - a).total_seconds() for a, b in zip(counted, counted[1:], strict=False)]
    assert all(gap >= every for gap in gaps)
