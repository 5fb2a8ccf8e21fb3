"""Feed variants for parser and replay tests, derived from the real xAI feed or in its shape.

Every builder says what it changes, so a test shows which real-world quirk it reproduces.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from tests.conftest import FIXTURES

XAI = (FIXTURES / "xai_feed_2026-10-07.xml").read_bytes()
_ITEM = re.compile(rb"<item>.*?</item>", re.DOTALL)
_DIV = re.compile(rb"<div>.*?</div>", re.DOTALL)


def xai_item(guid: bytes = b"INC578e0bc8") -> bytes:
    """The first real xAI `<item>` with this guid, unchanged."""
    return next(
        m.group(0) for m in _ITEM.finditer(XAI) if b"<guid" in m.group(0) and guid in m.group(0)
    )


def xai_feed(*items: bytes) -> bytes:
    """The real xAI channel (no channel date) around the given items."""
    head = XAI[: XAI.index(b"<item>")]
    return head + b"\n".join(items) + b"\n  </channel>\n</rss>\n"


def xai_timeline(item: bytes, keep: int, oldest_first: bool, resolved: bool) -> bytes:
    """The item with its `keep` oldest updates, in the chosen order.

    `resolved=False` also removes what says "resolved" outside the timeline (the header and the
    `resolved` category), as the feed showed it while the incident was open.
    """
    divs = _DIV.findall(item)  # newest first, as served
    chosen = divs[len(divs) - keep :]
    if oldest_first:
        chosen = list(reversed(chosen))
    start = item.index(divs[0])
    end = item.index(divs[-1]) + len(divs[-1])
    out = item[:start] + b"".join(chosen) + item[end:]
    if not resolved:
        out = re.sub(rb"<h3>Status: RESOLVED</h3>", b"<h3>Status: INVESTIGATING</h3>", out)
        out = re.sub(rb"<p>Resolved: [^<]*</p>", b"", out)
        out = out.replace(b"<category>resolved</category>", b"")
    return out


def without_state_category(item: bytes) -> bytes:
    """Only the timeline tells the state (as on Statuspage history feeds)."""
    out = item.replace(b"<category>resolved</category>", b"")
    return re.sub(rb"<h3>Status: [A-Z]+</h3>", b"", out)


@dataclass
class Item:
    """One Statuspage-style history item: `timeline` is (date text or None, word, text)."""

    title: str
    link: str
    pub_date: str | None
    timeline: list[tuple[str | None, str, str]] = field(default_factory=list)
    plain: str | None = None  # a description that is one plain message instead

    def xml(self) -> str:
        if self.plain is not None:
            description = self.plain
        else:
            description = "".join(
                f"<p><small>{date or ''}</small><br><strong>{word}</strong> - {text}</p>"
                for date, word, text in self.timeline
            )
        pub = f"<pubDate>{self.pub_date}</pubDate>" if self.pub_date else ""
        return (
            f"<item><title>{html.escape(self.title)}</title>"
            f"<description>{html.escape(description)}</description>{pub}"
            f"<link>{self.link}</link><guid>{self.link}</guid></item>"
        )


def history_rss(*items: Item, pub_date: str | None = None, last_build: str | None = None) -> bytes:
    """A Statuspage `history.rss` shaped like tests/fixtures/synthetic_statuspage_history.rss."""
    dates = (f"<pubDate>{pub_date}</pubDate>" if pub_date else "") + (
        f"<lastBuildDate>{last_build}</lastBuildDate>" if last_build else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Example AI Status - Incident History</title>"
        f"<link>https://status.example.com</link><description>Statuspage</description>{dates}"
        + "".join(item.xml() for item in items)
        + "</channel></rss>"
    ).encode()
