"""The visit's path worked out from the checklist, the card and the answers: the short visit,
and a share worked out from two answers instead of asked."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from assistant.data.checklist import Checklist, RecordedAnswer, load_checklist
from assistant.db.models import AnswerStatus, ClientKind
from assistant.portfolio import ClientCard, CollateralView, LoanView
from assistant.visits import path

SHARE = "flow.interview.liquidity.receivables_share"
RECEIVABLES = "flow.interview.liquidity.receivables"
LAST_YEAR = "flow.interview.revenue.last_year"


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist()


def shop() -> ClientCard:
    loan = LoanView(
        contract_no="HT1",
        product="personal_business",
        amount=Decimal(300000),
        agreed_purpose="进货",
        disbursed_on=date(2025, 1, 1),
        matures_on=date(2027, 1, 1),
        days_since_disbursement=400,
        days_to_maturity=300,
        payment_method="self",
        risk_class="normal",
        days_overdue=0,
        guarantors=[],
        collateral=[],
    )
    return ClientCard(
        code="C1",
        name="张记五金店",
        kind=ClientKind.INDIVIDUAL,
        industry=None,
        address=None,
        district=None,
        has_coordinates=False,
        officer_name="张伟",
        handed_over_on=None,
        loans=[loan],
    )


def answered(**values: float) -> dict[str, RecordedAnswer]:
    ids = {"receivables": RECEIVABLES, "last_year": LAST_YEAR}
    return {
        ids[k]: RecordedAnswer(ids[k], AnswerStatus.ANSWERED, v, str(v), False)
        for k, v in values.items()
    }


def asked(checklist: Checklist, answers: dict[str, RecordedAnswer]) -> list[str]:
    stops = path.stops(checklist, shop(), "periodic", {}, answers)
    return [s.item.id for s in stops if s.item]


def test_the_share_comes_after_both_figures_and_is_worked_out_not_asked(checklist):
    before = asked(checklist, {})
    assert before.index(SHARE) > before.index(LAST_YEAR) > before.index(RECEIVABLES)

    answers = answered(receivables=300_000, last_year=3_000_000)
    assert SHARE not in asked(checklist, answers)
    share = path.reused(checklist, shop(), "periodic", {}, answers)[SHARE]
    assert share.value == 10.0 and share.status is AnswerStatus.ANSWERED
    with_share = path.reused(checklist, shop(), "periodic", {}, answers)
    items = path.questions(checklist, shop(), "periodic", {}, with_share)
    assert SHARE in [i.id for i in items], "the report still reads it"


def test_a_large_worked_out_share_still_brings_its_follow_ups(checklist):
    answers = answered(receivables=1_500_000, last_year=3_000_000)
    now = asked(checklist, answers)
    assert SHARE not in now
    assert "flow.interview.liquidity.receivables_composition" in now


def test_the_share_is_asked_when_it_cannot_be_worked_out(checklist):
    assert SHARE in asked(checklist, answered(receivables=300_000))
    # More receivables than a year's turnover is not a share the question takes: ask.
    assert SHARE in asked(checklist, answered(receivables=5_000_000, last_year=3_000_000))
    assert SHARE in asked(checklist, answered(receivables=300_000, last_year=0))


def test_the_short_visit_keeps_the_banks_list_and_what_a_finding_brings_in(checklist):
    short = [i.id for i in path.applicable(checklist, shop(), "periodic", {}, "short")]
    assert set(short) <= checklist.short_visit
    adverse = path.applicable(
        checklist, shop(), "periodic", {"records.enforcement": "adverse"}, "short"
    )
    added = [i.id for i in adverse if i.id not in short]
    assert added and all(checklist.item(i).when.findings for i in added)


# ── the checkpoints reuse the interview, and what is in order takes one tap ──────────────────

PROBLEM = "flow.interview.collateral.problem"
INTACT = "check.individual.periodic.collateral_intact"
USED = "flow.interview.loan_use.used_as_agreed"
DAILY = "check.individual.periodic.working_capital.daily_operations"


def with_collateral() -> ClientCard:
    card = shop()
    pledge = CollateralView(
        type="商铺",
        location="建设路 12 号",
        area_sqm=Decimal(45),
        appraised_value=Decimal(900000),
        appraised_on=date(2024, 12, 1),
        registration_no="X1",
    )
    return replace(card, loans=[replace(card.loans[0], collateral=[pledge])])


def given(**values: object) -> dict[str, RecordedAnswer]:
    return {
        item_id: RecordedAnswer(item_id, AnswerStatus.ANSWERED, value, None, False)
        for item_id, value in values.items()
    }


def test_a_checkpoint_the_interview_answered_is_not_asked_and_reads_its_answer(checklist):
    card = with_collateral()
    stops = path.stops(checklist, card, "periodic", {}, {})
    assert INTACT in [s.item.id for s in stops if s.item], "asked while the interview is not"

    heard = given(**{PROBLEM: False, USED: "as_agreed"})
    asked_now = [s.item.id for s in path.stops(checklist, card, "periodic", {}, heard) if s.item]
    assert INTACT not in asked_now and DAILY not in asked_now
    reused = path.reused(checklist, card, "periodic", {}, heard)
    assert reused[INTACT].value == "intact" and reused[DAILY].value == "all"

    damaged = given(**{PROBLEM: True, USED: "partly"})
    reused = path.reused(checklist, card, "periodic", {}, damaged)
    assert reused[INTACT].value == "impaired"
    asked_now = [s.item.id for s in path.stops(checklist, card, "periodic", {}, damaged) if s.item]
    assert DAILY in asked_now, "partly used as agreed says nothing of day-to-day operations"


def test_questions_in_order_are_offered_as_one_run_from_the_first_unanswered(checklist):
    stops = path.stops(checklist, shop(), "periodic", {}, {})
    ids = [s.item.id if s.item else s.id for s in stops]
    first = ids.index("flow.interview.business.main_business_changed")
    run = path.usual_run(stops[first:], {})
    assert [i.id for i in run] == [
        "flow.interview.business.main_business_changed",
        "flow.interview.business.address_changed",
        "flow.interview.business.site_matches_record",
        "flow.interview.staff.other_sites",
    ]
    assert all(i.usual is not None for i in run)

    # One answered on its own: the run passes over it; the first answered: no run at all.
    address = given(**{"flow.interview.business.address_changed": True})
    assert "flow.interview.business.address_changed" not in [
        i.id for i in path.usual_run(stops[first:], address)
    ]
    changed = given(**{"flow.interview.business.main_business_changed": True})
    assert path.usual_run(stops[first:], changed) == ()
    # A figure ends a run: a lone question is offered its own buttons only.
    last = ids.index("flow.interview.staff.other_sites")
    assert path.usual_run(stops[last:], {}) == ()
