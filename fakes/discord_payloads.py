"""Discord wire shapes for the fake server: users, channels, guilds, messages, interactions.

Shapes follow https://discord.com/developers/docs/resources/message and
https://discord.com/developers/docs/interactions/receiving-and-responding, trimmed to what
discord.py 2.7 reads. Embed limits are checked as Discord does (400, code 50035).
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_sequence = itertools.count(1)


def snowflake() -> int:
    """A fresh, increasing snowflake (timestamp bits + a process-wide counter)."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_sequence) & 0x3FFFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def thread_channel(
    thread_id: int, guild_id: int, parent_id: int, name: str, owner_id: int, archive_minutes: int
) -> dict[str, Any]:
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "name": name,
        "owner_id": str(owner_id),
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": archive_minutes,
            "archive_timestamp": now_iso(),
            "locked": False,
        },
    }


def role(role_id: int, name: str, permissions: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def guild(
    guild_id: int, name: str, owner_id: int, channels: list[dict[str, Any]]
) -> dict[str, Any]:
    """A GUILD_CREATE payload; the @everyone role has the guild's id."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": str(owner_id),
        "roles": [role(guild_id, "@everyone", 0)],
        "channels": channels,
        "threads": [],
        "members": [],
        "member_count": 2,
        "emojis": [],
        "stickers": [],
        "features": [],
        "voice_states": [],
        "presences": [],
        "large": False,
        "unavailable": False,
        "joined_at": now_iso(),
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
    }


def member(user_payload: dict[str, Any], permissions: int) -> dict[str, Any]:
    """An interaction's member: `permissions` is the member's total in the channel."""
    return {
        "user": user_payload,
        "roles": [],
        "nick": None,
        "avatar": None,
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "permissions": str(permissions),
    }


def message(
    message_id: int, channel_id: int, guild_id: int | None, author: dict[str, Any], body: dict
) -> dict[str, Any]:
    """A stored message built from a create body (content, embeds, nonce, reference)."""
    reference = body.get("message_reference")
    out: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": body.get("content") or "",
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 19 if reference else 0,
        "flags": int(body.get("flags") or 0),
    }
    if guild_id is not None:
        out["guild_id"] = str(guild_id)
    if body.get("nonce") is not None:
        out["nonce"] = body["nonce"]
    if reference:
        out["message_reference"] = {
            "message_id": str(reference.get("message_id")),
            "channel_id": str(reference.get("channel_id") or channel_id),
            "type": 0,
        }
    return out


class EmbedLimits:
    """Discord's documented embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)."""

    TITLE = 256
    DESCRIPTION = 4096
    FIELDS = 25
    FIELD_NAME = 256
    FIELD_VALUE = 1024
    FOOTER = 2048
    AUTHOR = 256
    TOTAL = 6000
    EMBEDS_PER_MESSAGE = 10
    CONTENT = 2000


def form_errors(body: dict[str, Any]) -> list[str]:
    """Which limits a message body breaks; empty when Discord would accept it."""
    problems = []
    if len(body.get("content") or "") > EmbedLimits.CONTENT:
        problems.append("content: Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > EmbedLimits.EMBEDS_PER_MESSAGE:
        problems.append("embeds: Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        fields = embed.get("fields") or []
        checks = [
            ("title", embed.get("title") or "", EmbedLimits.TITLE),
            ("description", embed.get("description") or "", EmbedLimits.DESCRIPTION),
            ("footer.text", (embed.get("footer") or {}).get("text") or "", EmbedLimits.FOOTER),
            ("author.name", (embed.get("author") or {}).get("name") or "", EmbedLimits.AUTHOR),
        ]
        for number, field in enumerate(fields):
            checks.append(
                (f"fields.{number}.name", field.get("name") or "", EmbedLimits.FIELD_NAME)
            )
            checks.append(
                (f"fields.{number}.value", field.get("value") or "", EmbedLimits.FIELD_VALUE)
            )
            if not field.get("name") or not field.get("value"):
                problems.append(f"embeds.{index}.fields.{number}: name and value are required.")
        for where, text, limit in checks:
            total += len(text)
            if len(text) > limit:
                problems.append(f"embeds.{index}.{where}: Must be {limit} or fewer in length.")
        if len(fields) > EmbedLimits.FIELDS:
            problems.append(f"embeds.{index}.fields: Must be 25 or fewer in length.")
    if total > EmbedLimits.TOTAL:
        problems.append("embeds: Embed size exceeds maximum size of 6000.")
    return problems


def error_tree(problems: list[str]) -> dict[str, Any]:
    """Discord's nested `errors` object: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
    tree: dict[str, Any] = {}
    for problem in problems:
        path, _, text = problem.partition(": ")
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_MAX_LENGTH", "message": text})
    return tree
