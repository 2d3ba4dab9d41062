"""From a visit as stored to what the risk rules read, and findings to and from JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from assistant.data.checklist import RecordedAnswer
from assistant.data.vocabulary import Bilingual
from assistant.db.models import AnswerStatus
from assistant.portfolio import ClientCard
from assistant.risk.model import EvidenceRef, Finding, RiskFacts, Severity


def facts_for(
    card: ClientCard,
    check_type: str,
    answers: Mapping[str, RecordedAnswer],
    findings: Mapping[str, str],
    *,
    visit_date: date,
    missing_evidence: Iterable[str] = (),
) -> RiskFacts:
    """The rules' view of one visit: answered items only, with their typed values."""
    return RiskFacts(
        kind=card.kind.value,
        products=frozenset(loan.product for loan in card.loans),
        check_type=check_type,
        answers={
            item_id: answer.value
            for item_id, answer in answers.items()
            if answer.status is AnswerStatus.ANSWERED
        },
        findings=dict(findings),
        loans=tuple(card.loans),
        missing_evidence=tuple(missing_evidence),
        visit_date=visit_date,
    )


def _bilingual(value: Mapping[str, str]) -> Bilingual:
    return Bilingual(zh=value["zh"], en=value["en"])


def _plain(value: Bilingual) -> dict[str, str]:
    return {"zh": value.zh, "en": value.en}


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity.value,
        "title": _plain(finding.title),
        "detail": _plain(finding.detail),
        "evidence": [
            {"kind": e.kind, "ref": e.ref, "label": _plain(e.label), "value": _plain(e.value)}
            for e in finding.evidence
        ],
        "measures": [_plain(m) for m in finding.measures],
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    return Finding(
        rule_id=data["rule_id"],
        severity=Severity(data["severity"]),
        title=_bilingual(data["title"]),
        detail=_bilingual(data["detail"]),
        evidence=tuple(
            EvidenceRef(e["kind"], e["ref"], _bilingual(e["label"]), _bilingual(e["value"]))
            for e in data["evidence"]
        ),
        measures=tuple(_bilingual(m) for m in data["measures"]),
    )
