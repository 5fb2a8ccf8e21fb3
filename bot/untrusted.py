"""Text from status pages and chat users is hostile until shown otherwise.

Platform-neutral checks live here; each platform escapes its own markup (Slack in
integrations/slack/mrkdwn.py, Discord in integrations/discord/markup.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Characters that end or relabel a link in Slack (`<url|label>`) or Markdown, or split it.
_LINK_BREAKERS = re.compile(r"[\s|<>\"'`\\\[\]()]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain http(s) link with a host; None for anything else.

    A link a page gives us is shown under our own label ("Official status page"), so one that
    could carry a second label, a second link or a script is dropped rather than repaired.
    """
    if not url or len(url) > 2000 or _LINK_BREAKERS.search(url) or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line_safe(text: str) -> str:
    """`text` fit for one log or console line: line breaks and control characters made visible.

    A page's text must not be able to forge a log line or move a terminal's cursor.
    """
    return _CONTROL.sub(_visible, _LINE_BREAKS.sub("\\\\n", text))


def lines_safe(text: str) -> str:
    """Like one_line_safe, but keeps line breaks (a traceback stays readable)."""
    return "\n".join(_CONTROL.sub(_visible, line) for line in _LINE_BREAKS.split(text))


def json_line_safe(line: str) -> str:
    """A JSON line with the characters json.dumps leaves raw (C1 controls, bidi overrides)
    written as \\u escapes: the same JSON, harmless on a terminal."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
