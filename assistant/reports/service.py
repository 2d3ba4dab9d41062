"""The loop from a finished visit to an approved, archived report.

A report row keeps only what people wrote and decided: the officer's section texts and remarks,
an LLM's polish if one is configured, the status and the supervisor's comment. The figures are
composed from the visit's stored answers every time, so nothing typed into a narrative can change
a number, and a renewal months later sees the report exactly as it was approved.
"""

from __future__ import annotations

from assistant.reports.archive import Archive
from assistant.reports.drafting import Drafting
from assistant.reports.review import Reviewing
from assistant.reports.views import (
    AlreadyReviewed,
    AssessmentMissing,
    ClientHistory,
    HistoryEntry,
    NoSupervisor,
    PendingReport,
    ReportBuildFailed,
    ReportLocked,
    ReportView,
    Review,
    Submission,
    VisitNotFinished,
)

__all__ = [
    "AlreadyReviewed",
    "AssessmentMissing",
    "ClientHistory",
    "HistoryEntry",
    "NoSupervisor",
    "PendingReport",
    "ReportBuildFailed",
    "ReportLocked",
    "ReportService",
    "ReportView",
    "Review",
    "Submission",
    "VisitNotFinished",
]


class ReportService(Drafting, Reviewing, Archive):
    """Drafts, edits, submits, reviews and archives reports; every method checks who asks.

    Each responsibility has its module (:mod:`~assistant.reports.drafting`,
    :mod:`~assistant.reports.review`, :mod:`~assistant.reports.archive`); what they share is
    :class:`~assistant.reports.core.ReportCore`.
    """
