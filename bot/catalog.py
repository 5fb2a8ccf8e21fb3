"""The catalog of AI providers, as data: names people type and official sources (catalog.yaml).

A config file may extend or override it (`catalog:`), and picks what to watch (`providers:`):
a catalog key there inherits the entry, and the fields it gives replace the catalog's. Without
`providers:`, the catalog's `default: true` entries are watched. `python -m bot.catalog` prints
the README's provider table.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import ConfigError, describe_validation

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
TABLE_START = "<!-- provider-table:start (python -m bot.catalog) -->"
TABLE_END = "<!-- provider-table:end -->"


class CatalogSource(BaseModel):
    """A source as the catalog lists it: a source's settings (checked as any config source),
    and how far its URL is known to work."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str
    url: str
    evidence: Literal["known-good", "believed"]
    note: str = ""

    def settings(self) -> dict[str, Any]:
        """The source as `providers.<key>.sources[]` of a config."""
        return {"kind": self.kind, "url": self.url, **(self.model_extra or {})}


class CatalogEntry(BaseModel):
    """One provider: its names, its machine-readable sources, and what cannot be read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    status_page: str | None = Field(default=None, pattern=r"^https?://")
    default: bool = False
    aliases: list[str] = []
    alias_components: dict[str, list[str]] = {}
    sources: list[CatalogSource] = []
    # What the bot cannot read and why (a page with no machine-readable source says so here).
    gaps: list[str] = []
    # Keyless checks of the service itself, for early warning (see probe_window, fusion).
    probes: list[dict[str, Any]] = []

    @model_validator(mode="after")
    def _readable_or_explained(self) -> CatalogEntry:
        if not self.sources and not self.gaps:
            raise ValueError("give sources, or say under gaps why there is none")
        if self.default and not self.sources:
            raise ValueError("a default provider needs a source")
        return self

    def provider_fields(self) -> dict[str, Any]:
        """This entry as `providers.<key>` of a config (what ProviderConfig validates)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "alias_components": {k: list(v) for k, v in self.alias_components.items()},
            "sources": [s.settings() for s in self.sources],
            "probes": [dict(p) for p in self.probes],
        }


class Catalog:
    """Validated catalog entries by key, in file order."""

    def __init__(
        self, entries: Mapping[str, CatalogEntry], overridden: frozenset[str] = frozenset()
    ) -> None:
        self.entries = dict(entries)
        self.overridden = overridden  # keys a config added or changed
        self.file = CATALOG_FILE

    def defaults(self) -> list[str]:
        return [key for key, entry in self.entries.items() if entry.default]

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def __getitem__(self, key: str) -> CatalogEntry:
        return self.entries[key]


@cache
def _builtin_raw() -> dict[str, Any]:
    data = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8")) or {}
    providers = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(providers, dict):
        raise ConfigError(f"{CATALOG_FILE}: expected a 'providers' mapping")
    return providers


def build_catalog(overrides: Any = None, origin: str = "config") -> Catalog:
    """The shipped catalog with a config's `catalog:` entries merged over it, validated."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise ConfigError(f"{origin}: catalog: expected a mapping of provider keys")
    raw = {key: dict(value or {}) for key, value in _builtin_raw().items()}
    for key, fields in overrides.items():
        if fields is not None and not isinstance(fields, dict):
            raise ConfigError(f"{origin}: catalog.{key}: expected a mapping")
        raw[str(key)] = {**raw.get(str(key), {}), **(fields or {})}
    entries: dict[str, CatalogEntry] = {}
    problems: list[str] = []
    for key, fields in raw.items():
        where = origin if key in overrides else str(CATALOG_FILE)
        try:
            entries[key] = CatalogEntry.model_validate(fields)
        except ValidationError as exc:
            problems.append(describe_validation(where, exc, prefix=f"catalog.{key}."))
    if problems:
        raise ConfigError("\n".join(problems))
    return Catalog(entries, frozenset(str(key) for key in overrides))


@cache
def builtin() -> Catalog:
    """The shipped catalog alone."""
    return build_catalog()


def known_probes(provider: str) -> list[dict[str, Any]]:
    """The shipped keyless probe targets of a provider, as config entries."""
    if provider not in builtin():
        return []
    return [dict(p) for p in builtin()[provider].probes]


def watched_providers(catalog: Catalog, providers: Any, origin: str) -> Any:
    """`providers:` of a config with catalog entries filled in (defaults when absent); a
    value that is not a mapping comes back as given, for the schema to reject."""
    if providers is None:
        return {key: catalog[key].provider_fields() for key in catalog.defaults()}
    if not isinstance(providers, dict):
        return providers  # let the config schema name the problem
    out: dict[str, Any] = {}
    for key, given in providers.items():
        if key not in catalog or not (given is None or isinstance(given, dict)):
            out[key] = given
            continue
        entry = catalog[key]
        fields = entry.provider_fields()
        given = given or {}
        if "sources" in given:
            # Component aliases name components of the catalog's sources, not of these; and
            # a provider read from another page (a mirror, a local test page) is not probed
            # at the real service unless the config says so with its own `probes`.
            fields.pop("alias_components")
            fields.pop("probes", None)
        merged = {**fields, **given}
        if not merged.get("sources"):
            why = "; ".join(entry.gaps) or "none is listed"
            raise ConfigError(
                f"{origin}: providers.{key}: the catalog has no machine-readable source for "
                f"{entry.name} ({why}); give sources"
            )
        out[key] = merged
    return out


def markdown_table(catalog: Catalog) -> str:
    """The README's provider table."""
    lines = [
        "| provider | people type | official source (kind) | evidence | watched by default |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, entry in catalog.entries.items():
        names = ", ".join(f"`{n}`" for n in dict.fromkeys([key, *entry.aliases]))
        if entry.sources:
            source = "<br>".join(f"{s.url} ({s.kind})" for s in entry.sources)
            evidence = ", ".join(dict.fromkeys(s.evidence for s in entry.sources))
        else:
            source = "none machine-readable: " + " ".join(entry.gaps)
            evidence = "—"
        if entry.sources and entry.gaps:
            source += "<br>not read: " + " ".join(entry.gaps)
        default = "yes" if entry.default else "no"
        lines.append(f"| {entry.name} | {names} | {source} | {evidence} | {default} |")
    return "\n".join(lines)


def readme_section(catalog: Catalog) -> str:
    return f"{TABLE_START}\n{markdown_table(catalog)}\n{TABLE_END}"


def main() -> int:
    print(readme_section(builtin()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
