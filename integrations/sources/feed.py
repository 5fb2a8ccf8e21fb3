"""Parse RSS 2.0 / Atom status feeds into a Snapshot (one entry = one incident).

Handles Statuspage `history.rss`/`history.atom`, xAI's `feed.xml` (one item per affected
component, same guid), incident.io and Google Cloud feeds. feedparser docs:
https://feedparser.readthedocs.io/ . Pure like the JSON parser: any bytes give a Snapshot
or a PayloadError. feedparser is blocking, so async callers use `parse_async`.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import html
import io
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.sax import SAXParseException

import feedparser

from bot.errors import PayloadError, UndatedPayload
from bot.models import Impact, Incident, IncidentStatus, IncidentUpdate, Snapshot
from integrations.sources.skipped import OnceLog

log = logging.getLogger(__name__)
report = OnceLog(log)

_STATUS_WORDS: dict[str, IncidentStatus] = {
    "resolved": IncidentStatus.RESOLVED,
    "completed": IncidentStatus.COMPLETED,
    "postmortem": IncidentStatus.POSTMORTEM,
    "monitoring": IncidentStatus.MONITORING,
    "identified": IncidentStatus.IDENTIFIED,
    "investigating": IncidentStatus.INVESTIGATING,
    "scheduled": IncidentStatus.SCHEDULED,
    "in progress": IncidentStatus.IN_PROGRESS,
    "verifying": IncidentStatus.VERIFYING,
}
_MAINTENANCE_STATUSES = frozenset(
    {
        IncidentStatus.SCHEDULED,
        IncidentStatus.IN_PROGRESS,
        IncidentStatus.VERIFYING,
        IncidentStatus.COMPLETED,
    }
)
# expat's messages when the document stops before its root element is closed.
_TRUNCATION_MESSAGES = frozenset({"no element found", "unclosed token", "unclosed CDATA section"})

# `[Component] Title` (xAI) and `RESOLVED: Title` (Google Cloud) title conventions.
_COMPONENT_PREFIX = re.compile(r"^\s*\[([^\]]+)\]\s*(.*)$", re.DOTALL)
_STATUS_PREFIX = re.compile(r"^\s*([A-Za-z ]{3,20}):\s*(.+)$", re.DOTALL)
# Statuspage history, newest first:
# <p><small>Oct <var>7</var>, <var>21:44</var> UTC</small><br><strong>Monitoring</strong> - text</p>
_STATUSPAGE_UPDATE = re.compile(
    r"<small>(?P<date>.*?)</small>\s*<br\s*/?>\s*<strong>(?P<status>.*?)</strong>\s*-?\s*(?P<body>.*?)</p>",
    re.DOTALL | re.IGNORECASE,
)
# xAI: <div><p><strong>RFC 822 date</strong></p><h3>Resolved</h3><p>text</p></div>
_HEADED_UPDATE = re.compile(
    r"<p>\s*<strong>(?P<date>[^<]*)</strong>\s*</p>\s*<h3>(?P<status>.*?)</h3>(?P<body>.*?)</div>",
    re.DOTALL | re.IGNORECASE,
)
_SHORT_DATE = re.compile(
    r"(?P<mon>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:,?\s*(?P<year>\d{4}))?[,\s-]*"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
)
_SEVERITY_TEXT = re.compile(r"Severity:\s*([A-Za-z ]+)", re.IGNORECASE)
_TAG_ID = re.compile(r"^tag:[^,]+,\d{4}:(?:Incident|Maintenance)/(.+)$", re.IGNORECASE)
_URL_ID = re.compile(r"/(?:incidents?|maintenances?)/([^/?#]+)/?$", re.IGNORECASE)


async def parse_async(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """`parse` in a worker thread, so a big feed never blocks the event loop."""
    return await asyncio.to_thread(parse, raw, observed_at)


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """Turn RSS/Atom bytes into a Snapshot listing open and resolved incidents.

    `observed_at` is the poll time; without it the snapshot is dated by the feed's own clock.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise PayloadError("expected bytes")
    try:
        # Always a stream: given bytes or str, feedparser may treat them as a path or URL.
        parsed = feedparser.parse(io.BytesIO(bytes(raw)), resolve_relative_uris=False)
    except Exception as exc:  # third-party parser on untrusted bytes
        log.warning("feedparser failed: %s", type(exc).__name__)
        raise PayloadError("feed could not be parsed") from None
    if not parsed.get("version") or not isinstance(parsed.get("entries"), list):
        raise PayloadError("not an RSS or Atom feed")
    feed = parsed.get("feed") or {}
    page_name = _clean_text(str(feed.get("title") or "")) or "status feed"
    warnings = _xml_warnings(parsed, page_name)

    # The channel's lastBuildDate (Atom: updated), else its pubDate.
    channel_clock = _struct_time(_plain_get(feed, "updated_parsed")) or _struct_time(
        _plain_get(feed, "published_parsed")
    )
    merged: dict[str, _Entry] = {}
    for number, raw_entry in enumerate(parsed["entries"], start=1):
        entry = _read_entry(raw_entry, channel_clock or observed_at)
        if entry is None:
            skipped = f"entry #{number} skipped: no id, link or title"
            report.warn(page_name, skipped)
            warnings = (*warnings, skipped)
            continue
        if entry.key in merged:
            merged[entry.key].absorb(entry)
        else:
            merged[entry.key] = entry

    clock = channel_clock or _newest(merged.values())
    when = observed_at or clock
    if when is None:
        raise UndatedPayload("feed has no timestamp to date it")
    when = _as_utc(when)
    # Messages the feed gives no time at all happened, as far as we can tell, by this poll.
    open_and_closed = [entry.to_incident(when) for entry in merged.values()]
    incidents = tuple(i for i in open_and_closed if i.impact is not Impact.MAINTENANCE)
    maintenances = tuple(i for i in open_and_closed if i.impact is Impact.MAINTENANCE)
    return Snapshot(
        page_name=page_name,
        page_url=str(feed.get("link")) if feed.get("link") else None,
        observed_at=when,
        page_updated_at=_as_utc(clock) if clock else None,
        description=_clean_text(str(feed.get("subtitle") or "")),
        components=(),
        incidents=incidents,
        maintenances=maintenances,
        warnings=warnings,
    )


def _xml_warnings(parsed: Any, page_name: str) -> tuple[str, ...]:
    """Reject a feed that ends early; tolerate (but report) other sloppy XML.

    A truncated feed read leniently lists fewer incidents, which would look like resolutions.
    """
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not isinstance(problem, SAXParseException):
        return ()
    message = problem.getMessage()
    if message in _TRUNCATION_MESSAGES:
        raise PayloadError("feed ends early (truncated XML)")
    report.warn(page_name, f"feed is not well-formed XML ({message}); read leniently")
    return (f"feed is not well-formed XML ({message}); read leniently",)


@dataclass(frozen=True, slots=True)
class _Message:
    """One timeline update as the feed shows it; `at` only when the feed dates this message."""

    at: datetime | None
    fallback: datetime | None  # the entry's own date, for a message that has none
    status: IncidentStatus | None  # None for an "Update" label: keeps the previous status
    body: str

    def when(self, clock: datetime) -> datetime:
        return self.at or self.fallback or clock

    @property
    def identity(self) -> str:
        """Its time and text: a new message with the same status word is still new."""
        stamp = self.at.isoformat() if self.at else ""
        return hashlib.sha256(f"{stamp}\n{self.body}".encode()).hexdigest()[:16]


@dataclass
class _Entry:
    """One incident as read from one or more feed entries (duplicates are merged)."""

    key: str
    incident_id: str
    title: str
    url: str | None
    published: datetime | None
    updates: list[_Message]  # in feed order, whatever that is
    hints: list[str]  # categories, title prefixes, "Severity:" text
    component_names: list[str] = field(default_factory=list)

    def absorb(self, other: _Entry) -> None:
        for name in other.component_names:
            if name not in self.component_names:
                self.component_names.append(name)
        self.hints.extend(other.hints)
        if len(other.updates) > len(self.updates):
            self.updates = other.updates
        if other.published and (self.published is None or other.published < self.published):
            self.published = other.published

    @property
    def newest_time(self) -> datetime | None:
        times = [t for m in self.updates for t in (m.at, m.fallback) if t is not None]
        return max([*times, *([self.published] if self.published else [])], default=None)

    def to_incident(self, clock: datetime) -> Incident:
        # Newest first by their own times; ties keep the feed's order (feeds list newest first).
        ordered = sorted(self.updates, key=lambda m: m.when(clock), reverse=True)
        status = self._status(ordered)
        impact = Impact.MAINTENANCE if status in _MAINTENANCE_STATUSES else self._impact()
        updates = _identified_updates(self.incident_id, ordered, status, clock)
        title = self.title
        if self.component_names:
            title = f"{title} — {', '.join(self.component_names)}"
        times = [u.at for u in updates] + ([self.published] if self.published else [])
        return Incident(
            id=self.incident_id,
            title=title,
            status=status,
            impact=impact,
            started_at=min(times, default=None),
            url=self.url,
            updates=tuple(updates),
            components_known=False,
        )

    def _status(self, ordered: list[_Message]) -> IncidentStatus:
        hinted = [s for s in (_status_word(h) for h in self.hints) if s is not None]
        closed = [s for s in hinted if s.is_closed]
        if closed:
            return closed[0]
        for message in ordered:
            if message.status is not None:
                return message.status
        return hinted[0] if hinted else IncidentStatus.INVESTIGATING

    def _impact(self) -> Impact:
        """Major when a category says so (outage, critical, major); else a disruption."""
        for hint in self.hints:
            word = hint.casefold()
            if "outage" in word or "critical" in word or "major" in word:
                return Impact.MAJOR
        return Impact.MINOR


def _read_entry(entry: Any, default_reference: datetime | None) -> _Entry | None:
    if not isinstance(entry, dict):
        return None
    raw_title = _clean_text(str(entry.get("title") or ""))
    hints = [str(tag.get("term") or "") for tag in entry.get("tags") or [] if isinstance(tag, dict)]
    component_names: list[str] = []
    title = raw_title
    match = _COMPONENT_PREFIX.match(title)
    if match:
        component_names.append(match.group(1).strip())
        title = match.group(2).strip()
    match = _STATUS_PREFIX.match(title)
    if match and (_status_word(match.group(1)) or match.group(1).casefold() == "update"):
        hints.append(match.group(1))
        title = match.group(2).strip()

    link = str(entry.get("link") or "") or None
    guid = str(entry.get("id") or "") or link or raw_title
    if not guid:
        return None
    updated = _struct_time(_plain_get(entry, "updated_parsed"))
    published = _struct_time(entry.get("published_parsed")) or updated
    markup = _entry_html(entry)
    hints.extend(_SEVERITY_TEXT.findall(markup))
    reference = updated or published
    updates = _updates(markup, reference, default_reference)
    if not updates:
        # The whole entry is one message, dated by the entry itself.
        text = _clean_text(markup)
        updates = [_Message(reference, None, _first_status_word(text), text)]
    return _Entry(
        key=guid,
        incident_id=_incident_id(guid),
        title=title or "(untitled incident)",
        url=link,
        published=published,
        updates=updates,
        hints=hints,
        component_names=component_names,
    )


def _entry_html(entry: dict[str, Any]) -> str:
    content = entry.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("value") or "")
    # feedparser files an RSS <description> under `summary` too.
    return str(entry.get("summary") or "")


def _updates(
    markup: str, reference: datetime | None, default_reference: datetime | None
) -> list[_Message]:
    """Timeline updates found in the entry's HTML, in the order the feed lists them."""
    out: list[_Message] = []
    for pattern in (_STATUSPAGE_UPDATE, _HEADED_UPDATE):
        for match in pattern.finditer(markup):
            date_text = _clean_text(match.group("date"))
            at = _update_time(date_text, reference or default_reference)
            status = _status_word(_clean_text(match.group("status")))
            out.append(_Message(at, reference, status, _clean_text(match.group("body"))))
        if out:
            break
    return out


def _identified_updates(
    incident_id: str, ordered: list[_Message], status: IncidentStatus, clock: datetime
) -> list[IncidentUpdate]:
    """Updates newest first, each id made of its time and text (stable as new ones arrive)."""
    # An "Update" label keeps the status of the next known one (older), else the incident's.
    statuses: list[IncidentStatus] = []
    ids: list[str] = []
    carry: IncidentStatus | None = None
    repeats: dict[str, int] = {}
    for message in reversed(ordered):
        carry = message.status or carry
        statuses.append(carry or status)
        # The same undated text twice is two messages; count from the oldest so ids stay put.
        repeats[message.identity] = repeats.get(message.identity, 0) + 1
        count = repeats[message.identity]
        ids.append(f"{incident_id}/{message.identity}" + (f"-{count}" if count > 1 else ""))
    return [
        IncidentUpdate(id=uid, status=update_status, body=message.body, at=message.when(clock))
        for message, update_status, uid in zip(
            ordered, reversed(statuses), reversed(ids), strict=True
        )
    ]


def _status_word(text: str) -> IncidentStatus | None:
    word = re.sub(r"^\s*status:\s*", "", text.casefold()).strip().replace("_", " ")
    return _STATUS_WORDS.get(word)


def _first_status_word(text: str) -> IncidentStatus | None:
    lowered = text.casefold()
    positions = [(lowered.find(word), status) for word, status in _STATUS_WORDS.items()]
    found = [(pos, status) for pos, status in positions if pos >= 0]
    return min(found, key=lambda item: item[0])[1] if found else None


def _incident_id(guid: str) -> str:
    for pattern in (_TAG_ID, _URL_ID):
        match = pattern.search(guid)
        if match:
            return match.group(1)
    return guid


def _update_time(text: str, reference: datetime | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        moment = None
    if moment is not None:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return _short_date(text, reference)


def _short_date(text: str, reference: datetime | None) -> datetime | None:
    """Statuspage's "Oct 7, 21:44 UTC": no year, so take the one nearest the entry's date."""
    match = _SHORT_DATE.search(text)
    if match is None:
        return None
    try:
        month = time.strptime(match.group("mon").title(), "%b").tm_mon
    except ValueError:
        return None
    if match.group("year"):
        years = [int(match.group("year"))]
    elif reference is not None:
        # "Dec 31, 23:30" in an entry of Jan 1 is last year; "Jan 1, 00:15" of Dec 31, next.
        years = [reference.year - 1, reference.year, reference.year + 1]
    else:
        return None
    candidates = []
    for year in years:
        try:
            candidates.append(
                datetime(
                    year,
                    month,
                    int(match.group("day")),
                    int(match.group("hour")),
                    int(match.group("minute")),
                    tzinfo=UTC,
                )
            )
        except ValueError:  # Feb 29 of a common year, day 31 of a short month, hour 25...
            continue
    if reference is None:
        return candidates[0] if candidates else None
    return min(candidates, key=lambda moment: abs(moment - reference), default=None)


def _plain_get(mapping: Any, key: str) -> Any:
    """Read a key without feedparser's deprecated updated->published fallback (it warns)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _struct_time(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _newest(entries: Any) -> datetime | None:
    return max((t for t in (e.newest_time for e in entries) if t is not None), default=None)


def _clean_text(markup: str) -> str:
    text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return re.sub(r"\s+", " ", text).strip()
