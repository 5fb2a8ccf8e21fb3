"""Discord text safety: page and user text shown as written, never pinging anyone.

https://discord.com/developers/docs/resources/message#allowed-mentions-object: every message
the bot sends carries `allowed_mentions` with `parse: []` (set once on the client, see
`NO_PINGS`), so `@everyone`, `@here`, `<@id>` and `<@&role>` in text never notify anyone.
The text itself is escaped too, so it reads as typed and cannot relabel a link.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

# The client-wide default: discord.py sends it with every message, reply and interaction answer.
NO_PINGS = discord.AllowedMentions.none()


def escape(text: str) -> str:
    """Markdown (masked links, bold, headings…) and mentions shown literally."""
    text = discord.utils.escape_markdown(text)
    # A zero-width space after "@" keeps @everyone, @here and <@id> from being mentions.
    return text.replace("@", "@\u200b")


def opted_in(role_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> discord.AllowedMentions:
    """The only mentions that may ping: the roles and users a channel opted in to, by id."""
    return discord.AllowedMentions(
        everyone=False,
        users=[discord.Object(id=i) for i in user_ids],
        roles=[discord.Object(id=i) for i in role_ids],
        replied_user=False,
    )
