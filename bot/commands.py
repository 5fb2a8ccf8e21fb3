"""Chat commands, platform-neutral: `/is-chatgpt-down` and `/statusbot ...`.

Slack and Discord parse their own payloads, check their own permissions, then call
this service and render what it returns. Every user mistake is a CommandError whose
text is safe to show.
"""

from __future__ import annotations

import logging
import shlex
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.config import Config
from bot.crowd import ReportKind
from bot.crowd_desk import Reporter
from bot.errors import CommandError
from bot.events import Event, EventKind
from bot.fusion import Verdict
from bot.history import HistoryView, Period
from bot.machine import MachineSettings, open_cards
from bot.models import Severity
from bot.names import Match, NameIndex, name_key
from bot.quiet import ALL_PROVIDERS, QUIET_USAGE, ChannelHush, QuietHours, parse_duration
from bot.render import SEVERITY_EMOJI, SEVERITY_WORDS, utc_text
from bot.routing import Recipient, Subscription
from bot.status import EarlyView, StatusReport, provider_status
from bot.store.records import SourceRecord

log = logging.getLogger(__name__)

MAX_ARGS = 300
SHOWN_ALIASES = 4
# The subscribe word (and Discord option) that opts a channel in to early warnings.
EARLY_WORD = "early"
EARLY_PROMISE = (
    "Early warnings on: when our own probes and people's reports agree before the official "
    "page does, this channel gets an unconfirmed card (⚠️), which becomes the official card "
    "when the page confirms, or says so when it was a false alarm."
)


class SubscriptionBook(Protocol):
    """The subscriptions the commands create, list and remove."""

    async def subscribe(self, sub: Subscription) -> Subscription: ...

    async def unsubscribe(self, platform: str, channel_id: str, provider: str | None) -> int: ...

    async def channel_subscriptions(self, platform: str, channel_id: str) -> list[Subscription]: ...


class SourceReadings(Protocol):
    """Each source's last committed state."""

    async def all_sources(self) -> list[SourceRecord]: ...


class OpenIncidents(Protocol):
    """The incidents not yet restored."""

    async def open_incidents(self, provider: str | None = None) -> list[Event]: ...


class LateCardBook(Protocol):
    """Cards queued for a channel that subscribes while incidents are open."""

    async def queue(
        self, sub: Subscription, events: Sequence[Event], now: datetime
    ) -> list[Event]: ...


class HistoryBook(Protocol):
    """Incident history and per-minute availability."""

    async def view(
        self, provider: str, name: str, period: Period, end: datetime
    ) -> HistoryView: ...


@dataclass(frozen=True, slots=True)
class HistoryAnswer:
    """`/statusbot history`: a chart, its summary and its alt text."""

    provider: str
    period: Period
    title: str
    summary: str
    alt_text: str
    png: bytes

    @property
    def filename(self) -> str:
        return f"{self.provider}-history-{self.period.value}.png"


class SettingsBook(Protocol):
    """Small facts kept between runs (which command definitions were last synced)."""

    async def get(self, key: str) -> Any: ...

    async def put(self, key: str, value: Any) -> None: ...


class EarlySignals(Protocol):
    """The fused verdicts (bot.early.EarlyWarning)."""

    async def step(self, provider: str) -> Verdict | None: ...

    async def overview(self, asked: str, fresh: Verdict | None = None) -> dict[str, EarlyView]: ...


class CrowdSignals(Protocol):
    """Where asks and button clicks count (bot.crowd_desk.CrowdDesk)."""

    async def asked(self, provider: str, who: Reporter) -> Verdict | None: ...

    async def clicked(self, provider: str, who: Reporter, kind: ReportKind) -> str: ...


class ChannelHushBook(Protocol):
    """Quiet hours and mutes per channel."""

    async def set_quiet(self, platform: str, channel_id: str, hours: QuietHours | None) -> bool: ...

    async def mute(
        self, platform: str, channel_id: str, provider: str, until: datetime
    ) -> None: ...

    async def unmute(self, platform: str, channel_id: str, provider: str | None) -> int: ...

    async def channel(self, platform: str, channel_id: str) -> ChannelHush: ...


class HeldAlerts(Protocol):
    """Alerts held in quiet hours, and what an uninstall removes."""

    async def release_held(self, now: datetime, channel: tuple[str, str] | None = None) -> int: ...

    async def forget_workspace(self, platform: str, workspace_id: str) -> int: ...


class SampleCards(Protocol):
    """`/statusbot test`: a sample card for one channel."""

    async def queue(self, recipient: Recipient, events: Sequence[Event], now: datetime) -> None: ...


class EarlyCardBook(Protocol):
    """The unconfirmed card of a suspicion still open, for a channel that opts in now."""

    async def late_card(self, sub: Subscription, now: datetime) -> Event | None: ...


class ReplayBook(Protocol):
    """Signed requests already handled: a platform refuses a replay, even after a restart."""

    async def first_time(self, timestamp: str, signature: str, keep_for: timedelta) -> bool: ...


class CommandStore(Protocol):
    """What the chat commands read and write."""

    @property
    def subscriptions(self) -> SubscriptionBook: ...

    @property
    def sources(self) -> SourceReadings: ...

    @property
    def incidents(self) -> OpenIncidents: ...

    @property
    def late_cards(self) -> LateCardBook: ...

    @property
    def early(self) -> EarlyCardBook: ...

    @property
    def history(self) -> HistoryBook: ...

    @property
    def settings(self) -> SettingsBook: ...

    @property
    def hush(self) -> ChannelHushBook: ...

    @property
    def outbox(self) -> HeldAlerts: ...

    @property
    def samples(self) -> SampleCards: ...

    @property
    def replays(self) -> ReplayBook: ...


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    providers: tuple[str, ...]
    components: tuple[str, ...]
    min_severity: Severity
    reminder_minutes: int
    mention: str | None = None
    wake_on_major: bool = False
    # Unconfirmed cards from our own signals before the official page confirms.
    early: bool = False


def clean_args(text: str | None) -> str:
    """Normalise what a user typed; refuse what no sane command contains."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if len(text) > MAX_ARGS:
        raise CommandError(f"That is too long ({len(text)} characters; at most {MAX_ARGS}).")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in text):
        raise CommandError("That contains invisible or control characters; please retype it.")
    return " ".join(text.split())


class CommandService:
    """What the chat commands do, against the config and the store."""

    def __init__(
        self, config: Config, store: CommandStore, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        # Early warning (set by the app): the fused verdict, and the crowd that asks.
        self.early: EarlySignals | None = None
        self.crowd: CrowdSignals | None = None
        # Watched providers first; then every catalog name, to say "not watched here" or to
        # reach a watched provider by a catalog alias its config left out.
        self._names = NameIndex()
        self._alias_components: dict[str, tuple[str, list[str]]] = {}
        for key, provider in config.providers.items():
            self._names.add(key, key, provider.name, *provider.aliases, *provider.alias_components)
            for alias, components in provider.alias_components.items():
                self._alias_components.setdefault(name_key(alias), (key, components))
        self._catalog_names = NameIndex()
        for key, entry in config.catalog.entries.items():
            self._catalog_names.add(key, key, entry.name, *entry.aliases, *entry.alias_components)

    # --- providers -----------------------------------------------------------

    def known_providers(self) -> str:
        parts = []
        for key, provider in self.config.providers.items():
            aliases = ", ".join(provider.aliases[:SHOWN_ALIASES])
            if len(provider.aliases) > SHOWN_ALIASES:
                aliases += ", …"
            parts.append(f"{key} ({aliases})" if aliases else key)
        return "; ".join(parts)

    def resolve_provider(self, query: str | None) -> str:
        """A watched provider's key from whatever a person typed; CommandError otherwise."""
        text = clean_args(query)
        if not text:
            return self.config.default_providers[0]
        match = self._find(text)
        if match is not None:
            return match.key
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise CommandError(
            f"I don't know '{shown}'.{self._did_you_mean(text)} "
            f"Known providers: {self.known_providers()}"
        )

    def _find(self, text: str) -> Match | None:
        """The watched provider `text` names; CommandError for a catalog one not watched."""
        match = self._names.get(text) or self._catalog_names.get(text)
        if match is None or match.key in self.config.providers:
            return match
        raise CommandError(self._not_watched(match.key))

    def _not_watched(self, key: str) -> str:
        entry = self.config.catalog[key]
        page = entry.status_page or (entry.sources[0].url if entry.sources else "")
        where = f" Its official status: {page}." if page else ""
        if not entry.sources:
            why = entry.gaps[0] if entry.gaps else "no machine-readable status page"
            return f"{entry.name} cannot be watched: {why}{where}"
        return (
            f"{entry.name} is not watched by this bot.{where} "
            f"Watched here: {self.known_providers()}"
        )

    def _did_you_mean(self, text: str) -> str:
        suggestions: dict[str, Match] = {}
        for match in self._names.suggest(text) + self._catalog_names.suggest(text):
            suggestions.setdefault(match.key, match)
        if not suggestions:
            return ""
        names = []
        for match in list(suggestions.values())[:3]:
            label = self._label(match.key)
            shown = (
                match.name if name_key(match.name) == name_key(label) else f"{match.name} ({label})"
            )
            if match.key not in self.config.providers:
                shown += ", not watched here"
            names.append(shown)
        return " Did you mean " + " or ".join(names) + "?"

    def _label(self, key: str) -> str:
        if key in self.config.providers:
            return self.config.providers[key].name
        return self.config.catalog[key].name

    def provider_choices(self, prefix: str = "") -> list[tuple[str, str]]:
        """(label, value) pairs for autocomplete, best matches first."""
        prefix = name_key(prefix)
        out = []
        for key, provider in self.config.providers.items():
            names = [name_key(n) for n in (key, provider.name, *provider.aliases)]
            if not prefix or any(n.startswith(prefix) for n in names):
                aliases = f" ({', '.join(provider.aliases)})" if provider.aliases else ""
                out.append((f"{provider.name}{aliases}", key))
        return out[:25]

    # --- /is-chatgpt-down -----------------------------------------------------

    async def status(self, query: str | None = None, asker: Reporter | None = None) -> StatusReport:
        """The fused verdict first; `asker` (who asked, where) counts as a crowd signal."""
        key = self.resolve_provider(query)
        early = await self._early_views(key, asker)
        records = {r.source_id: r for r in await self.store.sources.all_sources()}
        open_incidents = await self.store.incidents.open_incidents()
        now = self.clock()
        statuses = {
            k: provider_status(self.config, k, records, open_incidents, now)
            for k in self.config.providers
        }
        others = tuple(s for k, s in statuses.items() if k != key)
        return StatusReport(provider=statuses[key], alternatives=others, now=now, early=early)

    async def _early_views(self, key: str, asker: Reporter | None) -> dict[str, EarlyView]:
        """Our own signals for the answer; the official answer stands alone if they fail."""
        if self.early is None:
            return {}
        try:
            if asker is not None and self.crowd is not None:
                verdict = await self.crowd.asked(key, asker)
            else:
                verdict = await self.early.step(key)
            return await self.early.overview(key, verdict)
        except Exception:
            log.exception("early-warning signals could not be read for /is-chatgpt-down")
            return {}

    # --- /statusbot history [provider] [24h|7d|30d|90d] ---------------------------

    def parse_history(self, text: str | None) -> tuple[str, Period]:
        """A provider (default: the first default one) and a period (default: 7 days)."""
        words, period = [], Period.WEEK
        for word in clean_args(text).split():
            parsed = Period.parse(word)
            if parsed is None:
                words.append(word)
            else:
                period = parsed
        return self.resolve_provider(" ".join(words) or None), period

    async def history(self, text: str | None) -> HistoryAnswer:
        """The chart of a provider's availability and incidents, with its summary."""
        from bot.chart import render_png  # matplotlib costs ~30 MB: only when asked

        key, period = self.parse_history(text)
        name = self.config.providers[key].name
        view = await self.store.history.view(key, name, period, self.clock())
        png = await render_png(view)
        title = f"{name} availability, {period.words}"
        return HistoryAnswer(key, period, title, view.summary(), view.alt_text(), png)

    # --- /statusbot subscribe | unsubscribe | list ----------------------------

    def parse_subscribe(self, text: str | None, platform: str | None = None) -> SubscribeRequest:
        """`[provider …] [component:NAME …] [min:degraded|partial|major] [remind:MINUTES]
        [early] [mention:here|mention:ROLE] [wake:major]`.

        A component name with spaces is quoted: `component:"Chat Completions"`.
        """
        mention: str | None = None
        wake = False
        providers: list[str] = []
        components: list[str] = []
        severity = Severity.parse(self.config.default_min_severity)
        remind = self.config.delivery.reminder_minutes
        early = False
        try:
            tokens = shlex.split(clean_args(text))
        except ValueError:
            raise CommandError('A quote is not closed: use component:"Chat Completions".') from None
        for token in tokens:
            name, _, value = token.partition(":")
            name = name.lower()
            if value and name in ("component", "components", "c"):
                components.extend(v.strip() for v in value.split(",") if v.strip())
            elif value and name in ("min", "severity", "sev"):
                severity = self._severity(value)
            elif value and name in ("remind", "reminder", "reminders"):
                remind = self._minutes(value)
            elif value and name in ("mention", "ping"):
                mention = parse_mention(value, platform)
            elif value and name == "wake":
                wake = _wake(value)
            elif not value and name == EARLY_WORD:
                early = True
            elif (match := self._find(token)) is not None:
                if match.key not in providers:
                    providers.append(match.key)
                owner, alias = self._alias_components.get(name_key(token), (None, []))
                if owner == match.key:
                    components.extend(alias)
            elif _is_severity(token):
                severity = self._severity(token)
            else:
                shown = token if len(token) <= 40 else token[:40] + "…"
                raise CommandError(
                    f"I don't understand '{shown}'.{self._did_you_mean(token)} "
                    "Usage: subscribe [provider …] "
                    f'[component:"NAME"] [min:degraded|partial|major] [remind:60] [early] '
                    f"[mention:{'ROLE' if platform == 'discord' else 'here'}] [wake:major]. "
                    f"Providers: {self.known_providers()}"
                )
        return SubscribeRequest(
            providers=tuple(providers or self.config.default_providers),
            components=tuple(components),
            min_severity=severity,
            reminder_minutes=remind,
            mention=mention,
            wake_on_major=wake,
            early=early,
        )

    @staticmethod
    def _severity(value: str) -> Severity:
        try:
            return Severity.parse(value)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def _minutes(value: str) -> int:
        digits = value.lower().removesuffix("m").removesuffix("min")
        if not digits.isdigit() or not 0 <= int(digits) <= 24 * 60:
            raise CommandError("remind: takes minutes between 0 (off) and 1440, e.g. remind:60")
        minutes = int(digits)
        if 0 < minutes < 5:
            raise CommandError("Reminders more often than every 5 minutes would be noise.")
        return minutes

    async def subscribe(
        self,
        platform: str,
        workspace_id: str | None,
        channel_id: str,
        args: str | None,
        user_id: str | None = None,
    ) -> str:
        request = self.parse_subscribe(args, platform)
        open_now: list[tuple[Event, bool]] = []
        suspected: list[Event] = []
        for key in request.providers:
            saved = await self.store.subscriptions.subscribe(
                Subscription(
                    platform=platform,
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    provider=key,
                    components=request.components,
                    min_severity=request.min_severity,
                    reminder_minutes=request.reminder_minutes,
                    early=request.early,
                    created_by=user_id,
                    created_at=self.clock(),
                    mention=request.mention,
                    wake_on_major=request.wake_on_major,
                )
            )
            cards = await self._open_cards(key)
            queued = {
                e.incident_key
                for e in await self.store.late_cards.queue(saved, cards, self.clock())
            }
            open_now += [(e, e.incident_key in queued) for e in cards]
            if saved.early and (early := await self.store.early.late_card(saved, self.clock())):
                suspected.append(early)
        names = ", ".join(self.config.providers[k].name for k in request.providers)
        what = (
            f"components matching {', '.join(request.components)}"
            if request.components
            else ("all components")
        )
        remind = (
            f", reminders every {request.reminder_minutes} min" if request.reminder_minutes else ""
        )
        extras = _extras(request.mention, request.wake_on_major)
        lines = [
            f"Subscribed this channel to {names}: {what}, "
            f"{request.min_severity.label.replace('_', ' ')} and worse{remind}{extras}."
        ]
        if request.early:
            lines.append(EARLY_PROMISE)
        for event in suspected:
            lines.append(f"Suspected now: ⚠️ {event.title} — its unconfirmed card follows here.")
        if not open_now and not suspected:
            lines.append("Nothing is open right now.")
        for event, posted in open_now:
            where = "its card follows here" if posted else "outside this channel's filters"
            lines.append(
                f"Open now: {SEVERITY_EMOJI[event.severity]} {event.page_name}: {event.title}"
                f" ({SEVERITY_WORDS[event.severity].lower()}) — {where}."
            )
        return "\n".join(lines)

    async def _open_cards(self, provider: str) -> list[Event]:
        """The living card of everything open now at the provider's sources."""
        records = {r.source_id: r for r in await self.store.sources.all_sources()}
        cards: list[Event] = []
        for key, source_id, _source in self.config.source_ids():
            record = records.get(source_id)
            if key != provider or record is None:
                continue
            settings = MachineSettings(
                provider=key, source_id=source_id, display_name=self.config.providers[key].name
            )
            cards += open_cards(record.state, settings)
        return cards

    async def forget_workspace(self, platform: str, workspace_id: str) -> int:
        """The app left a workspace (uninstalled, tokens revoked): nothing stays for it."""
        return await self.store.outbox.forget_workspace(platform, workspace_id)

    async def unsubscribe(self, platform: str, channel_id: str, args: str | None) -> str:
        text = clean_args(args)
        provider = self.resolve_provider(text) if text else None
        removed = await self.store.subscriptions.unsubscribe(platform, channel_id, provider)
        if not removed:
            return "This channel had no such subscription."
        what = self.config.providers[provider].name if provider else "everything"
        return f"Unsubscribed this channel from {what}."

    async def list(self, platform: str, channel_id: str) -> str:
        subs = await self.store.subscriptions.channel_subscriptions(platform, channel_id)
        if not subs:
            hushed = self._hush_lines(await self.store.hush.channel(platform, channel_id))
            return "\n".join(
                ["This channel has no subscriptions. Try `/statusbot subscribe`.", *hushed]
            )
        lines = ["This channel receives:"]
        for sub in subs:
            name = (
                self.config.providers[sub.provider].name
                if (sub.provider in self.config.providers)
                else sub.provider
            )
            comps = ", ".join(sub.components) if sub.components else "all components"
            line = f"• {name}: {comps}, {sub.min_severity.label.replace('_', ' ')} and worse"
            if sub.reminder_minutes:
                line += f", reminders every {sub.reminder_minutes} min"
            line += _extras(sub.mention, sub.wake_on_major)
            if sub.early:
                line += ", early warnings"
            if not sub.enabled:
                line += f" — DISABLED: {sub.disabled_reason or 'delivery failed'}"
            lines.append(line)
        lines += self._hush_lines(await self.store.hush.channel(platform, channel_id))
        return "\n".join(lines)

    def _hush_lines(self, hush: ChannelHush) -> Sequence[str]:
        now = self.clock()
        lines = []
        if hush.quiet is not None:
            state = " (quiet now)" if hush.quiet.active(now) else ""
            lines.append(f"Quiet hours: {hush.quiet.describe()}{state}.")
        for provider, until in sorted(hush.mutes.items()):
            if until > now:
                lines.append(f"Muted: {self._provider_words(provider)} until {utc_text(until)}.")
        return lines

    def _provider_words(self, provider: str) -> str:
        if provider == ALL_PROVIDERS:
            return "every provider"
        return (
            self.config.providers[provider].name if provider in self.config.providers else provider
        )

    # --- /statusbot test | mute | unmute | quiet ---------------------------------

    async def test(self, platform: str, workspace_id: str | None, channel_id: str) -> str:
        """Queue a sample card for this channel, then its edit marking it as a test."""
        subs = await self.store.subscriptions.channel_subscriptions(platform, channel_id)
        provider = subs[0].provider if subs else self.config.default_providers[0]
        now = self.clock()
        first, done = sample_card(provider, self.config.providers[provider].name, channel_id, now)
        recipient = Recipient(platform, channel_id, workspace_id)
        await self.store.samples.queue(recipient, [first, done], now)
        return (
            "Posting a sample alert in this channel now; it will be marked as a test a moment "
            "later. If nothing shows up, I can't post here: check my permissions."
        )

    def _mute_target(self, text: str) -> str:
        if text.lower() in ("all", "everything", "*"):
            return ALL_PROVIDERS
        return self.resolve_provider(text)

    async def mute(self, platform: str, channel_id: str, args: str | None) -> str:
        """`<provider|all> <duration>`: no alerts about it in this channel until then."""
        words = clean_args(args).split()
        if len(words) != 2:
            raise CommandError(MUTE_USAGE)
        provider = self._mute_target(words[0])
        until = self.clock() + parse_duration(words[1])
        await self.store.hush.mute(platform, channel_id, provider, until)
        return (
            f"Muted {self._provider_words(provider)} in this channel until {utc_text(until)}: "
            "no alerts until then (nothing is saved up). `/statusbot unmute` ends it early."
        )

    async def unmute(self, platform: str, channel_id: str, args: str | None) -> str:
        text = clean_args(args)
        provider = self._mute_target(text) if text else None
        removed = await self.store.hush.unmute(
            platform, channel_id, None if provider == ALL_PROVIDERS else provider
        )
        if not removed:
            return "Nothing was muted here."
        what = self._provider_words(provider) if provider else "every provider"
        return f"Unmuted {what}: the next update comes through."

    async def quiet(self, platform: str, channel_id: str, args: str | None) -> str:
        """`22:00-07:00 [Area/City]`, `off`, or nothing to show them."""
        text = clean_args(args)
        if not text:
            hush = await self.store.hush.channel(platform, channel_id)
            return " ".join(self._hush_lines(hush)) or f"No quiet hours here. {QUIET_USAGE}"
        if text.lower() in ("off", "none", "stop"):
            had = await self.store.hush.set_quiet(platform, channel_id, None)
            released = await self.store.outbox.release_held(self.clock(), (platform, channel_id))
            if not had:
                return "This channel had no quiet hours."
            held = f" The {released} held card(s) come now, up to date." if released else ""
            return f"Quiet hours off: alerts come at once again.{held}"
        hours = QuietHours.parse(text)
        await self.store.hush.set_quiet(platform, channel_id, hours)
        now = self.clock()
        if not hours.active(now):
            # New hours that leave this moment out: what the old ones held comes now.
            await self.store.outbox.release_held(now, (platform, channel_id))
        state = f" Quiet now, until {utc_text(hours.ends_after(now))}." if hours.active(now) else ""
        return (
            f"Quiet hours set: {hours.describe()}. Alerts are held then, and each card is "
            "brought up to date when quiet time ends (subscribe with wake:major to let a major "
            f"outage through).{state}"
        )

    def help(self) -> str:
        return "\n".join(
            [
                "/is-chatgpt-down [provider] [public] — is it down right now?",
                "/statusbot subscribe [provider …] [component:NAME] [min:degraded|partial|major]"
                " [remind:MINUTES] [early] [mention:…] [wake:major] — alerts in this channel"
                " (early: also unconfirmed cards from our own probes and people's reports, before"
                " the official page)",
                "/statusbot unsubscribe [provider] — stop them",
                "/statusbot list — what this channel receives",
                "/statusbot test — post a sample alert here (checks that I can post and edit)",
                "/statusbot mute <provider|all> <30m|2h|1d> — no alerts for a while;"
                " /statusbot unmute [provider|all]",
                "/statusbot quiet 22:00-07:00 [Area/City] — hold alerts at night, summed up"
                " when it ends; /statusbot quiet off",
                "/statusbot history [provider] [24h|7d|30d|90d] — uptime and incidents as a chart",
                f"Providers: {self.known_providers()}",
            ]
        )


MUTE_USAGE = "Usage: mute <provider|all> <duration>, e.g. mute chatgpt 2h or mute all 30m."


def sample_card(provider: str, name: str, channel_id: str, now: datetime) -> tuple[Event, Event]:
    """A sample outage card and the edit that marks it as a test."""
    first = Event(
        kind=EventKind.OUTAGE,
        provider=provider,
        source_id="statusbot-test",
        page_name=name,
        incident_key=f"test-{channel_id}-{int(now.timestamp() * 1000)}",
        title="Sample alert from /statusbot test (not a real incident)",
        severity=Severity.MAJOR_OUTAGE,
        at=now,
        started_at=now,
        components=("Sample component",),
        text="This is how an outage alert looks in this channel.",
        test=True,
    )
    done = first.replace(
        kind=EventKind.RESTORED,
        severity=Severity.OPERATIONAL,
        text="Test complete: I can post, edit and reply in this channel. Nothing is down.",
        duration_s=0.0,
    )
    return first, done


def parse_mention(value: str, platform: str | None) -> str | None:
    """Who a major outage may ping: `here` on Slack, a role on Discord; `off` for nobody."""
    text = value.strip().lower()
    if text in ("off", "none", "no"):
        return None
    if text in ("here", "@here"):
        if platform == "discord":
            raise CommandError("On Discord a major outage can mention a role: pick one.")
        return "here"
    role = text.removeprefix("role:").removeprefix("<@&").removesuffix(">")
    if role.isdigit() and 15 <= len(role) <= 22:
        if platform == "slack":
            raise CommandError("On Slack a major outage can mention @here: use mention:here.")
        return f"role:{role}"
    raise CommandError(
        "mention: takes here (Slack) or a role (Discord), or off; nothing else is ever pinged."
    )


def mention_words(mention: str) -> str:
    return "@here" if mention == "here" else f"<@&{mention.removeprefix('role:')}>"


def _extras(mention: str | None, wake_on_major: bool) -> str:
    out = ""
    if mention:
        out += f", a major outage mentions {mention_words(mention)}"
    if wake_on_major:
        out += ", a major outage comes through quiet hours"
    return out


def _wake(value: str) -> bool:
    text = value.strip().lower()
    if text in ("major", "on", "yes"):
        return True
    if text in ("off", "no", "none"):
        return False
    raise CommandError("wake: takes major (a major outage comes through quiet hours) or off.")


def _is_severity(token: str) -> bool:
    try:
        Severity.parse(token)
    except ValueError:
        return False
    return True
