"""A socket guard: nothing in the test suite may reach a host other than this machine.

The built-in config points at real status pages, so a test that forgot to point the bot at
a fake would otherwise talk to the internet. `install()` replaces the socket entry points
every client goes through (connect, DNS resolution, datagrams; asyncio resolves with
`socket.getaddrinfo` and connects with `socket.socket.connect`, so httpx, aiohttp, asyncpg,
slack-sdk and discord.py are all covered) with versions that refuse any address outside
127.0.0.0/8 and ::1, raise `NetworkGuardError` naming the host, and record it. Names under
`.invalid` fail to resolve at once, as DNS would say, so tests of DNS failures still run.
Bot processes started by tests load the same guard through `site/sitecustomize.py` (see
`child_env`) and append what they refused to a log file the parent reads after each test.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_ENV = "STATUSBOT_NETGUARD_LOG"
SITE_DIR = Path(__file__).resolve().parent / "site"
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

_original: dict[str, Any] = {}
_log_file: list[str] = []  # where a child process appends what it refused
refused: list[str] = []


class NetworkGuardError(RuntimeError):
    """A test tried to reach a host outside 127.0.0.1/::1 (deliberately not an OSError, so
    code under test does not mistake it for an ordinary network failure and retry quietly)."""


def is_local(host: object) -> bool:
    """True for loopback addresses, `localhost` and the passive/any host of a bind."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in LOCAL_NAMES or name == "":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _refuse(what: str, host: object, port: object = None) -> None:
    target = f"{host}:{port}" if port is not None else str(host)
    message = (
        f"network guard: {what} to {target} refused; tests may only reach 127.0.0.1 or ::1 "
        "(point the code at a fake in fakes/)"
    )
    refused.append(message)
    for log in _log_file:
        try:
            with open(log, "a", encoding="utf-8") as file:
                file.write(f"pid {os.getpid()}: {message}\n")
        except OSError:
            pass
    print(message, file=sys.stderr, flush=True)
    raise NetworkGuardError(message)


def _address_host(family: int, address: object) -> tuple[object, object] | None:
    """(host, port) of an inet address; None for AF_UNIX and other local families."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return None
    if isinstance(address, tuple) and address:
        return address[0], address[1] if len(address) > 1 else None
    return address, None


def _checked_method(name: str) -> Callable[..., Any]:
    original = getattr(socket.socket, name)

    def guarded(self: socket.socket, address: Any, *args: Any) -> Any:
        found = _address_host(self.family, address)
        if found is not None and not is_local(found[0]):
            _refuse(f"socket.{name}", *found)
        return original(self, address, *args)

    guarded.__name__ = name
    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    return guarded


def _checked_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
    address = args[-1]
    found = _address_host(self.family, address)
    if found is not None and not is_local(found[0]):
        _refuse("socket.sendto", *found)
    return _original["sendto"](self, data, *args)


def _never_resolves(host: object) -> bool:
    """Names under `.invalid` (RFC 6761) never resolve: answered here, no query leaves."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and host.rstrip(".").lower().endswith(".invalid")


def _checked_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if _never_resolves(host):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    if not is_local(host):
        _refuse("DNS lookup (getaddrinfo)", host, port)
    return _original["getaddrinfo"](host, port, *args, **kwargs)


def _checked_lookup(name: str) -> Callable[..., Any]:
    original = getattr(socket, name)

    def guarded(host: Any, *args: Any) -> Any:
        if _never_resolves(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if not is_local(host):
            _refuse(f"DNS lookup ({name})", host)
        return original(host, *args)

    guarded.__name__ = name
    return guarded


def installed() -> bool:
    return bool(_original)


def install(log: str | None = None) -> None:
    """Guard this process (idempotent); a child process also appends refusals to `log`."""
    if _original:
        return
    if log:
        _log_file.append(log)
    for name in ("connect", "connect_ex", "sendto"):
        _original[name] = getattr(socket.socket, name)
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        _original[name] = getattr(socket, name)
    socket.socket.connect = _checked_method("connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _checked_method("connect_ex")  # type: ignore[method-assign]
    socket.socket.sendto = _checked_sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = _checked_getaddrinfo
    socket.gethostbyname = _checked_lookup("gethostbyname")
    socket.gethostbyname_ex = _checked_lookup("gethostbyname_ex")


def child_env(log: Path) -> dict[str, str]:
    """Environment that makes a child Python process load the guard and log what it refuses."""
    path = os.environ.get("PYTHONPATH", "")
    parts = [str(SITE_DIR)] + [p for p in path.split(os.pathsep) if p and p != str(SITE_DIR)]
    return {"PYTHONPATH": os.pathsep.join(parts), LOG_ENV: str(log)}


def take_logged(log: Path) -> list[str]:
    """Lines child processes appended to `log` since the last call (the file is emptied)."""
    try:
        text = log.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    if text:
        log.write_text("", encoding="utf-8")
    return [line for line in text.splitlines() if line]
