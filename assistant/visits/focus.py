"""What this visit to this client should look at: a short list, most urgent first.

One source for the pre-visit brief (/prep) and for the answer to "这个借款人我这次该查什么？", so
the two never disagree. Every check is drawn from what the bank's records say about the client
(the loans' age, maturity, overdue days, payment method, guarantors and collateral), from the
check the plan has due, from the last visit's findings and the alerts still open, and from the
look-ups to make before going. Each one cites the knowledge-base entry that explains it, which the
answer shows as a footnote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.data.checklist_types import PreCheck
from assistant.portfolio import ClientCard, LoanView
from assistant.risk.model import Finding, Severity

LIMIT = 8


@dataclass(frozen=True)
class Check:
    """One thing to look at. ``key`` names its wording under ``focus.`` in the messages."""

    key: str
    entry: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FocusFacts:
    """What the records say beyond the client's card."""

    due: Sequence[str]  # the check types due: purpose, periodic, focused
    first_check_days: int
    renewal_window_days: int
    last_visit_on: str | None = None
    # The last visit's look-ups that found something (their titles), and its alerts.
    last_adverse: Sequence[str] = ()
    last_alerts: Sequence[Finding] = ()
    open_alerts: Sequence[Finding] = ()
    prechecks: Sequence[PreCheck] = ()


def _loan(loan: LoanView) -> dict[str, Any]:
    return {
        "contract": loan.contract_no,
        "purpose": loan.agreed_purpose,
        "days": loan.days_since_disbursement,
        "to_maturity": loan.days_to_maturity,
        "overdue": loan.days_overdue,
        "product": loan.product,
    }


def visit_checks(card: ClientCard, facts: FocusFacts, limit: int = LIMIT) -> list[Check]:
    """The checks for this visit, most urgent first, at most ``limit``.

    Urgency: money already late, then what is still open from before (alerts, the last visit's
    problems), then what the due check type asks, the maturity, the security and the look-ups.
    """
    kind = card.kind.value
    checks: list[Check] = []
    for loan in card.loans:
        if loan.days_overdue > 0:
            checks.append(Check("overdue", "classification.five_tier", _loan(loan)))
    seen_rules: set[str] = set()
    for finding in facts.open_alerts:
        if finding.rule_id in seen_rules:
            continue
        seen_rules.add(finding.rule_id)
        checks.append(
            Check(
                "open_alert",
                "flow.alert",
                {"title": finding.title, "critical": finding.severity is Severity.CRITICAL},
            )
        )
    for finding in facts.last_alerts:
        if finding.rule_id not in seen_rules:
            seen_rules.add(finding.rule_id)
            checks.append(
                Check(
                    "last_finding",
                    "flow.report",
                    {"title": finding.title, "on": facts.last_visit_on},
                )
            )
    if facts.last_adverse:
        checks.append(
            Check(
                "last_lookup",
                "flow.prepare",
                {"titles": list(facts.last_adverse), "on": facts.last_visit_on},
            )
        )
    new_loans = [
        loan for loan in card.loans if 0 <= loan.days_since_disbursement <= facts.first_check_days
    ]
    for loan in new_loans:
        checks.append(Check("purpose", f"check.{kind}.purpose", _loan(loan)))
    if "purpose" in facts.due and not new_loans and card.loans:
        checks.append(Check("purpose", f"check.{kind}.purpose", _loan(card.loans[0])))
    if "focused" in facts.due:
        checks.append(Check("focused", "practice.frequency"))
    old_loans = [
        loan for loan in card.loans if loan.days_since_disbursement > facts.first_check_days
    ]
    if old_loans or "periodic" in facts.due:
        checks.append(Check(f"periodic_{kind}", f"check.{kind}.periodic"))
        checks.append(Check("repayment_source", "flow.interview.repayment"))
    for loan in card.loans:
        if loan.payment_method == "self" and loan.days_since_disbursement >= 0:
            checks.append(Check("self_payment", "reg.payment_method", _loan(loan)))
            break
    for loan in card.loans:
        if 0 <= loan.days_to_maturity <= facts.renewal_window_days:
            checks.append(Check("renewal", "flow.interview.repayment", _loan(loan)))
    guarantors = [g.name for loan in card.loans for g in loan.guarantors]
    if guarantors:
        checks.append(Check("guarantors", "signals.guarantor", {"names": sorted(set(guarantors))}))
    collateral = [c.type for loan in card.loans for c in loan.collateral]
    if collateral:
        checks.append(
            Check("collateral", "flow.interview.collateral", {"types": sorted(set(collateral))})
        )
    if facts.prechecks:
        checks.append(
            Check(
                "lookups",
                "flow.prepare",
                {"count": len(facts.prechecks), "titles": [p.title for p in facts.prechecks]},
            )
        )
    return _unique(checks)[:limit]


def _unique(checks: list[Check]) -> list[Check]:
    """The same wording once: two new loans are two checks, one repayment question is one."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for check in checks:
        marker = (check.key, str(check.params.get("contract", "")))
        if marker not in seen:
            seen.add(marker)
            kept.append(check)
    return kept


def footnotes(checks: Sequence[Check]) -> tuple[list[tuple[Check, int]], list[str]]:
    """Each check with its footnote number, and the cited entry ids in footnote order."""
    cited: list[str] = []
    numbered = []
    for check in checks:
        if check.entry not in cited:
            cited.append(check.entry)
        numbered.append((check, cited.index(check.entry) + 1))
    return numbered, cited
