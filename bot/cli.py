"""`python -m bot` / `statusbot`: run, check-config, check-source, status, replay, demo, outbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, get_args

from bot.config import Config, SourceKind, load_config
from bot.errors import ConfigError, StatusBotError
from bot.logs import RedactSecrets, configure_logging

if TYPE_CHECKING:
    from bot.store.records import OutboxRow

EXIT_CONFIG = 2
CONFIG_ENV = "STATUSBOT_CONFIG"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusbot", description="Outage alerts for AI providers in Slack and Discord."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="poll the status pages and deliver alerts")
    run.add_argument("--config", help=f"YAML config (default: ${CONFIG_ENV} or built-in)")
    run.add_argument("--json", action="store_true", help="console channel prints JSON lines")

    check = sub.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("file")

    source = sub.add_parser("check-source", help="read a status source once and show it")
    source.add_argument("url")
    kinds = get_args(SourceKind)
    source.add_argument("--kind", choices=kinds, help="the format (default: detected)")
    source.add_argument("--components-url", help="incident.io: the full component list")

    status = sub.add_parser("status", help="what the bot knows now, from its store")
    status.add_argument("provider", nargs="?")
    status.add_argument("--config")

    replay = sub.add_parser("replay", help="feed recorded payloads through the state machine")
    replay.add_argument("files", nargs="+")
    replay.add_argument("--format", choices=["jsonl", "text"], default="text")
    replay.add_argument("--flap-window", type=float, default=0.0, help="seconds (default 0)")

    demo = sub.add_parser("demo", help="watch a simulated ChatGPT outage end to end")
    demo.add_argument("--step", type=float, default=10.0, help="seconds per stage (default 10)")
    demo.add_argument("--json", action="store_true")

    outbox = sub.add_parser("outbox", help="see and act on deliveries")
    outbox.add_argument("action", choices=["list", "retry", "drop"], nargs="?", default="list")
    outbox.add_argument("id", nargs="?", type=int)
    outbox.add_argument("--all", action="store_true", help="list sent rows too")
    outbox.add_argument("--config")
    return parser


def _config(path: str | None) -> Config:
    return load_config(path or os.environ.get(CONFIG_ENV) or None)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_dispatch(args))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StatusBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:
        # Through logging, so that the configured redaction applies to the traceback too.
        logging.getLogger("bot").exception("statusbot stopped on an unexpected error")
        return 1


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        return _check_config(args.file)
    if args.command == "check-source":
        from bot.check_source import check_source

        return await check_source(args.url, args.kind, args.components_url)
    if args.command == "replay":
        from bot.replay import replay_files

        return replay_files(args.files, args.format, args.flap_window)
    if args.command == "demo":
        from bot.demo import run_demo

        return await run_demo(step_s=args.step, json_lines=args.json)
    config = _config(getattr(args, "config", None))
    if args.command == "run":
        return await _run(config, args.json)
    if args.command == "status":
        return await _status(config, args.provider)
    return await _outbox(config, args)


async def _run(config: Config, json_lines: bool) -> int:
    from bot.app import Application

    if json_lines:
        config = config.model_copy(
            update={"console": config.console.model_copy(update={"json_lines": True})}
        )
    configure_logging(config.logging.level, config.logging.json_lines, config.secrets())
    await Application(config).run_until_signalled()
    return 0


def _check_config(path: str) -> int:
    config = load_config(path)
    scrub = RedactSecrets(config.secrets()).scrub
    lines = [f"{path}: OK", f"  store: {config.store.url.split('://')[0]}"]
    for provider, sid, source in config.source_ids():
        lines.append(
            f"  source {sid} ({provider}): {source.kind} {source.url} every {source.interval:g}s"
        )
    entries = config.catalog.entries
    evidence = [s.evidence for e in entries.values() for s in e.sources]
    lines.append(
        f"  catalog: {len(entries)} providers, {len(config.providers)} watched; sources "
        f"{evidence.count('known-good')} known-good, {evidence.count('believed')} believed; "
        f"{sum(not e.sources for e in entries.values())} without a machine-readable page"
    )
    lines.append(f"  slack: {config.slack.mode + ' mode' if config.slack else 'off'}")
    lines.append(f"  discord: {'on' if config.discord else 'off'}")
    health = config.health
    lines.append(f"  health: {f'{health.host}:{health.port}' if health else 'off'}")
    print(scrub("\n".join(lines)))
    return 0


async def _status(config: Config, provider: str | None) -> int:
    from bot.commands import CommandService
    from bot.store.store import Store

    store = Store(config.store.url)
    try:
        await store.initialize()
        service = CommandService(config, store)
        keys = [provider] if provider else list(config.providers)
        for index, key in enumerate(keys):
            report = await service.status(key)
            if index:
                print()
            # One provider: with its alternatives; all of them: each says it once.
            lines = report.lines(with_alternatives=bool(provider))
            print("\n".join(lines))
    finally:
        await store.aclose()
    return 0


class OutboxAdmin(Protocol):
    """What `statusbot outbox` needs from the store."""

    async def outbox_rows(self, statuses: Sequence[str] | None = None) -> list[OutboxRow]: ...

    async def retry_delivery(self, delivery_id: int, now: datetime) -> bool: ...

    async def drop_delivery(self, delivery_id: int, now: datetime) -> bool: ...


async def _outbox(config: Config, args: argparse.Namespace) -> int:
    from bot.store.store import Store

    store = Store(config.store.url)
    try:
        await store.initialize()
        return await _outbox_action(store.outbox, args)
    finally:
        await store.aclose()


async def _outbox_action(queue: OutboxAdmin, args: argparse.Namespace) -> int:
    from bot.store.records import DEAD, DROPPED, PENDING

    now = datetime.now(UTC)
    if args.action == "list":
        statuses = None if args.all else [PENDING, DEAD, DROPPED]
        rows = await queue.outbox_rows(statuses)
        for row in rows:
            print(
                json.dumps(
                    {
                        "id": row.id,
                        "status": row.status,
                        "platform": row.platform,
                        "channel": row.channel_id,
                        "kind": row.kind,
                        "incident": row.incident_key,
                        "attempts": row.attempts,
                        "next_attempt_at": row.next_attempt_at.isoformat(),
                        "last_error": row.last_error,
                    }
                )
            )
        if not rows:
            print("outbox: nothing pending, dead or dropped", file=sys.stderr)
        return 0
    if args.id is None:
        print(f"outbox {args.action} needs a delivery id", file=sys.stderr)
        return EXIT_CONFIG
    act = queue.retry_delivery if args.action == "retry" else queue.drop_delivery
    if await act(args.id, now):
        print(f"delivery {args.id}: {args.action} done")
        return 0
    print(f"delivery {args.id}: no such row in a state that allows {args.action}")
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
