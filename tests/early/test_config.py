"""Probe and early-warning config: the issue's YAML keys work, mistakes name the key."""

from __future__ import annotations

import pytest
import yaml

from bot.config import load_config, parse_config
from bot.errors import ConfigError

ISSUE_YAML = """
providers:
  openai:
    name: OpenAI
    sources: [{kind: statuspage, url: "https://status.openai.com/api/v2/summary.json"}]
    probes:
      - name: API
        url: https://api.openai.com/v1/models
        interval: 30
        alive: {status: [401], json_key: error}
      - name: ChatGPT
        url: https://chatgpt.com/
        alive: {status: [200, 403]}
early_warning:
  crowd: {min_users: 3, min_channels: 2, window: 600}
  probes: {failing_after: 3}
"""


def test_the_issue_yaml_is_accepted() -> None:
    config = parse_config(yaml.safe_load(ISSUE_YAML), "config.yaml")
    ids = [pid for _, pid, _ in config.probe_ids()]
    assert ids == ["openai:API", "openai:ChatGPT"]
    chatgpt = config.providers["openai"].probes[1]
    assert chatgpt.interval == 30  # the default
    assert chatgpt.alive.status == [200, 403]
    assert config.early_warning.crowd.window == 600
    assert config.early_warning.probes.failing_after == 3


def test_built_in_config_probes_every_default_provider() -> None:
    config = load_config(None)
    providers = {key for key, _, _ in config.probe_ids()}
    assert providers == {"openai", "anthropic", "google", "mistral", "xai"}


def test_a_provider_taken_from_the_catalog_keeps_its_probes() -> None:
    config = parse_config({"providers": {"anthropic": {}}}, "config.yaml")
    (probe,) = config.providers["anthropic"].probes
    assert probe.url == "https://api.anthropic.com/v1/models"
    assert probe.alive.json_value == "authentication_error"


def test_probes_can_be_switched_off_per_provider() -> None:
    config = parse_config({"providers": {"anthropic": {"probes": []}}}, "config.yaml")
    assert config.providers["anthropic"].probes == []


@pytest.mark.parametrize(
    ("probe", "words"),
    [
        ({"name": "A", "url": "ftp://x", "alive": {"status": [401]}}, "url"),
        (
            {"name": "A", "url": "https://x", "interval": 0.5, "alive": {"status": [401]}},
            "interval",
        ),
        ({"name": "A", "url": "https://x", "alive": {"status": []}}, "status"),
        ({"name": "A", "url": "https://x", "alive": {"status": [42]}}, "HTTP status"),
        (
            {"name": "A", "url": "https://x", "alive": {"status": [401], "json_value": "x"}},
            "json_key",
        ),
        ({"name": "A", "url": "https://x"}, "alive"),
    ],
)
def test_mistakes_name_the_key(probe: dict, words: str) -> None:
    data = yaml.safe_load(ISSUE_YAML)
    data["providers"]["openai"]["probes"] = [probe]
    with pytest.raises(ConfigError) as error:
        parse_config(data, "config.yaml")
    assert "providers.openai.probes.0" in str(error.value)
    assert words in str(error.value)


def test_two_probes_with_one_name_are_refused() -> None:
    data = yaml.safe_load(ISSUE_YAML)
    data["providers"]["openai"]["probes"][1]["name"] = "api"
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(data, "config.yaml")
