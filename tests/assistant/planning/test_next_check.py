"""The next check a report names: the month plan's own intervals, shortened when the report
asks for closer monitoring, and never after the last loan is due."""

from datetime import date
from decimal import Decimal

from assistant.db.models import LoanProduct, RiskClass
from assistant.planning.inputs import LoanFacts, PlanRules
from assistant.planning.rules import Planner

CHECKED = date(2026, 12, 7)


def loan(**changes) -> LoanFacts:
    fields = {
        "contract_no": "HT-1",
        "product": LoanProduct.WORKING_CAPITAL,
        "amount": Decimal(2_000_000),
        "disbursed_on": date(2025, 6, 20),
        "matures_on": date(2028, 6, 19),
        "risk_class": RiskClass.NORMAL,
        "days_overdue": 0,
    }
    return LoanFacts(**(fields | changes))


def test_the_interval_is_the_plans_and_closer_monitoring_shortens_it(rules: PlanRules):
    planner = Planner(rules)
    day, why = planner.next_check([loan()], CHECKED, closer=False)
    assert day == date(2027, 3, 7) and "每 90 天一次" in why.zh
    small = loan(product=LoanProduct.PERSONAL_BUSINESS, amount=Decimal(300_000))
    assert planner.next_check([small], CHECKED, closer=False)[0] == date(2027, 6, 5)
    day, why = planner.next_check([small], CHECKED, closer=True)
    assert day == date(2027, 1, 6) and "风险信号" in why.zh and "risk signals" in why.en


def test_a_loan_due_sooner_is_checked_by_its_maturity_and_a_repaid_one_not_at_all(
    rules: PlanRules,
):
    planner = Planner(rules)
    due_soon = loan(matures_on=date(2027, 1, 20))
    assert planner.next_check([due_soon], CHECKED, closer=False)[0] == date(2027, 1, 20)
    repaid = loan(matures_on=date(2026, 11, 30))
    assert planner.next_check([repaid], CHECKED, closer=False) is None
