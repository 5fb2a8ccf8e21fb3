"""Slack text escaping: the one module that decides what in a message is live.

https://api.slack.com/reference/surfaces/formatting#escaping: `&`, `<` and `>` are control
characters in every `text` and mrkdwn field, the top-level `text` fallback included. Escaped,
`<!channel>`, `<!here>`, `<@U…>` and `<!subteam^…>` from a page or a user show as text.
"""

from __future__ import annotations

from typing import Literal

from bot.untrusted import safe_url


def escape(text: str) -> str:
    """Text from a page or a user, shown as written and never as a mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str | None:
    """`<url|label>` for a plain http(s) URL; None when the URL could smuggle markup."""
    checked = safe_url(url)
    if checked is None:
        return None
    return f"<{escape(checked)}|{escape(label)}>"


def live_mention(who: Literal["here", "channel"]) -> str:
    """The only live mention the bot ever writes: one a channel opted in to."""
    return f"<!{who}>"
