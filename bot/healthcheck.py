"""Where the health server listens, and `statusbot healthcheck`: ask it, exit 0 if healthy."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

from bot.config import Config, HealthConfig
from bot.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:8080/healthz"
# Listening on every address means the check can ask the loopback one.
_ANY = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def parse_address(value: str, origin: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 in brackets) as given to --health or $STATUSBOT_HEALTH."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{origin}: expected HOST:PORT such as 0.0.0.0:8080, not {value!r}")
    return host or "0.0.0.0", int(port)


def health_override(config: Config, value: str | None) -> HealthConfig | None:
    """The health section `run` uses: HOST:PORT from the flag or environment wins."""
    if not value:
        return config.health
    host, port = parse_address(value, "--health / STATUSBOT_HEALTH")
    base = config.health or HealthConfig()
    return base.model_copy(update={"host": host, "port": port})


def health_url(config: Config, value: str | None) -> str:
    """The /healthz URL of the bot that `config` (or HOST:PORT in `value`) describes."""
    health = health_override(config, value)
    if health is None:
        return DEFAULT_URL
    host = _ANY.get(health.host, health.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{health.port}/healthz"


def _ask(url: str, timeout: float) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return True, f"{response.status} {_summary(response.read())}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {_summary(exc.read())}"
    except TimeoutError:
        return False, f"no answer within {timeout:g} s"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"cannot connect ({reason})"


def _summary(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    return " ".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else str(data)


async def check_health(url: str, timeout: float) -> int:
    """0 when /healthz answers 200 in time, else 1; one line saying what it saw."""
    healthy, said = await asyncio.to_thread(_ask, url, timeout)
    print(f"{url}: {said}")
    return 0 if healthy else 1
