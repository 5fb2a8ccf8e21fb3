"""`/is-chatgpt-down <what people type>` resolved against the catalog, with suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands import CommandService
from bot.config import load_config, parse_config
from bot.errors import CommandError
from bot.store.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await store.initialize()
    yield store
    await store.aclose()


@pytest.fixture
def default(store: Store) -> CommandService:
    """The built-in configuration: OpenAI, Anthropic, Google, Mistral and xAI watched."""
    return CommandService(load_config(None), store)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("chatgpt", "openai"),
        ("ChatGPT", "openai"),
        ("sora", "openai"),
        ("codex", "openai"),
        ("gemini", "google"),
        ("Gemini API", "google"),
        ("claude code", "anthropic"),
        ("Claude-Code", "anthropic"),
        ("claude.ai", "anthropic"),
        ("grok", "xai"),
        ("x.ai", "xai"),
        ("le chat", "mistral"),
        ("LeChat", "mistral"),
        ("Mistral AI", "mistral"),
        ("is gemini down?", "google"),
        ("is claude code down", "anthropic"),
        ("", "openai"),
    ],
)
def test_names_people_type(default: CommandService, typed: str, key: str) -> None:
    assert default.resolve_provider(typed) == key


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("gemnii", "Did you mean gemini (Google)?"),
        ("claud", "Did you mean claude (Anthropic)?"),
        ("mistrall", "Did you mean mistral (Mistral AI)?"),
        ("is chatgtp down", "Did you mean chatgpt (OpenAI)?"),
    ],
)
def test_near_misses_get_a_suggestion(default: CommandService, typed: str, suggestion: str) -> None:
    with pytest.raises(CommandError) as caught:
        default.resolve_provider(typed)
    assert f"I don't know '{typed}'. {suggestion}" in str(caught.value)
    assert "Known providers: openai (chatgpt, chat gpt, gpt, openai api, …)" in str(caught.value)


def test_nothing_close_gets_no_suggestion(default: CommandService) -> None:
    with pytest.raises(CommandError) as caught:
        default.resolve_provider("altavista")
    assert "Did you mean" not in str(caught.value)


def test_a_catalog_provider_not_watched_is_named_with_its_page(default: CommandService) -> None:
    with pytest.raises(CommandError) as caught:
        default.resolve_provider("cohere")
    text = str(caught.value)
    assert text.startswith("Cohere is not watched by this bot.")
    assert "Its official status: https://status.cohere.com/." in text
    assert "Watched here: openai" in text
    with pytest.raises(CommandError) as caught:
        default.resolve_provider("openrouter")
    assert str(caught.value).startswith("OpenRouter cannot be watched: status.openrouter.ai")
    with pytest.raises(CommandError) as caught:
        default.resolve_provider("perplexty")
    assert "Did you mean perplexity, not watched here?" in str(caught.value)


def test_catalog_aliases_reach_a_watched_provider_its_config_did_not_alias(store: Store) -> None:
    config = parse_config(
        {
            "providers": {
                "openai": {
                    "name": "OpenAI",
                    "aliases": ["chatgpt"],
                    "sources": [{"kind": "statuspage", "url": "https://o.example/s.json"}],
                }
            }
        },
        "test",
    )
    service = CommandService(config, store)
    assert service.resolve_provider("sora") == "openai"
    with pytest.raises(CommandError, match="Anthropic is not watched by this bot"):
        service.resolve_provider("claude")


def test_subscribe_understands_the_same_names(default: CommandService) -> None:
    request = default.parse_subscribe('"claude code" grok lechat min:major')
    assert request.providers == ("anthropic", "xai", "mistral")
    assert request.components == ("Claude Code",)  # the component "claude code" stands for
    with pytest.raises(CommandError, match="Cohere is not watched"):
        default.parse_subscribe("cohere")
    with pytest.raises(CommandError, match="Did you mean gemini"):
        default.parse_subscribe("gemnii")
