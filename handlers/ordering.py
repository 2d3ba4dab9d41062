"""Concurrent update processing that keeps each user's updates in order.

PTB processes updates one at a time unless told otherwise, so one officer's slow step holds up
every other officer. Its stock concurrent processor would lift that, but then two messages from
the same officer (an album, a double press, a quick reply typed while the last one is still being
handled) could be handled out of order. This processor runs different users' updates together
and one user's updates strictly one after another, in the order Telegram sent them.

It is also where every update passes exactly once, so it counts and times them for the metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import MessageEntity, Update
from telegram.ext import BaseUpdateProcessor

from assistant.metrics import Metrics, UpdateKind


def update_kind(update: object) -> UpdateKind:
    """What an update is, for the metrics: a command, another message, a button press, or other.

    Args:
        update: What PTB hands the processor (an :class:`~telegram.Update`, or anything put on
            the update queue).

    Returns:
        ``command`` for a message that starts with a bot command (as ``CommandHandler`` reads
        it), ``message`` for any other new or edited message (text, photo, location, file),
        ``callback`` for a button press, ``other`` for the rest.
    """
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback"
    message = update.message or update.edited_message
    if message is None:
        return "other"
    first = message.entities[0] if message.entities else None
    if first is not None and first.type == MessageEntity.BOT_COMMAND and first.offset == 0:
        return "command"
    return "message"


UNLIMITED = 2**31 - 1


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """At most ``max_concurrent_updates`` at once, and one at a time per user (or chat).

    Args:
        max_concurrent_updates: How many updates may be handled at the same time.
        metrics: Where each update is counted and its handling timed; ``None`` counts nothing.
    """

    def __init__(self, max_concurrent_updates: int, metrics: Metrics | None = None) -> None:
        # PTB's own semaphore is taken before do_process_update, that is before the user's
        # lock: a user with a backlog (a flood) would then hold every slot while their updates
        # wait for each other, and other officers would wait behind them. So PTB's limit is
        # lifted, and the slots are taken here, once an update's turn within its user has come.
        super().__init__(UNLIMITED)
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._queues: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._metrics = metrics

    @staticmethod
    def _key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            await self._handle(update, coroutine)
            return
        lock = self._queues.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            # asyncio.Lock wakes its waiters first come, first served, and PTB starts the
            # processing tasks in the order the updates arrived: the user's order is kept.
            async with lock:
                await self._handle(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._queues[key]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Timed inside the user's lock and the slot: the histogram shows how long handlers
        # take, not how long an officer's second message waited for the first.
        async with self._slots:
            if self._metrics is None:
                await coroutine
                return
            with self._metrics.time_update(update_kind(update)):
                await coroutine

    async def initialize(self) -> None:
        """Nothing to set up: the per-user locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to release: the locks go with their last waiter."""
