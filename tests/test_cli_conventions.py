"""The command line by convention: --version, help everywhere, STATUSBOT_CONFIG, log level from
the flag or the environment in any case, JSON logs apart from the console channel, and
secrets from *_FILE variables, redacted like the others."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import sys
import uuid
from pathlib import Path
from typing import Any

from bot.cli import _parser
from fakes.statuspage import FakeStatusPage
from tests.botproc import ROOT, write_config
from tests.conftest import fixture_bytes
from tests.storm import source_version
from tests.test_cli import bot
from tests.waiting import until

SUMMARY = "/api/v2/summary.json"
# Dated before INCIDENT: an older copy would be ignored as stale.
OPERATIONAL = "openai_summary_2026-07-09_operational_no_incidents_key_keysorted.json"
INCIDENT = "openai_summary_2026-09-22_monitoring.json"
PATH_ONLY = {"PATH": "/usr/bin:/bin"}


def test_version() -> None:
    result = bot("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "statusbot 0.1.0"


def test_every_command_and_argument_has_help_and_the_exit_codes_are_documented() -> None:
    parser = _parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {c.dest: c.help for c in commands._choices_actions}
    assert set(helps) == set(commands.choices)
    for name, sub in commands.choices.items():
        assert helps[name], f"{name} has no help"
        assert "exit codes:" in (sub.epilog or ""), name
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    result = bot("outbox", "--help")
    assert result.returncode == 0
    assert "2    bad config, environment or arguments" in result.stdout
    assert "retry ID: queue a dead or dropped row again" in result.stdout


def test_check_config_reads_statusbot_config(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "from-env.yaml", {"store": {"url": "sqlite+aiosqlite:///x.db"}}
    )
    result = bot("check-config", env={**PATH_ONLY, "STATUSBOT_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{config}: OK")
    nothing = bot("check-config", env=PATH_ONLY)
    assert nothing.returncode == 2
    assert "give a FILE or set STATUSBOT_CONFIG" in nothing.stderr


def test_a_bad_log_level_is_a_config_error(tmp_path: Path) -> None:
    result = bot("check-config", "config.example.yaml", "--log-level", "loud")
    assert result.returncode == 2
    assert "invalid choice: 'LOUD'" in result.stderr
    config = write_config(
        tmp_path / "c.yaml", {"store": {"url": f"sqlite+aiosqlite:///{tmp_path}/b.db"}}
    )
    result = bot(
        "migrate", "--config", str(config), env={**PATH_ONLY, "STATUSBOT_LOG_LEVEL": "loud"}
    )
    assert result.returncode == 2
    assert "STATUSBOT_LOG_LEVEL: expected one of debug, info, warning, error" in result.stderr


def test_secrets_from_files_are_used_and_never_printed(tmp_path: Path) -> None:
    token_file = tmp_path / "slack_bot_token"
    token_file.write_text("xoxb-from-a-file-7c41d2\n", encoding="utf-8")
    config = tmp_path / "slack.yaml"
    config.write_text(
        "slack:\n  bot_token: ${SLACK_BOT_TOKEN}\n  app_token: ${SLACK_APP_TOKEN}\n"
        "providers:\n  openai:\n    name: OpenAI\n    sources:\n"
        "      - kind: statuspage\n"
        "        url: https://status.example/api/v2/summary.json?token=${SLACK_BOT_TOKEN}\n",
        encoding="utf-8",
    )
    env = {
        **PATH_ONLY,
        "SLACK_BOT_TOKEN_FILE": str(token_file),
        "SLACK_APP_TOKEN": "xapp-from-the-env-99a0",
    }
    ok = bot("check-config", str(config), env=env)
    assert ok.returncode == 0, ok.stderr
    assert "slack: socket mode" in ok.stdout
    assert "token=[redacted]" in ok.stdout  # the file's content, without its newline
    assert "from-a-file" not in ok.stdout + ok.stderr

    both = bot("check-config", str(config), env={**env, "SLACK_BOT_TOKEN": "xoxb-also-set-1"})
    assert both.returncode == 2
    assert "both SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are set" in both.stderr
    missing = bot(
        "check-config",
        str(config),
        env={**env, "SLACK_BOT_TOKEN_FILE": str(tmp_path / "absent")},
    )
    assert missing.returncode == 2
    assert "SLACK_BOT_TOKEN_FILE names a file that cannot be read" in missing.stderr


async def run_bot(
    tmp_path: Path, page: FakeStatusPage, args: list[str], env: dict[str, str], **extra: Any
) -> tuple[str, str]:
    """`statusbot run` until it has seen an incident open after its baseline; (out, err)."""
    url = page.url(SUMMARY) + "?key=${STATUS_KEY}"
    db = tmp_path / f"bot-{uuid.uuid4().hex[:8]}.db"
    config = write_config(
        tmp_path / "c.yaml",
        {
            "store": {"url": f"sqlite+aiosqlite:///{db}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [{"kind": "statuspage", "url": url, "interval": 1}],
                }
            },
            **extra,
        },
    )
    page.set_payload(SUMMARY, fixture_bytes(OPERATIONAL))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await until(lambda: source_version(db) > 0, "the first poll to be recorded", within=60)
        page.set_payload(SUMMARY, fixture_bytes(INCIDENT))

        def announced() -> bool:
            with sqlite3.connect(db) as conn:
                return bool(conn.execute("SELECT count(*) FROM events").fetchone()[0])

        await until(announced, "the incident to be recorded", within=60)
        await asyncio.sleep(0.5)  # the console channel prints it right after
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


def key_file(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "status_key"
    path.write_text("sk-status-key-from-file-31f5", encoding="utf-8")
    return {"STATUS_KEY_FILE": str(path)}


async def test_log_level_from_the_environment_in_any_case_and_the_flag_wins(
    tmp_path: Path,
) -> None:
    async with FakeStatusPage() as page:
        env = {**key_file(tmp_path), "STATUSBOT_LOG_LEVEL": "Warning"}
        _out, quiet = await run_bot(tmp_path, page, [], env)
        assert "statusbot started" not in quiet
        _out, chatty = await run_bot(tmp_path, page, ["--log-level", "debug"], env)
        assert "statusbot started" in chatty
        assert " DEBUG " in chatty
        # The URL's key came from a file: redacted in the DEBUG request lines too.
        assert "key=[redacted]" in chatty
        assert "sk-status-key-from-file" not in chatty


async def test_json_logs_and_json_console_lines_are_independent(tmp_path: Path) -> None:
    async with FakeStatusPage() as page:
        out, err = await run_bot(tmp_path, page, [], key_file(tmp_path), logging={"json": True})
        logs = [json.loads(line) for line in err.splitlines() if line.strip()]
        assert any(entry["msg"].startswith("statusbot started") for entry in logs)
        assert {"ts", "level", "logger", "msg"} <= set(logs[0])
        assert "DEGRADED OpenAI" in out  # the console channel still writes text
        assert not out.lstrip().startswith("{")

        out, err = await run_bot(tmp_path, page, ["--json"], key_file(tmp_path))
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert [e["kind"] for e in events] == ["degraded"]
        assert " INFO bot.app: statusbot started" in err  # logs stay text


def test_a_bad_health_address_is_a_config_error() -> None:
    result = bot("run", "--health", "8080", env={**PATH_ONLY, "STATUSBOT_CONFIG": ""})
    assert result.returncode == 2
    assert "expected HOST:PORT such as 0.0.0.0:8080, not '8080'" in result.stderr
    result = bot("healthcheck", env={**PATH_ONLY, "STATUSBOT_HEALTH": "host:port"})
    assert result.returncode == 2
    assert "STATUSBOT_HEALTH: expected HOST:PORT" in result.stderr
