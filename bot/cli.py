"""`statusbot` (or `python -m bot`): the command line; see `statusbot --help`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, get_args

from bot.config import LOG_LEVELS, Config, SourceKind, load_config
from bot.errors import ConfigError, StatusBotError
from bot.logs import RedactSecrets, configure_logging

if TYPE_CHECKING:
    from bot.store.records import OutboxRow

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
CONFIG_ENV = "STATUSBOT_CONFIG"
LOG_LEVEL_ENV = "STATUSBOT_LOG_LEVEL"
HEALTH_ENV = "STATUSBOT_HEALTH"

EXIT_CODES = f"""exit codes:
  {EXIT_OK:<4} success
  {EXIT_FAILURE:<4} failure (the store cannot be used, a file could not be replayed, unhealthy)
  {EXIT_CONFIG:<4} bad config, environment or arguments (one line per problem)
  {EXIT_INTERRUPTED:<4} interrupted (Ctrl-C)

environment:
  {CONFIG_ENV:<20} config file used when --config (or check-config's FILE) is not given
  {LOG_LEVEL_ENV:<20} log level when --log-level is not given (debug, info, warning, error)
  {HEALTH_ENV:<20} HOST:PORT of the health server when --health is not given
  {"VAR, VAR_FILE":<20} ${{VAR}} in the config comes from VAR, or from the file VAR_FILE names
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("statusbot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        metavar="LEVEL",
        help=f"debug, info, warning or error, any case (default: ${LOG_LEVEL_ENV}, "
        "else the config's logging.level)",
    )
    with_config = argparse.ArgumentParser(add_help=False, parents=[common])
    with_config.add_argument(
        "--config",
        metavar="FILE",
        help=f"YAML config file (default: ${CONFIG_ENV}, else the built-in default)",
    )

    parser = argparse.ArgumentParser(
        prog="statusbot",
        description="Outage alerts for AI providers (ChatGPT, Claude, Gemini) in Slack and "
        "Discord. Run `statusbot COMMAND --help` for a command's options.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"statusbot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, help_text: str, parent: argparse.ArgumentParser
    ) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            parents=[parent],
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    run = command(
        "run", "poll the status pages and deliver alerts until SIGINT/SIGTERM", with_config
    )
    run.add_argument(
        "--json", action="store_true", help="the console channel prints JSON lines on stdout"
    )
    run.add_argument(
        "--health",
        metavar="HOST:PORT",
        help=f"serve /healthz, /readyz and /metrics there (default: ${HEALTH_ENV}, "
        "else the config's health section; 0.0.0.0 to reach it from outside a container)",
    )
    run.add_argument(
        "--no-migrate",
        action="store_true",
        help="refuse to start unless the schema is current, instead of migrating it "
        "(when `statusbot migrate` runs as its own step)",
    )

    source = command(
        "check-source", "read a status source once and show what the bot would see", common
    )
    source.add_argument("url", metavar="URL", help="the status page's machine-readable URL")
    source.add_argument(
        "--kind", choices=get_args(SourceKind), help="the format (default: detected)"
    )
    source.add_argument(
        "--components-url", metavar="URL", help="incident.io: the full component list"
    )

    check = command("check-config", "validate a config file, print what it sets up, exit", common)
    check.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help=f"the config file (default: ${CONFIG_ENV})",
    )

    migrate = command(
        "migrate", "create or upgrade the database schema to this version's", with_config
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if the schema is missing or not this version's",
    )

    status = command("status", "what the bot knows now, from its store (read-only)", with_config)
    status.add_argument(
        "provider", nargs="?", metavar="PROVIDER", help="a provider key or alias (default: all)"
    )

    lag = command(
        "lag",
        "how far each provider's status page lags our early warning, and what it never "
        "acknowledged (read-only)",
        with_config,
    )
    lag.add_argument(
        "provider", nargs="?", metavar="PROVIDER", help="a provider key or alias (default: all)"
    )
    lag.add_argument("--json", action="store_true", help="one JSON object per provider and line")

    outbox = command("outbox", "see stuck deliveries, retry or drop one", with_config)
    outbox.add_argument(
        "action",
        choices=["list", "retry", "drop"],
        nargs="?",
        default="list",
        help="list (default): pending, dead and dropped rows as JSON lines; retry ID: "
        "queue a dead or dropped row again; drop ID: give up on a row",
    )
    outbox.add_argument("id", nargs="?", type=int, metavar="ID", help="the delivery id")
    outbox.add_argument("--all", action="store_true", help="list sent rows too")

    backup = command(
        "backup", "copy the SQLite store to FILE while the bot runs (online backup)", with_config
    )
    backup.add_argument("dest", metavar="FILE", help="where to write the copy (replaced)")

    health = command(
        "healthcheck", "ask a running bot's /healthz; exit 0 if healthy (for Docker)", with_config
    )
    health.add_argument(
        "--url",
        help=f"the URL to ask (default: from ${HEALTH_ENV}, else the config's health "
        "section, else http://127.0.0.1:8080/healthz)",
    )
    health.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)"
    )

    replay = command(
        "replay", "feed recorded payloads through the parser and state machine", common
    )
    replay.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="Statuspage summary.json or RSS/Atom files, in order, as successive polls",
    )
    replay.add_argument(
        "--format",
        choices=["jsonl", "text"],
        default="text",
        help="text (default) or one JSON object per event and line",
    )
    replay.add_argument(
        "--flap-window", type=float, default=0.0, help="seconds (default 0: no flap damping)"
    )

    demo = command(
        "demo",
        "watch a simulated ChatGPT outage from our first signal to the page's resolution "
        "(no tokens)",
        common,
    )
    demo.add_argument("--step", type=float, default=4.0, help="seconds between stages (default 4)")
    demo.add_argument("--json", action="store_true", help="print events as JSON lines")
    demo.add_argument(
        "--board",
        type=Path,
        default=Path("demo-board"),
        help="where to leave the status board's copy (default ./demo-board)",
    )
    return parser


def _config_path(args: argparse.Namespace) -> str | None:
    return getattr(args, "config", None) or os.environ.get(CONFIG_ENV) or None


def _log_level(args: argparse.Namespace, config: Config | None) -> str:
    """--log-level, else $STATUSBOT_LOG_LEVEL, else the config's, else INFO."""
    if args.log_level:
        return str(args.log_level)
    from_env = os.environ.get(LOG_LEVEL_ENV, "").strip()
    if from_env:
        if from_env.upper() not in LOG_LEVELS:
            raise ConfigError(
                f"{LOG_LEVEL_ENV}: expected one of {', '.join(LOG_LEVELS).lower()}, "
                f"not {from_env!r}"
            )
        return from_env.upper()
    return config.logging.level if config is not None else "INFO"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_dispatch(args))
    except ConfigError as exc:
        print(f"config error: {exc}".replace("\n", "\nconfig error: "), file=sys.stderr)
        return EXIT_CONFIG
    except StatusBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception:
        # Through logging, so that the configured redaction applies to the traceback too.
        logging.getLogger("bot").exception("statusbot stopped on an unexpected error")
        return EXIT_FAILURE


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        return _check_config(args.file or os.environ.get(CONFIG_ENV))
    if args.command == "check-source":
        from bot.check_source import check_source

        configure_logging(_log_level(args, None), False)
        return await check_source(args.url, args.kind, args.components_url)
    if args.command == "replay":
        from bot.replay import replay_files

        configure_logging(_log_level(args, None), False)
        return replay_files(args.files, args.format, args.flap_window)
    if args.command == "demo":
        from bot.demo import run_demo

        # The demo narrates on stderr: its logs stay quiet unless asked for.
        level = _log_level(args, None) if args.log_level or os.environ.get(LOG_LEVEL_ENV) else None
        return await run_demo(args.step, args.json, level or "WARNING", args.board)
    config = load_config(_config_path(args))
    configure_logging(_log_level(args, config), config.logging.json_lines, config.secrets())
    if args.command == "healthcheck":
        from bot.healthcheck import check_health, health_url

        url = args.url or health_url(config, os.environ.get(HEALTH_ENV))
        return await check_health(url, args.timeout)
    if args.command == "run":
        return await _run(config, args)
    if args.command == "migrate":
        return await _migrate(config, args.check)
    if args.command == "backup":
        from bot.store.backup import backup_store

        print(await backup_store(config.store.url, args.dest))
        return EXIT_OK
    if args.command == "status":
        return await _status(config, args.provider)
    if args.command == "lag":
        return await _lag(config, args.provider, args.json)
    return await _outbox(config, args)


async def _run(config: Config, args: argparse.Namespace) -> int:
    from bot.app import Application
    from bot.healthcheck import health_override
    from bot.limits import raise_file_limit

    raise_file_limit()
    update: dict[str, object] = {}
    if args.json:
        update["console"] = config.console.model_copy(update={"json_lines": True})
    health = health_override(config, args.health or os.environ.get(HEALTH_ENV))
    if health is not config.health:
        update["health"] = health
    if update:
        config = config.model_copy(update=update)
    await Application(config, migrate=not args.no_migrate).run_until_signalled()
    return EXIT_OK


def _check_config(path: str | None) -> int:
    if not path:
        raise ConfigError(f"nothing to check: give a FILE or set {CONFIG_ENV}")
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
    outputs = ", ".join(f"{o.kind} {o.name}" for o in config.outputs)
    lines.append(f"  outputs: {outputs or 'none'}")
    health = config.health
    lines.append(f"  health: {f'{health.host}:{health.port}' if health else 'off'}")
    web = config.web
    lines.append(f"  status board: {f'http://{web.host}:{web.port}/' if web else 'off'}")
    print(scrub("\n".join(lines)))
    return EXIT_OK


async def _migrate(config: Config, check_only: bool) -> int:
    from bot.store.store import HEAD_REVISION, Store

    store = Store(config.store.url)
    try:
        if check_only:
            await store.check_schema()
            print(f"schema: at revision {HEAD_REVISION}, nothing to do")
            return EXIT_OK
        found = await store.migrate()
    finally:
        await store.aclose()
    if found is None:
        print(f"schema: created at revision {HEAD_REVISION}")
    elif found == HEAD_REVISION:
        print(f"schema: already at revision {HEAD_REVISION}, nothing to do")
    else:
        print(f"schema: upgraded from revision {found} to {HEAD_REVISION}")
    return EXIT_OK


async def _status(config: Config, provider: str | None) -> int:
    from bot.commands import CommandService
    from bot.store.store import Store

    store = Store(config.store.url)
    try:
        # Read-only: a live database is never migrated by a command that only looks.
        await store.initialize(migrate=False)
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
    return EXIT_OK


async def _lag(config: Config, provider: str | None, as_json: bool) -> int:
    from bot.commands import CommandService
    from bot.lag import lag_text, summarize
    from bot.store.store import Store

    store = Store(config.store.url)
    try:
        await store.initialize(migrate=False)
        key = CommandService(config, store).resolve_provider(provider) if provider else None
        records = await store.early.episodes(key)
    finally:
        await store.aclose()
    names = {k: p.name for k, p in config.providers.items()}
    summaries = summarize(records, names, [key] if key else list(config.providers))
    for index, summary in enumerate(summaries):
        if as_json:
            print(json.dumps(summary.to_json()))
            continue
        if index:
            print()
        print("\n".join(lag_text(summary)))
    return EXIT_OK


class OutboxAdmin(Protocol):
    """What `statusbot outbox` needs from the store."""

    async def outbox_rows(self, statuses: Sequence[str] | None = None) -> list[OutboxRow]: ...

    async def retry_delivery(self, delivery_id: int, now: datetime) -> bool: ...

    async def drop_delivery(self, delivery_id: int, now: datetime) -> bool: ...


async def _outbox(config: Config, args: argparse.Namespace) -> int:
    from bot.store.store import Store

    store = Store(config.store.url)
    try:
        # Rows change, the schema never: an old or missing schema stops here.
        await store.initialize(migrate=False)
        return await _outbox_action(store.outbox, args)
    finally:
        await store.aclose()


async def _outbox_action(queue: OutboxAdmin, args: argparse.Namespace) -> int:
    from bot.store.records import DEAD, DROPPED, HELD, PENDING

    now = datetime.now(UTC)
    if args.action == "list":
        statuses = None if args.all else [PENDING, HELD, DEAD, DROPPED]
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
        return EXIT_OK
    if args.id is None:
        print(f"outbox {args.action} needs a delivery id", file=sys.stderr)
        return EXIT_CONFIG
    act = queue.retry_delivery if args.action == "retry" else queue.drop_delivery
    if await act(args.id, now):
        print(f"delivery {args.id}: {args.action} done")
        return EXIT_OK
    print(f"delivery {args.id}: no such row in a state that allows {args.action}")
    return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
