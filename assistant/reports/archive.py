"""The archive: a client's past visits and reports, and the whole history as one ZIP."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from assistant.access import Viewer
from assistant.clock import local_date, local_iso
from assistant.db.models import (
    MADE_VISITS,
    Client,
    Officer,
    Report,
    ReportStatus,
    Visit,
    VisitAnswer,
)
from assistant.portfolio import may_see_client
from assistant.reports.core import ReportCore, _inert
from assistant.reports.views import (
    READ_EXPORT,
    READ_HISTORY,
    ClientHistory,
    HistoryEntry,
    ReportView,
)


class Archive(ReportCore):
    """History and export, for a renewal or an audit."""

    async def history(self, viewer: Viewer, client_code: str, *, today: date) -> ClientHistory:
        """Every visit to the client, newest first, with its report's status and findings.
        The look is in the audit log.

        Raises:
            NotFound: no such client, or not one this viewer may see.
        """
        history = await self._history(viewer, client_code, today=today)
        await self._record(viewer, READ_HISTORY, history.client.code, visits=len(history.entries))
        return history

    async def _history(self, viewer: Viewer, client_code: str, *, today: date) -> ClientHistory:
        card = await self.visits.portfolio.client_card(
            viewer, client_code, today=today, audit=False
        )
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(Visit, Report)
                    .join(Client, Client.id == Visit.client_id)
                    .outerjoin(Report, Report.visit_id == Visit.id)
                    .where(
                        may_see_client(viewer),
                        func.upper(Client.code) == client_code.strip().upper(),
                    )
                    .order_by(Visit.started_at.desc(), Visit.id.desc())
                    .limit(50)
                )
            ).all()
        entries = []
        for visit, report in rows:
            severities: dict[str, int] = {}
            for finding in report.findings if report else []:
                severities[finding["severity"]] = severities.get(finding["severity"], 0) + 1
            entries.append(
                HistoryEntry(
                    visit.id,
                    visit.started_at,
                    visit.finished_at,
                    visit.check_type,
                    visit.status.value,
                    report.id if report else None,
                    report.status.value if report else None,
                    report.version if report else 0,
                    severities,
                    report.suggested_class if report else None,
                )
            )
        return ClientHistory(card, entries)

    async def export_client(
        self, viewer: Viewer, client_code: str, lang: str, *, today: date
    ) -> bytes:
        """One ZIP with everything on record for the client: per finished visit its report
        (Word and HTML), its answers (JSON and CSV) and its photos and documents. The export
        is in the audit log (once it is built)."""
        history = await self._history(viewer, client_code, today=today)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            index = []
            for entry in history.entries:
                folder = f"{local_date(entry.started_at, self.tz):%Y-%m-%d}_visit{entry.visit_id}"
                answers = await self._answers_export(entry.visit_id)
                archive.writestr(
                    f"{folder}/answers.json", json.dumps(answers, ensure_ascii=False, indent=2)
                )
                archive.writestr(f"{folder}/answers.csv", _answers_csv(answers))
                files = await self._files(entry.visit_id)
                for file in files:
                    name = file.file_name or f"{file.kind}_{file.evidence_id}"
                    if file.path.exists():
                        archive.write(file.path, f"{folder}/files/{file.evidence_id}_{name}")
                if entry.visit_status in MADE_VISITS:
                    view = await self._archived(viewer, entry, lang)
                    for fmt in ("docx", "html"):
                        content, file_name = await self._build(view.data, fmt)  # type: ignore[arg-type]
                        archive.writestr(f"{folder}/{file_name}", content)
                index.append(
                    {
                        "visit": entry.visit_id,
                        "started_at": local_iso(entry.started_at, self.tz),
                        "check_type": entry.check_type,
                        "status": entry.visit_status,
                        "report_status": entry.report_status,
                        "report_version": entry.version,
                        "findings": entry.severities,
                        "folder": folder,
                    }
                )
            archive.writestr(
                "index.json",
                json.dumps(
                    {"client": history.client.code, "visits": index}, ensure_ascii=False, indent=2
                ),
            )
        await self._record(viewer, READ_EXPORT, history.client.code, visits=len(index))
        return buffer.getvalue()

    async def _archived(self, viewer: Viewer, entry: HistoryEntry, lang: str) -> ReportView:
        """The visit's report as it stands; a visit never reported on gets a draft composed for
        the archive without creating one (only its officer starts a report)."""
        if entry.report_id is not None:
            return await self._open(viewer, entry.report_id, lang)
        async with self.database.session() as session:
            visit = await session.get(Visit, entry.visit_id)
            assert visit is not None
            author = await session.get(Officer, visit.officer_id)
            assert author is not None
        unsaved = Report(
            visit_id=visit.id,
            client_id=visit.client_id,
            officer_id=visit.officer_id,
            status=ReportStatus.DRAFT,
            version=0,
            overrides={},
            polished={},
        )
        return await self._view(viewer, unsaved, visit, author, lang)

    async def _answers_export(self, visit_id: int) -> list[dict[str, Any]]:
        checklist = self.visits.checklist
        async with self.database.session() as session:
            rows = await session.scalars(
                select(VisitAnswer)
                .where(VisitAnswer.visit_id == visit_id)
                .order_by(VisitAnswer.answered_at, VisitAnswer.id)
            )
            exported = []
            for row in rows:
                try:
                    prompt = checklist.item(row.item_id).prompt.zh
                except KeyError:
                    prompt = ""
                exported.append(
                    {
                        "item_id": row.item_id,
                        "question": prompt,
                        "status": row.status.value,
                        "value": row.value.get("v"),
                        "raw_text": row.raw_text,
                        "approximate": row.approximate,
                        "answered_at": local_iso(row.answered_at, self.tz),
                    }
                )
            return exported


def _answers_csv(answers: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    # A BOM so that Excel, which most banks open CSV files with, reads the Chinese correctly.
    out.write("\ufeff")
    writer = csv.DictWriter(
        out,
        fieldnames=[
            "item_id",
            "question",
            "status",
            "value",
            "raw_text",
            "approximate",
            "answered_at",
        ],
    )
    writer.writeheader()
    for row in answers:
        value = row["value"]
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        writer.writerow({key: _inert(v) for key, v in {**row, "value": value}.items()})
    return out.getvalue()
