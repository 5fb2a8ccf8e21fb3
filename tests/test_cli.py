"""The command line as a user runs it: replay's JSON-lines contract, config errors, status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.botproc import ROOT, write_config
from tests.conftest import FIXTURES

INCIDENT = FIXTURES / "openai_summary_2026-09-22_monitoring.json"
RESOLVED = FIXTURES / "openai_summary_2026-09-24_operational.json"
ANTHROPIC_INCIDENT = FIXTURES / "anthropic_summary_2026-10-07_monitoring.json"
ANTHROPIC_OK = FIXTURES / "anthropic_summary_2026-09-15_operational.json"


def bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_replay_open_incident_then_resolved_prints_degraded_then_restored() -> None:
    result = bot("replay", "--format", "jsonl", str(INCIDENT), str(RESOLVED))
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    assert [e["kind"] for e in events] == ["degraded", "restored"]
    opened, restored = events
    for event in events:
        assert set(event) >= {
            "kind",
            "provider",
            "component",
            "incident_id",
            "incident_title",
            "status",
            "at",
        }
        assert event["provider"] == "OpenAI"
        assert event["incident_id"] == "01M34TAFM9WBGEBE3G1GBH4SE8"
    assert opened["status"] == "monitoring"
    assert opened["at"] == "2026-09-22T15:26:40Z"  # from the payload, not the wall clock
    assert restored["at"] == "2026-09-24T23:39:27Z"
    # First official update 2026-09-22T15:04:05Z to the resolved page.
    assert restored["duration_s"] == 203722.0


def test_replay_atlassian_incident_with_components() -> None:
    # The operational page is older than the incident's: replayed after it, it is a stale copy.
    result = bot("replay", "--format", "jsonl", str(ANTHROPIC_INCIDENT), str(ANTHROPIC_OK))
    events = jsonl(result.stdout)
    assert [e["kind"] for e in events] == ["outage"]
    assert events[0]["components"] == ["Claude Console (platform.claude.com)"]
    assert events[0]["provider"] == "Claude"


def test_replay_text_format_is_readable() -> None:
    result = bot("replay", str(INCIDENT), str(RESOLVED))
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "DEGRADED OpenAI" in lines[0]
    assert "RESTORED OpenAI" in lines[1]
    assert "after 2 d 8 h" in lines[1]


def test_replay_of_a_feed(tmp_path: Path) -> None:
    result = bot("replay", "--format", "jsonl", str(FIXTURES / "xai_feed_2026-10-07.xml"))
    assert result.returncode == 0, result.stderr
    assert jsonl(result.stdout) == []  # all resolved history: nothing to announce


def test_replay_reports_a_bad_file_and_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"page": {"name": "OpenAI"', encoding="utf-8")
    result = bot("replay", "--format", "jsonl", str(INCIDENT), str(broken), str(RESOLVED))
    assert result.returncode == 1
    assert [e["kind"] for e in jsonl(result.stdout)] == ["degraded", "restored"]
    assert "broken.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_of_a_broken_file_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "bad.yaml",
        {
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [
                        {
                            "kind": "statuspage",
                            "url": "https://status.openai.com/api/v2/summary.json",
                            "interval": 0,
                        }
                    ],
                }
            }
        },
    )
    result = bot("check-config", str(config))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.yaml" in lines[0]
    assert "providers.openai.sources.0.interval" in lines[0]
    assert "greater than or equal to 1" in lines[0]
    assert "Traceback" not in result.stderr


def test_check_config_names_a_missing_variable_and_never_prints_secrets(tmp_path: Path) -> None:
    config = tmp_path / "slack.yaml"
    config.write_text(
        "slack:\n  bot_token: ${SLACK_BOT_TOKEN}\n  app_token: ${SLACK_APP_TOKEN}\n",
        encoding="utf-8",
    )
    missing = bot("check-config", str(config), env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode == 2
    assert "slack.app_token" in missing.stderr or "slack.bot_token" in missing.stderr
    assert "is not set" in missing.stderr
    secret_env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-very-secret-123456",
        "SLACK_APP_TOKEN": "xapp-very-secret-654321",
    }
    ok = bot("check-config", str(config), env=secret_env)
    assert ok.returncode == 0, ok.stderr
    assert "socket mode" in ok.stdout
    assert "very-secret" not in ok.stdout + ok.stderr


def test_unknown_key_and_bad_yaml_are_clear(tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("stor:\n  url: x\n", encoding="utf-8")
    result = bot("check-config", str(typo))
    assert result.returncode == 2
    assert "stor: unknown key" in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("providers: [\n", encoding="utf-8")
    result = bot("check-config", str(broken))
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr
    result = bot("check-config", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_example_config_is_valid() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "DISCORD_TOKEN": "discord-token",
    }
    result = bot("check-config", "config.example.yaml", env=env)
    assert result.returncode == 0, result.stderr


def test_status_before_the_bot_ever_ran_says_so_and_creates_nothing(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml", {"store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"}}
    )
    result = bot("status", "chatgpt", "--config", str(config))
    assert result.returncode == 1
    assert "no database at" in result.stderr
    assert "statusbot migrate" in result.stderr
    assert not (tmp_path / "b.db").exists()


def test_status_before_any_poll_says_unknown(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml", {"store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"}}
    )
    assert bot("migrate", "--config", str(config)).returncode == 0
    result = bot("status", "chatgpt", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "OpenAI status is unknown" in result.stdout
    assert "not been checked yet" in result.stdout


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    board = tmp_path / "board"
    result = bot("demo", "--step", "1.5", "--json", "--board", str(board))
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    kinds = [e["kind"] for e in events]
    # Probes fail, people report it: the early card; then the page confirms, our probes see
    # recovery before the page, and the page resolves.
    assert kinds[0] == "suspected"
    assert kinds[1] == "outage"
    assert kinds.index("probes_recovered") < kinds.index("restored") == len(kinds) - 1
    early, confirmed, restored = events[0], events[1], events[-1]
    assert "2 of 2 probes failing" in early["reasons"][0]
    assert "5 people in 3 channels across 2 workspaces report it" in early["reasons"]
    assert confirmed["lag"][0].startswith("OpenAI confirmed this ")
    assert confirmed["lag"][0].endswith(" min after our first signal")
    assert restored["lag"][1].startswith("our probes saw recovery ")
    assert restored["duration_s"] > 0
    assert "OpenAI is operational" in result.stderr
    assert "never acknowledged by the page: 0" in result.stderr
    # The card said what the simulated past suggests; the board was left behind.
    assert "History, not a promise: OpenAI's past" in result.stdout
    during, after = (board / "outage.html").read_text(), (board / "index.html").read_text()
    assert "OpenAI is having an outage" in during
    assert "Something seems to have gone wrong" in during
    assert "OpenAI is operational" in after
    assert (board / "history" / "index-openai-90d.png").read_bytes()[:4] == b"\x89PNG"
    assert f"open {board / 'index.html'}" in result.stderr


def test_check_config_hides_any_value_taken_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "keyed.yaml"
    config.write_text(
        "providers:\n  openai:\n    name: OpenAI\n    sources:\n"
        "      - kind: statuspage\n"
        "        url: https://status.example/api/v2/summary.json?key=${STATUS_API_KEY}\n",
        encoding="utf-8",
    )
    env = {"PATH": "/usr/bin:/bin", "STATUS_API_KEY": "k-9f8e7d6c5b4a"}
    result = bot("check-config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert "k-9f8e7d6c5b4a" not in result.stdout
    assert "key=[redacted]" in result.stdout


async def test_outbox_list_retry_and_drop(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.events import EventKind
    from bot.models import Severity
    from bot.store.store import Store
    from tests.test_store import commit, event, sub

    url = f"sqlite+aiosqlite:///{tmp_path / 'o.db'}"
    store = Store(url)
    await store.initialize()
    await store.subscriptions.subscribe(sub("C-stuck"))
    await commit(store, event(EventKind.OUTAGE, Severity.MAJOR_OUTAGE))
    [row] = await store.outbox.due_deliveries(datetime.now(UTC))
    await store.outbox.mark_failed(row.id, "HTTP 500 after 8 attempts", None)
    await store.aclose()
    config = write_config(tmp_path / "c.yaml", {"store": {"url": url}})

    listed = bot("outbox", "list", "--config", str(config))
    [line] = jsonl(listed.stdout)
    assert line["status"] == "dead"
    assert line["channel"] == "C-stuck"
    assert line["last_error"] == "HTTP 500 after 8 attempts"
    retried = bot("outbox", "retry", str(row.id), "--config", str(config))
    assert retried.returncode == 0
    assert jsonl(bot("outbox", "--config", str(config)).stdout)[0]["status"] == "pending"
    assert bot("outbox", "drop", str(row.id), "--config", str(config)).returncode == 0
    assert jsonl(bot("outbox", "--config", str(config)).stdout)[0]["status"] == "dropped"
    missing = bot("outbox", "retry", "999", "--config", str(config))
    assert missing.returncode == 1
    assert "no such row" in missing.stdout


def test_status_of_every_provider_keeps_each_ones_facts(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "one.yaml",
        {
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"},
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "sources": [{"kind": "statuspage", "url": "https://o.example/s.json"}],
                }
            },
        },
    )
    assert bot("migrate", "--config", str(config)).returncode == 0
    result = bot("status", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "❔ OpenAI status is unknown",
        "The official status page has not been checked yet.",
    ]
