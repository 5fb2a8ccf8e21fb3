"""incident.io status pages (OpenAI, Groq, Cohere…): `summary.json` read with `components.json`.

incident.io serves a Statuspage-compatible `summary.json`, but it lists a capped subset of
25 components and the subset changes between polls: a component missing from one summary is
unknown, not recovered. `components.json` (same Statuspage shape) is the page's full list, so
a poll reads both and keeps every component; where both name a component, the summary's
status wins (it is the document the incidents come from). Pure and total.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

from bot.models import Snapshot
from integrations.sources import statuspage

# incident.io page ids are ULIDs; Atlassian's are 12 lowercase characters.
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def served_by_incidentio(raw: bytes) -> bool:
    """Whether a Statuspage-shaped summary comes from incident.io (its page id is a ULID)."""
    try:
        page = json.loads(bytes(raw)).get("page")
    except (ValueError, RecursionError, AttributeError):
        return False
    return isinstance(page, dict) and bool(_ULID.match(str(page.get("id"))))


def parse(raw: bytes, observed_at: datetime | None = None) -> Snapshot:
    """The summary alone (replay, or when no component list is configured)."""
    return statuspage.parse(raw, observed_at)


def parse_pair(summary: bytes, components: bytes, observed_at: datetime | None = None) -> Snapshot:
    """The summary, with its component list completed from components.json."""
    snapshot = statuspage.parse(summary, observed_at)
    # The summary dates the poll; the list needs no time of its own.
    full = statuspage.parse(components, snapshot.observed_at)
    return merge_components(snapshot, full)


def merge_components(summary: Snapshot, full: Snapshot) -> Snapshot:
    """Every component of `full`, in its order, with the summary's status where it has one."""
    in_summary = {c.id: c for c in summary.components}
    merged = [in_summary.pop(c.id, c) for c in full.components]
    merged.extend(in_summary.values())  # new since the list was served: keep them too
    return replace(
        summary,
        components=tuple(merged),
        warnings=summary.warnings + tuple(f"components.json: {w}" for w in full.warnings),
    )
