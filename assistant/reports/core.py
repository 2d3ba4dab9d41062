"""What drafting, review and the archive share: loading a report with the viewer's rights,
composing it from the stored answers, rendering it and building its files."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from assistant.access import Viewer, viewer_of
from assistant.alerts import AlertService
from assistant.clock import local_date
from assistant.db.database import Database
from assistant.db.models import (
    MADE_VISITS,
    AuditEntry,
    Client,
    EvidenceFile,
    Officer,
    Report,
    ReportStatus,
    Visit,
)
from assistant.errors import NotFound
from assistant.planning.plan import PlanService
from assistant.portfolio import may_see_client
from assistant.readings import ReadingService
from assistant.reports.compose import (
    ReportComposer,
    narrative_text,
    similarity,
    submitted_texts,
)
from assistant.reports.files import ReportFiles
from assistant.reports.model import (
    NextCheck,
    PreviousCheck,
    ReportData,
    ReportFile,
    ReportHeader,
    Signature,
)
from assistant.reports.polish import NarrativePolisher
from assistant.reports.render import render_chat
from assistant.reports.views import (
    EDITABLE,
    Format,
    ReportLocked,
    ReportView,
    _Basis,
)
from assistant.risk.facts import finding_from_json
from assistant.risk.model import Severity
from assistant.risk.rules import RiskEngine
from assistant.visits.evidence import EvidenceService
from assistant.visits.model import VisitSummary
from assistant.visits.service import VisitService


class ReportCore:
    """The report's collaborators, and composing a report from what the visit stored."""

    def __init__(
        self,
        database: Database,
        visits: VisitService,
        evidence: EvidenceService,
        engine: Callable[[], RiskEngine],
        composer: Callable[[], ReportComposer],
        alerts: AlertService,
        *,
        files: ReportFiles,
        tz: tzinfo,
        polisher: NarrativePolisher | None = None,
        copy_warning_at: float = 0.9,
        readings: ReadingService,
        plans: PlanService,
    ) -> None:
        self.database = database
        self.visits = visits
        self.evidence = evidence
        # Both read files (rules, sections, checklist): built on first use, not at construction.
        self._engine = engine
        self._composer = composer
        self.alerts = alerts
        self.files = files
        self.tz = tz
        self.polisher = polisher
        self.copy_warning_at = copy_warning_at
        self.readings = readings
        self.plans = plans

    @property
    def engine(self) -> RiskEngine:
        return self._engine()

    @property
    def composer(self) -> ReportComposer:
        return self._composer()

    async def _open(
        self, viewer: Viewer, report_id: int, lang: str, *, audit: str | None = None
    ) -> ReportView:
        """:meth:`open` for the service's own use (after an edit, before a download): the
        action that asked for it is what the audit log records."""
        report, visit, author = await self._load(viewer, report_id, audit=audit)
        return await self._view(viewer, report, visit, author, lang)

    async def _load(
        self, viewer: Viewer, report_id: int, *, audit: str | None = None
    ) -> tuple[Report, Visit, Officer]:
        """The report, its visit and author, if the viewer may see the client; with ``audit``,
        the read is recorded in the same transaction (a refused read records nothing)."""
        query = (
            select(Report, Visit, Officer)
            .join(Visit, Visit.id == Report.visit_id)
            .join(Officer, Officer.id == Report.officer_id)
            .join(Client, Client.id == Report.client_id)
            .where(Report.id == report_id, may_see_client(viewer))
        )
        if audit is None:
            async with self.database.reading() as reading:
                row = (await reading.execute(query)).one_or_none()
        else:

            def audited(session: Session) -> Any:
                found = session.execute(query).one_or_none()
                if found is not None:
                    session.add(_audit(viewer, audit, found[0], {}))
                return found

            row = await self.database.run_orm(audited)
        if row is None:
            raise NotFound()
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
        await self._write(viewer, report_id, action, detail, change)
        return await self._open(viewer, report_id, lang)

    async def _write(
        self, viewer: Viewer, report_id: int, action: str, detail: dict[str, Any], change: Any
    ) -> None:
        """``change(report)`` on the author's editable report, with its audit entry."""

        def write(session: Session) -> None:
            # A report of a client the viewer may not see does not exist for them: "locked"
            # would tell an officer of another team that it does.
            report = session.scalar(
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

        await self.database.run_orm(write)

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
        closer = any(f.severity in (Severity.WARNING, Severity.CRITICAL) for f in findings)
        upcoming = self.plans.next_check(card, day, closer=closer)
        stored = await self.database.read(functools.partial(self._stored, report, visit))
        header = ReportHeader(
            visit_id=visit.id,
            client=card,
            officer_name=author.name,
            check_type=visit.check_type,
            started_at=visit.started_at,
            finished_at=visit.finished_at,
            checkin_at=visit.checkin_at,
            checkin_distance_m=visit.checkin_distance_m,
            previous=stored.previous,
            next_check=NextCheck(*upcoming) if upcoming else None,
            submitted_at=report.submitted_at,
            reviewer=stored.reviewer,
            companion=stored.companion,
        )
        return _Basis(
            summary,
            header,
            findings,
            self.engine.suggest_class(facts, findings),
            stored.files,
            stored.previous_narrative,
            author.supervisor_id,
        )

    def _stored(self, report: Report, visit: Visit, conn: Connection) -> _Stored:
        """What a report shows from other rows, read in one unit (one snapshot, one thread hop;
        a session each was most of a report's reading)."""
        with Session(bind=conn) as session:
            reviewer = None
            if report.status is ReportStatus.APPROVED:
                name = _officer_name(session, report.reviewer_id)
                reviewer = Signature(name, report.reviewed_at) if name is not None else None
            return _Stored(
                previous=self._previous_check(session, visit),
                reviewer=reviewer,
                companion=_officer_name(session, report.companion_id),
                files=self._files_in(session, visit.id),
                previous_narrative=_previous_narrative(session, report),
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
        like: ReportView | None = None,
    ) -> ReportView:
        """The report as ``viewer`` sees it in ``lang``.

        ``like`` is a view of the same report, in the same state, for another reader: in the
        same language it is reused with this viewer's roles, not composed again (composing is
        most of a report's work, and a submission or a review shows it to two people).
        """
        is_author = report.officer_id == viewer.officer_id and not as_reviewer
        is_reviewer = as_reviewer or basis.reviewer_id == viewer.officer_id
        if like is not None and like.data.lang == lang:
            return replace(like, is_author=is_author, is_reviewer=is_reviewer)
        data = self.composer.compose(
            basis.header,
            basis.summary,
            findings=basis.findings,
            suggestion=basis.suggestion,
            files=basis.files,
            overrides=report.overrides,
            remarks=report.remarks,
            assessment=report.assessment,
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
        before = (report.submitted_texts or {}).get(str(data.version - 1))
        changed = (
            frozenset(k for k, t in submitted_texts(data).items() if before.get(k, "") != t)
            if before is not None
            else None
        )
        return ReportView(
            report.id,
            data,
            render_chat(data, tz=self.tz),
            is_author=is_author,
            is_reviewer=is_reviewer,
            similarity=score,
            copy_warning=score is not None and score >= self.copy_warning_at,
            changed=changed,
        )

    def _previous_check(self, session: Session, visit: Visit) -> PreviousCheck | None:
        """The client's last visit finished before this one began, with its report's findings
        as submitted (the report a supervisor saw, not a later draft)."""
        row = session.execute(
            select(Visit, Report.findings, Report.submitted_at)
            .outerjoin(Report, Report.visit_id == Visit.id)
            .where(
                Visit.client_id == visit.client_id,
                Visit.id != visit.id,
                Visit.status.in_(MADE_VISITS),
                Visit.finished_at.is_not(None),
                Visit.finished_at < visit.started_at,
            )
            .order_by(Visit.finished_at.desc(), Visit.id.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            return None
        earlier, stored, submitted_at = row
        assert earlier.finished_at is not None
        findings = None
        if submitted_at is not None:
            findings = tuple((f.rule_id, f.title) for f in map(finding_from_json, stored or []))
        return PreviousCheck(local_date(earlier.finished_at, self.tz), earlier.check_type, findings)

    async def _files(self, visit_id: int) -> list[ReportFile]:
        def read(conn: Connection) -> list[ReportFile]:
            with Session(bind=conn) as session:
                return self._files_in(session, visit_id)

        return await self.database.read(read)

    def _files_in(self, session: Session, visit_id: int) -> list[ReportFile]:
        checklist = self.visits.checklist
        titles = {
            need.id: need.title for need in (*checklist.documents, *checklist.photo_categories)
        }
        rows = session.scalars(
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
        """Raises ReportBuildFailed; the report stays as it was."""
        return await self.files.build(data, fmt)


@dataclass(frozen=True)
class _Stored:
    previous: PreviousCheck | None
    reviewer: Signature | None
    companion: str | None
    files: list[ReportFile]
    previous_narrative: str | None


def _officer_name(session: Session, officer_id: int | None) -> str | None:
    if officer_id is None:
        return None
    return session.scalar(select(Officer.name).where(Officer.id == officer_id))


def _previous_narrative(session: Session, report: Report) -> str | None:
    """The narrative of this client's last report sent before this one."""
    return session.scalar(
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


def _is_image(row: EvidenceFile) -> bool:
    return row.kind == "photo" or (row.mime_type or "").startswith("image/")


def _audit(viewer: Viewer, action: str, report: Report, detail: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        actor_officer_id=viewer.officer_id or None,
        action=action,
        target=str(report.id),
        detail={"visit": report.visit_id, **detail},
    )


def _inert(cell: Any) -> Any:
    """Text Excel would run as a formula (=, +, -, @ first) is kept as text: what an officer
    typed must not become a command on the auditor's machine."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
