"""The importer: preview a file, or apply it in one transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from assistant.db.database import Database
from assistant.db.models import (
    AuditEntry,
)

# --------------------------------------------------------------------------------------------
# The importer
from assistant.importer.cells import _length
from assistant.importer.model import AUDIT_ACTION, ImportIssue, ImportReport
from assistant.importer.reconcile import _Reconciler
from assistant.importer.rows import _parse, _Parsed


class PortfolioImporter:
    """Imports a bank's loan portfolio from an XLSX workbook or one CSV file per table.

    Args:
        database: Where the portfolio lives.
        max_bytes: Larger files are refused before being read.
        max_rows: The most data rows (all tables together) one file may hold.
    """

    def __init__(self, database: Database, *, max_bytes: int, max_rows: int) -> None:
        self.database = database
        self.max_bytes = max_bytes
        self.max_rows = max_rows

    async def _parse(self, path: Path, filename: str | None) -> _Parsed:
        name = filename or path.name
        return await asyncio.to_thread(_parse, path, name, self.max_bytes, self.max_rows)

    async def preview(self, path: Path, *, filename: str | None = None) -> ImportReport:
        """Check a file and tell what importing it would change, writing nothing.

        Args:
            path: The file on disk (its name may be random).
            filename: The name the user gave the file; its extension decides XLSX or CSV.

        Returns:
            The issues found, and per table how many rows would be created, updated or left
            unchanged.
        """
        parsed = await self._parse(path, filename)
        if not parsed.readable or parsed.issues.full:
            return ImportReport(parsed.issues.result(), {}, applied=False)
        async with self.database.session() as session:
            reconciler = _Reconciler(session, parsed)
            await reconciler.load()
            reconciler.check()
            counts = reconciler.plan()
        return ImportReport(parsed.issues.result(), counts, applied=False)

    async def apply(
        self, path: Path, *, actor_officer_id: int | None, filename: str | None = None
    ) -> ImportReport:
        """Check a file and, if it has no problem at all, import it in one transaction.

        Args:
            path: The file on disk (its name may be random).
            actor_officer_id: Who imports, for the audit log.
            filename: The name the user gave the file; its extension decides XLSX or CSV.

        Returns:
            The report; ``applied`` is True only when everything was written, together with one
            ``portfolio.import`` audit entry holding the counts.
        """
        parsed = await self._parse(path, filename)
        if not parsed.readable or parsed.issues.full:
            return ImportReport(parsed.issues.result(), {}, applied=False)
        target = (filename or path.name)[: _length(AuditEntry, "target")]
        try:
            async with self.database.session() as session:
                reconciler = _Reconciler(session, parsed)
                await reconciler.load()
                reconciler.check()
                counts = reconciler.plan()
                if parsed.issues:
                    return ImportReport(parsed.issues.result(), counts, applied=False)
                await reconciler.write()
                detail = {
                    table: {
                        "created": c.created,
                        "updated": c.updated,
                        "unchanged": c.unchanged,
                    }
                    for table, c in counts.items()
                }
                session.add(
                    AuditEntry(
                        actor_officer_id=actor_officer_id,
                        action=AUDIT_ACTION,
                        target=target,
                        detail=detail,
                    )
                )
        except IntegrityError:
            # Someone else changed the same records meanwhile; the transaction was rolled back.
            conflict = ImportIssue("", None, None, "conflict", {})
            return ImportReport([conflict], {}, applied=False)
        return ImportReport([], counts, applied=True)
