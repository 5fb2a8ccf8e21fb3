"""Typed configuration: YAML validated by pydantic, secrets only from `${ENV}`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.catalog import Catalog, build_catalog, watched_providers
from bot.errors import ConfigError
from bot.errors import describe_validation as _describe
from bot.errors import validation_problems as _problems
from bot.models import Severity

# Each platform's section lives with its platform; these modules import pydantic only.
from integrations.discord.config import DiscordConfig
from integrations.outputs.config import OutputConfig, output_secrets
from integrations.slack.config import SlackConfig

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = ["Config", "DiscordConfig", "SlackConfig", "SourceConfig", "load_config"]

SourceKind = Literal["statuspage", "incidentio", "rss", "gcp", "betterstack", "instatus"]


class SourceConfig(_Section):
    """One status source of a provider."""

    kind: SourceKind
    url: str = Field(pattern=r"^https?://")
    # A second document read on every poll: the full component list of an incident.io page
    # (its summary.json shows at most 25). Default for kind incidentio: the summary URL with
    # components.json in place of summary.json.
    components_url: str | None = Field(default=None, pattern=r"^https?://")
    id: str | None = None
    interval: float = Field(default=60.0, ge=1.0)
    timeout: float = Field(default=10.0, gt=0)
    include_components: list[str] = []
    exclude_components: list[str] = []
    failure_threshold: int = Field(default=3, ge=1)
    flap_window: float = Field(default=120.0, ge=0)
    # An incident that names no components covers component trouble that began at most this
    # many seconds before it (or while it is open).
    tie_window: float = Field(default=1800.0, ge=0)
    conditional_get: bool = True
    max_bytes: int = Field(default=5_000_000, ge=1024)

    @model_validator(mode="before")
    @classmethod
    def _components_url_for_incidentio(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("kind") != "incidentio":
            return data
        url = data.get("url")
        if data.get("components_url") is not None or not isinstance(url, str):
            return data
        base, sep, query = url.partition("?")
        if not base.endswith("/summary.json"):
            raise ValueError(
                "kind 'incidentio' reads .../summary.json with .../components.json; "
                "give components_url for any other URL"
            )
        derived = base.removesuffix("/summary.json") + "/components.json" + sep + query
        return {**data, "components_url": derived}


class AliveConfig(_Section):
    """The answer that means "up": a status code and, optionally, a JSON shape.

    Never a message text: providers reword messages, not their error codes.
    """

    status: list[int] = Field(min_length=1)
    # Dotted path that must exist in the JSON body ("error", "error.status").
    json_key: str | None = None
    # The value expected at json_key (an error code such as PERMISSION_DENIED).
    json_value: str | None = None

    @model_validator(mode="after")
    def _value_needs_key(self) -> AliveConfig:
        if self.json_value is not None and self.json_key is None:
            raise ValueError("json_value needs json_key")
        for code in self.status:
            if not 100 <= code <= 599:
                raise ValueError(f"status {code} is not an HTTP status code")
        return self


class ProbeConfig(_Section):
    """A keyless HTTP check of a provider's own service (not its status page)."""

    name: str = Field(min_length=1, max_length=80)
    url: str = Field(pattern=r"^https?://")
    interval: float = Field(default=30.0, ge=1.0)
    timeout: float = Field(default=10.0, gt=0)
    alive: AliveConfig
    max_bytes: int = Field(default=65_536, ge=1024)


class ProviderConfig(_Section):
    """An AI provider users ask about by name or alias."""

    name: str
    aliases: list[str] = []
    # alias -> component names it stands for ("chatgpt" -> the ChatGPT components).
    alias_components: dict[str, list[str]] = {}
    sources: list[SourceConfig] = Field(min_length=1)
    probes: list[ProbeConfig] = []

    @model_validator(mode="after")
    def _probe_names_unique(self) -> ProviderConfig:
        names = [p.name.lower() for p in self.probes]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"probe name {name!r} is used twice")
        return self


class StoreConfig(_Section):
    url: str = "sqlite+aiosqlite:///statusbot.db"
    # Replicas on one PostgreSQL database: seconds a replica leads a source without renewing
    # its lease. A dead or stuck replica's sources move within this time and a third.
    leader_lease: float = Field(default=20.0, ge=1.0)


class HealthConfig(_Section):
    # 0.0.0.0 makes it reachable from outside a container (Docker's HEALTHCHECK needs none).
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # /healthz fails once the scheduler's heartbeat is older than this many seconds: the
    # event loop or the scheduler is stuck, and an orchestrator should restart the bot.
    heartbeat_timeout: float = Field(default=60.0, gt=0)


class HistoryConfig(_Section):
    """Incident history and per-minute availability: how long they are kept."""

    retention_days: int = Field(default=90, ge=1, le=3650)


class WebConfig(_Section):
    """The status board page (read-only): `/` and `/history/<provider>.png`."""

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    # Seconds between the page's own refreshes (a meta refresh: no JavaScript).
    refresh: int = Field(default=60, ge=10)


class DeliveryConfig(_Section):
    max_attempts: int = Field(default=8, ge=1)
    concurrency: int = Field(default=64, ge=1)
    base_backoff: float = Field(default=1.0, gt=0)
    max_backoff: float = Field(default=300.0, gt=0)
    # Seconds a worker holds a row while calling the platform, when several bot processes
    # share one PostgreSQL database (SQLite has one process: no lease).
    claim_lease: float = Field(default=60.0, gt=0)
    # Default minutes between reminders for new subscriptions; 0 turns them off.
    reminder_minutes: int = Field(default=0, ge=0)


class CrowdConfig(_Section):
    """The floor of a crowd spike: distinct people and channels within a window."""

    min_users: int = Field(default=3, ge=1)
    min_channels: int = Field(default=2, ge=1)
    window: float = Field(default=600.0, ge=60.0)
    # Seconds between two counted clicks of one person (the rest are answered, not counted).
    click_every: float = Field(default=30.0, ge=0)


class ProbeRulesConfig(_Section):
    """When a probe counts as failing or slow."""

    failing_after: int = Field(default=3, ge=1)
    # Slow: this many times the probe's rolling median latency, on most recent samples.
    slow_factor: float = Field(default=4.0, gt=1.0)


class EarlyWarningConfig(_Section):
    """Signals before the official page: probes, the chat crowd, and how they combine."""

    crowd: CrowdConfig = CrowdConfig()
    probes: ProbeRulesConfig = ProbeRulesConfig()
    # Minimum seconds between two flips of a provider between suspected and clear.
    hold: float = Field(default=900.0, ge=0)
    # Seconds failures must keep coming before a failing probe counts toward a suspicion.
    sustain: float = Field(default=120.0, ge=0)
    # Seconds every signal must have been gone before a suspicion is called a false alarm.
    clear_after: float = Field(default=600.0, ge=0)


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR")


class LoggingConfig(_Section):
    level: LogLevel = "INFO"
    # JSON log lines on stderr; independent of the console channel's JSON on stdout.
    json_lines: bool = Field(default=False, alias="json")

    @field_validator("level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class ConsoleConfig(_Section):
    enabled: bool = True
    json_lines: bool = Field(default=False, alias="json")


class Config(_Section):
    store: StoreConfig = StoreConfig()
    providers: dict[str, ProviderConfig] = Field(min_length=1)
    # What a bare "/statusbot subscribe" means; default: openai if configured, else the first.
    default_providers: list[str] = Field(default_factory=list)
    default_min_severity: str = "degraded"
    slack: SlackConfig | None = None
    discord: DiscordConfig | None = None
    # Webhooks, Slack incoming webhooks, Microsoft Teams and Telegram chats (docs/outputs.md).
    outputs: list[OutputConfig] = []
    health: HealthConfig | None = None
    web: WebConfig | None = None
    history: HistoryConfig = HistoryConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    early_warning: EarlyWarningConfig = EarlyWarningConfig()
    logging: LoggingConfig = LoggingConfig()
    console: ConsoleConfig = ConsoleConfig()
    # Entries added to or changed in the shipped provider catalog (bot/catalog.yaml).
    catalog_overrides: dict[str, Any] = Field(default_factory=dict, alias="catalog")
    # Values that came from ${VAR}: treated as secrets in logs and printed output.
    _from_environment: frozenset[str] = PrivateAttr(default=frozenset())
    _catalog: Any = PrivateAttr(default=None)

    @property
    def catalog(self) -> Catalog:
        """Every provider the bot knows of, watched or not (for names and suggestions)."""
        if self._catalog is None:
            self._catalog = build_catalog(self.catalog_overrides)
        catalog: Catalog = self._catalog
        return catalog

    @model_validator(mode="before")
    @classmethod
    def _default_providers(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("default_providers"):
            keys = list(data.get("providers") or {})
            if keys:
                data = {**data, "default_providers": ["openai" if "openai" in keys else keys[0]]}
        return data

    @model_validator(mode="after")
    def _names_resolve(self) -> Config:
        for key in self.default_providers:
            if key not in self.providers:
                raise ValueError(f"default_providers names unknown provider {key!r}")
        Severity.parse(self.default_min_severity)
        names = [(o.kind, o.name) for o in self.outputs]
        for index, output in enumerate(self.outputs):
            if names.count((output.kind, output.name)) > 1:
                raise ValueError(f"outputs: two {output.kind} outputs are named {output.name!r}")
            for key in output.providers:
                if key not in self.providers:
                    raise ValueError(f"outputs[{index}].providers names unknown provider {key!r}")
            Severity.parse(output.min_severity)
        ids = [sid for _, sid, _ in self.source_ids()]
        for sid in ids:
            if ids.count(sid) > 1:
                raise ValueError(f"source id {sid!r} is used twice; give each source an id")
        return self

    def secrets(self) -> list[str]:
        """Every token and secret, and every value taken from the environment."""
        values = set(self._from_environment)
        for section in (self.slack, self.discord):
            for field in ("bot_token", "app_token", "signing_secret", "token"):
                secret = getattr(section, field, None) if section is not None else None
                if secret is not None:
                    values.add(secret.get_secret_value())
        for output in self.outputs:
            values.update(output_secrets(output))
        if self.slack is not None and self.slack.oauth is not None:
            values.add(self.slack.oauth.client_secret.get_secret_value())
        return sorted(v for v in values if v)

    def probe_ids(self) -> list[tuple[str, str, ProbeConfig]]:
        """(provider key, probe id, probe) for every probe; ids are `provider:name`."""
        return [
            (key, f"{key}:{probe.name}", probe)
            for key, provider in self.providers.items()
            for probe in provider.probes
        ]

    def source_ids(self) -> list[tuple[str, str, SourceConfig]]:
        """(provider key, source id, source) for every source; ids are unique."""
        out = []
        for key, provider in self.providers.items():
            for index, source in enumerate(provider.sources):
                sid = source.id or (key if index == 0 else f"{key}-{index}")
                out.append((key, sid, source))
        return out


# Without a file: the catalog's default providers (bot/catalog.yaml) and a local SQLite store.
DEFAULT_CONFIG: dict[str, Any] = {"store": {"url": "sqlite+aiosqlite:///statusbot.db"}}


def expand_env(
    value: Any,
    path: str = "",
    environ: Mapping[str, str] | None = None,
    taken: set[str] | None = None,
    problems: dict[str, str] | None = None,
) -> Any:
    """Replace ${VAR} and ${VAR:-default} in every string of a parsed YAML tree.

    `VAR` may also come from the file named by `VAR_FILE` (Docker and Kubernetes secrets).
    Every value taken from the environment is added to `taken`: it may be a secret. Without
    `problems` the first unresolvable variable raises; with it, each is recorded by key path
    and the reference is left as written, so that every problem can be reported at once.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {
            k: expand_env(v, f"{path}.{k}" if path else str(k), env, taken, problems)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [expand_env(v, f"{path}.{i}", env, taken, problems) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        try:
            found = _from_environment(name, env)
        except ConfigError as exc:
            if problems is None:
                raise ConfigError(f"{path}: {exc}") from None
            problems.setdefault(path, str(exc))
            return match.group(0)
        if found is not None:
            if taken is not None:
                taken.add(found)
            return found
        if default is not None:
            return default
        message = f"environment variable {name} is not set"
        if problems is None:
            raise ConfigError(f"{path}: {message}")
        problems.setdefault(path, message)
        return match.group(0)

    return _ENV_PATTERN.sub(substitute, value)


def _from_environment(name: str, env: Mapping[str, str]) -> str | None:
    """`name` from the environment, else the content of the file `name_FILE` names."""
    file_var = f"{name}_FILE"
    if name in env and file_var in env:
        raise ConfigError(f"both {name} and {file_var} are set; keep one")
    if name in env:
        return env[name]
    if file_var not in env:
        return None
    try:
        text = Path(env[file_var]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"{file_var} names a file that cannot be read ({reason})") from None
    # Secret files usually end with a newline that is not part of the secret.
    return text.rstrip("\r\n")


def parse_config(data: Any, origin: str, environ: Mapping[str, str] | None = None) -> Config:
    """Validate an already-parsed YAML tree; every problem is one line naming `origin` and
    the key path."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping at the top level")
    taken: set[str] = set()
    unresolved: dict[str, str] = {}
    expanded = expand_env(data, environ=environ, taken=taken, problems=unresolved)
    lines = [f"{origin}: {path}: {message}" for path, message in unresolved.items()]
    try:
        catalog = build_catalog(expanded.get("catalog"), origin)
        _check_catalog_sources(catalog, origin)
        providers = watched_providers(catalog, expanded.get("providers"), origin)
    except ConfigError as exc:
        raise ConfigError("\n".join([*lines, str(exc)])) from None
    try:
        config = Config.model_validate({**expanded, "providers": providers})
    except ValidationError as exc:
        # A key whose variable is missing fails validation too: say it once, the useful way.
        lines += [line for loc, line in _problems(origin, exc) if not _under_any(loc, unresolved)]
        raise ConfigError("\n".join(lines)) from None
    if lines:
        raise ConfigError("\n".join(lines))
    config._from_environment = frozenset(taken)
    config._catalog = catalog
    return config


def _under_any(loc: str, paths: Mapping[str, str]) -> bool:
    return any(loc == p or loc.startswith(p + ".") for p in paths)


def load_config(path: str | Path | None, environ: Mapping[str, str] | None = None) -> Config:
    """Read a config file, or the built-in default when `path` is None."""
    if path is None:
        return parse_config(DEFAULT_CONFIG, "built-in default", environ)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{file}: not valid YAML{where}") from None
    return parse_config(data, str(file), environ)


def _check_catalog_sources(catalog: Catalog, origin: str) -> None:
    """Every catalog source and probe must be valid, watched or not (check-config says so)."""
    problems = []
    for key, entry in catalog.entries.items():
        where = origin if key in catalog.overridden else str(catalog.file)
        checks: list[tuple[str, type[_Section], Any]] = [
            *((f"sources.{i}", SourceConfig, s.settings()) for i, s in enumerate(entry.sources)),
            *((f"probes.{i}", ProbeConfig, p) for i, p in enumerate(entry.probes)),
        ]
        for path, model, fields in checks:
            try:
                model.model_validate(fields)
            except ValidationError as exc:
                problems.append(_describe(where, exc, prefix=f"catalog.{key}.{path}."))
    if problems:
        raise ConfigError("\n".join(problems))
