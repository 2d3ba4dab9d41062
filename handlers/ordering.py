"""Concurrent update processing that keeps each user's updates in order.

PTB processes updates one at a time unless told otherwise, so one officer's slow step holds up
every other officer. Its stock concurrent processor would lift that, but then two messages from
the same officer (an album, a double press, a quick reply typed while the last one is still being
handled) could be handled out of order. This processor runs different users' updates together
and one user's updates strictly one after another, in the order Telegram sent them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """At most ``max_concurrent_updates`` at once, and one at a time per user (or chat)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._queues: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

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
            await coroutine
            return
        lock = self._queues.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            # asyncio.Lock wakes its waiters first come, first served, and PTB starts the
            # processing tasks in the order the updates arrived: the user's order is kept.
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._queues[key]

    async def initialize(self) -> None:
        """Nothing to set up: the per-user locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to release: the locks go with their last waiter."""
