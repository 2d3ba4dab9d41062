"""What the report service hands back, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from assistant.alerts import AlertNotice, Recipient
from assistant.db.models import (
    ReportStatus,
)
from assistant.errors import AssistantError
from assistant.portfolio import ClientCard
from assistant.reports.model import ReportData, ReportFile, ReportHeader
from assistant.risk.model import ClassSuggestion, Finding
from assistant.visits.model import VisitSummary

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


class AssessmentMissing(AssistantError):
    key = "report.assessment_needed"


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
    # The officer's texts (section ids, remarks, assessment) that differ from the previous
    # submitted version; None for a first version, or when that version's texts were not kept.
    changed: frozenset[str] | None = None

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
    # The same report as one HTML page, which a phone opens inside Telegram.
    html: bytes = b""
    html_name: str = ""


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
