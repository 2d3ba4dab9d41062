"""PTB persistence backed by the application database (SQLite or PostgreSQL).

Conversation state and per-user scratch data survive restarts; every replica reads the same rows.
Bot-wide data holds live service objects, so it is deliberately not persisted.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict

from assistant.state import StateStore
from handlers.session import Session

USER = "user_data"
CHAT = "chat_data"
CONVERSATION = "conversation:"


class DatabasePersistence(BasePersistence[Session, dict[str, Any], dict[str, Any]]):
    """Stores each user's :class:`~handlers.session.Session`, ``chat_data`` and conversations as
    JSON rows.

    Args:
        store: where the rows live.
        ready: awaited before the first read; PTB loads persistence before ``post_init`` runs, so
            this is what connects and migrates the database in time.
        update_interval: seconds between PTB's background flushes.
    """

    def __init__(
        self, store: StateStore, ready: Callable[[], Awaitable[None]], update_interval: float = 5
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.store = store
        self.ready = ready
        self._written: dict[tuple[str, str], str] = {}

    async def _save(self, namespace: str, key: str, value: Any) -> None:
        # Skip unchanged documents: PTB calls update_* for every update, changed or not.
        encoded = json.dumps(value, sort_keys=True, default=str)
        if self._written.get((namespace, key)) == encoded:
            return
        await self.store.save(namespace, key, value)
        self._written[(namespace, key)] = encoded

    async def _load_by_id(self, namespace: str) -> dict[int, dict[str, Any]]:
        await self.ready()
        loaded = await self.store.load(namespace)
        for key, value in loaded.items():
            self._written[(namespace, key)] = json.dumps(value, sort_keys=True, default=str)
        return {int(key): value for key, value in loaded.items()}

    async def get_user_data(self) -> dict[int, Session]:
        stored = await self._load_by_id(USER)
        return {user_id: Session.from_json(value) for user_id, value in stored.items()}

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return await self._load_by_id(CHAT)

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.ready()
        loaded = await self.store.load(CONVERSATION + name)
        return {tuple(json.loads(key)): value for key, value in loaded.items()}

    async def update_conversation(
        self, name: str, key: tuple[int | str, ...], new_state: object | None
    ) -> None:
        await self._save(CONVERSATION + name, json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: Session) -> None:
        await self._save(USER, str(user_id), data.to_json())

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        await self._save(CHAT, str(chat_id), data)

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._save(CHAT, str(chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._save(USER, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: Session) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
