"""config.example.yaml is what a new user copies: it must run as it stands, turn platforms on
one at a time, and show every key the schema has with its real default."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from bot.config import DEFAULT_CONFIG, Config, parse_config
from tests.botproc import ROOT
from tests.test_cli import bot

EXAMPLE = ROOT / "config.example.yaml"
# `#key: value` (no space after the #) is an optional key shown with its default.
_OPTIONAL_LINE = re.compile(r"^(\s*)#(\S.*|  .*)$")
PATH_ONLY = {"PATH": "/usr/bin:/bin"}


def uncommented(
    text: str, sections: set[str] | None = None, leave: frozenset[str] = frozenset()
) -> str:
    """The example with its optional lines turned on (only in `sections`, when given),
    except the subsections named in `leave` (`slack.oauth`)."""
    out, current, sub = [], None, None
    for line in text.splitlines():
        match = _OPTIONAL_LINE.match(line)
        if match and not match.group(1):
            top = re.match(r"([a-z_]+):", match.group(2))
            current = top.group(1) if top else current
            nested = re.match(r"  ([a-z_]+):", match.group(2))
            if top or nested:
                sub = f"{current}.{nested.group(1)}" if nested else None
        if match and (sections is None or current in sections) and sub not in leave:
            line = match.group(1) + match.group(2)
        out.append(line)
    return "\n".join(out) + "\n"


# Slack in many workspaces is its own choice, not part of turning Slack on.
ONE_WORKSPACE = frozenset({"slack.oauth"})


def write(tmp_path: Path, sections: set[str], leave: frozenset[str] = ONE_WORKSPACE) -> Path:
    path = tmp_path / "config.yaml"
    text = uncommented(EXAMPLE.read_text("utf-8"), sections, leave)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_runs_as_it_stands_without_any_token() -> None:
    result = bot("check-config", "config.example.yaml", env=PATH_ONLY)
    assert result.returncode == 0, result.stderr
    assert "slack: off" in result.stdout
    assert "discord: off" in result.stdout


def test_turning_slack_on_needs_only_the_slack_tokens(tmp_path: Path) -> None:
    config = write(tmp_path, {"slack"})
    env = {**PATH_ONLY, "SLACK_BOT_TOKEN": "xoxb-example-1", "SLACK_APP_TOKEN": "xapp-example-1"}
    result = bot("check-config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert "slack: socket mode" in result.stdout
    assert "discord: off" in result.stdout


def test_turning_discord_on_needs_only_the_discord_token(tmp_path: Path) -> None:
    config = write(tmp_path, {"discord", "health"})
    result = bot("check-config", str(config), env={**PATH_ONLY, "DISCORD_TOKEN": "d-token-1"})
    assert result.returncode == 0, result.stderr
    assert "discord: on" in result.stdout
    assert "health: 127.0.0.1:8080" in result.stdout


def test_every_missing_token_is_reported_in_one_run_one_line_each(tmp_path: Path) -> None:
    config = write(tmp_path, {"slack", "discord"})
    result = bot("check-config", str(config), env=PATH_ONLY)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"config error: {config}: slack.bot_token: environment variable SLACK_BOT_TOKEN is not set",
        f"config error: {config}: discord.token: environment variable DISCORD_TOKEN is not set",
        f"config error: {config}: slack: mode 'socket' needs app_token (an xapp-... token)",
    ]


def _models(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model inside an annotation, and how it is held: 'one', 'dict' or 'list'."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _models(inner[0]) if len(inner) == 1 else (None, "one")
    if origin is dict:
        model, _ = _models(typing.get_args(annotation)[1])
        return model, "dict"
    if origin is list:
        model, _ = _models(typing.get_args(annotation)[0])
        return model, "list"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, "one"
    return None, "one"


def _missing(model: type[BaseModel], shown: list[Any], path: str) -> list[str]:
    """Keys of `model` that no mapping in `shown` gives, or gives with another default."""
    problems = []
    mappings = [m for m in shown if isinstance(m, dict)]
    for name, field in model.model_fields.items():
        key = field.alias or name
        where = f"{path}.{key}" if path else key
        values = [m[key] for m in mappings if key in m]
        if not values:
            problems.append(f"{where}: not in config.example.yaml")
            continue
        inner, holder = _models(field.annotation)
        if inner is not None:
            if holder == "dict":
                values = [v for d in values if isinstance(d, dict) for v in d.values()]
                where += ".*"
            elif holder == "list":
                values = [v for items in values if isinstance(items, list) for v in items]
                where += "[]"
            problems += _missing(inner, values, where)
            continue
        if field.is_required():
            continue
        default = field.get_default(call_default_factory=True)
        # None or an empty list: nothing to show but the key (aliases differ per provider).
        if default not in (None, [], {}) and default not in values:
            problems.append(f"{where}: shown as {values!r}, but the default is {default!r}")
    return problems


def test_the_example_shows_every_key_with_its_real_default() -> None:
    shown = yaml.safe_load(uncommented(EXAMPLE.read_text("utf-8")))
    assert _missing(Config, [shown], "") == []


def test_the_examples_providers_are_the_built_in_default() -> None:
    example = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    ours = parse_config({"providers": example["providers"]}, "example")
    built_in = parse_config(DEFAULT_CONFIG, "built-in")
    assert ours.providers == built_in.providers
