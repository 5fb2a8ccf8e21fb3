"""Interactions for the fake Discord: INTERACTION_CREATE payloads and what the bot answered.

Shapes: https://discord.com/developers/docs/interactions/receiving-and-responding. Options
are typed from the command definitions the bot synced, as Discord does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class InteractionReply:
    """What the bot answered to one interaction: the callback, then any edits/followups."""

    interaction_id: int
    token: str
    callback: dict[str, Any] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def type(self) -> int | None:
        return self.callback["type"] if self.callback else None

    @property
    def message(self) -> dict[str, Any]:
        """The message the user finally sees (the last edit, followup or the callback data)."""
        if self.edits:
            return self.edits[-1]
        if self.followups:
            return self.followups[-1]
        return (self.callback or {}).get("data") or {}

    @property
    def ephemeral(self) -> bool:
        flags = ((self.callback or {}).get("data") or {}).get("flags") or 0
        return bool(int(self.message.get("flags") or flags) & 64)

    @property
    def files(self) -> list[dict[str, Any]]:
        """Attachments the user sees: filename, content_type, data, description (alt text)."""
        files: list[dict[str, Any]] = self.message.get("_files") or []
        return files

    @property
    def content(self) -> str:
        return self.message.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.get("embeds") or []

    @property
    def text(self) -> str:
        """Content plus every embed's visible text, for "the user reads X" assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for f in embed.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    @property
    def choices(self) -> list[dict[str, Any]]:
        return ((self.callback or {}).get("data") or {}).get("choices") or []


def interaction_payload(
    interaction_id: int,
    token: str,
    app_id: int,
    guild_id: int,
    channel: dict[str, Any],
    definition: dict[str, Any],
    options: list[dict[str, Any]],
    *,
    member: dict[str, Any],
    app_permissions: int,
    autocomplete: bool,
) -> dict[str, Any]:
    """A guild INTERACTION_CREATE with every field discord.py 2.7 requires."""
    data: dict[str, Any] = {
        "id": definition["id"],
        "name": definition["name"],
        "type": 1,
        "options": options,
    }
    if definition.get("guild_id"):
        data["guild_id"] = definition["guild_id"]
    roles = _role_values(options)
    if roles:
        # A role option arrives as its id, with the role itself under `resolved`.
        data["resolved"] = {"roles": {str(r): _role(int(r)) for r in roles}}
    return {
        "id": str(interaction_id),
        "application_id": str(app_id),
        "type": 4 if autocomplete else 2,
        "token": token,
        "version": 1,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": channel["id"],
        "channel": channel,
        "member": member,
        "app_permissions": str(app_permissions),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 26_214_400,
        "data": data,
    }


ROLE_OPTION = 8


def _role_values(options: list[dict[str, Any]]) -> list[Any]:
    found = []
    for option in options:
        if option.get("type") == ROLE_OPTION:
            found.append(option["value"])
        found += _role_values(option.get("options") or [])
    return found


def _role(role_id: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": f"role-{role_id}",
        "color": 0,
        "hoist": False,
        "position": 1,
        "permissions": "0",
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def command_options(
    definition: dict[str, Any], subcommand: str | None, values: dict[str, Any], focused: str | None
) -> list[dict[str, Any]]:
    """Interaction options typed from the synced command definition, as Discord sends them."""
    schema = definition.get("options") or []
    if subcommand is not None:
        sub = next(o for o in schema if o["name"] == subcommand)
        inner = command_options(sub, None, values, focused)
        return [{"type": 1, "name": subcommand, "options": inner}]
    types = {o["name"]: o["type"] for o in schema}
    out = []
    for name, value in values.items():
        if name not in types:
            raise KeyError(f"option {name!r} is not in the synced command")
        option: dict[str, Any] = {"name": name, "type": types[name], "value": value}
        if name == focused:
            option["focused"] = True
        out.append(option)
    return out


def component_payload(
    interaction_id: int,
    token: str,
    app_id: int,
    guild_id: int,
    channel: dict[str, Any],
    message: dict[str, Any],
    custom_id: str,
    *,
    member: dict[str, Any],
) -> dict[str, Any]:
    """A button click in a guild (INTERACTION_CREATE type 3), shaped like the real one in
    tests/fixtures/interactions/discord/."""
    return {
        "id": str(interaction_id),
        "application_id": str(app_id),
        "type": 3,
        "token": token,
        "version": 1,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": channel["id"],
        "channel": channel,
        "member": member,
        "app_permissions": str(member.get("permissions") or 0),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 26_214_400,
        "message": message,
        "data": {"custom_id": custom_id, "component_type": 2, "id": 1},
    }
