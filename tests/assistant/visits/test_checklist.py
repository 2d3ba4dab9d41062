"""The visit checklist: the bank's file loads and says what the article asks; broken files are named
with the exact place."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.data.checklist import (
    STEPS,
    AnswerType,
    Checklist,
    ChecklistError,
    load_checklist,
    walk,
)
from assistant.data.vocabulary import Bilingual
from assistant.errors import AssistantError
from assistant.knowledge.entries import load_entries
from assistant.visits.parsing import parse_quantity

REPO = Path(__file__).resolve().parents[3]
CHECKLIST = REPO / "knowledge" / "checklist.yaml"
INTERVIEW_GROUPS = [
    "flow.interview.business",
    "flow.interview.staff",
    "flow.interview.liquidity",
    "flow.interview.supply_chain",
    "flow.interview.revenue",
    "flow.interview.loan_use",
    "flow.interview.debt",
    "flow.interview.collateral",
    "flow.interview.repayment",
]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(CHECKLIST)


def ids(entries: Any) -> list[str]:
    return [entry.id for entry in entries]


# ── the bank's file ────────────────────────────────────────────────────────────────────────────


def test_the_repo_checklist_loads_with_the_steps_in_visit_order(checklist):
    assert ids(checklist.steps) == list(STEPS)
    assert ids(checklist.prechecks) == [
        "records.enterprise_credit",
        "records.credit_report",
        "records.enforcement",
        "records.judgments",
        "records.movable_collateral",
    ]
    assert {group.step for group in checklist.groups} == {"interview", "checkpoints"}


def test_the_interview_has_the_articles_nine_groups_with_at_least_three_questions(checklist):
    interview = [group for group in checklist.groups if group.step == "interview"]
    assert ids(interview) == INTERVIEW_GROUPS
    for group in interview:
        assert len(group.items) >= 3, group.id
        assert all(item.id.startswith(f"{group.id}.") for item in group.items), group.id


def test_the_staff_questions_have_stable_ids_units_and_ranges(checklist):
    staff = checklist.group("flow.interview.staff")
    # Other sites first: it follows the address questions, and their usual answers go in one tap.
    assert ids(staff.items) == [
        "flow.interview.staff.other_sites",
        "flow.interview.staff.headcount_total",
        "flow.interview.staff.headcount_present",
        "flow.interview.staff.avg_monthly_wage",
        "flow.interview.staff.office_area",
        "flow.interview.staff.monthly_rent",
    ]
    headcount = checklist.item("flow.interview.staff.headcount_total")
    assert (headcount.type, headcount.unit, headcount.integer) == (AnswerType.NUMBER, "人", True)
    assert (headcount.minimum, headcount.maximum) == (0, 100_000)
    area = checklist.item("flow.interview.staff.office_area")
    assert (area.unit, area.minimum, area.maximum) == ("平方米", 0, 1_000_000)


def test_money_is_stored_in_yuan_whatever_unit_the_officer_types_in(checklist):
    receivables = checklist.item("flow.interview.liquidity.receivables")
    assert (receivables.type, receivables.unit, receivables.scale) == (
        AnswerType.MONEY,
        "万元",
        1e4,
    )
    assert receivables.maximum == 1e11  # 10,000,000 万元, in yuan
    assert receivables.typed_range() == (0, 1e7)
    assert receivables.accepts(1_250_000) and not receivables.accepts(-1)
    wage = checklist.item("flow.interview.staff.avg_monthly_wage")
    assert (wage.unit, wage.scale, wage.maximum) == ("元", 1, 100_000)


def test_every_range_is_sensible_and_every_unit_is_one_the_answer_parser_reads(checklist):
    numeric = [i for i in checklist.all_items() if i.type in (AnswerType.NUMBER, AnswerType.MONEY)]
    assert len(numeric) > 20
    for item in numeric:
        assert item.minimum is not None and item.maximum is not None, item.id
        assert item.minimum <= item.maximum, item.id
        if item.unit == "%":
            assert item.minimum >= -100 and item.maximum <= 300, item.id
        low, high = item.typed_range()
        assert parse_quantity("1", item.unit, minimum=low, maximum=high).value == 1, item.id
        assert all(low * item.scale <= q.value <= high * item.scale for q in item.quick), item.id


def test_every_id_is_unique_and_shaped_by_its_place(checklist):
    everything = [
        *ids(checklist.steps),
        *ids(checklist.prechecks),
        *ids(checklist.groups),
        *ids(checklist.all_items()),
        *ids(checklist.documents),
        *ids(checklist.photo_categories),
    ]
    assert len(everything) == len(set(everything))
    assert all(d.id.startswith("doc.") for d in checklist.documents)
    assert all(p.id.startswith("photo.") for p in checklist.photo_categories)
    for item in checklist.all_items():
        assert item.id.startswith(f"{item.group}."), item.id


def test_overlapping_ids_reuse_the_knowledge_base_ids(checklist):
    kb = {entry.id for entry in load_entries(REPO / "knowledge" / "kb")}
    referenced = {
        *ids(checklist.groups),
        *ids(checklist.prechecks),
        *(step.kb for step in checklist.steps if step.kb),
    }
    assert referenced - kb == set()
    assert {
        "check.corporate.purpose",
        "check.corporate.periodic.working_capital",
        "check.corporate.periodic.project",
        "check.individual.purpose",
        "check.individual.periodic.working_capital",
    } <= set(ids(checklist.groups))


def bilinguals(value: Any, where: str = "") -> Iterator[tuple[str, Bilingual]]:
    if isinstance(value, Bilingual):
        yield where, value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from bilinguals(getattr(value, f.name), f"{where}/{getattr(value, 'id', f.name)}")
    elif isinstance(value, tuple):
        for entry in value:
            yield from bilinguals(entry, where)


def test_every_label_and_prompt_exists_in_chinese_and_english(checklist):
    labels = list(bilinguals(checklist))
    # Steps, checks, groups, questions, options, quick replies, documents, photos: hundreds.
    assert len(labels) > 300
    for where, label in labels:
        assert CJK.search(label.zh), (where, label.zh)
        assert LATIN.search(label.en), (where, label.en)
    option_labels = [o.label for i in checklist.all_items() for o in i.options]
    assert option_labels and all(o.zh and o.en for o in option_labels)


# ── applicability ──────────────────────────────────────────────────────────────────────────────


def test_a_small_shops_first_check_differs_from_a_companys_project_check(checklist):
    shop = ids(checklist.items_for("individual", {"personal_business"}, "purpose", {}))
    project = ids(checklist.items_for("corporate", {"fixed_asset"}, "periodic", {}))

    assert "check.corporate.periodic.project.progress" in project
    assert "check.corporate.periodic.project.in_production" in project
    assert not any(i.startswith("check.corporate.periodic.project.") for i in shop)
    assert "check.individual.purpose.used_as_agreed" in shop
    assert not any(i.startswith("check.individual.") for i in project)
    assert not any(i.startswith("check.corporate.purpose.") for i in project)
    # Both walk the interview groups in the article's order, then the checkpoints.
    for visit in (shop, project):
        groups = [i.rsplit(".", 1)[0] for i in visit]
        interview = [g for g in dict.fromkeys(groups) if g.startswith("flow.interview.")]
        assert interview == INTERVIEW_GROUPS
        last_question = max(n for n, i in enumerate(visit) if i.startswith("flow."))
        assert all(i.startswith("check.") for i in visit[last_question + 1 :])
        assert len(visit) > last_question + 1


def test_the_working_capital_checkpoint_follows_the_product_and_the_check(checklist):
    periodic = ids(checklist.items_for("corporate", {"working_capital"}, "periodic"))
    purpose = ids(checklist.items_for("corporate", {"working_capital"}, "purpose"))
    shop = ids(checklist.items_for("individual", {"personal_business"}, "focused"))
    assert "check.corporate.periodic.working_capital.raw_materials" in periodic
    assert "check.corporate.periodic.working_capital.raw_materials" not in purpose
    assert "check.corporate.purpose.used_as_agreed" in purpose
    assert "check.individual.periodic.working_capital.daily_operations" in shop
    assert "check.individual.periodic.family_changes" in shop


def test_a_consumer_loan_skips_the_business_questions(checklist):
    consumer = ids(checklist.items_for("individual", {"personal_consumption"}, "periodic"))
    assert "flow.interview.loan_use.used_as_agreed" in consumer
    assert "flow.interview.debt.other_debts" in consumer
    assert not any(i.startswith("flow.interview.staff.") for i in consumer)
    assert "flow.interview.business.main_business_changed" not in consumer
    assert "check.individual.periodic.market" not in consumer
    sections = ids(checklist.groups_for("individual", {"personal_consumption"}, "periodic"))
    assert "flow.interview.loan_use" in sections and "flow.interview.staff" not in sections


def test_documents_and_photos_follow_the_borrower_kind_and_product(checklist):
    shop_docs = checklist.documents_for("individual", {"personal_business"})
    company_docs = checklist.documents_for("corporate", {"fixed_asset"})
    assert "doc.personal_statements" in ids(shop_docs)
    assert "doc.personal_statements" not in ids(company_docs)
    assert "doc.bank_statements" in ids(company_docs)
    assert "doc.bank_statements" not in ids(shop_docs)
    for wanted in ("doc.invoices", "doc.delivery_notes", "doc.utility_bills", "doc.phone_bills"):
        assert wanted in ids(company_docs)
    licence = next(d for d in company_docs if d.id == "doc.business_licence")
    assert licence.is_required("corporate", {"fixed_asset"})
    invoices = next(d for d in shop_docs if d.id == "doc.invoices")
    assert not invoices.is_required("individual", {"personal_business"})

    company_photos = {p.id: p for p in checklist.photo_categories_for("corporate", {"fixed_asset"})}
    shop_photos = {
        p.id: p for p in checklist.photo_categories_for("individual", {"personal_business"})
    }
    assert {"photo.signboard", "photo.office_staff", "photo.inventory", "photo.collateral"} <= set(
        shop_photos
    )
    assert "photo.production_line" in company_photos and "photo.production_line" not in shop_photos
    assert company_photos["photo.project_site"].is_required("corporate", {"fixed_asset"})
    assert "photo.project_site" not in checklist_photo_ids(
        checklist, "corporate", {"working_capital"}
    )
    assert shop_photos["photo.inventory"].is_required("individual", {"personal_business"})
    assert not company_photos["photo.inventory"].is_required("corporate", {"fixed_asset"})


def checklist_photo_ids(checklist: Checklist, kind: str, products: set[str]) -> list[str]:
    return ids(checklist.photo_categories_for(kind, products))


def test_an_adverse_enforcement_finding_adds_its_interview_questions(checklist):
    def debt(findings: dict[str, str]) -> list[str]:
        items = checklist.items_for("corporate", {"working_capital"}, "periodic", findings)
        return [i for i in ids(items) if i.startswith("flow.interview.debt.")]

    added = ["flow.interview.debt.enforcement_details", "flow.interview.debt.enforcement_impact"]
    assert not set(added) & set(debt({}))
    assert not set(added) & set(debt({"records.enforcement": "clear"}))
    adverse = debt({"records.enforcement": "adverse"})
    assert [i for i in adverse if i in added] == added
    assert checklist.precheck("records.enforcement").adds == tuple(added)
    # A finding the file no longer knows (stored before an edit) does not stop the visit.
    assert debt({"records.retired_check": "adverse"}) == debt({})
    # The article: ask whether it affects the business, and how.
    impact = checklist.item("flow.interview.debt.enforcement_impact")
    assert ids(checklist.follow_ups(impact.id, "serious")) == [
        "flow.interview.debt.enforcement_impact_details"
    ]
    assert checklist.follow_ups(impact.id, "no_effect") == []


def test_each_pre_visit_check_records_a_result_and_adds_questions_when_adverse(checklist):
    for check in checklist.prechecks:
        assert "not_checked" in ids(check.results), check.id
        assert "adverse" in ids(check.results), check.id
        assert check.adds, check.id
        # A public record names its site; the credit report is the bank's own system.
        assert check.id == "records.credit_report" or (check.url or "").startswith("http")
    judgments = checklist.precheck("records.judgments")
    assert "none_found" in ids(judgments.results)
    assert "不代表" in judgments.result("none_found").label.zh
    shop = ids(checklist.prechecks_for("individual", {"personal_business"}))
    consumer = ids(checklist.prechecks_for("individual", {"personal_consumption"}))
    assert "records.enterprise_credit" in shop
    assert consumer == ["records.credit_report", "records.enforcement", "records.judgments"]


# ── follow-ups ─────────────────────────────────────────────────────────────────────────────────

FOLLOW_UPS = [
    (
        "flow.interview.liquidity.receivables_share",
        30,
        29.5,
        [
            "flow.interview.liquidity.receivables_composition",
            "flow.interview.liquidity.collection_cost",
            "flow.interview.liquidity.expected_recovery",
        ],
    ),
    (
        "flow.interview.business.main_business_changed",
        True,
        False,
        ["flow.interview.business.main_business_details"],
    ),
    (
        "flow.interview.business.address_changed",
        True,
        False,
        ["flow.interview.business.address_details"],
    ),
    (
        "flow.interview.loan_use.used_as_agreed",
        "partly",
        "as_agreed",
        ["flow.interview.loan_use.diverted_to", "flow.interview.loan_use.diverted_amount"],
    ),
    (
        "flow.interview.loan_use.used_as_agreed",
        "not_as_agreed",
        "as_agreed",
        ["flow.interview.loan_use.diverted_to", "flow.interview.loan_use.diverted_amount"],
    ),
    (
        "flow.interview.debt.other_debts",
        True,
        False,
        [
            "flow.interview.debt.other_debts_amount",
            "flow.interview.debt.other_debts_counterparties",
        ],
    ),
    (
        "flow.interview.debt.investments",
        True,
        False,
        [
            "flow.interview.debt.investments_amount",
            "flow.interview.debt.investments_counterparties",
        ],
    ),
    (
        "flow.interview.debt.guarantees",
        True,
        False,
        ["flow.interview.debt.guarantees_amount", "flow.interview.debt.guarantees_counterparties"],
    ),
    (
        "flow.interview.collateral.problem",
        True,
        False,
        ["flow.interview.collateral.problem_details"],
    ),
    (
        "check.corporate.purpose.used_as_agreed",
        "partly",
        "as_agreed",
        ["check.corporate.purpose.diverted_to", "check.corporate.purpose.diverted_amount"],
    ),
    (
        "check.corporate.periodic.project.in_production",
        True,
        False,
        ["check.corporate.periodic.project.capacity_reached"],
    ),
]


@pytest.mark.parametrize(("item_id", "triggers", "does_not", "expected"), FOLLOW_UPS)
def test_a_follow_up_is_asked_on_its_condition_and_not_otherwise(
    checklist, item_id, triggers, does_not, expected
):
    asked = checklist.follow_ups(item_id, triggers)
    assert ids(asked) == expected
    assert all(child.parent == item_id for child in asked)
    assert checklist.follow_ups(item_id, does_not) == []
    assert checklist.follow_ups(item_id, None) == []


def test_a_follow_up_answer_of_the_wrong_type_is_a_bug_not_a_silent_no(checklist):
    with pytest.raises(TypeError, match="yes_no"):
        checklist.follow_ups("flow.interview.debt.other_debts", "yes")
    with pytest.raises(TypeError, match="number"):
        checklist.follow_ups("flow.interview.liquidity.receivables_share", True)
    with pytest.raises(KeyError, match="no_such"):
        checklist.follow_ups("flow.interview.debt.no_such", True)


def test_answers_are_checked_against_the_questions_type_and_range(checklist):
    headcount = checklist.item("flow.interview.staff.headcount_total")
    assert headcount.accepts(35) and not headcount.accepts(35.5) and not headcount.accepts(-1)
    assert not headcount.accepts(True)
    use = checklist.item("flow.interview.loan_use.used_as_agreed")
    assert use.accepts("partly") and not use.accepts("maybe")
    assert use.option("partly").label.zh == "部分不一致"
    assert checklist.item("flow.interview.debt.other_debts").accepts(False)
    assert not checklist.item("flow.interview.debt.other_debts").accepts("no")


def test_a_client_from_code_with_an_unknown_kind_product_or_check_is_refused(checklist):
    with pytest.raises(ValueError, match="company"):
        checklist.items_for("company", {"working_capital"}, "periodic")
    with pytest.raises(ValueError, match="mortgage"):
        checklist.documents_for("individual", {"mortgage"})
    with pytest.raises(ValueError, match="annual"):
        checklist.items_for("corporate", {"working_capital"}, "annual")
    with pytest.raises(TypeError):
        checklist.photo_categories_for("corporate", "working_capital")


# ── broken files ───────────────────────────────────────────────────────────────────────────────


def label(zh: str = "标签", en: str = "label") -> dict[str, str]:
    return {"zh": zh, "en": en}


# A table row of implied_by: "no other sites" means "no effect".
implies = {"if": False, "then": "no_effect"}


def minimal() -> dict[str, Any]:
    """The smallest valid file: one check, one document, one group, one photo category."""
    return {
        "version": 1,
        "steps": [
            {
                "id": "prepare",
                "title": label(),
                "checks": [
                    {
                        "id": "records.enforcement",
                        "title": label(),
                        "site": label(),
                        "results": [{"id": "clear", **label()}, {"id": "adverse", **label()}],
                    }
                ],
            },
            {"id": "checkin", "title": label()},
            {
                "id": "documents",
                "title": label(),
                "documents": [{"id": "doc.bank_statements", "title": label()}],
            },
            {
                "id": "interview",
                "title": label(),
                "groups": [
                    {
                        "id": "flow.interview.staff",
                        "title": label(),
                        "items": [
                            {
                                "id": "headcount_total",
                                "prompt": label(),
                                "label": label(),
                                "type": "number",
                                "unit": "人",
                                "max": 100000,
                            },
                            {
                                "id": "other_sites",
                                "prompt": label(),
                                "label": label(),
                                "type": "yes_no",
                                "follow_ups": [
                                    {
                                        "if": {"answer": True},
                                        "ask": [
                                            {
                                                "id": "site_details",
                                                "prompt": label(),
                                                "label": label(),
                                                "type": "text",
                                            }
                                        ],
                                    }
                                ],
                            },
                            {
                                "id": "impact",
                                "prompt": label(),
                                "label": label(),
                                "type": "choice",
                                "when": {"finding": ["records.enforcement=adverse"]},
                                "options": [
                                    {"id": "no_effect", **label()},
                                    {"id": "serious", **label()},
                                ],
                            },
                        ],
                    }
                ],
            },
            {
                "id": "photos",
                "title": label(),
                "photos": [{"id": "photo.signboard", "title": label()}],
            },
            {"id": "checkpoints", "title": label()},
            {"id": "finish", "title": label()},
        ],
    }


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def staff(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["steps"][3]["groups"][0]["items"]


def follow_up(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"if": condition, "ask": [{"id": "x", "prompt": label(), "label": label(), "type": "text"}]}
    ]


STAFF = "interview/flow.interview.staff"
BROKEN = [
    pytest.param(
        (lambda d: staff(d)[2].update(same_as="flow.interview.staff.nothing")),
        f"{STAFF}/impact: 'same_as' must name another question without a 'same_as' of its own, "
        "got 'flow.interview.staff.nothing'",
        id="same-as-unknown",
    ),
    pytest.param(
        (lambda d: staff(d)[2].update(same_as="flow.interview.staff.other_sites")),
        f"{STAFF}/impact: 'same_as' names 'flow.interview.staff.other_sites' of another type",
        id="same-as-another-type",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(unit="people")),
        f"{STAFF}/headcount_total: unknown unit 'people'",
        id="unknown-unit",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(unit="万元")),
        f"{STAFF}/headcount_total: unknown unit '万元' (allowed: 人, 平方米, %, 天, 月); amounts",
        id="money-unit-on-a-number",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(type="numbr")),
        f"{STAFF}/headcount_total: unknown answer type 'numbr'",
        id="unknown-type",
    ),
    pytest.param(
        (lambda d: staff(d)[0]["prompt"].pop("en")),
        f"{STAFF}/headcount_total: 'prompt' is missing its 'en' text",
        id="missing-en-prompt",
    ),
    pytest.param(
        (lambda d: d["steps"][1]["title"].update(zh="  ")),
        "checkin: 'title' is missing its 'zh' text",
        id="blank-zh-title",
    ),
    pytest.param(
        (lambda d: staff(d)[2]["options"][1].pop("en")),
        f"{STAFF}/impact/options[2]: 'label' is missing its 'en' text",
        id="missing-en-option",
    ),
    pytest.param(
        (lambda d: staff(d).append(copy.deepcopy(staff(d)[0]))),
        f"{STAFF}/headcount_total: duplicate id 'flow.interview.staff.headcount_total' "
        f"(also at {STAFF}/headcount_total)",
        id="duplicate-question",
    ),
    pytest.param(
        (lambda d: d["steps"][4]["photos"][0].update(id="doc.bank_statements")),
        "photos/doc.bank_statements: duplicate id 'doc.bank_statements' "
        "(also at documents/doc.bank_statements)",
        id="duplicate-across-steps",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(min=10, max=5)),
        f"{STAFF}/headcount_total: min 10 is greater than max 5",
        id="min-above-max",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(quick=[{"value": 2.5, **label()}], integer=True)),
        f"{STAFF}/headcount_total/quick[1]: value 2.5 is not a whole number",
        id="quick-reply-not-whole",
    ),
    pytest.param(
        (lambda d: staff(d)[2].update(follow_ups=follow_up({"answer": "big"}))),
        f"{STAFF}/impact/follow_ups[1]: unknown option 'big' in 'if' (options: no_effect, serious)",
        id="follow-up-unknown-option",
    ),
    pytest.param(
        (lambda d: staff(d)[1]["follow_ups"][0].update({"if": {"answer": "maybe"}})),
        f"{STAFF}/other_sites/follow_ups[1]: 'if.answer' of a yes_no question is yes or no",
        id="follow-up-yes-no-maybe",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(follow_ups=follow_up({"gte": 200000}))),
        f"{STAFF}/headcount_total/follow_ups[1]: 'if' can never hold",
        id="follow-up-out-of-range",
    ),
    pytest.param(
        (lambda d: staff(d)[1]["follow_ups"][0]["ask"][0].update(follow_ups=[])),
        f"{STAFF}/other_sites/site_details: a text question cannot have follow-ups",
        id="follow-up-on-text",
    ),
    pytest.param(
        (lambda d: staff(d)[1]["follow_ups"][0]["ask"][0].update(when={"kind": ["corporate"]})),
        f"{STAFF}/other_sites/site_details: a follow-up cannot have 'when'",
        id="when-on-follow-up",
    ),
    pytest.param(
        (lambda d: staff(d)[2]["when"].update(finding=["records.unknown=adverse"])),
        f"{STAFF}/impact: unknown pre-visit check 'records.unknown' in 'when'",
        id="finding-unknown-check",
    ),
    pytest.param(
        (lambda d: staff(d)[2]["when"].update(finding=["records.enforcement=bad"])),
        f"{STAFF}/impact: unknown result 'bad' of 'records.enforcement'",
        id="finding-unknown-result",
    ),
    pytest.param(
        (lambda d: staff(d)[2]["when"].update(finding=["records.enforcement"])),
        f"{STAFF}/impact: 'when.finding' entries look like 'records.enforcement=adverse'",
        id="finding-malformed",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(when={"kind": ["company"]})),
        f"{STAFF}/headcount_total: unknown kind 'company' in 'when' "
        "(allowed: corporate, individual)",
        id="unknown-kind",
    ),
    pytest.param(
        (lambda d: d["steps"][3]["groups"][0].update(when={"products": ["mortgage"]})),
        f"{STAFF}: unknown products 'mortgage' in 'when'",
        id="unknown-product",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(when={"check": ["annual"]})),
        f"{STAFF}/headcount_total: unknown check 'annual' in 'when' "
        "(allowed: purpose, periodic, focused)",
        id="unknown-check",
    ),
    pytest.param(
        (lambda d: d["steps"][2]["documents"][0].update(when={"check": ["purpose"]})),
        "documents/doc.bank_statements: unknown field 'check' in 'when' (allowed: kind, products)",
        id="document-depends-on-check",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(reqired=False)),
        f"{STAFF}/headcount_total: unknown field 'reqired'",
        id="typo-field",
    ),
    pytest.param(
        (lambda d: staff(d)[1].update(unit="人")),
        f"{STAFF}/other_sites: 'unit' does not apply to a yes_no question",
        id="unit-on-yes-no",
    ),
    pytest.param(
        (lambda d: staff(d)[2]["options"][0].update(id=True)),
        f"{STAFF}/impact/options[1]: an option id must be text: YAML reads yes/no",
        id="option-id-yes",
    ),
    pytest.param(
        (lambda d: d["steps"].pop(1)),
        "steps: missing step 'checkin'",
        id="missing-step",
    ),
    pytest.param(
        (lambda d: staff(d)[1].update(ratio_of=["flow.interview.staff.headcount_total"] * 2)),
        f"{STAFF}/other_sites: 'ratio_of' belongs only on a number question in %",
        id="ratio-of-on-yes-no",
    ),
    pytest.param(
        (
            lambda d: staff(d)[0].update(
                all_of={
                    "question": "flow.interview.staff.headcount_total",
                    "cues": {"zh": ["都在"]},
                }
            )
        ),
        f"{STAFF}/headcount_total: 'all_of' must name another number question in 人, "
        "got 'flow.interview.staff.headcount_total'",
        id="all-of-itself",
    ),
    pytest.param(
        (
            lambda d: staff(d)[0].update(
                all_of={"question": "flow.interview.staff.other_sites", "cues": {"zh": ["都在"]}}
            )
        ),
        f"{STAFF}/headcount_total: 'all_of' must name another number question in 人, "
        "got 'flow.interview.staff.other_sites'",
        id="all-of-yes-no",
    ),
    pytest.param(
        (lambda d: d.update(short_visit=["flow.interview.staff.headcount_total", "flow.x.y"])),
        "short_visit[2]: 'flow.x.y' is not a question of the interview or the checkpoints",
        id="short-visit-unknown-question",
    ),
    pytest.param(
        (lambda d: d.update(short_visit=["flow.interview.staff.site_details"])),
        "short_visit[1]: 'flow.interview.staff.site_details' is not a question of the interview",
        id="short-visit-follow-up",
    ),
    pytest.param(
        (lambda d: d.update(short_visit=["flow.interview.staff.impact"] * 2)),
        "short_visit[2]: 'flow.interview.staff.impact' is listed twice",
        id="short-visit-twice",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(label=label("员工多少？", "Staff"))),
        f"{STAFF}/headcount_total: a label names the fact",
        id="label-is-a-question",
    ),
    pytest.param(
        (lambda d: staff(d)[0].pop("label")),
        f"{STAFF}/headcount_total: this entry is missing the field 'label'",
        id="label-missing",
    ),
    pytest.param(
        (lambda d: staff(d)[0].update(usual={"answer": False, "says": label()})),
        f"{STAFF}/headcount_total: 'usual' belongs only on yes/no and choice questions",
        id="usual-on-a-number",
    ),
    pytest.param(
        (lambda d: staff(d)[2].update(usual={"answer": "mild", "says": label()})),
        f"{STAFF}/impact: 'usual' answer 'mild' is not an answer of 'impact'",
        id="usual-not-an-option",
    ),
    pytest.param(
        (lambda d: staff(d)[1].update(usual={"answer": True, "says": label()})),
        f"{STAFF}/other_sites: the 'usual' answer must not ask follow-ups",
        id="usual-asks-follow-ups",
    ),
    pytest.param(
        (
            lambda d: staff(d)[2].update(
                implied_by={"question": "flow.interview.staff.nowhere", "answers": [implies]}
            )
        ),
        f"{STAFF}/impact: 'implied_by' must name a yes/no or choice question answered by itself",
        id="implied-by-unknown-question",
    ),
    pytest.param(
        (
            lambda d: staff(d)[2].update(
                implied_by={
                    "question": "flow.interview.staff.other_sites",
                    "answers": [{"if": False, "then": "mild"}],
                }
            )
        ),
        f"{STAFF}/impact/implied_by/answers[1]: 'mild' is not an answer of 'impact'",
        id="implied-by-wrong-answer",
    ),
    pytest.param(
        (
            lambda d: staff(d)[2].update(
                implied_by={
                    "question": "flow.interview.staff.headcount_total",
                    "answers": [implies],
                }
            )
        ),
        f"{STAFF}/impact: 'implied_by' must name a yes/no or choice question answered by itself",
        id="implied-by-a-number",
    ),
    pytest.param(
        (lambda d: d["steps"][1].update(groups=[])),
        "checkin: 'groups' belongs only in step interview or checkpoints",
        id="section-in-wrong-step",
    ),
]


def test_usual_answers_and_answers_implied_by_another_are_carried_on_the_question(tmp_path):
    data = minimal()
    staff(data)[1]["usual"] = {"answer": False, "says": label("无其他经营地点", "no other sites")}
    staff(data)[2]["implied_by"] = {
        "question": "flow.interview.staff.other_sites",
        "answers": [implies],
    }
    checklist = load_checklist(write(tmp_path, data))
    sites = checklist.item("flow.interview.staff.other_sites")
    assert sites.usual is not None and sites.usual.answer is False
    assert sites.usual.says.zh == "无其他经营地点"
    impact = checklist.item("flow.interview.staff.impact").implied_by
    assert impact is not None and impact.source == sites.id
    assert impact.answer_for(False) == "no_effect"
    assert impact.answer_for(True) is None, "outside the table: the question is asked"
    assert impact.answer_for(0) is None, "0 is not no"


def test_every_question_has_a_noun_for_the_report_not_the_question(checklist):
    """The report and lists say 接待人, 在岗人数, 未决诉讼: never 今天接待您的是谁？"""
    asking = re.compile(r"[?？吗您]|有没有|是否|多少|什么|怎么|哪")
    for item in checklist.all_items():
        for lang in ("zh", "en"):
            label = item.label.get(lang)
            assert label and label != item.prompt.get(lang), item.id
        assert not asking.search(item.label.zh), (item.id, item.label.zh)
        assert not re.match(r"(Is|Has|How|What|Whether|Are|Do|Does)\b", item.label.en), item.id
    for group in checklist.groups:
        labels = [i.label.zh for i in walk(group.items)]
        assert len(labels) == len(set(labels)), group.id


def test_the_minimal_file_used_below_is_valid(tmp_path):
    checklist = load_checklist(write(tmp_path, minimal()))
    assert ids(checklist.all_items()) == [
        "flow.interview.staff.headcount_total",
        "flow.interview.staff.other_sites",
        "flow.interview.staff.site_details",
        "flow.interview.staff.impact",
    ]
    assert checklist.precheck("records.enforcement").adds == ("flow.interview.staff.impact",)
    assert checklist.short_visit == frozenset()


def test_the_short_visit_lists_about_twenty_questions_for_a_shop(checklist):
    """The bank's short visit: what a supervisor cannot do without, for a small business seen
    in its shop, and nothing that needs the full interview."""
    shop = checklist.items_for(
        "individual", {"personal_business"}, "periodic", on_file={"collateral", "guarantor"}
    )
    short = [i.id for i in shop if i.id in checklist.short_visit]
    assert 12 <= len(short) <= 20
    assert "flow.interview.loan_use.used_as_agreed" in short
    assert "check.individual.periodic.collateral_intact" in short
    assert "flow.interview.liquidity.receivables_terms" not in short
    assert all(checklist.item(i).parent is None for i in checklist.short_visit)


@pytest.mark.parametrize(("change", "expected"), BROKEN)
def test_a_broken_file_is_refused_naming_the_file_and_the_place(tmp_path, change, expected):
    data = minimal()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    assert str(caught.value).startswith(f"{path}: {expected}")
    assert isinstance(caught.value, AssistantError)
    assert caught.value.params["file"] == str(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "version: 1\nsteps: [\n", r": line \d+, column \d+: not valid YAML", id="bad-yaml"
        ),
        pytest.param(
            "version: 1\nsteps:\n  - id: prepare\n    title: {zh: 准备, zh: 又一个, en: Prepare}\n",
            r": line 4, column \d+: not valid YAML: the key 'zh' is written twice",
            id="repeated-key",
        ),
        pytest.param(
            "- just\n- a list\n", r": this entry must be a mapping of fields", id="not-a-mapping"
        ),
    ],
)
def test_a_file_that_is_not_valid_yaml_is_refused_with_line_and_column(tmp_path, text, expected):
    path = tmp_path / "checklist.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError, match=re.escape(str(path)) + expected):
        load_checklist(path)


def test_a_missing_file_is_refused_by_name(tmp_path):
    with pytest.raises(ChecklistError, match=r"nowhere\.yaml: cannot be read"):
        load_checklist(tmp_path / "nowhere.yaml")


def test_cues_are_carried_on_the_question_and_refused_on_text(tmp_path):
    data = minimal()
    staff(data)[0]["cues"] = {"zh": ["员工", "一共…人"], "en": ["staff"]}
    checklist = load_checklist(write(tmp_path, data))
    cues = checklist.item("flow.interview.staff.headcount_total").cues
    assert (cues.zh, cues.en) == (("员工", "一共…人"), ("staff",))
    assert checklist.item("flow.interview.staff.other_sites").cues.all() == ()
    staff(data)[1]["follow_ups"][0]["ask"][0]["cues"] = {"zh": ["地址"]}
    with pytest.raises(ChecklistError, match="'cues' belongs only on questions with a typed"):
        load_checklist(write(tmp_path, data))


def test_a_topic_is_carried_on_the_question_and_shared_by_its_follow_ups(tmp_path):
    data = minimal()
    staff(data)[1]["topic"] = {"zh": ["分店"], "en": ["branch"]}
    checklist = load_checklist(write(tmp_path, data))
    topic = checklist.item("flow.interview.staff.other_sites").topic
    assert (topic.zh, topic.en) == (("分店",), ("branch",))
    assert checklist.item("flow.interview.staff.site_details").topic == topic
    assert checklist.item("flow.interview.staff.headcount_total").topic.all() == ()


def test_the_repo_checklist_has_cues_for_every_typed_interview_question(checklist):
    missing = [
        item.id
        for item in checklist.all_items()
        if item.step == "interview"
        and item.type not in (AnswerType.TEXT, AnswerType.DATE)
        and not (item.cues.zh and item.cues.en)
    ]
    assert missing == []
