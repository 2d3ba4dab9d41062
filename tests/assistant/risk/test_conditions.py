"""Edge cases of the condition language that the shipped rules rely on: zero bases, the
annualised turnover estimate, several loans, and any_of/all_of."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.risk.conditions import (
    AllOf,
    AnswerIs,
    AnswerSource,
    AnyOf,
    Change,
    Context,
    Limit,
    LoanIs,
    LoanSource,
    Match,
    Ratio,
)
from assistant.risk.thresholds import RiskThresholds

from .builders import make_facts, make_loan

LAST_YEAR = "flow.interview.revenue.last_year"
YEAR_TO_DATE = "flow.interview.revenue.year_to_date"


def context(answers=None, **kwargs) -> Context:
    return Context(make_facts(answers, clean=False, **kwargs), RiskThresholds())


@pytest.fixture
def revenue_change(checklist) -> Change:
    return Change(
        previous=checklist.item(LAST_YEAR),
        current=checklist.item(YEAR_TO_DATE),
        drop_gt=Limit("gt", threshold="revenue_drop_max_pct"),
        annualise=True,
        min_days=Limit("gte", threshold="revenue_min_elapsed_days"),
    )


@pytest.mark.parametrize(
    ("visit", "ytd", "fires"),
    [
        (date(2024, 7, 1), 4_000_000.0, False),  # 183/366: 800 万 a year, down 20%: not beyond
        (date(2024, 7, 1), 3_900_000.0, True),  # 780 万, down 22%
        (date(2023, 12, 31), 7_900_000.0, True),  # the whole year: down 21%
        (date(2023, 12, 31), 8_100_000.0, False),
        (date(2024, 2, 1), 100_000.0, False),  # day 32: too early to annualise
    ],
)
def test_turnover_so_far_is_annualised_by_the_day_of_the_year(revenue_change, visit, ytd, fires):
    found = revenue_change.evaluate(
        context({LAST_YEAR: 10_000_000.0, YEAR_TO_DATE: ytd}, visit_date=visit)
    )

    assert (found is not None) is fires


def test_the_estimate_and_the_drop_are_quoted(revenue_change):
    found = revenue_change.evaluate(
        context({LAST_YEAR: 10_000_000.0, YEAR_TO_DATE: 2_500_000.0}, visit_date=date(2024, 7, 1))
    )

    assert found is not None
    assert found.values["estimate"].zh == "500万元"
    assert found.values["drop"].zh == "50%"
    assert found.values["days_elapsed"].en == "183 days"
    assert [e.ref for e in found.evidence] == [LAST_YEAR, YEAR_TO_DATE]


def test_no_turnover_last_year_gives_no_trend(revenue_change):
    assert revenue_change.evaluate(context({LAST_YEAR: 0.0, YEAR_TO_DATE: 0.0})) is None


def test_a_ratio_over_zero_is_infinite_and_zero_over_zero_says_nothing(checklist):
    ratio = Ratio(
        AnswerSource(checklist.item("flow.interview.liquidity.receivables")),
        AnswerSource(checklist.item(LAST_YEAR)),
        (Limit("gt", threshold="receivables_share_max_pct"),),
        percent=True,
    )
    receivables = "flow.interview.liquidity.receivables"

    infinite = ratio.evaluate(context({receivables: 100_000.0, LAST_YEAR: 0.0}))

    assert infinite is not None
    assert "无法计算" in infinite.values["ratio"].zh
    assert ratio.evaluate(context({receivables: 0.0, LAST_YEAR: 0.0})) is None


def test_loan_figures_add_up_over_the_loans_on_file():
    loans = [
        make_loan(contract_no="A", amount=1_000_000, appraised_value=1_500_000),
        make_loan(contract_no="B", amount=500_000, appraised_value=None),
    ]
    found = {}
    for source in ("loan.amount", "loan.secured_amount", "loan.collateral_value"):
        match = Match()
        total = LoanSource(source).read(context(loans=loans), match)
        found[source] = (total, [e.ref for e in match.evidence])

    assert found["loan.amount"] == (1_500_000.0, ["A", "B"])
    assert found["loan.secured_amount"] == (1_000_000.0, ["A"])
    assert found["loan.collateral_value"] == (1_500_000.0, ["A"])


def test_a_loan_condition_names_every_matching_contract():
    condition = LoanIs((("days_overdue", (Limit("gt", number=0),)),))
    loans = [
        make_loan(contract_no="A", days_overdue=10),
        make_loan(contract_no="B", days_overdue=0),
        make_loan(contract_no="C", days_overdue=40),
    ]

    found = condition.evaluate(context(loans=loans))

    assert found is not None
    assert [e.ref for e in found.evidence] == ["A", "C"]
    assert found.values["days_overdue"].zh == "40天"
    assert found.values["contract_no"].en == "A, C"


def test_any_of_keeps_the_evidence_of_every_part_that_holds_and_all_of_needs_each(checklist):
    problem = AnswerIs((checklist.item("flow.interview.collateral.problem"),), frozenset({True}))
    intact = AnswerIs(
        (checklist.item("check.corporate.periodic.collateral_intact"),), frozenset({"impaired"})
    )
    both = context(
        {
            "flow.interview.collateral.problem": True,
            "check.corporate.periodic.collateral_intact": "impaired",
        }
    )
    one = context({"flow.interview.collateral.problem": True})

    any_both = AnyOf((problem, intact)).evaluate(both)

    assert any_both is not None and len(any_both.evidence) == 2
    assert AnyOf((problem, intact)).evaluate(one) is not None
    assert AllOf((problem, intact)).evaluate(both) is not None
    assert AllOf((problem, intact)).evaluate(one) is None
