"""Availability, pure: what one minute of a provider looked like, runs of minutes, uptime.

The store keeps one sample per source and minute (bot/store/history.py): the worst severity
and each component that was not operational. Minutes without a sample are unknown ("no
data"), never counted as up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.models import COMPONENT_SEVERITY, IncidentStatus, Severity
from bot.state import SourceState

# Minutes at or above this severity count as down in uptime figures; degraded and
# maintenance minutes count as up (the service answers).
DOWN_FROM = Severity.PARTIAL_OUTAGE
ACTIVE_MAINTENANCE = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)


@dataclass(frozen=True, slots=True)
class MinuteSample:
    """How a provider's source looked during one minute: its worst severity, and each
    component that was not operational."""

    minute: datetime
    severity: Severity
    components: Mapping[str, Severity] = field(default_factory=dict)


def sample_of(state: SourceState, minute: datetime) -> MinuteSample | None:
    """What a source's committed state says about `minute`; None when nothing is known
    (before the first poll, or while the page cannot be read)."""
    if not state.baseline_done or state.unreachable_since is not None:
        return None
    components: dict[str, Severity] = {}
    for component in state.components.values():
        severity = COMPONENT_SEVERITY[component.status]
        if component.missing_since is None and severity > Severity.OPERATIONAL:
            components[component.name] = severity
    worst = max(components.values(), default=Severity.OPERATIONAL)
    for incident in state.open_incidents():
        if not incident.status.is_closed:
            worst = max(worst, incident.severity)
    if any(m.status in ACTIVE_MAINTENANCE for m in state.maintenances.values()):
        worst = max(worst, Severity.MAINTENANCE)
    return MinuteSample(minute, worst, components)


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def minute_number(at: datetime) -> int:
    """Minutes since the Unix epoch (how the store keys samples)."""
    return int((at - EPOCH).total_seconds() // 60)


def minute_at(number: int) -> datetime:
    return EPOCH + timedelta(minutes=number)


def worst_of(a: MinuteSample, b: MinuteSample) -> MinuteSample:
    """Two samples of one minute (two polls, or two sources of one provider) as one."""
    components = dict(a.components)
    for name, severity in b.components.items():
        components[name] = max(components.get(name, Severity.OPERATIONAL), severity)
    return MinuteSample(a.minute, max(a.severity, b.severity), components)


@dataclass(frozen=True, slots=True)
class Uptime:
    """Minutes observed and minutes down (partial or major outage) over a period."""

    observed_min: int
    down_min: int

    @property
    def ratio(self) -> float | None:
        if not self.observed_min:
            return None
        return 1.0 - self.down_min / self.observed_min

    def text(self) -> str:
        ratio = self.ratio
        return "no data yet" if ratio is None else percent(ratio)


def percent(ratio: float) -> str:
    """99.95 %, never "100 %" for something that had any downtime."""
    value = ratio * 100
    if 99.99 < value < 100:
        return "99.99 %"
    return f"{value:.2f} %".replace(".00 %", " %")


def merge_minutes(samples: Iterable[MinuteSample]) -> list[MinuteSample]:
    """One sample per minute, oldest first (a provider's several sources folded)."""
    by_minute: dict[datetime, MinuteSample] = {}
    for sample in samples:
        seen = by_minute.get(sample.minute)
        by_minute[sample.minute] = sample if seen is None else worst_of(seen, sample)
    return [by_minute[m] for m in sorted(by_minute)]


Span = tuple[datetime, datetime, Severity | None]


@dataclass(frozen=True, slots=True)
class Strip:
    """One line of availability over a period: minutes counted, the minutes that were not
    operational, and the stretches with no observation."""

    uptime: Uptime
    samples: Sequence[MinuteSample]
    gaps: Sequence[tuple[datetime, datetime]]


def runs(
    samples: Sequence[MinuteSample],
    gaps: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    component: str | None,
) -> list[Span]:
    """A period as runs of one state: operational wherever observed and nothing else is
    said, a sample's severity at its minute, None in the gaps."""
    minute = timedelta(minutes=1)
    marks: list[Span] = [(a, b, None) for a, b in gaps]
    for sample in samples:
        if component is None:
            worst = sample.severity
        else:
            worst = sample.components.get(component, Severity.OPERATIONAL)
        if worst > Severity.OPERATIONAL:
            marks.append((sample.minute, sample.minute + minute, worst))
    marks.sort(key=lambda m: m[0])
    out: list[Span] = []
    cursor = start

    def add(a: datetime, b: datetime, severity: Severity | None) -> None:
        if out and out[-1][1] == a and out[-1][2] == severity:
            out[-1] = (out[-1][0], b, severity)
        else:
            out.append((a, b, severity))

    for mark_start, mark_end, state in marks:
        a, b = max(mark_start, cursor), min(mark_end, end)
        if b <= a:
            continue
        if a > cursor:
            add(cursor, a, Severity.OPERATIONAL)
        add(a, b, state)
        cursor = b
    if cursor < end:
        add(cursor, end, Severity.OPERATIONAL)
    return out


@dataclass(frozen=True, slots=True)
class Day:
    """One UTC day of a provider: minutes observed, minutes down, the worst it got."""

    start: datetime
    observed_min: int
    down_min: int
    worst: Severity | None  # None: nothing observed that day

    @property
    def uptime(self) -> Uptime:
        return Uptime(self.observed_min, self.down_min)
