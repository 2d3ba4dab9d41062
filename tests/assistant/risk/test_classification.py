"""The five-tier suggestion follows the 2023 overdue lines (>90, >270, >360 days), never the 2007
ones, and always says it is advice for the officer."""

from __future__ import annotations

import pytest

from assistant.knowledge.entries import Bilingual
from assistant.risk.classification import suggest_class, tier_for_overdue
from assistant.risk.model import EvidenceRef, Finding, Severity

from .builders import make_facts, make_loan


def finding(severity: Severity, title: str = "员工在岗人数偏少", kind: str = "answer") -> Finding:
    return Finding(
        rule_id="test.rule",
        severity=severity,
        title=Bilingual(title, "Few staff on site"),
        detail=Bilingual("…", "…"),
        evidence=(EvidenceRef(kind, "x", Bilingual("x", "x"), Bilingual("1", "1")),),
        measures=(),
    )


@pytest.mark.parametrize(
    ("days", "tier", "label"),
    [
        (0, "normal", "正常"),
        (1, "special_mention", "关注"),
        (90, "special_mention", "关注"),
        (91, "substandard", "次级"),
        (180, "substandard", "次级"),  # the 2007 rules made this 可疑; the 2023 rules do not
        (270, "substandard", "次级"),
        (271, "doubtful", "可疑"),
        (360, "doubtful", "可疑"),
        (361, "loss", "损失"),
    ],
)
def test_days_overdue_set_the_least_tier(days, tier, label):
    suggestion = suggest_class(make_facts(loans=[make_loan(days_overdue=days)]), [])

    assert tier_for_overdue(days) == tier
    assert suggestion.tier == tier
    assert suggestion.label.zh == label
    assert suggestion.max_days_overdue == days


@pytest.mark.parametrize("days", [1, 91, 271, 361])
def test_an_overdue_reason_names_the_days_and_the_2023_rules(days):
    suggestion = suggest_class(make_facts(loans=[make_loan(days_overdue=days)]), [])

    assert f"逾期 {days} 天" in suggestion.reason.zh
    assert "商业银行金融资产风险分类办法" in suggestion.reason.zh
    assert f"{days} days overdue" in suggestion.reason.en
    assert "2023" in suggestion.reason.en


def test_the_longest_overdue_loan_counts():
    loans = [
        make_loan(contract_no="A", days_overdue=10),
        make_loan(contract_no="B", days_overdue=95),
    ]

    suggestion = suggest_class(make_facts(loans=loans), [])

    assert (suggestion.tier, suggestion.max_days_overdue) == ("substandard", 95)


@pytest.mark.parametrize("severity", [Severity.WARNING, Severity.CRITICAL])
def test_an_alerting_finding_without_overdue_suggests_special_mention(severity):
    suggestion = suggest_class(make_facts(), [finding(severity)])

    assert suggestion.tier == "special_mention"
    assert "员工在岗人数偏少" in suggestion.reason.zh
    assert "Few staff on site" in suggestion.reason.en


@pytest.mark.parametrize("severity", [Severity.INFO, Severity.ATTENTION])
def test_minor_findings_leave_a_loan_that_is_not_overdue_normal(severity):
    suggestion = suggest_class(make_facts(), [finding(severity)])

    assert suggestion.tier == "normal"
    assert suggestion.label == Bilingual("正常", "normal")


def test_findings_do_not_lift_an_overdue_tier_but_are_mentioned():
    facts = make_facts(loans=[make_loan(days_overdue=100)])

    suggestion = suggest_class(facts, [finding(Severity.CRITICAL, "贷款被挪用")])

    assert suggestion.tier == "substandard"
    assert "贷款被挪用" in suggestion.reason.zh


def test_the_overdue_finding_itself_is_not_repeated_in_the_reason():
    facts = make_facts(loans=[make_loan(days_overdue=100)])

    suggestion = suggest_class(facts, [finding(Severity.CRITICAL, "贷款逾期", kind="loan")])

    assert "贷款逾期" not in suggestion.reason.zh


@pytest.mark.parametrize("days", [0, 1, 91, 361])
def test_the_reason_says_it_is_a_suggestion_not_a_decision(days):
    suggestion = suggest_class(make_facts(loans=[make_loan(days_overdue=days)]), [])

    assert "建议" in suggestion.reason.zh and "不是分类结论" in suggestion.reason.zh
    assert "suggestion" in suggestion.reason.en
    assert "not a classification decision" in suggestion.reason.en


def test_a_worse_class_on_file_is_pointed_out_not_overruled():
    facts = make_facts(loans=[make_loan(risk_class="substandard")])

    suggestion = suggest_class(facts, [])

    assert suggestion.tier == "normal"
    assert "次级" in suggestion.reason.zh
    assert "substandard" in suggestion.reason.en


def test_no_loans_means_nothing_overdue():
    suggestion = suggest_class(make_facts(loans=[]), [])

    assert (suggestion.tier, suggestion.max_days_overdue) == ("normal", 0)
