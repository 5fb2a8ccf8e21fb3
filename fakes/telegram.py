"""A fake Telegram Bot API on 127.0.0.1: `POST /bot<token>/sendMessage` and `editMessageText`,
answering as https://core.telegram.org/bots/api#making-requests does (`{"ok": …}`), with
chats, their messages and the replies to each. Faults: `fail_next` (429 with
`parameters.retry_after`, or 500), `drop_after_commit`, a revoked token, a chat that is gone.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.server import LocalServer


@dataclass
class TelegramMessage:
    message_id: int
    chat_id: str
    text: str
    parse_mode: str | None
    reply_to: int | None = None
    edits: list[str] = field(default_factory=list)


class FakeTelegram(LocalServer):
    """One bot (`token`) and the chats it may post in."""

    def __init__(self, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        super().__init__(host, port)
        self.chats: dict[str, dict[int, TelegramMessage]] = {}
        self.calls: Counter[str] = Counter()
        self.token_revoked = False
        self._next_id = 100
        self._failures: list[tuple[int, float | None]] = []
        self._drops = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._call)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_chat(self, chat_id: str) -> str:
        self.chats.setdefault(chat_id, {})
        return chat_id

    def delete_chat(self, chat_id: str) -> None:
        self.chats.pop(chat_id, None)

    def delete_message(self, chat_id: str, message_id: int) -> None:
        self.chats[chat_id].pop(message_id, None)

    def fail_next(self, status: int = 429, retry_after: float | None = 1.0) -> None:
        self._failures.append((status, retry_after))

    def drop_after_commit(self) -> None:
        self._drops += 1

    def messages(self, chat_id: str) -> list[TelegramMessage]:
        return list(self.chats.get(chat_id, {}).values())

    def top_level(self, chat_id: str) -> list[TelegramMessage]:
        return [m for m in self.messages(chat_id) if m.reply_to is None]

    def replies(self, chat_id: str, message_id: int) -> list[TelegramMessage]:
        return [m for m in self.messages(chat_id) if m.reply_to == message_id]

    async def _call(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token or self.token_revoked:
            return _error(401, "Unauthorized")
        self.calls[method] += 1
        if self._failures:
            status, retry_after = self._failures.pop(0)
            if status == 429:
                return _error(429, f"Too Many Requests: retry after {retry_after:g}",
                              {"retry_after": retry_after})  # fmt: skip
            return _error(status, "Internal Server Error")
        args = json.loads(await request.read())
        chat = self.chats.get(str(args.get("chat_id")))
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        if method == "sendMessage":
            self._next_id += 1
            reply = (args.get("reply_parameters") or {}).get("message_id")
            message = TelegramMessage(
                self._next_id, str(args["chat_id"]), args["text"], args.get("parse_mode"), reply
            )
            chat[message.message_id] = message
            result: dict[str, Any] = {"message_id": message.message_id, "text": message.text}
        elif method == "editMessageText":
            message = chat.get(int(args["message_id"]))
            if message is None:
                return _error(400, "Bad Request: message to edit not found")
            if message.text == args["text"]:
                return _error(400, "Bad Request: message is not modified")
            message.edits.append(message.text)
            message.text = args["text"]
            result = {"message_id": message.message_id, "text": message.text}
        else:
            return _error(404, "Not Found")
        if self._drops > 0:
            self._drops -= 1
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # done, but the answer is lost on the way back
        return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)
