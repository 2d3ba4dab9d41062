"""The sections file: the real one covers domain facts §4, and mistakes name file and section."""

from pathlib import Path

import pytest

from assistant.data.checklist import Checklist
from assistant.reports.sections import DEFAULT_PATH, ReportSectionsError, load_sections

VALID = """
version: 1
corporate:
  - id: money
    title: {zh: 财务状况, en: Finances}
    groups: [flow.interview.revenue]
  - id: other
    title: {zh: 其他, en: Other}
    rest: true
individual:
  - id: all
    title: {zh: 全部, en: All}
    rest: true
    items: [flow.interview.loan_use.used_as_agreed]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report_sections.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_real_file_has_the_sections_of_a_post_loan_report(checklist: Checklist):
    sections = load_sections(checklist, DEFAULT_PATH)
    corporate = [s.title.zh for s in sections.for_kind("corporate")]
    individual = [s.title.zh for s in sections.for_kind("individual")]
    assert corporate == [
        "基本情况",
        "融资及资金用途",
        "基本信息变化",
        "财务状况",
        "非财务因素、保证人及抵押物",
        "检查结论",
    ]
    assert individual == [
        "基本情况",
        "资金用途及信用变化",
        "个人情况变化",
        "经营变化",
        "保证人与抵押物",
        "与本行往来",
        "检查结论",
    ]


def test_every_fact_lands_in_a_section_of_its_kind(checklist: Checklist):
    sections = load_sections(checklist, DEFAULT_PATH)
    for kind in ("corporate", "individual"):
        ids = {s.id for s in sections.for_kind(kind)}
        assert {sections.section_of_item(kind, i.id) for i in checklist.all_items()} <= ids
        assert {sections.section_of_precheck(kind, c.id) for c in checklist.prechecks} <= ids
    assert sections.section_of_item("corporate", "flow.interview.revenue.gross_margin") == (
        "finances"
    )
    assert sections.section_of_precheck("individual", "records.movable_collateral") == (
        "guarantor_collateral"
    )


def test_a_follow_up_goes_where_its_parent_is_named(checklist: Checklist, tmp_path: Path):
    sections = load_sections(checklist, write(tmp_path, VALID))
    # used_as_agreed is named in 'all'; its follow-up diverted_amount comes along.
    assert sections.section_of_item("individual", "flow.interview.loan_use.diverted_amount") == (
        "all"
    )
    assert sections.section_of_item("corporate", "flow.interview.revenue.last_year") == "money"
    assert sections.section_of_item("corporate", "flow.interview.loan_use.actual_use") == "other"
    assert sections.section_of_item("corporate", "a.question.added.later") == "other"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "groups: [flow.interview.revenue]",
            "groups: [flow.interview.revenu]",
            "corporate/money: unknown checklist group 'flow.interview.revenu'",
        ),
        (
            "items: [flow.interview.loan_use.used_as_agreed]",
            "items: [flow.interview.loan_use.nope]",
            "individual/all: unknown checklist question 'flow.interview.loan_use.nope'",
        ),
        (
            "groups: [flow.interview.revenue]",
            "prechecks: [records.nope]",
            "corporate/money: unknown pre-visit check 'records.nope'",
        ),
        (
            "groups: [flow.interview.revenue]",
            "groups: [check.individual.purpose]",
            "corporate/money: checklist group 'check.individual.purpose' never applies to "
            "corporate borrowers",
        ),
        (
            "groups: [flow.interview.revenue]",
            "groups: [flow.interview.revenue, flow.interview.revenue]",
            "corporate/money: group 'flow.interview.revenue' is already shown in 'money'",
        ),
        ("    rest: true\nindividual", "individual", "corporate: exactly one section needs"),
        (
            "title: {zh: 财务状况, en: Finances}",
            "title: {zh: 财务状况}",
            "corporate/money: 'title'",
        ),
        ("  - id: money", "  - id: Money", "corporate[1]: 'id' must be a lower_case name"),
        ("version: 1", "version: 2", "'version' must be 1"),
    ],
)
def test_a_mistake_names_the_file_and_the_section(
    checklist: Checklist, tmp_path: Path, old: str, new: str, message: str
):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ReportSectionsError) as caught:
        load_sections(checklist, path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_kind_without_sections_and_broken_yaml_are_reported(checklist: Checklist, tmp_path: Path):
    without = write(tmp_path, VALID.split("individual:")[0])
    with pytest.raises(ReportSectionsError, match="'individual' borrowers are missing"):
        load_sections(checklist, without)
    broken = write(tmp_path, "version: [1\n")
    with pytest.raises(ReportSectionsError, match="not valid YAML"):
        load_sections(checklist, broken)


def test_an_unknown_kind_is_a_programming_error(checklist: Checklist):
    with pytest.raises(ValueError, match="unknown borrower kind"):
        load_sections(checklist, DEFAULT_PATH).for_kind("company")
