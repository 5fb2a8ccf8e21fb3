"""The fake Slack's world: channels, messages and users, and the Web API methods over them.

Kept apart from the HTTP plumbing in `fakes.slack` so it stays pure and O(1) per call.
Shapes follow https://api.slack.com/methods (only the fields our bot reads).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

_TRUE = ("1", "true", "True", True, 1)


@dataclass(slots=True)
class ChannelInfo:
    """What conversations.info says; unknown channels are public and the bot is a member."""

    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False
    exists: bool = True

    @property
    def visible(self) -> bool:
        """Real Slack hides a private channel from a bot that is not in it."""
        return self.exists and (self.is_member or not self.is_private)


@dataclass(slots=True)
class FakeMessage:
    ts: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = None
    user: str | None = None

    def to_api(self, with_metadata: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.blocks is not None:
            data["blocks"] = self.blocks
        if self.thread_ts is not None:
            data["thread_ts"] = self.thread_ts
        if self.bot_id:
            data["bot_id"] = self.bot_id
        if self.user:
            data["user"] = self.user
        if with_metadata and self.metadata is not None:
            data["metadata"] = self.metadata
        return data


class SlackWorld:
    """Channels, messages and users; `handle` answers one Web API call."""

    def __init__(self) -> None:
        self.channels: dict[str, ChannelInfo] = {}
        self.users: dict[str, dict[str, bool]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self._messages: dict[str, list[FakeMessage]] = {}
        self._by_ts: dict[tuple[str, str], FakeMessage] = {}
        self._seq = itertools.count(1)
        self._epoch = int(time.time())

    def channel(self, channel: str) -> ChannelInfo:
        info = self.channels.get(channel)
        if info is None:
            info = self.channels[channel] = ChannelInfo(channel, name=channel.lower())
        return info

    def set_channel(self, channel: str, **facts: Any) -> ChannelInfo:
        info = self.channel(channel)
        for key, value in facts.items():
            setattr(info, key, value)
        return info

    def messages(self, channel: str) -> list[FakeMessage]:
        return self._messages.get(channel, [])

    def delete_message(self, channel: str, ts: str) -> None:
        self._by_ts.pop((channel, ts), None)
        self._messages[channel] = [m for m in self.messages(channel) if m.ts != ts]

    def _next_ts(self) -> str:
        seq = next(self._seq)
        return f"{self._epoch + seq // 1_000_000}.{seq % 1_000_000:06d}"

    def handle(self, method: str, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(args, bot_id, bot_user)
        return result

    # --- methods -------------------------------------------------------------

    def _postable(self, channel: str) -> str | None:
        info = self.channels.get(channel)
        if info is None:
            return None
        if not info.visible:
            return "channel_not_found"
        if info.is_archived:
            return "is_archived"
        if not info.is_member:
            return "not_in_channel"
        return None

    def _chat_postMessage(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:  # noqa: N802
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if error := self._postable(channel):
            return {"ok": False, "error": error}
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None and (channel, thread_ts) not in self._by_ts:
            return {"ok": False, "error": "thread_not_found"}
        message = FakeMessage(
            ts=self._next_ts(),
            channel=channel,
            text=str(args.get("text") or ""),
            blocks=args.get("blocks"),
            attachments=args.get("attachments"),
            metadata=args.get("metadata"),
            thread_ts=thread_ts,
            reply_broadcast=args.get("reply_broadcast") in _TRUE,
            bot_id=bot_id,
            user=bot_user,
        )
        self._messages.setdefault(channel, []).append(message)
        self._by_ts[(channel, message.ts)] = message
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_api(True)}

    def _chat_update(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:
        channel = str(args.get("channel", ""))
        if error := self._postable(channel):
            return {"ok": False, "error": error}
        message = self._by_ts.get((channel, str(args.get("ts"))))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.edits.append({"text": message.text, "blocks": message.blocks})
        message.text = str(args.get("text") or "")
        message.blocks = args.get("blocks")
        if "metadata" in args:
            message.metadata = args["metadata"]
        return {"ok": True, "channel": channel, "ts": message.ts, "text": message.text}

    def _chat_postEphemeral(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:  # noqa: N802
        channel = str(args.get("channel", ""))
        if error := self._postable(channel):
            return {"ok": False, "error": error}
        self.ephemerals.append(dict(args))
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_info(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:
        info = self.channel(str(args.get("channel", "")))
        if info.id.startswith("D"):
            return {"ok": False, "error": "missing_scope"}  # the manifest asks for no im:read
        if not info.visible:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": info.id,
                "name": info.name,
                "is_channel": not info.is_private,
                "is_group": info.is_private,
                "is_im": info.id.startswith("D"),
                "is_private": info.is_private,
                "is_member": info.is_member,
                "is_archived": info.is_archived,
            },
        }

    def _conversations_history(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:
        channel = str(args.get("channel", ""))
        info = self.channel(channel)
        if not info.visible:
            return {"ok": False, "error": "channel_not_found"}
        limit = int(args.get("limit") or 100)
        with_metadata = args.get("include_all_metadata") in _TRUE
        out = []
        for message in reversed(self.messages(channel)):
            if message.thread_ts is None or message.reply_broadcast:
                out.append(message.to_api(with_metadata))
                if len(out) >= limit:
                    break
        return {"ok": True, "messages": out, "has_more": False}

    def _conversations_replies(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        if not self.channel(channel).visible:
            return {"ok": False, "error": "channel_not_found"}
        parent = self._by_ts.get((channel, ts))
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        limit = int(args.get("limit") or 1000)
        with_metadata = args.get("include_all_metadata") in _TRUE
        oldest = float(args.get("oldest") or 0)
        thread = [parent] + [m for m in self.messages(channel) if m.thread_ts == ts]
        thread = [m for m in thread if float(m.ts) >= oldest]
        return {
            "ok": True,
            "messages": [m.to_api(with_metadata) for m in thread[:limit]],
            "has_more": len(thread) > limit,
        }

    def _users_info(self, args: dict[str, Any], bot_id: str, bot_user: str) -> dict:
        user = str(args.get("user", ""))
        facts = self.users.get(user, {"is_admin": False, "is_owner": False})
        return {
            "ok": True,
            "user": {
                "id": user,
                "name": user.lower(),
                "is_admin": facts["is_admin"],
                "is_owner": facts["is_owner"],
                "is_primary_owner": False,
                "is_bot": False,
            },
        }
