"""What a visit records, as the layers above the visit read it (the risk rules, the report)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.db.models import AnswerStatus


@dataclass(frozen=True)
class RecordedAnswer:
    """One stored answer: its typed value (see :class:`~assistant.risk.model.RiskFacts`), what
    the officer typed, and whether they gave it as an estimate."""

    item_id: str
    status: AnswerStatus
    value: Any
    raw_text: str | None
    approximate: bool
