"""The composition of the domain: the one place that picks concrete backends from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from assistant.access import AccessService
from assistant.config import Settings
from assistant.db.database import Database
from assistant.i18n import Texts
from assistant.importer import PortfolioImporter
from assistant.portfolio import PortfolioService
from assistant.state import StateStore

REPO_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_DIR = REPO_ROOT / "prompts"


@dataclass
class Services:
    """Everything a handler or the CLI may call. Built without I/O; :meth:`start` connects."""

    settings: Settings
    database: Database
    texts: Texts
    state: StateStore
    access: AccessService
    portfolio: PortfolioService
    importer: PortfolioImporter

    async def start(self) -> None:
        """Connect, migrate and register the configured admins. Safe to call more than once."""
        await self.database.start()
        await self.access.ensure_admins(self.settings.admin_ids)

    async def close(self) -> None:
        await self.database.dispose()

    def today(self) -> date:
        return datetime.now(self.settings.tz).date()

    @property
    def uploads_dir(self) -> Path:
        path = self.settings.data_dir / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path


def build_services(settings: Settings, *, database: Database | None = None) -> Services:
    """Choose and construct the backends named by ``settings``; connects to nothing yet."""
    database = database or Database(settings.database_dsn)
    return Services(
        settings=settings,
        database=database,
        texts=Texts(PROMPTS_DIR / "messages"),
        state=StateStore(database),
        access=AccessService(database, invite_ttl=timedelta(hours=settings.invite_ttl_hours)),
        portfolio=PortfolioService(database),
        importer=PortfolioImporter(
            database, max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows
        ),
    )
