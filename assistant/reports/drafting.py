"""Drafting: open a visit's report, edit its sections and remarks, regenerate it and build
its files."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.access import Viewer
from assistant.db.models import (
    MADE_VISITS,
    Client,
    Officer,
    Report,
    ReportStatus,
    Visit,
)
from assistant.errors import InvalidInput, NotFound
from assistant.portfolio import may_see_client
from assistant.reports.core import ReportCore, _audit
from assistant.reports.model import ReportFile
from assistant.reports.views import (
    EDITABLE,
    MAX_SECTION_TEXT,
    READ_DOWNLOAD,
    READ_OPEN,
    Format,
    PendingReport,
    ReportView,
    VisitNotFinished,
)


class Drafting(ReportCore):
    """The officer's side: open, edit and rebuild a draft."""

    async def open_for_visit(self, viewer: Viewer, visit_id: int, lang: str) -> ReportView:
        """The report of a finished visit, drafted now if it has none yet.

        Raises:
            VisitNotFinished: the visit is still open.
            NotFound: no such visit, or not one this viewer may see.
        """

        def draft(session: Session) -> tuple[int, bool]:
            visit = session.scalar(
                select(Visit)
                .join(Client, Client.id == Visit.client_id)
                .where(Visit.id == visit_id, may_see_client(viewer))
            )
            if visit is None:
                raise NotFound()
            if visit.status not in MADE_VISITS:
                raise VisitNotFinished()
            report = session.scalar(select(Report).where(Report.visit_id == visit_id))
            if report is not None:
                return report.id, False
            if visit.officer_id != viewer.officer_id:
                # Only the officer who made the visit drafts its report.
                raise NotFound()
            report = Report(
                visit_id=visit.id, client_id=visit.client_id, officer_id=visit.officer_id
            )
            session.add(report)
            session.flush()
            session.add(_audit(viewer, "report.draft", report, {}))
            return report.id, True

        report_id, created = await self.database.run_orm(draft)
        if created:
            await self._polish(viewer, report_id, lang)
        return await self.open(viewer, report_id, lang)

    async def open(self, viewer: Viewer, report_id: int, lang: str) -> ReportView:
        """The report as this viewer may see it; the opening is in the audit log.

        Raises:
            NotFound: no such report, or not one this viewer may see.
        """
        return await self._open(viewer, report_id, lang, audit=READ_OPEN)

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
                    Visit.status.in_(MADE_VISITS),
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

    async def photo(self, viewer: Viewer, report_id: int, evidence_id: int) -> ReportFile:
        """One photo of the report, for a page that shows it: checked as the report is, without
        composing the report again for each photo (its opening is in the audit log already).

        Raises:
            NotFound: no such report or photo, or a report the viewer may not see.
        """
        _report, visit, _author = await self._load(viewer, report_id)
        found = next(
            (f for f in await self._files(visit.id) if f.evidence_id == evidence_id),
            None,
        )
        if found is None or found.kind != "photo":
            raise NotFound()
        return found

    async def edit_section(
        self, viewer: Viewer, report_id: int, section_id: str, text: str, lang: str
    ) -> ReportView:
        """Replace one section's paragraph with the officer's own text.

        Raises:
            ReportLocked: submitted or approved, or not the author.
            InvalidInput: unknown section, or a text too long or empty.
        """
        cleaned = _written(text, required=True)
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
        cleaned = _written(text, required=False)
        return await self._change(
            viewer,
            report_id,
            lang,
            "report.remarks",
            {},
            lambda report: setattr(report, "remarks", cleaned or None),
        )

    async def set_assessment(
        self, viewer: Viewer, report_id: int, text: str, lang: str
    ) -> ReportView:
        """The officer's own overall judgement (综合评价), in their words.

        Raises:
            ReportLocked: submitted or approved, or not the author.
            InvalidInput: empty or too long.
        """
        await self.save_assessment(viewer, report_id, text)
        return await self._open(viewer, report_id, lang)

    async def save_assessment(self, viewer: Viewer, report_id: int, text: str) -> None:
        """:meth:`set_assessment` without showing the report again: for an assessment the
        report is submitted with next, which shows it anyway.

        Raises:
            ReportLocked, InvalidInput: as :meth:`set_assessment`.
        """
        cleaned = _written(text, required=True)
        await self._write(
            viewer,
            report_id,
            "report.assessment",
            {},
            lambda report: setattr(report, "assessment", cleaned),
        )

    async def teammates(self, viewer: Viewer) -> list[tuple[int, str]]:
        """Who may have made a visit with this officer: the active officers of their team."""
        async with self.database.session() as session:
            supervisor_id = await session.scalar(
                select(Officer.supervisor_id).where(Officer.id == viewer.officer_id)
            )
            if supervisor_id is None:
                return []
            rows = await session.execute(
                select(Officer.id, Officer.name)
                .where(
                    Officer.supervisor_id == supervisor_id,
                    Officer.id != viewer.officer_id,
                    Officer.active.is_(True),
                )
                .order_by(Officer.name, Officer.id)
            )
            return [(officer_id, name) for officer_id, name in rows]

    async def set_companion(
        self, viewer: Viewer, report_id: int, officer_id: int | None, lang: str
    ) -> ReportView:
        """The teammate who made the visit with the author (双人检查); ``None``: nobody.

        Raises:
            ReportLocked: submitted or approved, or not the author.
            InvalidInput: not one of the author's team.
        """
        if officer_id is not None and officer_id not in dict(await self.teammates(viewer)):
            raise InvalidInput("report.not_a_teammate")
        return await self._change(
            viewer,
            report_id,
            lang,
            "report.companion",
            {"companion": officer_id},
            lambda report: setattr(report, "companion_id", officer_id),
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


def _written(text: str, *, required: bool) -> str:
    """What the officer wrote for the report, trimmed.

    Raises:
        InvalidInput: empty where something is required, or too long.
    """
    cleaned = text.strip()
    if required and not cleaned:
        raise InvalidInput("report.empty_text")
    if len(cleaned) > MAX_SECTION_TEXT:
        raise InvalidInput("report.text_too_long", limit=MAX_SECTION_TEXT)
    return cleaned
