"""The one small protocol every chat platform implements, and what it is handed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from bot.events import Event

if TYPE_CHECKING:
    from bot.commands import CommandService


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a living incident card lives in one channel."""

    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row: apply `event` to the card for its incident in one channel.

    `attempt` is 1 on the first try; above 1 an earlier try may have reached the
    platform before the bot died, so a post must be made idempotent with `key`.
    """

    id: int
    platform: str
    workspace_id: str | None
    channel_id: str
    event: Event
    card: CardRef | None
    attempt: int = 1
    # Who to ping with this alert ("here" on Slack, "role:ID" on Discord), opted in by the
    # channel's subscription; no other text may ever ping anyone.
    mention: str | None = None
    # Earlier updates of this card held during quiet hours that this delivery sums up.
    held: int = 0

    @property
    def key(self) -> str:
        """Stable idempotency key (fits Discord's 25-character nonce)."""
        return f"sb-{self.id}"


SaveCard = Callable[[CardRef], Awaitable[None]]


class Notifier(Protocol):
    """A chat platform, as the outbox worker uses it.

    Contract for `deliver`:
    - no card yet: post the card (idempotently under `delivery.key`), call `save_card`
      at once, then do the rest (a thread on Discord);
    - card exists: edit it to the event's full state, then reply in its thread;
      a `restored` reply is made visible in the channel too;
    - a `reminder` event only replies in the thread;
    - `mention` set: the alert pings exactly that (and nothing else ever pings);
    - `held` above 0: the thread reply says how many updates quiet hours held back.
    Returns the card reference (new or unchanged). Raises only TransientDeliveryError
    (retried with backoff, honouring its `retry_after_s`) or PermanentDeliveryError (the
    channel, or with `workspace_wide` its workspace, is disabled); anything else is
    treated as a bug and retried.
    """

    # The outbox rows this notifier serves (`Delivery.platform`).
    platform: ClassVar[str]
    # Seconds between two deliveries to one channel (the platform's own pacing).
    per_channel_interval_s: ClassVar[float]
    # True: the delivery is recorded as sent before `deliver` is called, so a crash can
    # never repeat it (for sinks that cannot be made idempotent, such as a terminal).
    # False: recorded after `deliver` returns; a retry relies on `delivery.key`.
    commit_first: ClassVar[bool]

    async def deliver(self, delivery: Delivery, save_card: SaveCard) -> CardRef: ...

    async def aclose(self) -> None: ...


class ChatPlatform(Protocol):
    """A connected chat platform: its notifier plus the connection that serves commands.

    Each integration package (integrations.slack, integrations.discord) exposes a
    `PlatformFactory` named `create`. Lifecycle: `start()` connects (Socket Mode, gateway
    or HTTP server) and returns once ready; `stop()` disconnects and closes clients;
    `connected` feeds /readyz.
    """

    notifier: Notifier

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    @property
    def connected(self) -> bool: ...


@runtime_checkable
class OneConnection(Protocol):
    """A platform whose every connection receives every event (Discord's gateway, per
    shard): with replicas sharing a database, only the replica holding `connection_lease`
    connects; the others deliver without it (REST)."""

    connection_lease: str

    def share_connection(self) -> None:
        """Do not connect at start; wait for `hold_connection(True)`."""
        ...

    def hold_connection(self, held: bool) -> None:
        """Connect (this replica now holds the lease) or disconnect (it lost it)."""
        ...


class PlatformFactory(Protocol):
    """`create(config, commands)`: builds a platform from its config section; nothing
    connects until `start()`."""

    def __call__(self, config: Any, commands: CommandService) -> ChatPlatform: ...
