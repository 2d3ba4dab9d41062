"""What the risk rules read and what they produce.

The rules never see the database: the report and the alerts hand them a :class:`RiskFacts` built
from one visit, and get back :class:`Finding` objects that carry their own evidence.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.data.vocabulary import Bilingual
from assistant.evidence.crosscheck import DocumentCheck
from assistant.portfolio import LoanView


class Severity(enum.StrEnum):
    INFO = "info"
    ATTENTION = "attention"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @property
    def alerts(self) -> bool:
        """Warning and critical findings go to the supervisor as alerts."""
        return self.rank >= Severity.WARNING.rank


@dataclass(frozen=True)
class EvidenceRef:
    """Where a finding comes from: an answer, a pre-visit look-up, a loan or a missing file."""

    kind: str  # "answer" | "precheck" | "loan" | "evidence" | "file"
    # item id, pre-visit check id, contract number, evidence-need id, or the id of the read file
    ref: str
    label: Bilingual
    value: Bilingual


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    title: Bilingual
    detail: Bilingual
    evidence: tuple[EvidenceRef, ...]
    measures: tuple[Bilingual, ...]


@dataclass(frozen=True)
class ClassSuggestion:
    """A suggested five-tier class: advice for the officer, never a decision."""

    tier: str  # normal | special_mention | substandard | doubtful | loss
    label: Bilingual
    reason: Bilingual
    max_days_overdue: int
    # The floors (of the rules file) that set the tier, and the bank's signals left to the
    # officer's judgement, by rule id.
    floors: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class RiskFacts:
    """One visit as the rules see it.

    ``answers`` holds typed values keyed by full item id, exactly as stored: ``bool`` for yes/no,
    the option id for a choice, ``float`` for numbers (money in yuan, percentages as 0–100), an ISO
    date string for dates, ``str`` for text. Skipped and unanswered items are absent.
    """

    kind: str
    products: frozenset[str]
    check_type: str
    answers: Mapping[str, Any]
    findings: Mapping[str, str]
    loans: tuple[LoanView, ...]
    missing_evidence: tuple[str, ...] = ()
    # The day of the visit in the bank's time zone; the rules that count days count from it.
    visit_date: date = field(kw_only=True)
    # What the visit's read documents say against the record, by check id (evidence.crosscheck).
    documents: Mapping[str, DocumentCheck] = field(default_factory=dict)
