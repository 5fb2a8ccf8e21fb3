"""What people type for a provider ("le chat", "Claude Code", "x.ai") resolved to its key.

Names are compared without case, spaces or punctuation, so "claude-code", "ClaudeCode" and
"claude code" are one name. A query that is not a name may still contain one ("is gemini
down?"). Near misses get suggestions (difflib).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

_NOT_NAME = re.compile(r"[\W_]+")
MAX_WORDS = 3


def name_key(text: str) -> str:
    """The comparable form of a name: casefolded letters and digits only."""
    return _NOT_NAME.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True, slots=True)
class Match:
    """A provider key, and the name that matched (as written in the config or catalog)."""

    key: str
    name: str


class NameIndex:
    """Names → provider keys; the first provider to claim a name keeps it."""

    def __init__(self) -> None:
        self._names: dict[str, Match] = {}

    def add(self, key: str, *names: str) -> None:
        for name in names:
            normal = name_key(name)
            if normal:
                self._names.setdefault(normal, Match(key, name))

    def __contains__(self, text: str) -> bool:
        return name_key(text) in self._names

    def get(self, text: str) -> Match | None:
        """The provider named by `text`, or by exactly one phrase of up to three words in it."""
        exact = self._names.get(name_key(text))
        if exact is not None:
            return exact
        words = text.split()
        found: dict[str, Match] = {}
        for size in range(min(MAX_WORDS, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                match = self._names.get(name_key(" ".join(words[start : start + size])))
                if match is not None:
                    found.setdefault(match.key, match)
        return next(iter(found.values())) if len(found) == 1 else None

    def suggest(self, text: str, limit: int = 3) -> list[Match]:
        """Names close to `text` or to one of its words, best first."""
        candidates = [name_key(text), *(name_key(w) for w in text.split())]
        seen: dict[str, Match] = {}
        for candidate in candidates:
            if len(candidate) < 2:
                continue
            for close in difflib.get_close_matches(candidate, list(self._names), limit, 0.75):
                match = self._names[close]
                seen.setdefault(match.key, match)
        return list(seen.values())[:limit]
