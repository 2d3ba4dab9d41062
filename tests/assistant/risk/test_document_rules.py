"""The ``document:`` condition: what a read and confirmed document says against the record
becomes a finding that quotes both and points at the photo; ratio checks compare with the bank's
thresholds; the loader refuses a check, a result or a comparison it does not know."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from assistant.config import Settings
from assistant.data.vocabulary import Bilingual
from assistant.errors import AssistantError
from assistant.evidence.crosscheck import DocumentCheck
from assistant.risk.model import EvidenceRef, Finding, RiskFacts, Severity
from assistant.risk.rules import RiskEngine, RiskRulesError, load_rules
from assistant.risk.thresholds import RiskThresholds, thresholds_from_settings

from .builders import make_facts
from .test_rules import write_rules

LICENCE = Bilingual("营业执照", "Business licence")
STATEMENTS = Bilingual(
    "近三个月主要结算账户银行对账单", "Last 3 months of main bank account statements"
)


def legal_representative(status: str = "mismatch", evidence_id: int = 41) -> DocumentCheck:
    return DocumentCheck(
        "licence.legal_representative",
        evidence_id,
        LICENCE,
        Bilingual("李四", "李四"),
        Bilingual("张建华", "张建华"),
        status=status,
    )


def inflow(ratio: float, evidence_id: int = 42) -> DocumentCheck:
    return DocumentCheck(
        "statement.inflow",
        evidence_id,
        STATEMENTS,
        Bilingual("月均流入 30.00 万元", "CNY 300,000 a month in"),
        Bilingual("自述月均营业额 100.00 万元", "CNY 1,000,000 a month stated"),
        ratio=ratio,
    )


def with_documents(*checks: DocumentCheck) -> RiskFacts:
    return replace(make_facts(), documents={check.check: check for check in checks})


def finding_of(findings: list[Finding], rule_id: str) -> Finding | None:
    return next((f for f in findings if f.rule_id == rule_id), None)


def fired(engine: RiskEngine, facts: RiskFacts) -> set[str]:
    return {f.rule_id for f in engine.evaluate(facts) if f.rule_id.startswith("document.")}


# --- The shipped rules ----------------------------------------------------------------------


def test_a_new_legal_representative_and_low_inflows_are_findings_that_quote_both_sides(engine):
    findings = engine.evaluate(with_documents(legal_representative(), inflow(0.3)))

    changed = finding_of(findings, "document.legal_representative_changed")
    assert changed is not None
    assert changed.severity is Severity.WARNING
    assert "「李四」" in changed.detail.zh and "「张建华」" in changed.detail.zh
    assert "照片 #41" in changed.detail.zh
    assert "李四" in changed.detail.en and "张建华" in changed.detail.en
    assert "photo #41" in changed.detail.en
    assert changed.evidence == (EvidenceRef("file", "41", LICENCE, Bilingual("李四", "李四")),)

    low = finding_of(findings, "document.inflow_below_revenue")
    assert low is not None
    assert low.severity is Severity.WARNING
    assert "月均流入 30.00 万元" in low.detail.zh
    assert "自述月均营业额 100.00 万元" in low.detail.zh
    assert "30%" in low.detail.zh and "30%" in low.detail.en
    assert "CNY 1,000,000 a month stated" in low.detail.en
    ((kind, ref, label),) = [(e.kind, e.ref, e.label) for e in low.evidence]
    assert (kind, ref, label) == ("file", "42", STATEMENTS)
    for finding in (changed, low):
        assert "{" not in finding.detail.zh + finding.detail.en
        assert finding.measures


def test_a_matching_licence_and_inflows_at_the_threshold_give_no_finding(engine):
    assert fired(engine, with_documents(legal_representative("match"), inflow(0.5))) == set()
    assert fired(engine, with_documents(inflow(1.4))) == set()


def test_without_read_documents_no_document_rule_fires(engine):
    assert fired(engine, make_facts()) == set()


@pytest.mark.parametrize(
    ("check", "rule_id", "severity"),
    [
        ("licence.credit_code", "document.credit_code_mismatch", Severity.CRITICAL),
        ("licence.name", "document.name_mismatch", Severity.WARNING),
        ("licence.address", "document.address_mismatch", Severity.WARNING),
        ("signboard.name", "document.signboard_mismatch", Severity.WARNING),
    ],
)
def test_each_identity_mismatch_has_its_rule(engine, check, rule_id, severity):
    mismatch = replace(legal_representative(), check=check)

    found = finding_of(engine.evaluate(with_documents(mismatch)), rule_id)

    assert found is not None and found.severity is severity
    assert fired(engine, with_documents(replace(mismatch, status="match"))) == set()


def test_an_unrelated_invoice_is_worth_a_question(engine):
    unrelated = DocumentCheck(
        "invoice.counterparty",
        43,
        Bilingual("进项、销项发票", "Purchase and sales invoices"),
        Bilingual("上海美妆日化有限公司（*化妆品*面霜）", "上海美妆日化有限公司（*化妆品*面霜）"),
        Bilingual("自述上下游：宁波钢材", "Stated partners: 宁波钢材"),
        status="unrelated",
    )

    found = finding_of(engine.evaluate(with_documents(unrelated)), "document.invoice_unrelated")

    assert found is not None and found.severity is Severity.ATTENTION
    assert fired(engine, with_documents(replace(unrelated, status="related"))) == set()


def test_a_sharp_fall_in_utility_use_is_a_finding_and_a_small_one_is_not(engine):
    def consumption(ratio: float) -> DocumentCheck:
        return DocumentCheck(
            "utility.consumption",
            44,
            Bilingual("水、电、燃气费单据", "Water, electricity and gas bills"),
            Bilingual("日均 50.0 kWh", "50.0 kWh a day"),
            Bilingual("上次回访时日均 100.0 kWh", "100.0 kWh a day last visit"),
            ratio=ratio,
        )

    assert fired(engine, with_documents(consumption(0.5))) == {"document.utility_drop"}
    assert fired(engine, with_documents(consumption(0.6))) == set()


def test_the_inflow_threshold_is_a_setting(rules, monkeypatch):
    visit = with_documents(inflow(0.4))
    monkeypatch.setenv("RISK_STATEMENT_INFLOW_MIN_RATIO", "0.3")
    lenient = RiskEngine(rules, thresholds_from_settings(Settings(_env_file=None)))
    monkeypatch.setenv("RISK_STATEMENT_INFLOW_MIN_RATIO", "0.8")
    strict = RiskEngine(rules, thresholds_from_settings(Settings(_env_file=None)))

    assert fired(RiskEngine(rules, RiskThresholds()), visit) == {"document.inflow_below_revenue"}
    assert fired(lenient, visit) == set()
    assert fired(strict, with_documents(inflow(0.7))) == {"document.inflow_below_revenue"}


# --- The loader -----------------------------------------------------------------------------


def document_rule(condition: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "test.document",
        "severity": "warning",
        "title": {"zh": "测试", "en": "Test"},
        "detail": {"zh": "{document} / {record}（{file}）", "en": "{document} / {record} ({file})"},
        "when": {"document": condition},
        "measures": ["monitor"],
        **fields,
    }


FIRST = document_rule({"check": "licence.name", "is": "mismatch"}, id="test.first")


def test_a_document_rule_with_is_in_or_a_threshold_loads_and_fires(tmp_path, checklist):
    rules = [
        FIRST,
        document_rule(
            {"check": "licence.legal_representative", "in": ["mismatch"]}, id="test.second"
        ),
        document_rule(
            {"check": "statement.inflow", "lt": "statement_inflow_min_ratio"}, id="test.third"
        ),
        document_rule({"check": "utility.consumption", "gte": 0.9, "lte": 1.1}, id="test.fourth"),
    ]
    loaded = load_rules(write_rules(tmp_path, rules), checklist)
    engine = RiskEngine(loaded, RiskThresholds())

    assert loaded.thresholds == {"statement_inflow_min_ratio"}
    found = engine.evaluate(with_documents(legal_representative(), inflow(0.3)))
    assert [f.rule_id for f in found] == ["test.second", "test.third"]
    assert found[0].detail.zh == "李四 / 张建华（照片 #41）"


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        pytest.param(
            {"check": "licence.colour", "is": "mismatch"},
            "unknown document check 'licence.colour'",
            id="unknown-check",
        ),
        pytest.param(
            {"check": "licence.nam", "is": "mismatch"},
            "did you mean 'licence.name'?",
            id="misspelt-check",
        ),
        pytest.param(
            {"check": "licence.name", "is": "different"},
            "unknown result 'different' of licence.name (results: match, mismatch)",
            id="unknown-status",
        ),
        pytest.param(
            {"check": "invoice.counterparty", "in": ["related", "mismatch"]},
            "unknown result 'mismatch' of invoice.counterparty",
            id="status-of-another-check",
        ),
        pytest.param(
            {"check": "licence.name", "in": "mismatch"},
            "'in' must be a list of results",
            id="in-not-a-list",
        ),
        pytest.param(
            {"check": "licence.name", "in": []},
            "'in' must be a list of results",
            id="in-empty",
        ),
        pytest.param(
            {"check": "statement.inflow", "is": "mismatch"},
            "statement.inflow is a ratio: compare it with gt, gte, lt or lte",
            id="ratio-with-is",
        ),
        pytest.param(
            {"check": "utility.consumption", "lt": 0.5, "in": ["match"]},
            "utility.consumption is a ratio",
            id="ratio-with-a-limit-and-in",
        ),
        pytest.param(
            {"check": "statement.inflow"},
            "statement.inflow is a ratio",
            id="ratio-without-a-comparison",
        ),
        pytest.param(
            {"check": "statement.inflow", "lt": "debt_ratio_max_pct"},
            "threshold 'debt_ratio_max_pct' is in the wrong unit",
            id="ratio-against-a-percentage",
        ),
        pytest.param(
            {"check": "licence.name", "is": "mismatch", "lt": 0.5},
            "write exactly one of 'is' or 'in' for licence.name",
            id="identity-with-a-limit",
        ),
        pytest.param(
            {"check": "licence.name"},
            "write exactly one of 'is' or 'in' for licence.name",
            id="identity-without-a-result",
        ),
        pytest.param(
            {"is": "mismatch"},
            "is missing the field 'check'",
            id="no-check",
        ),
    ],
)
def test_a_broken_document_condition_is_named_with_its_problem(
    tmp_path, checklist, condition, problem
):
    path = write_rules(tmp_path, [FIRST, document_rule(condition)])

    with pytest.raises(RiskRulesError) as caught:
        load_rules(path, checklist)

    message = str(caught.value)
    assert message.startswith(str(path))
    assert "rules[2] test.document/when/document" in message
    assert problem in message
    assert isinstance(caught.value, AssistantError)


def test_a_document_detail_may_quote_only_what_the_condition_gives(tmp_path, checklist):
    rule = document_rule(
        {"check": "licence.name", "is": "mismatch"},
        detail={"zh": "{document} {amount}", "en": "{document} {amount}"},
    )
    with pytest.raises(RiskRulesError, match=r"quotes \{amount\}, which this rule does not read"):
        load_rules(write_rules(tmp_path, [rule]), checklist)
