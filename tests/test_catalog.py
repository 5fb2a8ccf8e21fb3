"""The provider catalog: what it ships, how a config extends it, and the README built from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalog import CATALOG_FILE, builtin, readme_section
from bot.config import load_config, parse_config
from bot.errors import ConfigError
from integrations.sources import PARSERS
from tests.botproc import ROOT
from tests.conftest import FIXTURES
from tests.test_cli import bot

EVERY_ASSISTANT = {
    "openai", "anthropic", "google", "mistral", "xai", "groq", "cohere", "perplexity",
    "deepseek", "together", "huggingface", "copilot",
}  # fmt: skip
# A source is "known-good" only with a real capture of its URL among the test fixtures.
CAPTURES = {
    "https://status.openai.com/api/v2/summary.json": "openai_summary_2026-09-22_monitoring.json",
    "https://status.cloud.google.com/incidents.json": (
        "gcp/incidents_capture_2026-07-30_4_resolved.json"
    ),
    "https://status.x.ai/feed.xml": "xai_feed_2026-10-07.xml",
    "https://status.huggingface.co/index.json": (
        "betterstack/huggingface_index_2026-09-19_status_history_trimmed_to_3_days.json"
    ),
}


def test_the_catalog_knows_every_assistant_people_switch_to() -> None:
    catalog = builtin()
    assert len(catalog.entries) >= 12
    assert set(catalog.entries) >= EVERY_ASSISTANT
    for key, entry in catalog.entries.items():
        assert entry.sources or entry.gaps, key
        for source in entry.sources:
            assert source.kind in PARSERS, key
    # Where a surface has no machine-readable page, the catalog says so.
    assert any("AI Studio" in gap for gap in catalog["google"].gaps)
    assert catalog["openrouter"].sources == []


def test_known_good_means_a_captured_payload_the_parser_reads() -> None:
    for entry in builtin().entries.values():
        for source in entry.sources:
            if source.evidence != "known-good":
                continue
            assert source.url in CAPTURES, f"{source.url} is known-good without a capture"
            snapshot = PARSERS[source.kind]((FIXTURES / CAPTURES[source.url]).read_bytes(), None)
            assert snapshot.page_name


def test_built_in_default_watches_the_big_five() -> None:
    config = load_config(None)
    assert list(config.providers) == ["openai", "anthropic", "google", "mistral", "xai"]
    assert config.default_providers == ["openai"]
    kinds = {key: [s.kind for s in p.sources] for key, p in config.providers.items()}
    assert kinds["openai"] == ["incidentio"]
    assert kinds["google"] == ["gcp"]
    google = config.providers["google"].sources[0]
    assert google.include_components == ["Z0FZJAMvEB4j3NbCJs6B"]  # a product id, not a title


def test_a_catalog_provider_is_watched_by_naming_it() -> None:
    config = parse_config({"providers": {"groq": None, "huggingface": {}}}, "test")
    assert config.providers["groq"].name == "Groq"
    assert config.providers["groq"].sources[0].kind == "incidentio"
    assert "groqcloud" in config.providers["groq"].aliases
    assert (
        config.providers["huggingface"].sources[0].url == "https://status.huggingface.co/index.json"
    )


def test_config_fields_replace_the_catalog_ones() -> None:
    mine = {"kind": "statuspage", "url": "https://mirror.example/api/v2/summary.json"}
    config = parse_config({"providers": {"anthropic": {"sources": [mine]}}}, "test")
    provider = config.providers["anthropic"]
    assert [s.url for s in provider.sources] == [mine["url"]]
    assert "claude" in provider.aliases  # kept from the catalog
    assert provider.alias_components == {}  # they named components of the catalog's source


def test_a_new_provider_is_yaml_not_code(tmp_path: Path) -> None:
    text = """
catalog:
  acme:
    name: Acme AI
    aliases: [acme chat, roadrunner]
    sources:
      - {kind: betterstack, url: "https://status.acme.example/index.json", evidence: believed}
providers:
  acme: {}
  openai: {}
"""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    config = load_config(path)
    assert config.providers["acme"].sources[0].kind == "betterstack"
    assert config.catalog["acme"].aliases == ["acme chat", "roadrunner"]
    result = bot("check-config", str(path))
    assert result.returncode == 0, result.stderr
    assert "source acme (acme): betterstack https://status.acme.example/index.json" in result.stdout


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"catalog": {"acme": {"name": "Acme"}}},
            "config.yaml: catalog.acme: give sources, or say under gaps why",
        ),
        (
            {"catalog": {"acme": {"name": "Acme", "sources": [{"kind": "html", "url": "https://a"}]}}},
            "config.yaml: catalog.acme.sources.0.kind:",
        ),
        (
            {"catalog": {"acme": {"name": "Acme", "gaps": ["x"], "sources": [
                {"kind": "rss", "url": "https://a.example/feed"}]}}},
            "config.yaml: catalog.acme.sources.0.evidence: Field required",
        ),
        (
            {"providers": {"openrouter": {}}},
            "config.yaml: providers.openrouter: the catalog has no machine-readable source for"
            " OpenRouter",
        ),
        (
            {"catalog": {"openai": {"sources": [
                {"kind": "statuspage", "url": "ftp://x", "evidence": "believed"}]}}},
            "config.yaml: catalog.openai.sources.0.url: String should match pattern",
        ),
    ],
)  # fmt: skip
def test_check_config_validates_the_catalog(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value).replace(str(path), "config.yaml")
    result = bot("check-config", str(path))
    assert result.returncode == 2
    assert message in result.stderr.replace(str(path), "config.yaml")
    assert "Traceback" not in result.stderr


def test_the_shipped_catalog_file_is_what_check_config_reads() -> None:
    raw = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    assert list(raw["providers"]) == list(builtin().entries)


def test_readme_provider_table_is_generated_from_the_catalog() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_section(builtin()) in readme, (
        "README's provider table is out of date: paste the output of `python -m bot.catalog`"
    )
