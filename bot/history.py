"""Incident history, pure: one record per incident, a provider's history over a period,
and what past incidents suggest.

The store keeps one record per incident (bot/store/history.py); with the availability of
the period (bot/availability.py) this module gives the numbers people ask for: uptime, how
long incidents usually last, how long the official page lagged the first signal, and an
expectation ("history, not a promise") while an incident is open.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.availability import MinuteSample, Span, Strip, Uptime, runs
from bot.models import Severity
from bot.render import human_duration

# An expectation needs at least this many past incidents of the same severity.
MIN_PAST_INCIDENTS = 3
PAST_INCIDENTS_SHOWN = 10
# "80 % over within 2 h": the first of these limits that most past incidents stayed under.
WITHIN_LIMITS_S = (15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600)
MOST = 0.75


class Period(StrEnum):
    """The periods `/statusbot history` and the board offer."""

    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"

    @property
    def span(self) -> timedelta:
        return {
            Period.DAY: timedelta(hours=24),
            Period.WEEK: timedelta(days=7),
            Period.MONTH: timedelta(days=30),
            Period.QUARTER: timedelta(days=90),
        }[self]

    @property
    def words(self) -> str:
        return {
            Period.DAY: "last 24 hours",
            Period.WEEK: "last 7 days",
            Period.MONTH: "last 30 days",
            Period.QUARTER: "last 90 days",
        }[self]

    @classmethod
    def parse(cls, text: str) -> Period | None:
        """`30d`, `30 days`, `24h`, `1d`, `week`…; None when it is not a period."""
        key = text.strip().lower().replace(" ", "")
        for long, short in (("days", "d"), ("day", "d"), ("hours", "h"), ("hour", "h")):
            key = key.replace(long, short)
        aliases = {
            "24h": cls.DAY,
            "1d": cls.DAY,
            "d": cls.DAY,
            "7d": cls.WEEK,
            "1w": cls.WEEK,
            "week": cls.WEEK,
            "30d": cls.MONTH,
            "1m": cls.MONTH,
            "month": cls.MONTH,
            "90d": cls.QUARTER,
            "3m": cls.QUARTER,
            "quarter": cls.QUARTER,
        }
        return aliases.get(key)


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """One incident as history keeps it: the times that matter and how long it took."""

    provider: str
    incident_key: str
    title: str
    severity: Severity
    components: tuple[str, ...]
    first_signal_at: datetime
    official_at: datetime | None = None  # when the official page first named an incident
    recovered_at: datetime | None = None  # probes saw it working again (early warning)
    resolved_at: datetime | None = None
    url: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.resolved_at is None:
            return None
        return max(0.0, (self.resolved_at - self.first_signal_at).total_seconds())

    @property
    def lag_s(self) -> float | None:
        """How long the official page took after the first signal; None without one."""
        if self.official_at is None:
            return None
        return max(0.0, (self.official_at - self.first_signal_at).total_seconds())

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True, slots=True)
class EarlySignal:
    """What the early warning saw of an official incident: our own first signal, when the
    page confirmed it, when our probes saw it answering again."""

    incident_key: str
    first_signal_at: datetime | None
    confirmed_at: datetime | None
    probes_recovered_at: datetime | None


def with_early_signals(
    records: Sequence[IncidentRecord], signals: Iterable[EarlySignal]
) -> list[IncidentRecord]:
    """Incidents with the early warning's times where it saw them first: the lag is then
    from our own first signal to the page's confirmation, not only the page's own delay."""
    by_key = {s.incident_key: s for s in signals}
    out = []
    for record in records:
        signal = by_key.get(record.incident_key)
        if signal is None:
            out.append(record)
            continue
        first = record.first_signal_at
        if signal.first_signal_at is not None and signal.first_signal_at < first:
            first = signal.first_signal_at
        out.append(
            dataclasses.replace(
                record,
                first_signal_at=first,
                official_at=signal.confirmed_at or record.official_at,
                recovered_at=signal.probes_recovered_at or record.recovered_at,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class HistoryView:
    """Everything a chart, a summary and the board show about one provider and period."""

    provider: str
    name: str
    period: Period
    start: datetime
    end: datetime
    uptime: Uptime
    # Only the minutes that were not operational; every other observed minute was.
    samples: Sequence[MinuteSample]
    # Stretches nothing was observed (the bot was not running, the page could not be read).
    gaps: Sequence[tuple[datetime, datetime]]
    incidents: Sequence[IncidentRecord]

    # Our own probes of the provider (early warning), when it has any: not official, so
    # never counted in the uptime above.
    probes: Strip | None = None

    def spans(self, component: str | None = None) -> list[Span]:
        """The period as runs of one state, (from, to, severity), for the service
        (`component` None) or one component; None where nothing was observed."""
        return runs(self.samples, self.gaps, self.start, self.end, component)

    def probe_spans(self) -> list[Span] | None:
        """The same for our probes: failing is drawn as an outage, slow as degraded."""
        if self.probes is None or not self.probes.uptime.observed_min:
            return None
        return runs(self.probes.samples, self.probes.gaps, self.start, self.end, None)

    @property
    def components(self) -> list[str]:
        """Components that had trouble in the period, worst-hit first."""
        bad: dict[str, int] = {}
        for sample in self.samples:
            for name in sample.components:
                bad[name] = bad.get(name, 0) + 1
        return sorted(bad, key=lambda n: (-bad[n], n))

    @property
    def ended(self) -> list[IncidentRecord]:
        return [i for i in self.incidents if i.duration_s is not None]

    def median_duration_s(self) -> float | None:
        durations = [i.duration_s for i in self.ended if i.duration_s is not None]
        return statistics.median(durations) if durations else None

    def median_lag_s(self) -> float | None:
        lags = [i.lag_s for i in self.incidents if i.lag_s is not None]
        return statistics.median(lags) if lags else None

    def summary(self) -> str:
        """The text beside the chart: uptime, incident count, median duration and lag."""
        count = len(self.incidents)
        parts = [f"{self.name}, {self.period.words}: uptime {self.uptime.text()}"]
        parts.append(f"{count} incident{'' if count == 1 else 's'}")
        median = self.median_duration_s()
        if median is not None:
            parts.append(f"median duration {human_duration(median)}")
        lag = self.median_lag_s()
        if lag is not None:
            parts.append(f"median lag of the official page {human_duration(lag)}")
        if self.probes is not None and self.probes.uptime.ratio is not None:
            parts.append(f"our probes got answers {self.probes.uptime.text()} of the time")
        open_now = [i for i in self.incidents if i.is_open]
        text = ", ".join(parts) + "."
        if open_now:
            text += f" Open now: {open_now[-1].title}."
        return text

    def alt_text(self) -> str:
        """What the chart shows, for people who cannot see it."""
        strips = self.components
        what = (
            f"one strip for the whole service and one for each of {len(strips)} "
            f"component{'' if len(strips) == 1 else 's'} with trouble ({', '.join(strips[:5])}"
            f"{', …' if len(strips) > 5 else ''})"
            if strips
            else "one strip for the whole service"
        )
        longest = sorted(self.ended, key=lambda i: -(i.duration_s or 0))[:3]
        worst = "; ".join(
            f"{i.title} ({human_duration(i.duration_s or 0)})" for i in longest if i.duration_s
        )
        if self.probe_spans() is not None:
            what += ", and one for our own probes of it"
        text = (
            f"Availability chart of {self.name} over the {self.period.words}: {what}, "
            f"green when operational, amber when degraded, red during outages, blue for "
            f"maintenance. Uptime {self.uptime.text()}, {len(self.incidents)} incidents."
        )
        return text + (f" Longest: {worst}." if worst else "")


SEVERITY_PLURAL: dict[Severity, str] = {
    Severity.DEGRADED: "degraded-performance incidents",
    Severity.PARTIAL_OUTAGE: "partial outages",
    Severity.MAJOR_OUTAGE: "major outages",
}


def expectation(name: str, severity: Severity, past_durations_s: Sequence[float]) -> str | None:
    """ "History, not a promise" from the provider's past incidents of the same severity
    (newest first); None with too few of them to say anything."""
    if severity not in SEVERITY_PLURAL:
        return None
    durations = list(past_durations_s[:PAST_INCIDENTS_SHOWN])
    if len(durations) < MIN_PAST_INCIDENTS:
        return None
    median = statistics.median(durations)
    text = (
        f"History, not a promise: {name}'s past {len(durations)} "
        f"{SEVERITY_PLURAL[severity]} lasted a median {human_duration(median)}"
    )
    for limit in WITHIN_LIMITS_S:
        share = sum(d <= limit for d in durations) / len(durations)
        if share >= MOST:
            text += f"; {round(share * 100)} % were over within {human_duration(limit)}"
            break
    return text + "."
