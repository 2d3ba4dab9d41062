"""Submission and review: the supervisor approves a version, or returns it with a comment."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.access import Viewer
from assistant.alerts import Recipient
from assistant.db.models import (
    Officer,
    Report,
    ReportStatus,
    Visit,
    VisitStatus,
)
from assistant.errors import AccessDenied, InvalidInput, NotFound
from assistant.reports.compose import narrative_text, submitted_texts
from assistant.reports.core import ReportCore, _audit
from assistant.reports.views import (
    EDITABLE,
    MAX_COMMENT,
    AlreadyReviewed,
    AssessmentMissing,
    NoSupervisor,
    ReportLocked,
    Review,
    Submission,
)
from assistant.risk.facts import finding_to_json
from assistant.visits.model import FINISH


class Reviewing(ReportCore):
    """Submit to the supervisor; approve or return, once per version."""

    async def submit(self, viewer: Viewer, report_id: int, lang: str) -> Submission:
        """Send the report to the officer's supervisor, and alert them of its risk findings.

        Raises:
            ReportLocked: already submitted or approved, or not the author.
            NoSupervisor: nobody to send it to; it stays a draft.
            ReportBuildFailed: the Word file could not be built; it stays a draft.
            AssessmentMissing: the officer has not written the overall assessment yet.
        """
        report, visit, author = await self._load(viewer, report_id)
        if report.officer_id != viewer.officer_id or report.status not in EDITABLE:
            raise ReportLocked()
        async with self.database.reading() as reading:
            supervisor = (
                await reading.get(Officer, author.supervisor_id) if author.supervisor_id else None
            )
        if supervisor is None or not supervisor.active or not supervisor.telegram_id:
            raise NoSupervisor()
        if not (report.assessment or "").strip():
            # The supervisor signs off the officer's own judgement, not only the system's.
            raise AssessmentMissing()
        supervisor_lang = supervisor.language or "zh"
        upcoming = {"status": ReportStatus.SUBMITTED, "version": report.version + 1}
        basis = await self._basis(report, visit, author)
        # The copies sent now carry the inspector's signature date: the day it is sent.
        basis = replace(basis, header=replace(basis.header, submitted_at=self.database.now()))
        supervisor_view = self._render(
            viewer, report, basis, supervisor_lang, as_reviewer=True, **upcoming
        )
        # The file is built before anything changes: if it fails, the draft stays as it was.
        document, file_name = await self._build(supervisor_view.data, "docx")
        html, html_name = await self._build(supervisor_view.data, "html")
        own = self._render(viewer, report, basis, lang, like=supervisor_view, **upcoming)
        findings = own.data.findings

        def send(session: Session) -> None:
            # Locked: two replicas deciding at once see each other's decision.
            stored = session.get(Report, report.id, with_for_update=True)
            assert stored is not None
            if stored.status not in EDITABLE:
                raise ReportLocked()
            stored.status = ReportStatus.SUBMITTED
            stored.version = report.version + 1
            stored.submitted_at = self.database.now()
            stored.narrative = narrative_text(own.data)
            stored.submitted_texts = {
                **(stored.submitted_texts or {}),
                str(stored.version): submitted_texts(own.data),
            }
            stored.similarity_to_previous = own.similarity
            stored.findings = [finding_to_json(f) for f in findings]
            stored.suggested_class = own.data.suggestion.tier
            reopened = session.get(Visit, visit.id)
            if reopened is not None and reopened.status is VisitStatus.REOPENED:
                # The additions go with this version: the visit is finished again, as it was
                # (its day unchanged), whether sent from the visit or from the report.
                reopened.status = VisitStatus.FINISHED
                reopened.current = FINISH
            session.add(
                _audit(
                    viewer,
                    "report.submit",
                    stored,
                    {"version": stored.version, "similarity": own.similarity},
                )
            )

        await self.database.run_orm(send)
        notices = await self.alerts.raise_alerts(visit.id, findings)
        return Submission(
            own,
            Recipient(supervisor.telegram_id, supervisor.language),
            supervisor_view,
            document,
            file_name,
            notices,
            html,
            html_name,
        )

    async def resubmit_visit(self, viewer: Viewer, visit_id: int, lang: str) -> Submission:
        """Finish a visit reopened for additions: its report goes to the supervisor again, as
        a new version of the same report.

        Raises:
            NotFound: not the viewer's visit, or a visit with no report.
            ReportLocked: the report is no longer returned.
            NoSupervisor, ReportBuildFailed: as :meth:`submit`; the visit stays reopened.
        """
        async with self.database.session() as session:
            report_id = await session.scalar(
                select(Report.id).where(
                    Report.visit_id == visit_id, Report.officer_id == viewer.officer_id
                )
            )
        if report_id is None:
            raise NotFound("visit.not_found")
        return await self.submit(viewer, report_id, lang)

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

        def decide(session: Session) -> Report:
            # Locked: two replicas deciding at once see each other's decision.
            stored = session.get(Report, report.id, with_for_update=True)
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
            return stored

        report = await self.database.run_orm(decide)
        basis = await self._basis(report, visit, author)
        own = self._render(viewer, report, basis, lang, as_reviewer=True)
        officer_lang = author.language or "zh"
        officer_view = self._render(viewer, report, basis, officer_lang, like=own)
        officer_view = replace(officer_view, is_author=True, is_reviewer=False)
        return Review(
            own,
            approve,
            Recipient(author.telegram_id, author.language) if author.telegram_id else None,
            officer_view,
        )
