"""The five-tier suggestion follows the 2023 overdue lines (>90, >270, >360 days), never the 2007
ones, and says why in the words of the rules file; the "suggestion, not a decision" note is the
renderer's, not part of the reason."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.data.vocabulary import Bilingual
from assistant.risk.classification import (
    ClassificationTexts,
    suggest_class,
    tier_for_overdue,
)
from assistant.risk.model import EvidenceRef, Finding, Severity

from .builders import make_facts, make_loan

STAFF = Bilingual("员工在岗人数偏少", "Few staff on site")


def finding(
    severity: Severity, title: str = STAFF.zh, kind: str = "answer", rule_id: str = "test.rule"
) -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=severity,
        title=Bilingual(title, STAFF.en),
        detail=Bilingual("…", "…"),
        evidence=(EvidenceRef(kind, "x", Bilingual("x", "x"), Bilingual("1", "1")),),
        measures=(),
    )


def overdue(days: int, **loan) -> list:
    return [make_loan(days_overdue=days, **loan)]


@pytest.mark.parametrize(
    ("days", "tier"),
    [
        (0, "normal"),
        (1, "special_mention"),
        (90, "special_mention"),
        (91, "substandard"),
        (180, "substandard"),  # the 2007 rules made this 可疑; the 2023 rules do not
        (270, "substandard"),
        (271, "doubtful"),
        (360, "doubtful"),
        (361, "loss"),
    ],
)
def test_days_overdue_set_the_least_tier(texts, days, tier):
    suggestion = suggest_class(make_facts(loans=overdue(days)), [], texts)

    assert tier_for_overdue(days) == tier
    assert suggestion.tier == tier
    assert suggestion.label == texts.labels[tier]
    assert suggestion.max_days_overdue == days


@pytest.mark.parametrize(
    ("days", "reason", "line"),
    [
        (1, "overdue_any", 0),
        (90, "overdue_any", 0),
        (91, "overdue_beyond", 90),
        (271, "overdue_beyond", 270),
        (361, "overdue_loss", 360),
    ],
)
def test_an_overdue_reason_is_the_files_sentence_for_its_line(texts, days, reason, line):
    suggestion = suggest_class(make_facts(loans=overdue(days)), [], texts)

    tier = texts.labels[suggestion.tier]
    expected = texts.say(reason, days=days, line=line, rulebook=texts.rulebook, tier=tier)
    assert suggestion.reason == expected
    # The shipped sentences name the days, the 2023 rules and the class.
    assert f"逾期 {days} 天" in suggestion.reason.zh
    assert f"{days} days overdue" in suggestion.reason.en
    for lang in ("zh", "en"):
        assert getattr(texts.rulebook, lang) in getattr(suggestion.reason, lang)
        assert getattr(tier, lang) in getattr(suggestion.reason, lang)
    assert "2023" in suggestion.reason.zh and "2023" in suggestion.reason.en


def test_the_line_is_quoted_and_only_the_loss_line_is_not_a_floor(texts):
    beyond = suggest_class(make_facts(loans=overdue(271)), [], texts).reason
    loss = suggest_class(make_facts(loans=overdue(361)), [], texts).reason

    assert "超过 270 天的至少归为可疑" in beyond.zh
    assert "more than 270 days overdue is at least doubtful" in beyond.en
    assert "超过 360 天的归为损失" in loss.zh
    assert "more than 360 days overdue is loss." in loss.en


def test_the_longest_overdue_loan_counts(texts):
    loans = [
        make_loan(contract_no="A", days_overdue=10),
        make_loan(contract_no="B", days_overdue=95),
    ]

    suggestion = suggest_class(make_facts(loans=loans), [], texts)

    assert (suggestion.tier, suggestion.max_days_overdue) == ("substandard", 95)


def test_nothing_found_reads_the_clean_sentence(texts):
    suggestion = suggest_class(make_facts(), [], texts)

    assert suggestion.reason == texts.say("clean")


@pytest.mark.parametrize("severity", [Severity.WARNING, Severity.CRITICAL])
def test_a_banks_signal_alone_leaves_the_suggestion_normal_and_asks_for_judgement(texts, severity):
    suggestion = suggest_class(make_facts(), [finding(severity)], texts)

    assert suggestion.tier == "normal"
    assert suggestion.reason == texts.say("signals", findings=STAFF, tier=texts.labels["normal"])
    assert suggestion.signals == ("test.rule",) and suggestion.floors == ()
    assert f"请您判断：{STAFF.zh}" in suggestion.reason.zh
    assert "for you to judge" in suggestion.reason.en and STAFF.en in suggestion.reason.en


def test_several_signals_are_listed_in_each_language(texts):
    findings = [finding(Severity.WARNING), finding(Severity.CRITICAL, "应收账款偏高")]

    suggestion = suggest_class(make_facts(), findings, texts)

    assert f"{STAFF.zh}；应收账款偏高" in suggestion.reason.zh
    assert f"{STAFF.en}; {STAFF.en}" in suggestion.reason.en


@pytest.mark.parametrize("severity", [Severity.INFO, Severity.ATTENTION])
def test_minor_findings_leave_a_loan_that_is_not_overdue_normal(texts, severity):
    suggestion = suggest_class(make_facts(), [finding(severity)], texts)

    assert suggestion.tier == "normal"
    assert suggestion.label == texts.labels["normal"]
    assert suggestion.reason == texts.say("clean")


def test_findings_do_not_lift_an_overdue_tier_but_are_mentioned(texts):
    facts = make_facts(loans=overdue(100))

    suggestion = suggest_class(facts, [finding(Severity.CRITICAL, "贷款被挪用")], texts)

    assert suggestion.tier == "substandard"
    also = texts.say("also_found", findings=Bilingual("贷款被挪用", STAFF.en))
    assert suggestion.reason.zh.endswith(also.zh)
    assert suggestion.reason.en.endswith(" " + also.en)
    assert "贷款被挪用" in suggestion.reason.zh


def test_the_overdue_finding_itself_is_not_repeated_in_the_reason(texts):
    facts = make_facts(loans=overdue(100))

    suggestion = suggest_class(facts, [finding(Severity.CRITICAL, "贷款逾期", kind="loan")], texts)

    assert "贷款逾期" not in suggestion.reason.zh
    assert texts.say("also_found", findings=Bilingual("贷款逾期", STAFF.en)).en not in (
        suggestion.reason.en
    )


@pytest.mark.parametrize("days", [0, 1, 91, 361])
def test_the_reason_leaves_the_not_a_decision_note_to_the_renderer(texts, days):
    suggestion = suggest_class(make_facts(loans=overdue(days)), [], texts)

    # The report prints its own note under the reason; saying it here too said it twice.
    assert "不是分类结论" not in suggestion.reason.zh
    assert "供客户经理参考" not in suggestion.reason.zh
    assert "not a classification decision" not in suggestion.reason.en


def test_a_worse_class_on_file_is_pointed_out_not_overruled(texts):
    facts = make_facts(loans=[make_loan(risk_class="substandard")])

    suggestion = suggest_class(facts, [], texts)

    assert suggestion.tier == "normal"
    worse = texts.say(
        "worse_on_file", on_file=texts.labels["substandard"], tier=texts.labels["normal"]
    )
    assert suggestion.reason == Bilingual(
        texts.say("clean").zh + worse.zh, f"{texts.say('clean').en} {worse.en}"
    )
    assert "次级" in suggestion.reason.zh
    assert "substandard" in suggestion.reason.en


def test_a_class_on_file_no_worse_than_the_suggestion_is_not_mentioned(texts):
    facts = make_facts(loans=overdue(100, risk_class="special_mention"))

    suggestion = suggest_class(facts, [], texts)

    assert suggestion.tier == "substandard"
    assert texts.labels["special_mention"].zh not in suggestion.reason.zh


def test_no_loans_means_nothing_overdue(texts):
    suggestion = suggest_class(make_facts(loans=[]), [], texts)

    assert (suggestion.tier, suggestion.max_days_overdue) == ("normal", 0)


def test_the_words_come_from_the_texts_given(texts):
    reworded = dataclasses.replace(
        texts,
        labels={**texts.labels, "substandard": Bilingual("次级类", "Substandard")},
        reasons={
            **texts.reasons,
            "overdue_beyond": Bilingual("逾期{days}天（>{line}）→{tier}", "{days}>{line}: {tier}"),
        },
    )

    suggestion = suggest_class(make_facts(loans=overdue(100)), [], reworded)

    assert suggestion.label == Bilingual("次级类", "Substandard")
    assert suggestion.reason == Bilingual("逾期100天（>90）→次级类", "100>90: Substandard")


def test_say_fills_both_languages_and_ignores_values_a_sentence_does_not_quote():
    texts = ClassificationTexts(
        labels={},
        rulebook=Bilingual("办法", "the Measures"),
        reasons={"overdue_any": Bilingual("{days} 天，{{注}}", "{days} days, {{note}}")},
    )

    said = texts.say("overdue_any", days=5, line=0, tier=Bilingual("关注", "special mention"))

    assert said == Bilingual("5 天，{注}", "5 days, {note}")


# ── floors, signals and what to consider, as the shipped rules file has them ────────────────────


def test_only_heuristic_signals_keep_a_company_normal_and_list_them_for_judgement(engine, texts):
    """C1002's case: other debts above our loan, few staff on site, turnover falling. None is a
    situation the classification rules name; each is the bank's own line."""
    facts = make_facts(
        {
            "flow.interview.debt.other_debts": True,
            "flow.interview.debt.other_debts_amount": 9_000_000.0,
            "flow.interview.staff.headcount_present": 5,
            "flow.interview.staff.headcount_total": 26,
        }
    )
    findings = engine.evaluate(facts)
    assert {"debt.other_debts", "staff.low_presence"} <= {f.rule_id for f in findings}

    suggestion = engine.suggest_class(facts, findings)

    assert suggestion.tier == "normal" and suggestion.floors == ()
    assert {"debt.other_debts", "staff.low_presence"} <= set(suggestion.signals)
    assert "未见分类办法规定须归为关注的情形" in suggestion.reason.zh
    assert "请您判断" in suggestion.reason.zh


def test_a_use_changed_without_consent_is_a_floor_named_with_its_rule(engine, texts):
    facts = make_facts({"flow.interview.loan_use.used_as_agreed": "not_as_agreed"})
    findings = engine.evaluate(facts)

    suggestion = engine.suggest_class(facts, findings)

    assert suggestion.tier == "special_mention" and suggestion.floors == ("use_changed",)
    assert "未经银行同意擅自改变资金用途的，至少归为关注" in suggestion.reason.zh
    assert texts.rulebook.zh in suggestion.reason.zh
    assert "use.not_as_agreed" not in suggestion.signals, "a floor is not also a signal"


def test_an_individuals_diverted_loan_is_weighed_not_floored(engine):
    """Retail loans are classed by days overdue and security: a diversion asks the officer to
    weigh 关注 rather than setting it."""
    facts = dataclasses.replace(
        make_facts({"flow.interview.loan_use.used_as_agreed": "not_as_agreed"}),
        kind="individual",
    )

    suggestion = engine.suggest_class(facts, engine.evaluate(facts))

    assert suggestion.tier == "normal"
    assert "请考虑是否归为关注" in suggestion.reason.zh


def test_a_borrower_that_cannot_pay_in_full_prompts_substandard(engine):
    """终本 with a serious effect on the business: not only 关注 — 次级 is to be considered."""
    facts = make_facts(
        {"flow.interview.debt.enforcement_impact": "serious"},
        {"records.enforcement": "adverse"},
    )
    findings = engine.evaluate(facts)
    assert any(
        f.rule_id == "records.enforcement" and f.severity is Severity.CRITICAL for f in findings
    )

    suggestion = engine.suggest_class(facts, findings)

    assert suggestion.tier == "normal", "the prompt does not decide"
    assert "借款人可能无法足额偿还本息，请考虑是否归为次级" in suggestion.reason.zh
    assert "consider whether the loan should be substandard" in suggestion.reason.en


def test_the_prompt_to_consider_is_left_out_when_the_suggestion_is_already_worse(engine):
    facts = make_facts(
        {"flow.interview.debt.enforcement_impact": "serious"},
        {"records.enforcement": "adverse"},
        loans=overdue(100),
    )

    suggestion = engine.suggest_class(facts, engine.evaluate(facts))

    assert suggestion.tier == "substandard"
    assert "请考虑是否归为次级" not in suggestion.reason.zh
