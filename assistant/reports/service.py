"""The loop from a finished visit to an approved, archived report.

A report row keeps only what people wrote and decided: the officer's section texts and remarks,
an LLM's polish if one is configured, the status and the supervisor's comment. The figures are
composed from the visit's stored answers every time, so nothing typed into a narrative can change
a number, and a renewal months later sees the report exactly as it was approved.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal, NamedTuple

from jinja2 import TemplateError
from sqlalchemy import func, select

from assistant.access import Viewer, viewer_of
from assistant.alerts import AlertNotice, AlertService, Recipient
from assistant.clock import local_date, local_iso
from assistant.db.database import Database
from assistant.db.models import (
    AuditEntry,
    Client,
    EvidenceFile,
    Officer,
    Report,
    ReportStatus,
    Visit,
    VisitAnswer,
    VisitStatus,
)
from assistant.errors import AccessDenied, AssistantError, InvalidInput, NotFound
from assistant.portfolio import ClientCard, may_see_client
from assistant.readings import ReadingService
from assistant.reports.compose import ReportComposer, narrative_text, similarity
from assistant.reports.model import ReportData, ReportFile, ReportHeader
from assistant.reports.polish import NarrativePolisher
from assistant.reports.render import (
    generated_file_name,
    render_chat,
    render_docx,
    render_html,
)
from assistant.risk.facts import finding_to_json
from assistant.risk.model import ClassSuggestion, Finding
from assistant.risk.rules import RiskEngine
from assistant.visits.evidence import EvidenceService
from assistant.visits.service import VisitService, VisitSummary

log = logging.getLogger(__name__)

MAX_SECTION_TEXT = 3000
MAX_COMMENT = 1000
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
# Reads of customer data in the audit log. "reports.", not "report.": the report.* actions are
# the report's status changes, and the audit trail of a report is read as exactly those.
READ_OPEN = "reports.open"
READ_DOWNLOAD = "reports.download"
READ_HISTORY = "history.view"
READ_EXPORT = "history.export"
Format = Literal["docx", "html"]


class VisitNotFinished(AssistantError):
    key = "report.visit_not_finished"


class ReportLocked(AssistantError):
    key = "report.locked"


class AlreadyReviewed(AssistantError):
    key = "report.already_reviewed"


class NoSupervisor(AssistantError):
    key = "report.no_supervisor"


class ReportBuildFailed(AssistantError):
    key = "report.build_failed"


@dataclass(frozen=True)
class _Basis:
    summary: VisitSummary
    header: ReportHeader
    findings: list[Finding]
    suggestion: ClassSuggestion
    files: list[ReportFile]
    previous_narrative: str | None
    reviewer_id: int | None


class PendingReport(NamedTuple):
    """A report waiting for someone: to be edited and submitted, or to be reviewed."""

    report_id: int
    client_code: str
    client_name: str
    status: str
    version: int


@dataclass(frozen=True)
class ReportView:
    report_id: int
    data: ReportData
    chunks: list[str]
    is_author: bool
    is_reviewer: bool
    # How close the narrative is to this client's previous report (None: no previous report).
    similarity: float | None
    copy_warning: bool

    @property
    def status(self) -> ReportStatus:
        return ReportStatus(self.data.status)

    @property
    def editable(self) -> bool:
        return self.is_author and self.status in EDITABLE

    @property
    def reviewable(self) -> bool:
        return self.is_reviewer and self.status is ReportStatus.SUBMITTED


@dataclass(frozen=True)
class Submission:
    view: ReportView
    supervisor: Recipient | None
    supervisor_view: ReportView
    document: bytes
    file_name: str
    alerts: list[AlertNotice]


@dataclass(frozen=True)
class Review:
    view: ReportView
    approved: bool
    officer: Recipient | None
    officer_view: ReportView


@dataclass(frozen=True)
class HistoryEntry:
    visit_id: int
    started_at: datetime
    finished_at: datetime | None
    check_type: str
    visit_status: str
    report_id: int | None
    report_status: str | None
    version: int
    severities: dict[str, int]
    suggested_class: str | None


@dataclass(frozen=True)
class ClientHistory:
    client: ClientCard
    entries: list[HistoryEntry]


class ReportService:
    """Drafts, edits, submits, reviews and archives reports; every method checks who asks."""

    def __init__(
        self,
        database: Database,
        visits: VisitService,
        evidence: EvidenceService,
        engine: Callable[[], RiskEngine],
        composer: Callable[[], ReportComposer],
        alerts: AlertService,
        *,
        template_path: Path,
        tz: tzinfo,
        polisher: NarrativePolisher | None = None,
        copy_warning_at: float = 0.9,
        readings: ReadingService,
    ) -> None:
        self.database = database
        self.visits = visits
        self.evidence = evidence
        # Both read files (rules, sections, checklist): built on first use, not at construction.
        self._engine = engine
        self._composer = composer
        self.alerts = alerts
        self.template_path = template_path
        self.tz = tz
        self.polisher = polisher
        self.copy_warning_at = copy_warning_at
        self.readings = readings

    @property
    def engine(self) -> RiskEngine:
        return self._engine()

    @property
    def composer(self) -> ReportComposer:
        return self._composer()

    # ----------------------------------------------------------------- reading
    async def open_for_visit(self, viewer: Viewer, visit_id: int, lang: str) -> ReportView:
        """The report of a finished visit, drafted now if it has none yet.

        Raises:
            VisitNotFinished: the visit is still open.
            NotFound: no such visit, or not one this viewer may see.
        """
        async with self.database.session() as session:
            visit = await session.scalar(
                select(Visit)
                .join(Client, Client.id == Visit.client_id)
                .where(Visit.id == visit_id, may_see_client(viewer))
            )
            if visit is None:
                raise NotFound()
            if visit.status is not VisitStatus.FINISHED:
                raise VisitNotFinished()
            report = await session.scalar(select(Report).where(Report.visit_id == visit_id))
            created = report is None
            if report is None:
                if visit.officer_id != viewer.officer_id:
                    # Only the officer who made the visit drafts its report.
                    raise NotFound()
                report = Report(
                    visit_id=visit.id, client_id=visit.client_id, officer_id=visit.officer_id
                )
                session.add(report)
                await session.flush()
                session.add(_audit(viewer, "report.draft", report, {}))
            report_id = report.id
        if created:
            await self._polish(viewer, report_id, lang)
        return await self.open(viewer, report_id, lang)

    async def open(self, viewer: Viewer, report_id: int, lang: str) -> ReportView:
        """The report as this viewer may see it; the opening is in the audit log.

        Raises:
            NotFound: no such report, or not one this viewer may see.
        """
        return await self._open(viewer, report_id, lang, audit=READ_OPEN)

    async def _open(
        self, viewer: Viewer, report_id: int, lang: str, *, audit: str | None = None
    ) -> ReportView:
        """:meth:`open` for the service's own use (after an edit, before a download): the
        action that asked for it is what the audit log records."""
        report, visit, author = await self._load(viewer, report_id, audit=audit)
        return await self._view(viewer, report, visit, author, lang)

    async def latest_for_client(self, viewer: Viewer, client_code: str, lang: str) -> ReportView:
        """The report of the client's most recent finished visit.

        Raises:
            NotFound: no such client, or no finished visit yet.
        """
        async with self.database.session() as session:
            visit_id = await session.scalar(
                select(Visit.id)
                .join(Client, Client.id == Visit.client_id)
                .where(
                    may_see_client(viewer),
                    func.upper(Client.code) == client_code.strip().upper(),
                    Visit.status == VisitStatus.FINISHED,
                )
                .order_by(Visit.finished_at.desc(), Visit.id.desc())
                .limit(1)
            )
        if visit_id is None:
            raise NotFound("report.no_finished_visit", code=client_code.strip()[:32])
        return await self.open_for_visit(viewer, visit_id, lang)

    async def pending(self, viewer: Viewer) -> list[PendingReport]:
        """Reports waiting for this person: their drafts and returned ones, and for a supervisor
        the team's submitted ones."""
        mine = Report.officer_id == viewer.officer_id
        waiting = Report.status.in_(EDITABLE)
        condition = mine & waiting
        if viewer.role.value == "supervisor" or viewer.is_admin:
            team = select(Officer.id).where(Officer.supervisor_id == viewer.officer_id)
            condition = condition | (
                Report.officer_id.in_(team) & (Report.status == ReportStatus.SUBMITTED)
            )
        async with self.database.session() as session:
            rows = await session.execute(
                select(Report.id, Client.code, Client.name, Report.status, Report.version)
                .join(Client, Client.id == Report.client_id)
                .where(condition)
                .order_by(Report.updated_at.desc())
                .limit(20)
            )
            return [
                PendingReport(rid, code, name, str(status.value), version)
                for rid, code, name, status, version in rows
            ]

    # ----------------------------------------------------------------- the officer's review
    async def edit_section(
        self, viewer: Viewer, report_id: int, section_id: str, text: str, lang: str
    ) -> ReportView:
        """Replace one section's paragraph with the officer's own text.

        Raises:
            ReportLocked: submitted or approved, or not the author.
            InvalidInput: unknown section, or a text too long or empty.
        """
        cleaned = text.strip()
        if not cleaned:
            raise InvalidInput("report.empty_text")
        if len(cleaned) > MAX_SECTION_TEXT:
            raise InvalidInput("report.text_too_long", limit=MAX_SECTION_TEXT)
        view = await self._open(viewer, report_id, lang)
        if section_id not in {s.id for s in view.data.sections}:
            raise InvalidInput("report.unknown_section")
        return await self._change(
            viewer,
            report_id,
            lang,
            "report.edit",
            {"section": section_id},
            lambda report: setattr(report, "overrides", {**report.overrides, section_id: cleaned}),
        )

    async def set_remarks(self, viewer: Viewer, report_id: int, text: str, lang: str) -> ReportView:
        cleaned = text.strip()
        if len(cleaned) > MAX_SECTION_TEXT:
            raise InvalidInput("report.text_too_long", limit=MAX_SECTION_TEXT)
        return await self._change(
            viewer,
            report_id,
            lang,
            "report.remarks",
            {},
            lambda report: setattr(report, "remarks", cleaned or None),
        )

    async def regenerate(self, viewer: Viewer, report_id: int, lang: str) -> ReportView:
        """Back to the paragraphs composed from the answers (polished again with an LLM)."""

        def reset(report: Report) -> None:
            report.overrides = {}
            report.polished = {}

        await self._change(viewer, report_id, lang, "report.regenerate", {}, reset)
        await self._polish(viewer, report_id, lang)
        return await self._open(viewer, report_id, lang)

    async def document(
        self, viewer: Viewer, report_id: int, fmt: Format, lang: str
    ) -> tuple[bytes, str]:
        """The report as a Word or HTML file, built off the event loop.

        The download is in the audit log (once it is built).

        Raises:
            NotFound: no such report, or not one this viewer may see.
            ReportBuildFailed: the template or a file could not be used; the report is unchanged.
        """
        view = await self._open(viewer, report_id, lang)
        built = await self._build(view.data, fmt)
        await self._record(
            viewer, READ_DOWNLOAD, str(report_id), visit=view.data.header.visit_id, format=fmt
        )
        return built

    # ----------------------------------------------------------------- submission and review
    async def submit(self, viewer: Viewer, report_id: int, lang: str) -> Submission:
        """Send the report to the officer's supervisor, and alert them of its risk findings.

        Raises:
            ReportLocked: already submitted or approved, or not the author.
            NoSupervisor: nobody to send it to; it stays a draft.
            ReportBuildFailed: the Word file could not be built; it stays a draft.
        """
        report, visit, author = await self._load(viewer, report_id)
        if report.officer_id != viewer.officer_id or report.status not in EDITABLE:
            raise ReportLocked()
        async with self.database.session() as session:
            supervisor = (
                await session.get(Officer, author.supervisor_id) if author.supervisor_id else None
            )
        if supervisor is None or not supervisor.active or not supervisor.telegram_id:
            raise NoSupervisor()
        supervisor_lang = supervisor.language or "zh"
        upcoming = {"status": ReportStatus.SUBMITTED, "version": report.version + 1}
        basis = await self._basis(report, visit, author)
        supervisor_view = self._render(
            viewer, report, basis, supervisor_lang, as_reviewer=True, **upcoming
        )
        # The file is built before anything changes: if it fails, the draft stays as it was.
        document, file_name = await self._build(supervisor_view.data, "docx")
        own = self._render(viewer, report, basis, lang, **upcoming)
        findings = own.data.findings
        async with self.database.session() as session:
            stored = await session.get(Report, report.id)
            assert stored is not None
            if stored.status not in EDITABLE:
                raise ReportLocked()
            stored.status = ReportStatus.SUBMITTED
            stored.version = report.version + 1
            stored.submitted_at = self.database.now()
            stored.narrative = narrative_text(own.data)
            stored.similarity_to_previous = own.similarity
            stored.findings = [finding_to_json(f) for f in findings]
            stored.suggested_class = own.data.suggestion.tier
            session.add(
                _audit(
                    viewer,
                    "report.submit",
                    stored,
                    {"version": stored.version, "similarity": own.similarity},
                )
            )
        notices = await self.alerts.raise_alerts(visit.id, findings)
        return Submission(
            own,
            Recipient(supervisor.telegram_id, supervisor.language),
            supervisor_view,
            document,
            file_name,
            notices,
        )

    async def review(
        self,
        viewer: Viewer,
        report_id: int,
        version: int,
        *,
        approve: bool,
        comment: str | None,
        lang: str,
    ) -> Review:
        """Approve, or return with a comment. Only the author's supervisor, once per version.

        Raises:
            AccessDenied: not this officer's supervisor.
            AlreadyReviewed: decided before, or a newer version was submitted since.
            InvalidInput: returned without a comment.
        """
        cleaned = (comment or "").strip()[:MAX_COMMENT]
        if not approve and not cleaned:
            raise InvalidInput("report.comment_needed")
        report, visit, author = await self._load(viewer, report_id)
        if author.supervisor_id != viewer.officer_id:
            raise AccessDenied()
        async with self.database.session() as session:
            stored = await session.get(Report, report.id)
            assert stored is not None
            if stored.status is not ReportStatus.SUBMITTED or stored.version != version:
                raise AlreadyReviewed()
            stored.status = ReportStatus.APPROVED if approve else ReportStatus.RETURNED
            stored.reviewer_id = viewer.officer_id
            stored.reviewed_at = self.database.now()
            stored.review_comment = cleaned or None
            session.add(
                _audit(
                    viewer,
                    "report.approve" if approve else "report.return",
                    stored,
                    {"version": version},
                )
            )
            report = stored
        basis = await self._basis(report, visit, author)
        own = self._render(viewer, report, basis, lang, as_reviewer=True)
        officer_lang = author.language or "zh"
        officer_view = self._render(viewer, report, basis, officer_lang)
        officer_view = replace(officer_view, is_author=True, is_reviewer=False)
        return Review(
            own,
            approve,
            Recipient(author.telegram_id, author.language) if author.telegram_id else None,
            officer_view,
        )

    # ----------------------------------------------------------------- the archive
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
                if entry.visit_status == VisitStatus.FINISHED.value:
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

    # ----------------------------------------------------------------- internals
    async def _load(
        self, viewer: Viewer, report_id: int, *, audit: str | None = None
    ) -> tuple[Report, Visit, Officer]:
        """The report, its visit and author, if the viewer may see the client; with ``audit``,
        the read is recorded in the same transaction (a refused read records nothing)."""
        async with self.database.session() as session:
            row = (
                await session.execute(
                    select(Report, Visit, Officer)
                    .join(Visit, Visit.id == Report.visit_id)
                    .join(Officer, Officer.id == Report.officer_id)
                    .join(Client, Client.id == Report.client_id)
                    .where(Report.id == report_id, may_see_client(viewer))
                )
            ).one_or_none()
            if row is None:
                raise NotFound()
            if audit is not None:
                session.add(_audit(viewer, audit, row[0], {}))
        return row[0], row[1], row[2]

    async def _record(self, viewer: Viewer, action: str, target: str, **detail: Any) -> None:
        """One read in the audit log: who, what, which record; ``detail`` holds ids and
        counts only, never names or what was typed."""
        async with self.database.session() as session:
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id or None,
                    action=action,
                    target=target,
                    detail=detail,
                )
            )

    async def _change(
        self,
        viewer: Viewer,
        report_id: int,
        lang: str,
        action: str,
        detail: dict[str, Any],
        change: Any,
    ) -> ReportView:
        async with self.database.session() as session:
            # A report of a client the viewer may not see does not exist for them: "locked"
            # would tell an officer of another team that it does.
            report = await session.scalar(
                select(Report)
                .join(Client, Client.id == Report.client_id)
                .where(Report.id == report_id, may_see_client(viewer))
            )
            if report is None:
                raise NotFound()
            if report.officer_id != viewer.officer_id or report.status not in EDITABLE:
                raise ReportLocked()
            change(report)
            session.add(_audit(viewer, action, report, detail))
        return await self._open(viewer, report_id, lang)

    async def _summary(self, visit: Visit, author: Officer) -> VisitSummary:
        # The report shows the client as on the day of the visit (days since disbursement, …),
        # and reads the visit with its author's rights, whoever is looking.
        return await self.visits.summary(viewer_of(author), visit.id, today=self._visit_day(visit))

    def _visit_day(self, visit: Visit) -> date:
        return local_date(visit.finished_at or visit.started_at, self.tz)

    async def _view(
        self, viewer: Viewer, report: Report, visit: Visit, author: Officer, lang: str
    ) -> ReportView:
        basis = await self._basis(report, visit, author)
        return self._render(viewer, report, basis, lang)

    async def _basis(self, report: Report, visit: Visit, author: Officer) -> _Basis:
        """Everything a report is composed from that does not depend on the language: read
        once, then rendered for each reader (the officer and the supervisor may differ)."""
        summary = await self._summary(visit, author)
        card = summary.view.client
        day = self._visit_day(visit)
        facts = await self.readings.facts(
            summary, day, missing_evidence=[need.id for need in summary.missing_evidence]
        )
        findings = self.engine.evaluate(facts)
        header = ReportHeader(
            visit_id=visit.id,
            client=card,
            officer_name=author.name,
            check_type=visit.check_type,
            started_at=visit.started_at,
            finished_at=visit.finished_at,
            checkin_at=visit.checkin_at,
            checkin_distance_m=visit.checkin_distance_m,
        )
        return _Basis(
            summary,
            header,
            findings,
            self.engine.suggest_class(facts, findings),
            await self._files(visit.id),
            await self._previous_narrative(report),
            author.supervisor_id,
        )

    def _render(
        self,
        viewer: Viewer,
        report: Report,
        basis: _Basis,
        lang: str,
        *,
        as_reviewer: bool = False,
        status: ReportStatus | None = None,
        version: int | None = None,
    ) -> ReportView:
        data = self.composer.compose(
            basis.header,
            basis.summary,
            findings=basis.findings,
            suggestion=basis.suggestion,
            files=basis.files,
            overrides=report.overrides,
            remarks=report.remarks,
            lang=lang,
            status=(status or report.status).value,
            version=max(version or report.version, 1),
            now=self.database.now(),
            review_comment=report.review_comment,
        )
        polished = (report.polished or {}).get(lang, {})
        if polished:
            data = replace(
                data,
                sections=tuple(
                    replace(s, narrative=polished[s.id], narrative_source="llm")
                    if s.narrative_source == "template" and s.id in polished
                    else s
                    for s in data.sections
                ),
            )
        previous = basis.previous_narrative
        score = similarity(narrative_text(data), previous) if previous else None
        is_reviewer = as_reviewer or basis.reviewer_id == viewer.officer_id
        return ReportView(
            report.id,
            data,
            render_chat(data, tz=self.tz),
            is_author=report.officer_id == viewer.officer_id and not as_reviewer,
            is_reviewer=is_reviewer,
            similarity=score,
            copy_warning=score is not None and score >= self.copy_warning_at,
        )

    async def _previous_narrative(self, report: Report) -> str | None:
        """The narrative of this client's last report sent before this one."""
        async with self.database.session() as session:
            return await session.scalar(
                select(Report.narrative)
                .where(
                    Report.client_id == report.client_id,
                    Report.id != report.id,
                    Report.narrative.is_not(None),
                    Report.visit_id < report.visit_id,
                )
                .order_by(Report.visit_id.desc())
                .limit(1)
            )

    async def _files(self, visit_id: int) -> list[ReportFile]:
        checklist = self.visits.checklist
        titles = {
            need.id: need.title for need in (*checklist.documents, *checklist.photo_categories)
        }
        async with self.database.session() as session:
            rows = await session.scalars(
                select(EvidenceFile)
                .where(EvidenceFile.visit_id == visit_id)
                .order_by(EvidenceFile.received_at, EvidenceFile.id)
            )
            return [
                ReportFile(
                    evidence_id=row.id,
                    kind="photo" if _is_image(row) else "document",
                    category=row.category,
                    category_title=titles.get(row.category) if row.category else None,
                    path=self.evidence.path_of(row.sha256),
                    mime_type=row.mime_type,
                    file_name=row.file_name,
                    received_at=row.received_at,
                    exif_taken_at=row.exif_taken_at,
                    duplicate_of_id=row.duplicate_of_id,
                )
                for row in rows
            ]

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

    async def _polish(self, viewer: Viewer, report_id: int, lang: str) -> None:
        if self.polisher is None:
            return
        view = await self._open(viewer, report_id, lang)
        polished: dict[str, str] = {}
        for section in view.data.sections:
            if section.narrative_source != "template":
                continue
            result = await self.polisher.polish(section, lang)
            if result.narrative_source == "llm":
                polished[section.id] = result.narrative
        if not polished:
            return
        async with self.database.session() as session:
            report = await session.get(Report, report_id)
            assert report is not None
            report.polished = {**(report.polished or {}), lang: polished}

    async def _build(self, data: ReportData, fmt: Format) -> tuple[bytes, str]:
        try:
            if fmt == "docx":
                content = await asyncio.to_thread(render_docx, data, self.template_path, tz=self.tz)
            else:
                html = await asyncio.to_thread(render_html, data, tz=self.tz)
                content = html.encode("utf-8")
        except (TemplateError, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            # The officer is told and the report stays as it was; the log names the failure
            # without the report's content.
            log.warning("report %s build failed: %s", fmt, type(exc).__name__)
            raise ReportBuildFailed() from exc
        return content, generated_file_name(data, fmt, self.tz)


def _is_image(row: EvidenceFile) -> bool:
    return row.kind == "photo" or (row.mime_type or "").startswith("image/")


def _audit(viewer: Viewer, action: str, report: Report, detail: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        actor_officer_id=viewer.officer_id or None,
        action=action,
        target=str(report.id),
        detail={"visit": report.visit_id, **detail},
    )


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


def _inert(cell: Any) -> Any:
    """Text Excel would run as a formula (=, +, -, @ first) is kept as text: what an officer
    typed must not become a command on the auditor's machine."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
