"""The visit state machine on the real checklist: walk, parse, follow-ups, navigation, pause and
resume, stale buttons, finish — on SQLite and PostgreSQL."""

import asyncio
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.access import AccessService
from assistant.db.database import Database
from assistant.db.models import (
    AnswerStatus,
    AuditEntry,
    Client,
    ClientKind,
    Collateral,
    Guarantor,
    Loan,
    LoanProduct,
    Officer,
    PaymentMethod,
    Role,
    VisitAnswer,
    VisitStatus,
)
from assistant.errors import AccessDenied
from assistant.portfolio import PortfolioService
from assistant.risk.thresholds import RiskThresholds
from assistant.services import KNOWLEDGE_DIR
from assistant.visits.model import CHECKIN, DOCUMENTS, StaleAction
from assistant.visits.parsing import ParseError
from assistant.visits.service import VisitService
from tests.conftest import LoopTicks, Statements

TODAY = date(2026, 11, 29)


@pytest.fixture
async def setup(database: Database):
    async with database.session() as session:
        officer = Officer(telegram_id=11, staff_no="E1", name="张伟", role=Role.OFFICER)
        other = Officer(telegram_id=12, staff_no="E2", name="李娜", role=Role.OFFICER)
        session.add_all([officer, other])
        await session.flush()
        shop = Client(
            code="C1",
            name="张记五金店",
            kind=ClientKind.INDIVIDUAL,
            officer_id=officer.id,
            latitude=31.2304,
            longitude=121.4737,
        )
        session.add(shop)
        await session.flush()
        session.add(
            Loan(
                contract_no="HT1",
                client_id=shop.id,
                product=LoanProduct.PERSONAL_BUSINESS,
                amount=Decimal(300000),
                agreed_purpose="进货",
                disbursed_on=TODAY - timedelta(days=10),
                matures_on=TODAY + timedelta(days=355),
                payment_method=PaymentMethod.SELF,
            )
        )
    access = AccessService(database, invite_ttl=timedelta(hours=1))
    service = VisitService(
        database,
        KNOWLEDGE_DIR / "checklist.yaml",
        PortfolioService(database),
        first_check_days=30,
        tz=ZoneInfo("Asia/Shanghai"),
    )
    return service, await access.viewer(11), await access.viewer(12)


async def walk_to(service, viewer, view, predicate, limit=200):
    """Skip forward until ``predicate(stop)`` holds."""
    for _ in range(limit):
        if predicate(view.stop):
            return view
        view = await service.skip(viewer, view.visit_id, view.stop.id, today=TODAY)
    raise AssertionError("stop not reached")


async def test_a_young_loan_gets_a_purpose_check_that_starts_with_public_records(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    assert view.check_type == "purpose"
    assert view.stop.kind == "precheck"
    assert view.position == 1 and view.total > 20


async def test_an_adverse_record_adds_interview_questions(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    before = view.total
    while view.stop.kind == "precheck":
        check = view.stop.precheck
        result = "adverse" if check.id == "records.enforcement" else check.results[0].id
        view = await service.choose(officer, view.visit_id, view.stop.id, result, today=TODAY)
        if result == "adverse":
            # The record's details are asked at once, while it is on the officer's screen.
            assert view.stop.id == "item:flow.interview.debt.enforcement_details"
            view = await service.answer(
                officer,
                view.visit_id,
                "（2025）沪0101执1234号，欠货款8万元，2025年3月立案",
                today=TODAY,
            )
    assert view.stop.id == CHECKIN
    assert view.total > before


async def test_typed_answers_are_parsed_and_follow_ups_triggered(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(
        service, officer, view, lambda s: s.item is not None and s.item.id.endswith("other_sites")
    )
    total = view.total
    view = await service.answer(officer, view.visit_id, "有", today=TODAY)
    assert view.total == total + len(
        service.checklist.follow_ups("flow.interview.staff.other_sites", True)
    )
    assert view.stop.item.parent == "flow.interview.staff.other_sites"

    view = await walk_to(
        service, officer, view, lambda s: s.item is not None and s.item.unit == "人"
    )
    item = view.stop.item
    with pytest.raises(ParseError):
        await service.answer(officer, view.visit_id, "不清楚", today=TODAY)
    still = await service.view(officer, view.visit_id, today=TODAY)
    assert still.stop.item.id == item.id, "a wrong answer keeps the question"
    after = await service.answer(officer, view.visit_id, "三十五个人", today=TODAY)
    summary = await service.summary(officer, view.visit_id, today=TODAY)
    recorded = dict((i.id, a) for i, a in summary.answers)[item.id]
    assert recorded.value == 35 and recorded.raw_text == "三十五个人"
    assert after.stop.id != still.stop.id


async def test_back_pause_and_resume_keep_the_place(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(service, officer, view, lambda s: s.id == DOCUMENTS)
    back = await service.back(officer, view.visit_id, view.stop.id, today=TODAY)
    assert back.stop.id == CHECKIN
    paused = await service.pause(officer, view.visit_id, today=TODAY)
    assert paused.status is VisitStatus.PAUSED
    resumed = await service.start(officer, "C1", today=TODAY)
    assert resumed.resumed and resumed.visit_id == view.visit_id
    assert resumed.stop.id == CHECKIN and resumed.status is VisitStatus.OPEN


async def test_an_old_button_or_a_double_press_is_stale(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    first_stop = view.stop.id
    await service.choose(officer, view.visit_id, first_stop, "clear", today=TODAY)
    with pytest.raises(StaleAction):
        await service.choose(officer, view.visit_id, first_stop, "clear", today=TODAY)


async def test_another_officer_cannot_touch_the_visit(setup):
    service, officer, other = setup
    view = await service.start(officer, "C1", today=TODAY)
    from assistant.errors import NotFound

    with pytest.raises(NotFound):
        await service.view(other, view.visit_id, today=TODAY)
    with pytest.raises(NotFound):
        await service.start(other, "C1", today=TODAY)


async def test_check_in_measures_the_distance_to_the_client(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(service, officer, view, lambda s: s.id == CHECKIN)
    # The client is on file at 31.2304, 121.4737: about 1.1 km south of where the officer is.
    after = await service.check_in(officer, view.visit_id, 31.2404, 121.4737, today=TODAY)
    assert after.stop.id == DOCUMENTS
    assert 1000 < after.distance_m < 1200


async def test_finishing_stores_the_visit_with_what_was_skipped(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(service, officer, view, lambda s: s.item is not None)
    skipped_item = view.stop.item.id
    view = await walk_to(service, officer, view, lambda s: s.id == "finish")
    summary = await service.complete(officer, view.visit_id, today=TODAY)
    assert summary.view.status is VisitStatus.FINISHED
    assert skipped_item in {i.id for i in summary.skipped}
    with pytest.raises(StaleAction):
        await service.skip(officer, view.visit_id, "finish", today=TODAY)
    assert AnswerStatus.SKIPPED.value == "skipped"


async def add_loan(database: Database, **fields) -> None:
    async with database.session() as session:
        shop = await session.scalar(select(Client).where(Client.code == "C1"))
        assert shop is not None
        loan = {
            "contract_no": "HT0",
            "client_id": shop.id,
            "product": LoanProduct.PERSONAL_BUSINESS,
            "amount": Decimal(200000),
            "agreed_purpose": "周转",
            "disbursed_on": TODAY - timedelta(days=400),
            "matures_on": TODAY + timedelta(days=100),
            "payment_method": PaymentMethod.SELF,
        }
        session.add(Loan(**{**loan, **fields}))


def item_ids(service: VisitService, view) -> set[str]:
    stops = service.plan(view.client, view.check_type, {}, {})
    return {s.item.id for s in stops if s.item is not None}


async def test_a_new_loan_and_an_old_one_make_both_checks_in_one_visit(setup, database):
    service, officer, _ = setup
    await add_loan(database)  # an older loan, past its first check, beside the 10-day-old one
    view = await service.start(officer, "C1", today=TODAY)
    assert view.check_type == "purpose+periodic"
    asked = item_ids(service, view)
    # The purpose check for the new loan and the periodic checkpoints for the old one.
    assert "check.individual.purpose.used_as_agreed" in asked
    assert "check.individual.periodic.market" in asked
    assert "check.individual.periodic.family_changes" in asked


async def test_the_plans_focused_check_carries_into_the_visit(database):
    from assistant.planning.inputs import PlanRules
    from assistant.planning.plan import PlanService

    async with database.session() as session:
        officer = Officer(telegram_id=11, staff_no="E1", name="张伟", role=Role.OFFICER)
        session.add(officer)
        await session.flush()
        session.add(
            Client(code="C1", name="张记五金店", kind=ClientKind.INDIVIDUAL, officer_id=officer.id)
        )
    # Only an old loan, 45 days overdue: the plan says 重点检查, the loan alone says periodic.
    await add_loan(database, days_overdue=45)
    access = AccessService(database, invite_ttl=timedelta(hours=1))
    zone = ZoneInfo("Asia/Shanghai")
    service = VisitService(
        database,
        KNOWLEDGE_DIR / "checklist.yaml",
        PortfolioService(database),
        first_check_days=30,
        tz=zone,
        plans=PlanService(database, PlanRules(tz=zone)),
    )
    viewer = await access.viewer(11)
    card = await service.portfolio.client_card(viewer, "C1", today=TODAY)
    assert service.default_check(card) == "periodic"
    view = await service.start(viewer, "C1", today=TODAY)
    assert view.check_type == "focused"
    assert (await service.brief(viewer, "C1", today=TODAY)).check_due == "focused"


async def test_the_loan_file_leaves_out_what_it_makes_moot(setup, database):
    service, officer, _ = setup
    # C1's one loan: 自主支付, no collateral and no guarantor on file.
    view = await service.start(officer, "C1", today=TODAY)
    asked = item_ids(service, view)
    assert not any(i.startswith("flow.interview.collateral.") for i in asked)
    assert "check.individual.periodic.collateral_intact" not in asked
    assert "check.individual.periodic.guarantor" not in asked
    assert not any("collateral" in g.title.en.lower() for g in service.sections(view))

    async with database.session() as session:
        loan = await session.scalar(select(Loan).where(Loan.contract_no == "HT1"))
        session.add(Collateral(loan_id=loan.id, type="商铺", registration_no="沪(2025)001"))
        session.add(Guarantor(loan_id=loan.id, name="王五", kind=ClientKind.INDIVIDUAL))
    # A new card (the cache keeps one for a short while): the file now lists both.
    service._cards.clear()
    asked = item_ids(service, await service.view(officer, view.visit_id, today=TODAY))
    assert "flow.interview.collateral.market_value" in asked


async def test_a_fact_asked_in_the_interview_is_not_asked_again_at_the_checkpoints(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)  # a purpose check: the loan is new
    checkpoint = "check.individual.purpose.used_as_agreed"
    assert checkpoint in item_ids(service, view)
    view = await walk_to(
        service, officer, view, lambda s: s.id == "item:flow.interview.loan_use.used_as_agreed"
    )
    view = await service.choose(officer, view.visit_id, view.stop.id, "as_agreed", today=TODAY)
    answers = {
        item.id: answer
        for item, answer in (await service.summary(officer, view.visit_id, today=TODAY)).answers
    }
    assert answers[checkpoint].value == "as_agreed", "the interview's answer stands there"
    view = await walk_to(service, officer, view, lambda s: s.id == "finish")
    stops = service.plan(view.client, view.check_type, {}, answers)
    assert f"item:{checkpoint}" not in {s.id for s in stops}


async def test_a_shop_gets_the_short_visit_and_can_switch_without_losing_an_answer(setup):
    service, officer, _ = setup
    service.depths = {"individual": "short", "corporate": "full"}
    view = await service.start(officer, "C1", today=TODAY)
    assert view.depth == "short" and view.can_switch
    full_total = len(service.plan(view.client, view.check_type, {}, {}))
    assert view.total < full_total * 0.6

    # One tap records every look-up as clear and goes on to the check-in.
    looks = service.checklist.prechecks_for("individual", {"personal_business"})
    assert view.prechecks_left == len(looks) > 1
    view = await service.all_clear(officer, view.visit_id, view.stop.id, today=TODAY)
    assert view.stop.id == CHECKIN and view.prechecks_left == 0
    assert "未发现问题" in view.recorded.zh

    view = await walk_to(service, officer, view, lambda s: s.item is not None and s.item.unit)
    short_item = view.stop.item
    assert short_item.id in service.checklist.short_visit
    view = await service.answer(officer, view.visit_id, "三十个人", today=TODAY)

    # Full: back to the first question the short visit left out; the answer stays.
    full = await service.switch_depth(officer, view.visit_id, "full", today=TODAY)
    assert full.depth == "full" and full.total > view.total
    assert full.stop.item is not None and full.stop.item.id not in service.checklist.short_visit
    skipped_by_short = full.stop.item
    full = (
        await service.answer(officer, full.visit_id, "是", today=TODAY)
        if (skipped_by_short.type.value == "yes_no")
        else await service.skip(officer, full.visit_id, full.stop.id, today=TODAY)
    )

    # Short again: the question answered in the full visit is kept for the report.
    short = await service.switch_depth(officer, full.visit_id, "short", today=TODAY)
    assert short.stop.item is None or short.stop.item.id in service.checklist.short_visit
    summary = await service.summary(officer, short.visit_id, today=TODAY)
    kept = {item.id for item, _ in summary.answers}
    assert short_item.id in kept
    if skipped_by_short.type.value == "yes_no":
        assert skipped_by_short.id in kept
    gaps = [i for i in summary.unanswered_required if i.parent is None]
    assert all(i.id in service.checklist.short_visit for i in gaps)


async def test_a_focused_check_is_always_full(setup):
    service, officer, _ = setup
    service.depths = {"individual": "short"}
    view = await service.start(officer, "C1", today=TODAY, check="focused")
    assert view.depth == "full"


async def test_a_hint_shows_the_banks_own_setting_not_a_number_written_in(setup):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(
        service, officer, view, lambda s: s.item is not None and s.item.id.endswith("debt_ratio")
    )
    assert view.hint is not None and view.hint.zh == "超过90%（本行设定）列为风险点。"

    service.thresholds = RiskThresholds(debt_ratio_max_pct=80)
    moved = await service.view(officer, view.visit_id, today=TODAY)
    assert moved.hint.zh == "超过80%（本行设定）列为风险点。"
    assert moved.hint.en == "Above 80% (the bank's setting) is a risk finding."


async def test_a_step_is_one_transaction_of_four_statements(setup, database: Database):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(service, officer, view, lambda s: s.item is not None)
    sql = Statements(database)

    # Typed or tapped: read the visit with its officer, read its answers, write the answer, write
    # the move. The card and the plan are not read again within a step.
    typed = await service.typed(officer, view.visit_id, "跳过", today=TODAY)
    assert typed.kind == "recorded" and typed.view.stop.id != view.stop.id
    assert sql.statements == ["SELECT", "SELECT", "INSERT", "UPDATE"]
    assert sql.transactions == 1

    sql.reset()
    tapped = await service.skip(officer, view.visit_id, typed.view.token, today=TODAY)
    assert tapped.stop.id != typed.view.stop.id
    assert sql.statements == ["SELECT", "SELECT", "INSERT", "UPDATE"]
    assert sql.transactions == 1


async def test_an_officer_deactivated_mid_visit_is_refused_at_the_next_step(
    setup, database: Database
):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(service, officer, view, lambda s: s.item is not None)
    forgotten: list[int] = []
    service.changed_viewer = forgotten.append
    # As another replica (or the admin's command line) would: the row changes, no message.
    async with database.session() as session:
        row = await session.scalar(select(Officer).where(Officer.telegram_id == 11))
        row.active = False

    with pytest.raises(AccessDenied):
        await service.typed(officer, view.visit_id, "30", today=TODAY)
    with pytest.raises(AccessDenied):
        await service.skip(officer, view.visit_id, view.token, today=TODAY)
    assert forgotten == [11, 11], "the access service is told to read the officer afresh"
    async with database.session() as session:
        answers = await session.scalars(select(VisitAnswer.item_id))
        assert view.stop.item.id not in set(answers), "nothing recorded for them"


async def test_a_step_waits_for_another_process_holding_sqlite_without_stopping_the_loop(
    setup, database: Database
):
    if not database.is_sqlite:
        pytest.skip("SQLite's file lock")
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    view = await walk_to(service, officer, view, lambda s: s.item is not None)
    # A backup or an import in another process holds the write lock for a while.
    other = sqlite3.connect(database.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    async with LoopTicks() as ticks:
        step = asyncio.create_task(service.skip(officer, view.visit_id, view.token, today=TODAY))
        await asyncio.sleep(0.5)
        assert not step.done(), "the step waits for the lock"
        assert ticks.count >= 10, "and the event loop runs meanwhile"
    other.execute("COMMIT")
    other.close()
    after = await asyncio.wait_for(step, timeout=10)
    assert after.stop.id != view.stop.id


async def test_finishing_writes_the_move_and_its_audit_entry_in_one_transaction(
    setup, database: Database
):
    service, officer, _ = setup
    view = await service.start(officer, "C1", today=TODAY)
    sql = Statements(database)

    summary = await service.complete(officer, view.visit_id, today=TODAY)

    assert summary.view.status is VisitStatus.FINISHED
    # Read the visit and its answers, write the move and the audit entry: one transaction.
    assert sql.statements == ["SELECT", "SELECT", "UPDATE", "INSERT"]
    assert sql.transactions == 1
    async with database.session() as session:
        entries = (
            await session.scalars(
                select(AuditEntry.target).where(AuditEntry.action == "visit.finish")
            )
        ).all()
    assert entries == [str(view.visit_id)]
