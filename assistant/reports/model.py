"""The report as data: what the chat preview, the Word file and the HTML file are rendered from.

Every figure in it is taken from the stored answers; only ``ReportSection.narrative`` is prose,
and that prose is either the templated text, the officer's own edit, or an LLM polish of the
templated text that was checked against the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from assistant.data.vocabulary import Bilingual
from assistant.portfolio import ClientCard
from assistant.risk.model import ClassSuggestion, Finding


@dataclass(frozen=True)
class ReportFact:
    label: Bilingual
    value: str  # shown value in the report's language, e.g. "35人", "是", "25万元"
    source: str  # the checklist item id or pre-visit check id it was read from
    raw_text: str | None = None  # what the officer typed, when it was typed
    approximate: bool = False
    raw: Any = None  # the stored value (yuan, option id, bool), for figures computed from it


@dataclass(frozen=True)
class ReportSection:
    id: str
    title: Bilingual
    facts: tuple[ReportFact, ...]
    narrative: str
    narrative_source: str = "template"  # "template" | "edited" | "llm"


@dataclass(frozen=True)
class ReportFile:
    """A photo or document from the visit, as the report shows it."""

    evidence_id: int
    kind: str  # "photo" | "document"
    category: str | None
    category_title: Bilingual | None
    path: Path
    mime_type: str | None
    file_name: str | None
    received_at: datetime
    exif_taken_at: str | None = None
    duplicate_of_id: int | None = None


@dataclass(frozen=True)
class PreviousCheck:
    """The client's last finished visit before this one: when, which check, what it found."""

    day: date
    check_type: str
    # (rule id, title) of each finding its report recorded; None when it had no report.
    findings: tuple[tuple[str, Bilingual], ...] | None


@dataclass(frozen=True)
class NextCheck:
    """When the client is next due a check, by the planning rules, and why."""

    day: date
    reason: Bilingual


@dataclass(frozen=True)
class Signature:
    name: str
    at: datetime | None


@dataclass(frozen=True)
class ReportHeader:
    visit_id: int
    client: ClientCard
    officer_name: str
    check_type: str  # purpose | periodic | focused
    started_at: datetime
    finished_at: datetime | None
    checkin_at: datetime | None
    checkin_distance_m: float | None
    branch: str | None = None
    previous: PreviousCheck | None = None
    next_check: NextCheck | None = None
    # Who signed as inspector (at submission) and as reviewer (at approval).
    submitted_at: datetime | None = None
    reviewer: Signature | None = None
    # The teammate on the visit (双人检查), who signs as an inspector too.
    companion: str | None = None


@dataclass(frozen=True)
class ReportData:
    lang: str  # "zh" | "en"
    header: ReportHeader
    sections: tuple[ReportSection, ...]
    findings: tuple[Finding, ...]
    suggestion: ClassSuggestion
    missing_evidence: tuple[Bilingual, ...]
    skipped: tuple[Bilingual, ...]
    files: tuple[ReportFile, ...]
    remarks: str | None
    status: str  # draft | submitted | returned | approved
    version: int
    generated_at: datetime
    review_comment: str | None = None
    # The officer's own overall judgement (综合评价), required before submission.
    assessment: str | None = None
    # Who received the officer, as the report names them ("张国富（借款人本人）").
    received: str | None = None

    @property
    def photos(self) -> tuple[ReportFile, ...]:
        return tuple(f for f in self.files if f.kind == "photo")
