"""One SQL store for SQLite and PostgreSQL: small repositories sharing one database.

Each consumer takes the repository it needs (and declares it as a small Protocol):
the poller `polls`, the outbox worker `outbox`, commands `subscriptions`, `sources`,
`incidents`, `hush` (quiet hours and mutes) and `samples` (`/statusbot test`), the Discord
command sync `settings`, the reminder job `reminders`, early warning `signals`, the early cards
`early`, charts and the status board `history`, replicas sharing a database `leases`. A
poll's new state, its events, the incidents they touch, their history and the outbox rows
they fan out to are written in one transaction.
"""

from __future__ import annotations

from bot.routing import Router
from bot.store.early import EarlyRepository
from bot.store.engine import HEAD_REVISION, MIGRATIONS, Database
from bot.store.eventlog import EventLog
from bot.store.history import HistoryRepository
from bot.store.hush import HushRepository
from bot.store.incidents import IncidentRepository
from bot.store.latecards import LateCardRepository
from bot.store.leases import LeaseRepository
from bot.store.outbox import OutboxRepository
from bot.store.polls import PollRepository
from bot.store.records import CLOSING_KINDS, DEAD, DROPPED, PENDING, SENT, PollCommit
from bot.store.reminders import ReminderRepository
from bot.store.replays import ReplayRepository
from bot.store.samples import SampleCardRepository
from bot.store.settings import SettingsRepository
from bot.store.signals import SignalRepository
from bot.store.sources import SourceRepository
from bot.store.subscriptions import SubscriptionRepository

__all__ = [
    "CLOSING_KINDS",
    "DEAD",
    "DROPPED",
    "HEAD_REVISION",
    "MIGRATIONS",
    "PENDING",
    "SENT",
    "PollCommit",
    "Store",
]


class Store:
    """The bot's only persistence; every repository method is one short transaction."""

    def __init__(self, url: str, router: Router | None = None) -> None:
        self.db = Database(url)
        self.events = EventLog(self.db)
        self.sources = SourceRepository(self.db)
        self.incidents = IncidentRepository(self.db)
        self.subscriptions = SubscriptionRepository(self.db)
        self.hush = HushRepository(self.db)
        self.outbox = OutboxRepository(
            self.db, self.events, self.subscriptions, router or Router(), self.hush
        )
        self.early = EarlyRepository(self.db, self.events, self.outbox)
        self.history = HistoryRepository(self.db, self.early)
        self.polls = PollRepository(
            self.db,
            self.sources,
            self.events,
            self.incidents,
            self.outbox,
            self.history,
            self.early,
        )
        self.reminders = ReminderRepository(self.db, self.events, self.outbox)
        self.late_cards = LateCardRepository(self.db, self.events, self.incidents, self.outbox)
        self.leases = LeaseRepository(self.db)
        self.settings = SettingsRepository(self.db)
        self.samples = SampleCardRepository(self.db, self.events, self.outbox)
        self.replays = ReplayRepository(self.db)
        self.signals = SignalRepository(self.db)

    @property
    def url(self) -> str:
        return self.db.url

    async def initialize(self, migrate: bool = True) -> None:
        """Open the store: migrate its schema to the newest version, or (migrate=False, for
        commands that only look) check that it is, changing nothing."""
        await self.db.initialize(migrate)

    async def migrate(self) -> str | None:
        """Create or upgrade the schema (`statusbot migrate`); returns the revision found."""
        return await self.db.migrate()

    async def check_schema(self) -> None:
        """Raise SchemaError unless the schema is this version's."""
        await self.db.check_schema()

    async def schema_revision(self) -> str | None:
        return await self.db.schema_revision()

    async def aclose(self) -> None:
        await self.db.aclose()

    async def ping(self) -> bool:
        return await self.db.ping()
