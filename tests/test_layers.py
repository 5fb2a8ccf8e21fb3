"""The data path reads one way: source → snapshot → transition → event → outbox → notifier.

Read from the import statements of bot/ and integrations/ (every `import`, also those inside
functions and under TYPE_CHECKING: a lazy import is still a dependency):

- the domain vocabulary (bot.models, bot.errors, bot.events, bot.state) imports nothing else
  from the project;
- integrations/sources turns bytes into a Snapshot and imports only the vocabulary's
  `bot.models` and `bot.errors` from the core;
- the pure state machine (bot.machine, and bot.fusion when it exists) does no I/O, however
  deep its imports go;
- the core (bot/) never imports a chat platform (slack_bolt, slack_sdk, discord, or
  integrations.slack / integrations.discord; the app loads a platform by name at start),
  except each platform's config section, which Config composes and which itself imports
  no platform;
- there is no import cycle among the project's modules.

A known violation is listed in KNOWN with the reason; the test fails when it disappears, so
the entry is removed with the fix.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "integrations")
VOCABULARY = ("bot.models", "bot.errors", "bot.events", "bot.state")
SOURCES_MAY_USE = ("bot.models", "bot.errors")
PURE = ("bot.machine", "bot.fusion")
PLATFORMS = (
    "slack_bolt", "slack_sdk", "discord", "integrations.slack", "integrations.discord",
    "integrations.outputs",
)  # fmt: skip
# Pydantic sections that live with their platform and are composed into bot.config.Config.
PLATFORM_CONFIGS = (
    "integrations.slack.config", "integrations.discord.config", "integrations.outputs.config",
)  # fmt: skip
IO = (
    "asyncio", "socket", "ssl", "selectors", "subprocess", "threading", "urllib.request",
    "http.client", "sqlite3", "sqlalchemy", "aiosqlite", "asyncpg", "alembic", "httpx",
    "aiohttp", "requests", "feedparser", "apscheduler", "slack_bolt", "slack_sdk", "discord",
)  # fmt: skip

# (importer, imported): why it is still there. Remove the entry with the fix.
KNOWN: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def project_modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


@cache
def imports_of(module: str) -> frozenset[str]:
    """Every module `module` names in an import statement (resolved to the deepest module
    that exists for project imports; `from x import y` counts as `x.y` when that is one)."""
    path = project_modules()[module]
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
            found.update(names)
            # `from pkg import submodule` depends on the submodule, not on pkg's own code.
            if not all(name in project_modules() for name in names):
                found.add(base)
    modules = project_modules()
    # `from bot.models import Severity` adds bot.models and bot.models.Severity: keep the
    # project names that are modules, and every outside name (matched by prefix later).
    return frozenset(n for n in found if n in modules or not _is_project(n)) - {module}


def _is_project(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def project_imports(module: str) -> set[str]:
    """The project modules `module` imports (a package's `__init__` counts as the package)."""
    modules = project_modules()
    return {name for name in imports_of(module) if name in modules and name != module}


def within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(rule: str, edges: Iterable[tuple[str, str]]) -> list[str]:
    """Edges that break a rule, less the known ones (which must still exist)."""
    return sorted(f"{rule}: {a} imports {b}" for a, b in edges if (a, b) not in KNOWN)


def all_edges() -> set[tuple[str, str]]:
    return {(a, b) for a in project_modules() for b in imports_of(a)}


def test_the_vocabulary_imports_nothing_else_from_the_project() -> None:
    edges = [
        (a, b)
        for a in project_modules()
        if within(a, VOCABULARY)
        for b in project_imports(a)
        if not within(b, VOCABULARY) and b != "bot"
    ]
    assert violations("vocabulary", edges) == []


def test_sources_only_parse_and_use_only_the_domain_vocabulary() -> None:
    edges = [
        (a, b)
        for a in project_modules()
        if within(a, ["integrations.sources"])
        for b in project_imports(a)
        if within(b, ["bot"]) and b != "bot" and not within(b, SOURCES_MAY_USE)
    ]
    assert violations("sources", edges) == []


def test_the_state_machine_does_no_io_however_deep() -> None:
    problems = []
    for start in (m for m in PURE if m in project_modules()):
        seen, todo = {start}, [start]
        while todo:
            module = todo.pop()
            for name in imports_of(module):
                if within(name, IO):
                    problems.append(f"{start} reaches {name} through {module}")
            for name in project_imports(module) - seen:
                seen.add(name)
                todo.append(name)
    assert problems == []


def test_the_core_never_imports_a_chat_platform() -> None:
    edges = [
        (a, b)
        for a in project_modules()
        if within(a, ["bot"])
        for b in imports_of(a)
        if within(b, PLATFORMS) and b not in PLATFORM_CONFIGS
    ]
    assert violations("platform in core", edges) == []


def test_a_platform_config_section_imports_no_platform() -> None:
    edges = [
        (a, b)
        for a in PLATFORM_CONFIGS
        for b in imports_of(a)
        if within(b, PLATFORMS) or (within(b, ["bot", "integrations"]) and b not in ("bot",))
    ]
    assert violations("platform config", edges) == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph = {m: sorted(project_imports(m) - {"bot", "integrations"}) for m in project_modules()}
    for a, b in KNOWN:
        if b in graph.get(a, []):
            graph[a].remove(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(("edge", "why"), sorted(KNOWN.items()))
def test_each_known_violation_still_exists(edge: tuple[str, str], why: str) -> None:
    """When a known violation is fixed, remove it from KNOWN so it cannot come back."""
    assert edge in all_edges(), f"{edge[0]} no longer imports {edge[1]} ({why}): remove it"


def test_the_checker_sees_imports_where_they_are() -> None:
    """Guards the checks above: they read real edges (lazy imports included)."""
    edges = all_edges()
    assert ("bot.machine", "bot.events") in edges
    assert ("integrations.slack.notifier", "slack_sdk.web.async_client") in edges
    assert ("bot.store.outbox", "bot.store.engine") in edges
    assert ("bot.poller", "bot.metrics") in edges  # `from bot import metrics`
    assert ("bot.poller", "bot") not in edges  # ... names the module, not the package
    assert any(a == "bot.app" and within(b, ["bot.health"]) for a, b in edges)  # lazy
