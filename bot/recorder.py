"""Records finished deliveries in batches: one transaction serves every channel that
finished while the previous one was committing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.notify import CardRef, Delivery


class DeliveryLedger(Protocol):
    """Where finished deliveries are recorded."""

    async def mark_delivered_many(
        self, finished: Sequence[tuple[Delivery, CardRef | None]], now: datetime
    ) -> None: ...


class DeliveryRecorder:
    """`await record(...)` returns once the delivery is durably marked as sent."""

    def __init__(self, store: DeliveryLedger, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._waiting: list[tuple[Delivery, CardRef | None, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, delivery: Delivery, new_card: CardRef | None) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, new_card, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outbox-recorder")
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self.store.mark_delivered_many([(d, c) for d, c, _ in batch], self.clock())
            except Exception as exc:  # noqa: BLE001 - each waiting delivery hears of it
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def aclose(self) -> None:
        """Let a batch being committed finish."""
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
