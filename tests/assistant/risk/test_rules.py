"""The risk rules: each one fires on the visit it describes and stays quiet on a clean one; the
engine orders and quotes its findings; the loader names the rule and place of every mistake."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.risk.classification import REASONS, TIERS
from assistant.risk.model import Finding, Severity
from assistant.risk.rules import RiskEngine, RiskRulesError, RuleSet, load_rules, main
from assistant.risk.thresholds import RiskThresholds, thresholds_from_settings

from .builders import RULES, document_check, make_facts, make_loan

CORP_USE = "check.corporate.purpose.used_as_agreed"
INDIV_USE = "check.individual.purpose.used_as_agreed"
INTERVIEW_USE = "flow.interview.loan_use.used_as_agreed"
WC_CORP = "check.corporate.periodic.working_capital"
WC_INDIV = "check.individual.periodic.working_capital"
PROJECT = "check.corporate.periodic.project"
ADVERSE = "adverse"


def case(rule_id: str, severity: str, label: str = "", **facts: Any) -> Any:
    """One row: ``facts`` are make_facts keyword arguments laid over the clean visit."""
    return pytest.param(rule_id, Severity(severity), facts, id=f"{rule_id}-{severity}{label}")


# Every rule, and every severity it can have, on a visit crafted to trigger it.
FIRING = [
    case("loan.overdue", "critical", loans=[make_loan(days_overdue=91)]),
    case("loan.overdue", "warning", "-1day", loans=[make_loan(days_overdue=1)]),
    case("loan.overdue", "warning", "-90days", loans=[make_loan(days_overdue=90)]),
    case("use.not_as_agreed", "critical", "-corporate", answers={CORP_USE: "not_as_agreed"}),
    case("use.not_as_agreed", "critical", "-individual", answers={INDIV_USE: "not_as_agreed"}),
    case("use.not_as_agreed", "critical", "-interview", answers={INTERVIEW_USE: "not_as_agreed"}),
    case("use.not_as_agreed", "warning", answers={CORP_USE: "partly"}),
    case(
        "use.misappropriation",
        "critical",
        answers={"check.corporate.periodic.misappropriation": True},
    ),
    case(
        "use.real_estate",
        "critical",
        "-corporate",
        answers={"check.corporate.purpose.real_estate": True},
    ),
    case(
        "use.real_estate",
        "critical",
        "-individual",
        answers={"check.individual.purpose.real_estate": True},
    ),
    case("use.split_payments", "warning", answers={"check.corporate.purpose.split_payments": True}),
    case(
        "use.payees_mismatch",
        "warning",
        "-corporate",
        answers={"check.corporate.purpose.payees_match": False},
    ),
    case(
        "use.payees_mismatch",
        "warning",
        "-individual",
        answers={"check.individual.purpose.payees_match": False},
    ),
    case(
        "working_capital.off_purpose",
        "critical",
        answers={f"{WC_INDIV}.daily_operations": "not_used"},
    ),
    case(
        "working_capital.off_purpose", "warning", answers={f"{WC_CORP}.raw_materials": "not_used"}
    ),
    case(
        "working_capital.off_purpose",
        "attention",
        "-corporate",
        answers={f"{WC_CORP}.raw_materials": "partly"},
    ),
    case(
        "working_capital.off_purpose",
        "attention",
        "-individual",
        answers={f"{WC_INDIV}.daily_operations": "partly"},
    ),
    case(
        "working_capital.payees_not_suppliers",
        "warning",
        "-corporate",
        answers={f"{WC_CORP}.payees_are_suppliers": False},
    ),
    case(
        "working_capital.payees_not_suppliers",
        "warning",
        "-individual",
        answers={f"{WC_INDIV}.payees_business": False},
    ),
    case(
        "working_capital.stock_not_seen",
        "warning",
        "-corporate",
        answers={f"{WC_CORP}.materials_in_stock": False},
    ),
    case(
        "working_capital.stock_not_seen",
        "warning",
        "-individual",
        answers={f"{WC_INDIV}.stock_seen": False},
    ),
    case(
        "records.credit_report",
        "warning",
        findings={"records.credit_report": "adverse"},
        answers={"flow.interview.debt.credit_report_details": "建行经营贷逾期35天，已结清"},
    ),
    case(
        "records.credit_report",
        "attention",
        findings={"records.credit_report": "new_debt"},
        answers={"flow.interview.debt.credit_report_details": "新增农商行贷款50万"},
    ),
    case(
        "records.enforcement",
        "critical",
        findings={"records.enforcement": ADVERSE},
        answers={"flow.interview.debt.enforcement_impact": "serious"},
    ),
    case(
        "records.enforcement",
        "warning",
        findings={"records.enforcement": ADVERSE},
        answers={"flow.interview.debt.enforcement_impact": "minor"},
    ),
    case(
        "records.judgments",
        "critical",
        findings={"records.judgments": ADVERSE},
        answers={"flow.interview.debt.litigation_impact": "serious"},
    ),
    case("records.judgments", "warning", findings={"records.judgments": ADVERSE}),
    case(
        "records.enterprise_credit",
        "critical",
        findings={"records.enterprise_credit": ADVERSE},
        answers={"flow.interview.business.registry_impact": "serious"},
    ),
    case("records.enterprise_credit", "warning", findings={"records.enterprise_credit": ADVERSE}),
    case(
        "records.movable_collateral", "attention", findings={"records.movable_collateral": ADVERSE}
    ),
    case("records.not_checked", "attention", findings={"records.judgments": "not_checked"}),
    case("debt.open_disputes", "attention", answers={"flow.interview.debt.open_disputes": True}),
    case(
        "operations.declining",
        "critical",
        "-corporate",
        answers={"check.corporate.periodic.operations": "stopped"},
    ),
    case(
        "operations.declining",
        "critical",
        "-individual",
        answers={"check.individual.periodic.business": "stopped"},
    ),
    case(
        "operations.declining",
        "warning",
        answers={"check.corporate.periodic.operations": "declining"},
    ),
    # 300万元 by day 183 of 366 is about 600万元 a year against 1000万元: down 40%.
    case(
        "revenue.falling", "warning", answers={"flow.interview.revenue.year_to_date": 3_000_000.0}
    ),
    case(
        "revenue.negative_margin", "warning", answers={"flow.interview.revenue.gross_margin": -5.0}
    ),
    case(
        "market.worse",
        "attention",
        "-corporate",
        answers={"check.corporate.periodic.market": "worse"},
    ),
    case(
        "market.worse",
        "attention",
        "-individual",
        answers={"check.individual.periodic.market": "worse"},
    ),
    case(
        "customers.concentration",
        "attention",
        answers={"flow.interview.supply_chain.top_customer_share": 60.0},
    ),
    case(
        "customers.counterparties_changed",
        "attention",
        answers={"flow.interview.supply_chain.counterparties_changed": True},
    ),
    case(
        "liquidity.receivables_large",
        "warning",
        "-share",
        answers={"flow.interview.liquidity.receivables_share": 60.0},
    ),
    case(
        "liquidity.receivables_large",
        "warning",
        "-amount",
        answers={
            "flow.interview.liquidity.receivables_share": None,
            "flow.interview.liquidity.receivables": 6_000_000.0,
        },
    ),
    case(
        "liquidity.recovery_low",
        "attention",
        answers={"flow.interview.liquidity.expected_recovery": 50.0},
    ),
    case("staff.low_presence", "warning", answers={"flow.interview.staff.headcount_present": 5.0}),
    case(
        "business.main_business_changed",
        "warning",
        answers={"flow.interview.business.main_business_changed": True},
    ),
    case(
        "business.site_mismatch",
        "warning",
        answers={"flow.interview.business.site_matches_record": False},
    ),
    case(
        "business.address_changed",
        "attention",
        answers={"flow.interview.business.address_changed": True},
    ),
    case("debt.ratio_high", "warning", answers={"flow.interview.debt.debt_ratio": 95.0}),
    case(
        "debt.other_debts",
        "warning",
        answers={
            "flow.interview.debt.other_debts": True,
            "flow.interview.debt.other_debts_amount": 1_500_000.0,
        },
    ),
    case(
        "debt.other_debts",
        "info",
        answers={
            "flow.interview.debt.other_debts": True,
            "flow.interview.debt.other_debts_amount": 500_000.0,
        },
    ),
    case(
        "debt.investments",
        "warning",
        answers={
            "flow.interview.debt.investments": True,
            "flow.interview.debt.investments_amount": 600_000.0,
        },
    ),
    case(
        "debt.investments",
        "attention",
        answers={
            "flow.interview.debt.investments": True,
            "flow.interview.debt.investments_amount": 100_000.0,
        },
    ),
    case(
        "debt.guarantees",
        "warning",
        answers={
            "flow.interview.debt.guarantees": True,
            "flow.interview.debt.guarantees_amount": 1_200_000.0,
        },
    ),
    case("debt.guarantees", "attention", answers={"flow.interview.debt.guarantees": True}),
    case(
        "collateral.impaired",
        "warning",
        "-interview",
        answers={"flow.interview.collateral.problem": True},
    ),
    case(
        "collateral.impaired",
        "warning",
        "-corporate",
        answers={"check.corporate.periodic.collateral_intact": "impaired"},
    ),
    case(
        "collateral.impaired",
        "warning",
        "-individual",
        answers={"check.individual.periodic.collateral_intact": "impaired"},
    ),
    case(
        "collateral.location_mismatch",
        "warning",
        answers={"flow.interview.collateral.location_matches": False},
    ),
    # 150万元 against 200万元 appraised (75%), still covering the 100万元 loan.
    case(
        "collateral.value_fallen",
        "warning",
        answers={"flow.interview.collateral.market_value": 1_500_000.0},
    ),
    # 180万元 against 200万元 appraised (90%) but only 90万元 of cover for a 200万元 loan.
    case(
        "collateral.coverage_low",
        "warning",
        answers={"flow.interview.collateral.market_value": 1_800_000.0},
        loans=[make_loan(amount=2_000_000)],
    ),
    case(
        "guarantor.mutual",
        "warning",
        answers={
            "check.individual.periodic.guarantee_ring": True,
            "check.individual.periodic.guarantee_ring_details": "与隔壁建材店互保各50万",
        },
    ),
    case(
        "guarantor.weakened",
        "warning",
        "-corporate",
        answers={"check.corporate.periodic.guarantor": "weakened"},
    ),
    case(
        "guarantor.weakened",
        "warning",
        "-individual",
        answers={"check.individual.periodic.guarantor": "weakened"},
    ),
    case(
        "repayment.pressure_high", "warning", answers={"flow.interview.repayment.pressure": "high"}
    ),
    case(
        "repayment.weak_source",
        "warning",
        answers={"flow.interview.repayment.repayment_source": "new_borrowing"},
    ),
    case(
        "repayment.weak_source",
        "attention",
        answers={"flow.interview.repayment.repayment_source": "asset_sale"},
    ),
    case(
        "repayment.due_soon_vs_funds",
        "attention",
        answers={"flow.interview.repayment.due_soon": 1_500_000.0},
    ),
    case("changes.management", "warning", answers={"check.corporate.periodic.major_changes": True}),
    case("changes.family", "warning", answers={"check.individual.periodic.family_changes": True}),
    case("changes.assets", "attention", answers={"check.individual.periodic.asset_changes": True}),
    case("project.progress", "critical", answers={f"{PROJECT}.progress_status": "halted"}),
    case("project.progress", "warning", answers={f"{PROJECT}.progress_status": "behind"}),
    case("project.late", "warning", answers={f"{PROJECT}.on_time": False}),
    case("project.drawdowns_mismatch", "warning", answers={f"{PROJECT}.drawdowns_match": False}),
    case("project.below_capacity", "attention", answers={f"{PROJECT}.capacity_reached": 50.0}),
    case("evidence.missing", "attention", missing=["photo.signboard", "doc.bank_statements"]),
    case(
        "document.credit_code_mismatch",
        "critical",
        documents=document_check("licence.credit_code", "mismatch"),
    ),
    case("document.name_mismatch", "warning", documents=document_check("licence.name", "mismatch")),
    case(
        "document.legal_representative_changed",
        "warning",
        documents=document_check("licence.legal_representative", "mismatch"),
    ),
    case(
        "document.address_mismatch",
        "warning",
        documents=document_check("licence.address", "mismatch"),
    ),
    case(
        "document.signboard_mismatch",
        "warning",
        documents=document_check("signboard.name", "mismatch"),
    ),
    case(
        "document.inflow_below_revenue",
        "warning",
        documents=document_check("statement.inflow", ratio=0.2),
    ),
    case(
        "document.utility_drop",
        "warning",
        documents=document_check("utility.consumption", ratio=0.3),
    ),
    case(
        "document.invoice_unrelated",
        "attention",
        documents=document_check("invoice.counterparty", "unrelated"),
    ),
    case(
        "interview.not_decision_maker",
        "info",
        answers={"flow.interview.business.interviewee": "other_staff"},
    ),
]


def finding_of(findings: list[Finding], rule_id: str) -> Finding | None:
    return next((f for f in findings if f.rule_id == rule_id), None)


# ── every rule ─────────────────────────────────────────────────────────────────────────────────


def test_a_clean_visit_has_no_findings(engine):
    assert engine.evaluate(make_facts()) == []


@pytest.mark.parametrize(("rule_id", "severity", "overrides"), FIRING)
def test_each_rule_fires_on_its_visit_and_not_on_a_clean_one(
    engine: RiskEngine, rule_id: str, severity: Severity, overrides: dict[str, Any]
):
    assert finding_of(engine.evaluate(make_facts()), rule_id) is None

    found = finding_of(engine.evaluate(make_facts(**overrides)), rule_id)

    assert found is not None, f"{rule_id} did not fire"
    assert found.rule_id == rule_id
    assert found.severity is severity
    assert found.evidence, "a finding always shows what it read"
    assert found.measures
    for text in (found.title.zh, found.title.en, found.detail.zh, found.detail.en):
        assert text.strip()
        assert "{" not in text and "}" not in text, text


def test_the_table_covers_every_rule_and_every_severity(rules: RuleSet):
    tested = {(p.values[0], p.values[1]) for p in FIRING}
    shipped = {(rule.id, severity) for rule in rules for severity in rule.severities}
    assert shipped <= tested
    assert {rule_id for rule_id, _ in tested} == {rule.id for rule in rules}


def test_a_rule_whose_inputs_are_missing_does_not_fire(engine):
    skipped = make_facts(
        {
            "flow.interview.staff.headcount_present": 2.0,
            "flow.interview.staff.headcount_total": None,
            "flow.interview.revenue.year_to_date": 100.0,
            "flow.interview.revenue.last_year": None,
        }
    )
    no_staff = make_facts(
        {"flow.interview.staff.headcount_present": 0.0, "flow.interview.staff.headcount_total": 0.0}
    )

    fired = {f.rule_id for f in engine.evaluate(skipped)} | {
        f.rule_id for f in engine.evaluate(no_staff)
    }

    assert "staff.low_presence" not in fired
    assert "revenue.falling" not in fired


def test_answers_of_the_wrong_type_are_ignored_not_fatal(engine):
    odd = make_facts(
        {
            "check.corporate.periodic.misappropriation": "yes",  # a string, not True
            "flow.interview.staff.headcount_present": True,  # True is not the number 1
            "check.corporate.periodic.operations": True,
        }
    )

    assert engine.evaluate(odd) == []


def test_a_loan_without_collateral_gives_no_collateral_value_finding(engine):
    visit = make_facts(
        {"flow.interview.collateral.market_value": 100_000.0},
        loans=[make_loan(appraised_value=None)],
    )

    fired = {f.rule_id for f in engine.evaluate(visit)}

    assert "collateral.value_fallen" not in fired
    assert "collateral.coverage_low" not in fired


# ── what a finding says ────────────────────────────────────────────────────────────────────────


def test_findings_come_most_severe_first_then_in_file_order(engine, rules):
    visit = make_facts(
        {
            "flow.interview.business.address_changed": True,  # attention
            "flow.interview.staff.headcount_present": 2.0,  # warning
            CORP_USE: "not_as_agreed",  # critical
            "flow.interview.debt.debt_ratio": 95.0,  # warning
            "flow.interview.business.interviewee": "other_staff",  # info
        }
    )
    order = [rule.id for rule in rules]

    findings = engine.evaluate(visit)

    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks, reverse=True)
    assert [f.rule_id for f in findings] == [
        "use.not_as_agreed",
        "staff.low_presence",
        "debt.ratio_high",
        "business.address_changed",
        "interview.not_decision_maker",
    ]
    warnings = [f.rule_id for f in findings if f.severity is Severity.WARNING]
    assert warnings == sorted(warnings, key=order.index)


def test_evidence_carries_the_facts_label_and_the_value_in_both_languages(engine, checklist):
    visit = make_facts(
        {
            "flow.interview.staff.headcount_present": 3.0,
            "flow.interview.staff.headcount_total": 35.0,
            CORP_USE: "not_as_agreed",
            "check.corporate.purpose.diverted_amount": 300_000.0,
            "check.corporate.purpose.diverted_to": "股东个人账户",
        }
    )
    findings = {f.rule_id: f for f in engine.evaluate(visit)}

    staff = findings["staff.low_presence"]
    present = next(e for e in staff.evidence if e.ref == "flow.interview.staff.headcount_present")
    assert present.kind == "answer"
    assert present.label == checklist.item("flow.interview.staff.headcount_present").label
    assert (present.value.zh, present.value.en) == ("3人", "3 people")
    assert "在岗 3人" in staff.detail.zh and "35人" in staff.detail.zh
    assert "8.6%" in staff.detail.zh and "8.6%" in staff.detail.en
    assert "3 people" in staff.detail.en and "35 people" in staff.detail.en

    diverted = findings["use.not_as_agreed"]
    values = {e.ref: e.value for e in diverted.evidence}
    assert (values[CORP_USE].zh, values[CORP_USE].en) == ("不一致", "Different")
    amount = values["check.corporate.purpose.diverted_amount"]
    assert (amount.zh, amount.en) == ("30万元", "CNY 300,000")
    assert "股东个人账户" in diverted.detail.zh and "30万元" in diverted.detail.zh
    assert "CNY 300,000" in diverted.detail.en
    assert diverted.title.zh == "贷款被挪用"


def test_precheck_loan_and_missing_evidence_refs_are_labelled(engine, checklist):
    visit = make_facts(
        findings={"records.enforcement": ADVERSE},
        loans=[make_loan(contract_no="HT-9", days_overdue=120)],
        missing=["photo.signboard"],
    )
    refs = {(e.kind, e.ref): e for f in engine.evaluate(visit) for e in f.evidence}

    precheck = refs[("precheck", "records.enforcement")]
    assert precheck.label == checklist.precheck("records.enforcement").title
    assert (precheck.value.zh, precheck.value.en) == ("发现问题", "Adverse finding")
    overdue = refs[("loan", "HT-9")]
    assert (overdue.value.zh, overdue.value.en) == ("120天", "120 days")
    photo = refs[("evidence", "photo.signboard")]
    assert photo.label.zh == "门头、招牌和门牌号"
    assert (photo.value.zh, photo.value.en) == ("未收集", "not collected")


def test_a_skipped_quoted_answer_shows_a_dash(engine):
    found = finding_of(
        engine.evaluate(make_facts({"flow.interview.business.main_business_changed": True})),
        "business.main_business_changed",
    )

    assert found is not None
    assert "「—」" in found.detail.zh


def test_alternative_quotes_show_whichever_was_answered(engine):
    visit = make_facts(
        {
            "check.individual.periodic.business": "declining",
            "check.individual.periodic.business_details": "疫情后客流减少",
        }
    )

    found = finding_of(engine.evaluate(visit), "operations.declining")

    assert found is not None
    assert "下滑" in found.detail.zh and "疫情后客流减少" in found.detail.zh
    assert "—" not in found.detail.zh


def test_the_revenue_finding_says_it_is_an_annualised_estimate(engine):
    visit = make_facts({"flow.interview.revenue.year_to_date": 3_000_000.0})

    found = finding_of(engine.evaluate(visit), "revenue.falling")

    assert found is not None
    assert "600万元" in found.detail.zh and "1,000万元" in found.detail.zh
    assert "40%" in found.detail.zh
    assert "估算" in found.detail.zh and "estimate" in found.detail.en


def test_critical_returns_only_critical_findings(engine):
    visit = make_facts(
        {INDIV_USE: "not_as_agreed", "flow.interview.staff.headcount_present": 1.0},
        missing=["photo.signboard"],
    )

    critical = engine.critical(visit)

    assert [f.rule_id for f in critical] == ["use.not_as_agreed"]
    assert all(f.severity is Severity.CRITICAL for f in critical)
    assert len(engine.evaluate(visit)) > len(critical)


def test_suggest_class_on_the_engine_reads_the_findings(engine):
    visit = make_facts({"flow.interview.staff.headcount_present": 1.0})

    suggestion = engine.suggest_class(visit, engine.evaluate(visit))

    # Few staff on site is the bank's own signal: listed for judgement, the class left alone.
    assert suggestion.tier == "normal" and suggestion.signals == ("staff.low_presence",)
    assert suggestion.label == engine.rules.classification.labels["normal"]
    assert "在岗人数远少于所称员工数" in suggestion.reason.zh


# ── thresholds from the settings ───────────────────────────────────────────────────────────────


def test_a_lower_staff_threshold_in_the_settings_silences_the_rule(rules, monkeypatch):
    visit = make_facts({"flow.interview.staff.headcount_present": 5.0})  # 5 of 20: 25%
    monkeypatch.setenv("RISK_STAFF_PRESENT_MIN_RATIO", "0.2")
    lenient = RiskEngine(rules, thresholds_from_settings(Settings(_env_file=None)))

    assert finding_of(RiskEngine(rules, RiskThresholds()).evaluate(visit), "staff.low_presence")
    assert finding_of(lenient.evaluate(visit), "staff.low_presence") is None


def test_a_stricter_debt_ratio_setting_makes_the_rule_fire(rules, monkeypatch):
    visit = make_facts({"flow.interview.debt.debt_ratio": 75.0})
    monkeypatch.setenv("RISK_DEBT_RATIO_MAX_PCT", "70")
    strict = RiskEngine(rules, thresholds_from_settings(Settings(_env_file=None)))

    assert (
        finding_of(RiskEngine(rules, RiskThresholds()).evaluate(visit), "debt.ratio_high") is None
    )
    found = finding_of(strict.evaluate(visit), "debt.ratio_high")
    assert found is not None and found.severity is Severity.WARNING


def test_the_overdue_critical_line_is_a_setting(rules):
    visit = make_facts(loans=[make_loan(days_overdue=45)])
    engine = RiskEngine(rules, RiskThresholds(overdue_critical_days=30))

    found = finding_of(engine.evaluate(visit), "loan.overdue")

    assert found is not None and found.severity is Severity.CRITICAL


def test_every_threshold_is_used_by_the_shipped_rules(rules):
    assert rules.thresholds == set(RiskThresholds.names())


# ── the shipped file ───────────────────────────────────────────────────────────────────────────


def test_the_shipped_rules_load_against_the_shipped_checklist(rules):
    assert len(rules) >= 40
    assert rules.rule("staff.low_presence").severities == (Severity.WARNING,)
    assert rules.rule("use.not_as_agreed").severities == (Severity.CRITICAL, Severity.WARNING)
    with pytest.raises(KeyError):
        rules.rule("no.such_rule")


def test_the_command_line_check_reports_the_shipped_file(capsys):
    assert main(["rules", str(RULES)]) == 0
    assert "OK" in capsys.readouterr().out


# ── the loader rejects broken files ────────────────────────────────────────────────────────────


GOOD_RULE: dict[str, Any] = {
    "id": "test.rule",
    "severity": "warning",
    "title": {"zh": "测试", "en": "Test"},
    "detail": {"zh": "在岗 {headcount_present}", "en": "{headcount_present} on site"},
    "when": {
        "ratio": {
            "numerator": "flow.interview.staff.headcount_present",
            "denominator": "flow.interview.staff.headcount_total",
            "lt": "staff_present_min_ratio",
        }
    },
    "measures": ["monitor"],
}


def shipped_classification() -> dict[str, Any]:
    """The shipped file's classification block, to change one thing in: its words, without the
    floors and what to consider, which name the shipped rules that these small files lack."""
    block = yaml.safe_load(RULES.read_text("utf-8"))["classification"]
    return {k: v for k, v in block.items() if k not in ("floors", "consider")}


def write_rules(tmp_path: Path, rules: list[dict[str, Any]], **top: Any) -> Path:
    """A rules file of ``rules``, with the shipped classification block unless ``top`` replaces
    it; a ``top`` value of None leaves that key out."""
    document = {
        "version": 1,
        "measures": {"monitor": {"zh": "加强监控", "en": "Monitor"}},
        "classification": shipped_classification(),
        "rules": rules,
        **top,
    }
    document = {key: value for key, value in document.items() if value is not None}
    path = tmp_path / "risk_rules.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def changed(**fields: Any) -> dict[str, Any]:
    rule = copy.deepcopy(GOOD_RULE)
    rule.update(fields)
    return rule


def test_the_good_rule_used_below_loads(tmp_path, checklist):
    rules = load_rules(write_rules(tmp_path, [GOOD_RULE]), checklist)

    assert [rule.id for rule in rules] == ["test.rule"]
    assert rules.thresholds == {"staff_present_min_ratio"}


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        pytest.param(
            changed(when={"answer": {"item": "flow.interview.staff.headcount", "lt": 3}}),
            "unknown question 'flow.interview.staff.headcount'; did you mean",
            id="unknown-question",
        ),
        pytest.param(
            changed(when={"answer": {"item": CORP_USE, "is": "diverted"}}),
            "unknown option 'diverted'",
            id="unknown-option",
        ),
        pytest.param(
            changed(when={"answer": {"item": "flow.interview.debt.other_debts", "is": "maybe"}}),
            "yes_no question",
            id="yes-no-needs-a-bool",
        ),
        pytest.param(
            changed(when={"answer": {"item": "flow.interview.debt.debt_ratio", "gt": "debt_max"}}),
            "unknown threshold 'debt_max'",
            id="unknown-threshold",
        ),
        pytest.param(
            changed(
                when={
                    "answer": {
                        "item": "flow.interview.debt.debt_ratio",
                        "gt": "staff_present_min_ratio",
                    }
                }
            ),
            "wrong unit",
            id="threshold-in-the-wrong-unit",
        ),
        pytest.param(
            changed(when={"answer": {"item": "flow.interview.debt.debt_ratio", "above": 90}}),
            "unknown field 'above'",
            id="unknown-key-in-a-condition",
        ),
        pytest.param(changed(colour="red"), "unknown field 'colour'", id="unknown-rule-key"),
        pytest.param(
            changed(when={"answers": {"item": CORP_USE, "is": "partly"}}),
            "unknown condition 'answers'",
            id="unknown-condition",
        ),
        pytest.param(
            changed(
                when={
                    "answer": {"item": CORP_USE, "is": "partly"},
                    "precheck": {"id": "records.enforcement", "is": "adverse"},
                }
            ),
            "exactly one of",
            id="two-conditions-without-all-of",
        ),
        pytest.param(
            changed(when={"precheck": {"id": "records.enforcement", "is": "bad"}}),
            "unknown result 'bad' of records.enforcement",
            id="unknown-precheck-result",
        ),
        pytest.param(
            changed(when={"precheck": {"id": "records.court", "is": "adverse"}}),
            "unknown pre-visit check 'records.court'",
            id="unknown-precheck",
        ),
        pytest.param(
            changed(detail={"zh": "{nothing}", "en": "x"}),
            "quotes {nothing}, which this rule does not read",
            id="detail-quotes-an-unread-value",
        ),
        pytest.param(
            changed(detail={"zh": "{headcount_present:.1f}", "en": "x"}),
            "without a format",
            id="detail-with-a-format",
        ),
        pytest.param(
            changed(title={"zh": "测试", "en": ""}), "missing its 'en' text", id="empty-english"
        ),
        pytest.param(changed(measures=["pray"]), "unknown measure 'pray'", id="unknown-measure"),
        pytest.param(changed(severity="severe"), "unknown severity 'severe'", id="bad-severity"),
        pytest.param(
            {
                **{k: v for k, v in GOOD_RULE.items() if k not in ("severity", "when")},
                "cases": [
                    {"severity": "warning", "when": GOOD_RULE["when"]},
                    {"severity": "critical", "when": GOOD_RULE["when"]},
                ],
            },
            "most severe down",
            id="cases-out-of-order",
        ),
        pytest.param(
            changed(cases=[{"severity": "warning", "when": GOOD_RULE["when"]}]),
            "'severity' goes inside each case",
            id="severity-beside-cases",
        ),
        pytest.param(
            changed(when={"loan": {"days_late": {"gt": 0}}}),
            "unknown field 'days_late'",
            id="unknown-loan-field",
        ),
        pytest.param(
            changed(when={"evidence_missing": ["photo.selfie"]}),
            "unknown document or photo 'photo.selfie'",
            id="unknown-evidence",
        ),
        pytest.param(
            changed(
                when={
                    "ratio": {
                        "numerator": "flow.interview.staff.headcount_present",
                        "denominator": "loan.amount",
                        "lt": "staff_present_min_ratio",
                    }
                }
            ),
            "numerator is in 人 and the denominator in 元",
            id="ratio-of-different-units",
        ),
        pytest.param(
            changed(
                when={
                    "change": {
                        "previous": "flow.interview.revenue.last_year",
                        "current": "flow.interview.revenue.year_to_date",
                        "drop_gt": "revenue_drop_max_pct",
                        "min_days": "revenue_min_elapsed_days",
                    }
                }
            ),
            "'min_days' applies only with 'annualise: true'",
            id="min-days-without-annualise",
        ),
        pytest.param(
            changed(evidence=["flow.interview.staff.nobody"]),
            "unknown question or pre-visit check",
            id="unknown-evidence-source",
        ),
    ],
)
def test_a_broken_rule_is_named_with_its_problem(tmp_path, checklist, rule, problem):
    path = write_rules(tmp_path, [GOOD_RULE | {"id": "test.first"}, rule])

    with pytest.raises(RiskRulesError) as caught:
        load_rules(path, checklist)

    message = str(caught.value)
    assert message.startswith(str(path))
    assert f"rules[2] {rule['id']}" in message
    assert problem in message
    assert isinstance(caught.value, AssistantError)
    assert caught.value.key == "risk.rules_broken"


def test_a_duplicate_rule_id_is_refused(tmp_path, checklist):
    with pytest.raises(RiskRulesError, match=r"rules\[2\] test.rule: duplicate rule id"):
        load_rules(write_rules(tmp_path, [GOOD_RULE, GOOD_RULE]), checklist)


def test_a_key_written_twice_is_refused_with_its_line(tmp_path, checklist):
    path = tmp_path / "risk_rules.yaml"
    path.write_text(
        "version: 1\nrules:\n  - id: a.b\n    title: {zh: 甲, en: A, en: B}\n", encoding="utf-8"
    )

    with pytest.raises(RiskRulesError, match=r"line 4, column \d+: .*written twice"):
        load_rules(path, checklist)


@pytest.mark.parametrize(
    ("top", "problem"),
    [
        pytest.param({"version": 2}, "unsupported version 2", id="version"),
        pytest.param(
            {"measures": {"Bad Name": {"zh": "x", "en": "x"}}}, "lower_case", id="measure"
        ),
        pytest.param({"extra": True}, "unknown field 'extra'", id="unknown-top-key"),
        pytest.param(
            {"classification": None}, "missing the field 'classification'", id="no-classification"
        ),
    ],
)
def test_a_broken_file_header_is_refused(tmp_path, checklist, top, problem):
    with pytest.raises(RiskRulesError, match=problem):
        load_rules(write_rules(tmp_path, [GOOD_RULE], **top), checklist)


def test_a_missing_file_is_reported(tmp_path, checklist):
    with pytest.raises(RiskRulesError, match="cannot be read"):
        load_rules(tmp_path / "absent.yaml", checklist)


# ── the words of the five-tier suggestion ───────────────────────────────────────────────────────


def test_the_shipped_file_labels_all_five_tiers_in_both_languages(rules):
    labels = rules.classification.labels

    assert set(labels) == set(TIERS)
    for tier in TIERS:
        assert labels[tier].zh.strip() and labels[tier].en.strip()
    assert [labels[tier].zh for tier in TIERS] == ["正常", "关注", "次级", "可疑", "损失"]
    assert len({labels[tier].en for tier in TIERS}) == len(TIERS)


def test_the_shipped_file_has_every_reason_in_both_languages(rules):
    texts = rules.classification

    assert set(texts.reasons) == set(REASONS)
    assert all(text.zh and text.en for text in texts.reasons.values())
    assert "2023" in texts.rulebook.zh and "2023" in texts.rulebook.en


# A floor the small test files can have: their one rule, at its one severity.
FLOOR: dict[str, Any] = {
    "id": "use_changed",
    "tier": "special_mention",
    "findings": ["test.rule/warning"],
    "rule": {"zh": "擅自改变资金用途", "en": "a changed use"},
}


def test_a_floor_names_a_rule_of_the_file_and_comes_with_the_texts(tmp_path, checklist):
    classification = classification_with("floors", [{**FLOOR, "kinds": ["corporate"]}])
    rules = load_rules(write_rules(tmp_path, [GOOD_RULE], classification=classification), checklist)

    (floor,) = rules.classification.floors
    assert (floor.id, floor.tier, floor.findings) == (
        "use_changed",
        "special_mention",
        (("test.rule", "warning"),),
    )
    assert floor.kinds == frozenset({"corporate"}) and floor.rule.zh == "擅自改变资金用途"


def classification_with(path: str, value: Any) -> dict[str, Any]:
    """The shipped classification block with the entry at ``path`` (a/b/c) set, or removed when
    ``value`` is None."""
    block = shipped_classification()
    *parents, last = path.split("/")
    entry = block
    for key in parents:
        entry = entry[key]
    if value is None:
        del entry[last]
    else:
        entry[last] = value
    return block


@pytest.mark.parametrize(
    ("path", "value", "where", "problem"),
    [
        pytest.param(
            "reasons/overdue_any/zh",
            "逾期 {dayz} 天",
            "classification/reasons/overdue_any",
            "'overdue_any.zh' quotes {dayz}, which this sentence does not receive "
            "(it can quote: days, rulebook, tier)",
            id="typo-in-zh",
        ),
        pytest.param(
            "reasons/clean/en",
            "Nothing is overdue in {days} days.",
            "classification/reasons/clean",
            "'clean.en' quotes {days}, which this sentence does not receive (it can quote: none)",
            id="value-another-sentence-has",
        ),
        pytest.param(
            "reasons/overdue_any/en",
            "{days} days overdue: more than {line} days",
            "classification/reasons/overdue_any",
            "quotes {line}",
            id="line-where-it-is-zero",
        ),
        pytest.param(
            "reasons/signals/zh",
            "预警信号：{findings|tier}",
            "classification/reasons/signals",
            "quotes {findings|tier}",
            id="no-alternatives",
        ),
        pytest.param(
            "reasons/overdue_beyond/en",
            "{days:d} days overdue",
            "classification/reasons/overdue_beyond",
            "write {days} without a format",
            id="format-spec",
        ),
        pytest.param(
            "reasons/also_found/zh",
            "另发现 {findings",
            "classification/reasons/also_found",
            "write {{ and }} for braces",
            id="unclosed-brace",
        ),
        pytest.param(
            "reasons/worse_on_file",
            None,
            "classification/reasons",
            "missing the field 'worse_on_file'",
            id="missing-reason",
        ),
        pytest.param(
            "reasons/overdue_all",
            {"zh": "逾期", "en": "overdue"},
            "classification/reasons",
            "unknown field 'overdue_all'",
            id="unknown-reason",
        ),
        pytest.param(
            "labels/doubtful",
            None,
            "classification/labels",
            "missing the field 'doubtful'",
            id="missing-tier",
        ),
        pytest.param(
            "labels/loss",
            {"zh": "损失"},
            "classification/labels/loss",
            "missing its 'en' text",
            id="label-without-english",
        ),
        pytest.param(
            "labels/normal",
            {"zh": "正常{tier}", "en": "normal"},
            "classification/labels/normal",
            "plain text",
            id="label-with-a-placeholder",
        ),
        pytest.param(
            "rulebook",
            None,
            "classification",
            "missing the field 'rulebook'",
            id="missing-rulebook",
        ),
        pytest.param(
            "floors",
            [{**FLOOR, "findings": ["use.nowhere"]}],
            "classification/floors[1] use_changed/findings[1]",
            "no rule makes the finding 'use.nowhere'",
            id="floor-names-no-rule",
        ),
        pytest.param(
            "consider",
            [{**FLOOR, "findings": ["test.rule/critical"]}],
            "classification/consider[1] use_changed/findings[1]",
            "no rule makes the finding 'test.rule/critical'",
            id="consider-names-a-severity-the-rule-lacks",
        ),
        pytest.param(
            "floors",
            [{**FLOOR, "tier": "normal"}],
            "classification/floors",
            "unknown tier 'normal'",
            id="floor-at-normal",
        ),
    ],
)
def test_a_broken_classification_block_is_named_with_its_problem(
    tmp_path, checklist, path, value, where, problem
):
    classification = classification_with(path, value)
    rules_path = write_rules(tmp_path, [GOOD_RULE], classification=classification)

    with pytest.raises(RiskRulesError) as caught:
        load_rules(rules_path, checklist)

    assert str(caught.value).startswith(f"{rules_path}: {where}: ")
    assert problem in caught.value.problem
