"""Logging set-up: readable or JSON lines, one line per record, every configured secret redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.untrusted import json_line_safe, lines_safe, one_line_safe

REDACTED = "[redacted]"
_CONTEXT_KEYS = ("incident", "delivery_id", "source", "platform", "channel")


def _char_forms(char: str) -> str:
    """A regex for one character of a secret: raw, percent-encoded, `+` for a space, or as
    JSON escapes it; clients encode different characters, so each one may vary."""
    forms = {re.escape(char)}
    encoded = "".join(f"%{byte:02x}" for byte in char.encode("utf-8"))
    forms.add("(?i:" + re.escape(encoded) + ")")
    if char == " ":
        forms.add(r"\+")
    escaped = json.dumps(char)[1:-1]
    if escaped != char:
        forms.add(re.escape(escaped))
    return "(?:" + "|".join(sorted(forms)) + ")"


def secret_pattern(secret: str) -> re.Pattern[str]:
    """Matches `secret` raw, percent-encoded (wholly or in part) or JSON-escaped."""
    return re.compile("".join(_char_forms(char) for char in secret))


class RedactSecrets(logging.Filter):
    """Replaces secret values wherever they appear (message, arguments, exception text), in
    every encoding a URL or a JSON body gives them, and escapes control characters, so a
    record is one line that a status page's text cannot forge or hide."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        chosen = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        self.secrets = chosen
        self._patterns = [secret_pattern(secret) for secret in chosen]

    def scrub(self, text: str) -> str:
        for secret, pattern in zip(self.secrets, self._patterns, strict=True):
            text = text.replace(secret, REDACTED)
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = one_line_safe(self.scrub(record.getMessage()))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = lines_safe(self.scrub(text))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = lines_safe(self.scrub(record.exc_text))
        if record.stack_info:
            record.stack_info = lines_safe(self.scrub(record.stack_info))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in _CONTEXT_KEYS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_text:
            data["exc"] = record.exc_text
        elif record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json_line_safe(json.dumps(data, ensure_ascii=False))


def configure_logging(level: str, json_lines: bool, secrets: Iterable[str] = ()) -> None:
    """Logs go to stderr so that stdout stays the console channel."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets(secrets))
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Warnings would otherwise bypass the handler (and its redaction) on their way to stderr.
    logging.captureWarnings(True)
    # Per-request and per-job lines from libraries cost CPU on every poll: show them only
    # when debugging (the bot logs what matters itself).
    chatty = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore", "apscheduler", "aiosqlite", "websockets", "discord.gateway"):
        logging.getLogger(name).setLevel(chatty)
