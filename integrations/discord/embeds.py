"""Discord embeds for incident cards and `/is-chatgpt-down` answers, always within limits.

Limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits.
An official update can be 10,000 characters and list dozens of components; Discord answers
400 to an embed over any limit, so everything is cut with "…" before it leaves us.
"""

from __future__ import annotations

from datetime import datetime

import discord

from bot.events import Event, EventKind
from bot.models import Severity
from bot.render import SEVERITY_COLOUR, card_facts, human_duration, utc_text
from bot.status import ProviderStatus, StatusReport, Verdict
from integrations.discord.markup import escape


class EmbedLimits:
    """Discord's hard limits on one embed (characters unless noted)."""

    TITLE = 256
    DESCRIPTION = 4096
    FIELDS = 25  # count
    FIELD_NAME = 256
    FIELD_VALUE = 1024
    FOOTER = 2048
    AUTHOR = 256
    TOTAL = 6000  # title + description + field names/values + footer + author
    CONTENT = 2000  # a plain message, e.g. a thread reply
    THREAD_NAME = 100
    ELLIPSIS = "…"


VERDICT_COLOUR: dict[Verdict, int] = {
    Verdict.OPERATIONAL: SEVERITY_COLOUR[Severity.OPERATIONAL],
    Verdict.MAINTENANCE: SEVERITY_COLOUR[Severity.MAINTENANCE],
    Verdict.DEGRADED: SEVERITY_COLOUR[Severity.DEGRADED],
    Verdict.OUTAGE: SEVERITY_COLOUR[Severity.PARTIAL_OUTAGE],
    Verdict.UNKNOWN: 0x99AAB5,
}
MAX_INCIDENT_FIELDS = 5


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, ending in "…" when something was dropped."""
    if len(text) <= limit:
        return text
    return text[: limit - len(EmbedLimits.ELLIPSIS)].rstrip() + EmbedLimits.ELLIPSIS


def name_list(names: tuple[str, ...] | list[str], limit: int = EmbedLimits.FIELD_VALUE) -> str:
    """'a, b, c' or 'a, b … and 40 more', never longer than `limit`."""
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for name in names:
        rest = len(names) - len(shown) - 1
        if len(", ".join([*shown, name])) + len(f" … and {rest} more") > limit:
            break
        shown.append(name)
    return cut(f"{', '.join(shown)} … and {len(names) - len(shown)} more", limit)


def stamp(at: datetime) -> str:
    """Discord renders <t:…> in each reader's time zone; the UTC text keeps it readable in logs."""
    return f"<t:{int(at.timestamp())}:R> ({utc_text(at)})"


def fit(embed: discord.Embed) -> discord.Embed:
    """Enforce every limit on `embed` in place: per part, field count, then the 6000 total."""
    if embed.title:
        embed.title = cut(embed.title, EmbedLimits.TITLE)
    if embed.description:
        embed.description = cut(embed.description, EmbedLimits.DESCRIPTION)
    while len(embed.fields) > EmbedLimits.FIELDS:
        embed.remove_field(-1)
    for index, field in enumerate(list(embed.fields)):
        embed.set_field_at(
            index,
            name=cut(field.name or "\u200b", EmbedLimits.FIELD_NAME),
            value=cut(field.value or "\u200b", EmbedLimits.FIELD_VALUE),
            inline=bool(field.inline),
        )
    if embed.footer.text:
        embed.set_footer(text=cut(embed.footer.text, EmbedLimits.FOOTER))
    overflow = len(embed) - EmbedLimits.TOTAL
    if overflow > 0 and embed.description:
        keep = max(len(EmbedLimits.ELLIPSIS), len(embed.description) - overflow)
        embed.description = cut(embed.description, keep)
    while len(embed) > EmbedLimits.TOTAL and embed.fields:
        embed.remove_field(-1)
    return embed


def card_embed(event: Event) -> discord.Embed:
    """The living incident card: the full current state of the incident."""
    facts = card_facts(event)
    restored = event.kind in (EventKind.RESTORED, EventKind.MAINTENANCE_ENDED)
    colour = SEVERITY_COLOUR[Severity.OPERATIONAL] if restored else facts.colour
    description = f"**{escape(facts.title)}**"
    if facts.latest_update:
        description += f"\n\n{escape(facts.latest_update)}"
    embed = discord.Embed(
        title=facts.headline,
        url=facts.url,
        colour=colour,
        description=description,
        timestamp=event.at,
    )
    if facts.official_status:
        embed.add_field(name="Official status", value=facts.official_status, inline=True)
    embed.add_field(name="Started", value=stamp(event.started_at), inline=True)
    if facts.duration and restored:
        embed.add_field(name="Duration", value=facts.duration, inline=True)
    if facts.components:
        components = [escape(name) for name in facts.components]
        embed.add_field(name="Affected components", value=name_list(components), inline=False)
    if facts.reasons:
        embed.add_field(name="Why we think so", value=_bullets(facts.reasons), inline=False)
    if facts.lag:
        embed.add_field(name="Official lag", value=_bullets(facts.lag), inline=False)
    if facts.expectation:
        embed.add_field(name="From history", value=escape(facts.expectation), inline=False)
    embed.set_footer(text=facts.footer)
    return fit(embed)


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {escape(line)}" for line in lines)


def restoration_notice(event: Event) -> str:
    """The channel reply that makes the end of an incident visible outside the thread."""
    facts = card_facts(event)
    after = f" after {facts.duration}" if facts.duration else ""
    text = f"✅ **{escape(event.page_name)}** restored{after}: {escape(event.title)}"
    return cut(text, EmbedLimits.CONTENT)


def status_embed(report: StatusReport) -> discord.Embed:
    """`/is-chatgpt-down`: verdict first, then why, then where to look, then alternatives."""
    p = report.provider
    colour = VERDICT_COLOUR[p.verdict]
    if p.verdict is Verdict.OUTAGE:
        colour = SEVERITY_COLOUR[max(p.severity, Severity.PARTIAL_OUTAGE)]
    if report.suspected:
        colour = SEVERITY_COLOUR[Severity.DEGRADED]
    embed = discord.Embed(
        title=cut(report.headline(), EmbedLimits.TITLE),
        url=p.url,
        colour=colour,
        timestamp=report.now,
    )
    embed.description = "\n".join(x for x in (_freshness(p), report.signals_line()) if x)
    for inc in p.incidents[:MAX_INCIDENT_FIELDS]:
        ago = human_duration((report.now - inc.started_at).total_seconds())
        status = inc.status.value.replace("_", " ").capitalize() if inc.status else "Ongoing"
        value = f"{status} · started {ago} ago"
        if inc.text:
            value += f"\nLatest update: {escape(inc.text)}"
        if inc.expectation:
            value += f"\n📊 {escape(inc.expectation)}"
        embed.add_field(name=f"Incident: {escape(inc.title)}", value=value, inline=False)
    if len(p.incidents) > MAX_INCIDENT_FIELDS:
        more = len(p.incidents) - MAX_INCIDENT_FIELDS
        embed.add_field(name="More incidents", value=f"{more} more on the official page")
    if p.components:
        names = [f"{escape(name)} ({status})" for name, status in p.components]
        embed.add_field(name="Affected components", value=name_list(names), inline=False)
    if p.url:
        embed.add_field(name="Official page", value=p.url, inline=False)
    if p.last_checked is not None:
        ago = human_duration((report.now - p.last_checked).total_seconds())
        embed.add_field(name="Last checked", value=f"{ago} ago ({utc_text(p.last_checked)})")
    alternatives = report.alternatives_line()
    if alternatives:
        embed.add_field(name=alternatives[0], value=alternatives[1], inline=False)
    embed.set_footer(text="Official status pages, checked by statusbot")
    if not embed.description:
        embed.description = None
    return fit(embed)


def _freshness(p: ProviderStatus) -> str:
    if p.unreachable_since is not None:
        return (
            f"⚠️ Cannot reach the official status page since {utc_text(p.unreachable_since)}"
            f" ({p.last_error or 'no answer'}); this verdict may be out of date."
        )
    if p.last_checked is None:
        return "The official status page has not been checked yet."
    return ""
