"""Records what deliveries did, in batches: one transaction serves every channel that posted
a card or finished while the previous one was committing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.notify import CardRef, Delivery


class DeliveryLedger(Protocol):
    """Where finished deliveries and new cards are recorded."""

    async def mark_delivered_many(
        self,
        finished: Sequence[tuple[Delivery, CardRef | None]],
        now: datetime,
        cards_posted: Sequence[tuple[Delivery, CardRef]] = (),
    ) -> None: ...


class DeliveryRecorder:
    """`await record(...)` / `await save_card(...)` return once the fact is durable."""

    def __init__(self, store: DeliveryLedger, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        # (delivery, card, finished?, waiter)
        self._waiting: list[tuple[Delivery, CardRef | None, bool, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, delivery: Delivery, new_card: CardRef | None) -> None:
        """The delivery is done (with the card it created, if not saved already)."""
        await self._write(delivery, new_card, finished=True)

    async def save_card(self, delivery: Delivery, ref: CardRef) -> None:
        """A card was just posted: remember it before the rest of the delivery."""
        await self._write(delivery, ref, finished=False)

    async def _write(self, delivery: Delivery, card: CardRef | None, finished: bool) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, card, finished, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outbox-recorder")
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            finished = [(d, c) for d, c, fin, _ in batch if fin]
            cards = [(d, c) for d, c, fin, _ in batch if not fin and c is not None]
            try:
                await self.store.mark_delivered_many(finished, self.clock(), cards)
            except Exception as exc:  # noqa: BLE001 - each waiting delivery hears of it
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for *_, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def aclose(self) -> None:
        """Let a batch being committed finish."""
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
