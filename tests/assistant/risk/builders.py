"""Builders for a visit's facts and the loans on file, for the risk tests.

``CLEAN_ANSWERS`` is a visit where nothing is wrong (every question the shipped rules read has a
reassuring answer, corporate and individual alike), so a test changes one thing and sees one rule
fire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.data.vocabulary import Bilingual
from assistant.evidence.crosscheck import DocumentCheck
from assistant.portfolio import CollateralView, LoanView
from assistant.risk.model import RiskFacts

REPO = Path(__file__).resolve().parents[3]
CHECKLIST = REPO / "knowledge" / "checklist.yaml"
RULES = REPO / "knowledge" / "risk_rules.yaml"
# Day 183 of a leap year: turnover so far is annualised by 366/183 = 2.
VISIT_DATE = date(2024, 7, 1)

CLEAN_ANSWERS: Mapping[str, Any] = {
    "flow.interview.business.interviewee": "actual_controller",
    "flow.interview.business.main_business_changed": False,
    "flow.interview.business.address_changed": False,
    "flow.interview.business.site_matches_record": True,
    "flow.interview.staff.headcount_total": 20.0,
    "flow.interview.staff.headcount_present": 15.0,
    "flow.interview.liquidity.emergency_funds": 500_000.0,
    "flow.interview.liquidity.receivables": 2_000_000.0,
    "flow.interview.liquidity.receivables_share": 20.0,
    "flow.interview.liquidity.expected_recovery": 90.0,
    "flow.interview.supply_chain.top_customer_share": 30.0,
    "flow.interview.supply_chain.counterparties_changed": False,
    "flow.interview.revenue.last_year": 10_000_000.0,
    "flow.interview.revenue.year_to_date": 5_200_000.0,
    "flow.interview.revenue.gross_margin": 20.0,
    "flow.interview.loan_use.used_as_agreed": "as_agreed",
    "flow.interview.debt.other_debts": False,
    "flow.interview.debt.investments": False,
    "flow.interview.debt.guarantees": False,
    "flow.interview.debt.debt_ratio": 60.0,
    "flow.interview.debt.open_disputes": False,
    "flow.interview.collateral.location_matches": True,
    "flow.interview.collateral.market_value": 2_100_000.0,
    "flow.interview.collateral.problem": False,
    "flow.interview.repayment.repayment_source": "operating_income",
    "flow.interview.repayment.due_soon": 600_000.0,
    "flow.interview.repayment.pressure": "low",
    "check.corporate.purpose.used_as_agreed": "as_agreed",
    "check.corporate.purpose.payees_match": True,
    "check.corporate.purpose.real_estate": False,
    "check.corporate.purpose.split_payments": False,
    "check.corporate.periodic.operations": "normal",
    "check.corporate.periodic.market": "stable",
    "check.corporate.periodic.guarantor": "normal",
    "check.corporate.periodic.major_changes": False,
    "check.corporate.periodic.collateral_intact": "intact",
    "check.corporate.periodic.misappropriation": False,
    "check.corporate.periodic.working_capital.raw_materials": "all",
    "check.corporate.periodic.working_capital.payees_are_suppliers": True,
    "check.corporate.periodic.working_capital.materials_in_stock": True,
    "check.corporate.periodic.project.progress": 50.0,
    "check.corporate.periodic.project.progress_status": "on_schedule",
    "check.corporate.periodic.project.on_time": True,
    "check.corporate.periodic.project.drawdowns_match": True,
    "check.corporate.periodic.project.in_production": True,
    "check.corporate.periodic.project.capacity_reached": 90.0,
    "check.individual.purpose.used_as_agreed": "as_agreed",
    "check.individual.purpose.payees_match": True,
    "check.individual.purpose.real_estate": False,
    "check.individual.periodic.business": "normal",
    "check.individual.periodic.market": "stable",
    "check.individual.periodic.family_changes": False,
    "check.individual.periodic.asset_changes": False,
    "check.individual.periodic.guarantor": "normal",
    "check.individual.periodic.collateral_intact": "intact",
    "check.individual.periodic.working_capital.daily_operations": "all",
    "check.individual.periodic.working_capital.payees_business": True,
    "check.individual.periodic.working_capital.stock_seen": True,
}
CLEAN_FINDINGS: Mapping[str, str] = {
    "records.enterprise_credit": "clear",
    "records.enforcement": "clear",
    "records.judgments": "none_found",
    "records.movable_collateral": "clear",
}


def make_loan(
    *,
    contract_no: str = "HT-2024-001",
    amount: float = 1_000_000,
    days_overdue: int = 0,
    appraised_value: float | None = 2_000_000,
    risk_class: str = "normal",
) -> LoanView:
    """A working-capital loan of 100 万元, secured by a property appraised at 200 万元."""
    collateral = []
    if appraised_value is not None:
        collateral.append(
            CollateralView(
                type="房产",
                location="XX路1号",
                area_sqm=Decimal(120),
                appraised_value=Decimal(str(appraised_value)),
                appraised_on=date(2023, 12, 1),
                registration_no="不动产抵押 2023-001",
            )
        )
    return LoanView(
        contract_no=contract_no,
        product="working_capital",
        amount=Decimal(str(amount)),
        agreed_purpose="购买原材料",
        disbursed_on=date(2024, 1, 2),
        matures_on=date(2025, 1, 2),
        days_since_disbursement=181,
        days_to_maturity=185,
        payment_method="entrusted",
        risk_class=risk_class,
        days_overdue=days_overdue,
        guarantors=[],
        collateral=collateral,
    )


def make_facts(
    answers: Mapping[str, Any] | None = None,
    findings: Mapping[str, str] | None = None,
    *,
    clean: bool = True,
    loans: Iterable[LoanView] | None = None,
    missing: Iterable[str] = (),
    visit_date: date = VISIT_DATE,
    documents: Mapping[str, DocumentCheck] | None = None,
) -> RiskFacts:
    """A visit: the clean one with ``answers`` and ``findings`` laid over it (``clean=False``
    starts from nothing). A value of ``None`` removes the answer, as a skipped question."""
    merged = {**(CLEAN_ANSWERS if clean else {}), **(answers or {})}
    checks = {**(CLEAN_FINDINGS if clean else {}), **(findings or {})}
    return RiskFacts(
        kind="corporate",
        products=frozenset({"working_capital"}),
        check_type="periodic",
        answers={k: v for k, v in merged.items() if v is not None},
        findings=checks,
        loans=tuple(loans) if loans is not None else (make_loan(),),
        missing_evidence=tuple(missing),
        visit_date=visit_date,
        documents=dict(documents or {}),
    )


def document_check(check: str, status: str | None = None, ratio: float | None = None) -> Any:
    """What a confirmed photo of a document says against the record, as one cross-check."""
    return {
        check: DocumentCheck(
            check,
            7,
            Bilingual("营业执照", "Business licence"),
            Bilingual("李四", "李四"),
            Bilingual("张建国", "张建国"),
            status,
            ratio,
        )
    }
