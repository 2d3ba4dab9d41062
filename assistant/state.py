"""Key-value state for the chat transport (conversation steps, per-user scratch data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assistant.db.database import Database
from assistant.db.models import StateEntry


class StateStore:
    """JSON documents by ``(namespace, key)``, in the main database so every replica sees them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def load(self, namespace: str) -> dict[str, Any]:
        async with self.database.session() as session:
            rows = await session.execute(
                select(StateEntry.key, StateEntry.value).where(StateEntry.namespace == namespace)
            )
            # Values are wrapped so that a bare list or string is still a JSON object column.
            return {key: value["v"] for key, value in rows.all()}

    async def save(self, namespace: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable); ``None`` or an empty dict removes the entry."""

        def write(session: Session) -> None:
            if value is None or value == {}:
                session.execute(
                    delete(StateEntry).where(
                        StateEntry.namespace == namespace, StateEntry.key == key
                    )
                )
                return
            session.merge(StateEntry(namespace=namespace, key=key, value={"v": value}))

        await self.database.run_orm(write)
