"""Composing a report from a visit: facts only from the answers, templated or edited prose, and
the similarity measure of the copy-paste check."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.data.checklist import Checklist
from assistant.db.models import ClientKind
from assistant.reports.compose import (
    Facts,
    FactView,
    ReportComposer,
    narrative_text,
    similarity,
    tidy_narrative,
)
from assistant.reports.labels import DEFAULT_TEMPLATES
from assistant.reports.model import ReportData, ReportHeader
from assistant.risk.model import ClassSuggestion, Finding
from assistant.visits.model import VisitSummary
from tests.assistant.reports.conftest import NOW

TEMPLATE_ID = re.compile(r'"((?:flow|check|records)\.[a-z0-9_.]+)"')


def compose(
    composer: ReportComposer,
    header: ReportHeader,
    summary: VisitSummary,
    findings: list[Finding],
    suggestion: ClassSuggestion,
    lang: str = "zh",
    **extra,
) -> ReportData:
    options = {"overrides": {}, "remarks": None, **extra}
    return composer.compose(
        header,
        summary,
        findings=findings,
        suggestion=suggestion,
        files=[],
        lang=lang,
        status="draft",
        version=1,
        now=NOW,
        **options,
    )


def test_an_individual_report_is_laid_out_and_filled_from_the_answers(make_report):
    data = make_report("zh")
    assert [s.id for s in data.sections] == [
        "basic",
        "funds_credit",
        "personal",
        "business",
        "guarantor_collateral",
        "bank_dealings",
        "conclusion",
    ]
    facts = {f.source: f for s in data.sections for f in s.facts}
    assert facts["flow.interview.staff.headcount_total"].value == "约35人"
    assert facts["flow.interview.staff.headcount_total"].approximate
    assert facts["flow.interview.liquidity.receivables"].value == "约25万元"
    assert facts["flow.interview.staff.avg_monthly_wage"].value == "4,500元"
    assert facts["flow.interview.loan_use.used_as_agreed"].value == "部分不一致"
    assert facts["flow.interview.debt.guarantees"].value == "否"
    assert facts["records.enforcement"].value == "发现问题"
    assert facts["flow.interview.staff.headcount_total"].raw_text == "35.0"
    # The follow-up sits with its parent, in the section about the use of funds.
    funds = next(s for s in data.sections if s.id == "funds_credit")
    assert "flow.interview.loan_use.diverted_amount" in [f.source for f in funds.facts]
    assert "5万元" in funds.narrative and "装修自住房" in funds.narrative
    assert all(s.narrative_source == "template" for s in data.sections)
    assert [m.zh for m in data.missing_evidence] == ["借款人近三个月个人银行流水", "库存和仓库"]
    assert len(data.skipped) == 2  # one skipped, one required question never answered
    assert data.remarks == "客户配合良好。" and data.version == 2 and data.status == "draft"


def test_an_english_report_has_english_values_and_prose(make_report):
    data = make_report("en")
    facts = {f.source: f for s in data.sections for f in s.facts}
    assert facts["flow.interview.liquidity.receivables"].value == "approx. CNY 250,000"
    assert facts["flow.interview.staff.headcount_present"].value == "30 people"
    text = narrative_text(data)
    assert "CNY 50,000" in text and "Special mention" in text
    assert not re.search(r"[\u4e00-\u9fff]{2,}(?:万元|人)", text)  # no Chinese units leaked


def test_a_corporate_report_follows_the_corporate_layout(
    composer, factory_summary, header_for, findings, suggestion
):
    data = compose(composer, header_for(factory_summary), factory_summary, findings, suggestion)
    assert [s.title.zh for s in data.sections][-1] == "检查结论"
    by_id = {s.id: s for s in data.sections}
    assert set(by_id) == {
        "basic",
        "financing",
        "basic_changes",
        "finances",
        "non_financial",
        "conclusion",
    }
    finances = by_id["finances"]
    assert "5,200万元" in finances.narrative and "资产负债率62%" in finances.narrative
    assert "未按时报送年报" in by_id["basic_changes"].narrative
    assert "保证人公司被列为被执行人" in by_id["non_financial"].narrative
    assert "关注" in by_id["conclusion"].narrative
    assert by_id["conclusion"].facts == ()


def test_an_officers_text_replaces_the_paragraph_and_is_marked(make_report, caplog):
    data = make_report(
        "zh", overrides={"business": "  店面已扩大。  ", "personal": "   ", "nope": "x"}
    )
    by_id = {s.id: s for s in data.sections}
    assert by_id["business"].narrative == "店面已扩大。"
    assert by_id["business"].narrative_source == "edited"
    # An empty edit means "back to the default"; the facts never change with an edit.
    assert by_id["personal"].narrative_source == "template"
    assert by_id["personal"].narrative == "借款人及保证人家庭无重大变化。"
    assert (
        by_id["business"].facts == {s.id: s for s in make_report("zh").sections}["business"].facts
    )
    assert "nope" in caplog.text


def test_default_narratives_give_the_templated_text_back(
    composer, shop_summary, header_for, findings, suggestion
):
    summary = shop_summary()
    edited = compose(
        composer,
        header_for(summary),
        summary,
        findings,
        suggestion,
        overrides={"basic": "我写的。"},
    )
    defaults = composer.default_narratives(
        header_for(summary), summary, findings=findings, suggestion=suggestion, lang="zh"
    )
    assert set(defaults) == {s.id for s in edited.sections}
    assert defaults["basic"].startswith("本次对张记五金店进行定期检查。")
    plain = compose(composer, header_for(summary), summary, findings, suggestion)
    assert defaults == {s.id: s.narrative for s in plain.sections}


def test_an_empty_section_says_nothing_was_recorded(composer, summary_of, header_for, suggestion):
    summary = summary_of(ClientKind.INDIVIDUAL)
    data = compose(composer, header_for(summary), summary, [], suggestion, lang="en")
    personal = next(s for s in data.sections if s.id == "personal")
    assert personal.narrative == "Nothing was recorded for this part at this visit."
    assert "found no risk signals" in data.sections[-1].narrative


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("check", ["purpose", "periodic"])
@pytest.mark.parametrize("kind", [ClientKind.CORPORATE, ClientKind.INDIVIDUAL])
def test_every_narrative_template_renders_every_branch(
    composer: ReportComposer,
    checklist: Checklist,
    full_summary: Callable[[ClientKind, str, int], VisitSummary],
    header_for,
    findings,
    suggestion,
    lang: str,
    check: str,
    kind: ClientKind,
    monkeypatch: pytest.MonkeyPatch,
):
    """Every applicable question answered, five times over to reach every yes/no, option and
    look-up result: StrictUndefined fails on any mistake, and every fact gets a sentence of its
    own rather than the generic fallback line."""
    # What each paragraph left to the generic "<label>：<value>" line at its end.
    left: list[str] = []
    unmentioned = Facts.unmentioned

    def recorded(facts: Facts) -> list[FactView]:
        views = unmentioned(facts)
        left.extend(view.id for view in views)
        return views

    monkeypatch.setattr(Facts, "unmentioned", recorded)
    for flavour in range(5):
        summary = full_summary(kind, check, flavour)
        data = compose(composer, header_for(summary), summary, findings, suggestion, lang=lang)
        text = narrative_text(data)
        assert "None" not in text and "{{" not in text and "。。" not in text
        for precheck in checklist.prechecks:
            assert f"{precheck.title.get(lang)}{'：' if lang == 'zh' else ':'}" not in text
        assert not left, f"no sentence of their own ({lang}): {sorted(set(left))}"


def test_a_question_without_a_sentence_still_reaches_the_paragraph(composer: ReportComposer):
    # A question the bank adds to the checklist has no sentence yet: it is restated generically.
    template = composer._env.get_template("zh/narrative/_default.j2")
    facts = Facts(
        [
            FactView("new.question", "新问题？", "答案", "答案", False, True),
            FactView("flow.interview.debt.guarantees", "担保？", "否", False, False, False),
        ]
    )
    text = tidy_narrative(template.render(f=facts), "zh")
    assert text == "无对外担保。\n新问题：答案。"


def test_templates_name_only_real_checklist_ids(checklist: Checklist):
    known = {i.id for i in checklist.all_items()} | {c.id for c in checklist.prechecks}
    for path in sorted(Path(DEFAULT_TEMPLATES).glob("*/narrative/*.j2")):
        named = set(TEMPLATE_ID.findall(path.read_text(encoding="utf-8")))
        prefixes = {n for n in named if n.endswith((".purpose", ".periodic"))}
        assert named - prefixes <= known, f"{path.name}: {sorted(named - prefixes - known)}"


def test_both_languages_have_the_same_narrative_templates():
    zh = {p.name for p in (DEFAULT_TEMPLATES / "zh" / "narrative").glob("*.j2")}
    en = {p.name for p in (DEFAULT_TEMPLATES / "en" / "narrative").glob("*.j2")}
    assert zh == en and "_default.j2" in zh


def test_narrative_text_joins_the_paragraphs_in_order(make_report):
    data = make_report("zh")
    text = narrative_text(data)
    assert text.startswith(data.sections[0].narrative)
    assert text.endswith(data.sections[-1].narrative)
    assert text.count("\n\n") == len(data.sections) - 1


def test_tidy_joins_lines_and_keeps_paragraphs():
    assert (
        tidy_narrative("第一句。\n  第二句。\n\n\n第三段。", "zh") == "第一句。第二句。\n第三段。"
    )
    assert tidy_narrative("Rent\n, CNY 5.\nDone ( yes ) .", "en") == "Rent, CNY 5. Done (yes)."


class TestSimilarity:
    def test_the_same_text_is_1_and_unrelated_text_near_0(self):
        a = "借款人经营正常，贷款用于进货，未发现挪用。员工三十五人，库存充足。"
        assert similarity(a, a) == 1.0
        assert similarity(a, "抵押物为商铺一间，位于城东，市场价值稳定。") < 0.1

    def test_reformatting_and_reordering_do_not_hide_a_copy(self):
        a = "借款人经营正常，贷款用于进货。\n未发现挪用资金的情况。"
        b = "未发现挪用资金的情况！  借款人经营正常 贷款用于进货"
        assert similarity(a, b) > 0.8

    def test_a_changed_figure_lowers_the_score_only_a_little(self):
        a = "去年全年营业额300万元，今年以来营业额120万元，毛利率18%，经营正常。"
        b = a.replace("300", "320").replace("120", "125")
        assert 0.6 < similarity(a, b) < 1.0

    def test_it_is_symmetric_and_bounded(self):
        a, b = "Operations are normal.", "Operations are declining."
        assert similarity(a, b) == similarity(b, a)
        assert 0.0 < similarity(a, b) < 1.0

    def test_nothing_to_compare_scores_0(self):
        assert similarity("", "") == 0.0
        assert similarity("。。", "！") == 0.0
        assert similarity("好", "好") == 1.0


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            "经营场地面积120平方米，自有场地，不交租。\n没有应收款，现款现结。没有应付款。",
        ),
        (
            "en",
            "Premises: 120 sq m, owned, no rent.\nNo receivables: customers pay cash on delivery."
            " No payables.",
        ),
    ],
)
def test_nothing_is_said_in_words_not_as_a_figure(composer: ReportComposer, lang, expected):
    """「月租金0元」「应收账款0元，账期0天，相当于全年营业额的0%」 read as figures: an owned
    shop and cash sales are said as such, each once."""
    template = composer._env.get_template(f"{lang}/narrative/_default.j2")
    said = {
        "zh": ("自有场地，不交租", "没有应收款", "现款现结", "几乎没有", "没有应付款"),
        "en": ("Owned, no rent", "None", "Cash on delivery", "Almost none", "None"),
    }[lang]
    area = "120平方米" if lang == "zh" else "120 sq m"
    facts = Facts(
        [
            FactView("flow.interview.staff.office_area", "面积", area, 120.0, False, False),
            FactView("flow.interview.staff.monthly_rent", "月租金", said[0], 0.0, False, False),
            FactView("flow.interview.liquidity.receivables", "应收", said[1], 0.0, False, False),
            FactView(
                "flow.interview.liquidity.receivables_terms", "账期", said[2], 0, False, False
            ),
            FactView(
                "flow.interview.liquidity.receivables_share", "占比", said[3], 0, False, False
            ),
            FactView("flow.interview.liquidity.payables", "应付", said[4], 0.0, False, False),
        ]
    )
    text = tidy_narrative(template.render(f=facts), lang)
    assert text == expected
    assert "0元" not in text and "0%" not in text
