from datetime import date

import pytest

from assistant.db.models import LoanProduct, RiskClass, Role
from assistant.errors import AccessDenied, InvalidInput, NotFound
from assistant.planning.model import CheckType, FocusCategory, MonthPlan
from assistant.planning.plan import PlanService

from .conftest import Bank, People, at

OLD = date(2025, 1, 1)  # disbursed long ago: no first check owed, the periodic rule applies


def codes(plan: MonthPlan) -> set[str]:
    return {v.client_code for v in plan.visits}


def visit(plan: MonthPlan, code: str):
    found = plan.visit_for(code)
    assert found is not None, f"{code} is not in the plan: {sorted(codes(plan))}"
    return found


# ----------------------------------------------------------------------------- due rules
async def test_first_purpose_check_is_due_on_day_30_and_overdue_on_day_31(
    bank: Bank, people: People, planner: PlanService
):
    c1 = await bank.client("C1", people.officer)
    await bank.loan(c1, date(2026, 9, 1))
    checked = await bank.client("C2", people.officer)
    await bank.loan(checked, date(2026, 9, 1))
    await bank.visit(checked, date(2026, 9, 20))
    later = await bank.client("C3", people.officer)
    await bank.loan(later, date(2026, 10, 10))

    day_30 = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 1))
    assert codes(day_30) == {"C1"}, "checked since disbursement, or due next month: not planned"
    first = visit(day_30, "C1")
    assert (first.check_type, first.due_on, first.overdue) == (
        CheckType.PURPOSE,
        date(2026, 10, 1),
        False,
    )
    assert "HT-0001" in first.reason.zh and "30" in first.reason.en

    day_31 = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 2))
    assert visit(day_31, "C1").overdue
    assert visit(day_31, "C1").days_overdue == 1

    november = await planner.month_plan(people.officer, 2026, 11, today=date(2026, 11, 2))
    assert visit(november, "C3").due_on == date(2026, 11, 9)


async def test_periodic_checks_follow_class_product_and_term(
    bank: Bank, people: People, planner: PlanService
):
    normal = await bank.client("P-NORMAL", people.officer)
    await bank.loan(normal, OLD)
    await bank.visit(normal, date(2026, 7, 5))
    small = await bank.client("P-SMALL", people.officer)
    await bank.loan(small, OLD, amount=200_000)
    await bank.visit(small, date(2026, 7, 5))
    small_earlier = await bank.client("P-SMALL-APR", people.officer)
    await bank.loan(small_earlier, OLD, amount=200_000)
    await bank.visit(small_earlier, date(2026, 4, 10))
    consumer = await bank.client("P-CONSUMER", people.officer)
    await bank.loan(consumer, OLD, amount=2_000_000, product=LoanProduct.PERSONAL_CONSUMPTION)
    await bank.visit(consumer, date(2026, 7, 5))
    short = await bank.client("P-SHORT", people.officer)
    await bank.loan(short, date(2026, 3, 1), matures_on=date(2027, 3, 1))
    await bank.visit(short, date(2026, 9, 10))
    mixed = await bank.client("P-MIXED", people.officer)
    await bank.loan(mixed, OLD, amount=200_000)
    await bank.loan(mixed, OLD)
    await bank.visit(mixed, date(2026, 7, 5))
    never = await bank.client("P-NEVER", people.officer)
    await bank.loan(never, date(2025, 1, 1), matures_on=date(2028, 1, 1))

    plan = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 1))

    assert codes(plan) == {"P-NORMAL", "P-SMALL-APR", "P-SHORT", "P-MIXED", "P-NEVER"}
    assert all(v.check_type is CheckType.PERIODIC for v in plan.visits)
    assert visit(plan, "P-NORMAL").due_on == date(2026, 10, 3)  # quarterly
    assert "每 90 天" in visit(plan, "P-NORMAL").reason.zh
    assert visit(plan, "P-SMALL-APR").due_on == date(2026, 10, 7)  # half-yearly for the best
    assert "180" in visit(plan, "P-SMALL-APR").reason.en
    assert visit(plan, "P-SHORT").due_on == date(2026, 10, 10)  # monthly for a 12-month loan
    assert visit(plan, "P-MIXED").due_on == date(2026, 10, 3)  # the shortest interval wins
    never_visited = visit(plan, "P-NEVER")
    assert never_visited.due_on == date(2025, 4, 1) and never_visited.overdue
    assert "2025-01-01" in never_visited.reason.zh
    # Consumer and small loans visited in July are next due in January.
    assert plan.visit_for("P-SMALL") is None and plan.visit_for("P-CONSUMER") is None


async def test_focused_checks_are_due_at_once_for_each_trigger(
    bank: Bank, people: People, planner: PlanService
):
    overdue = await bank.client("F-OVERDUE", people.officer)
    await bank.loan(overdue, OLD, days_overdue=5)
    await bank.visit(overdue, date(2026, 9, 1))
    worse = await bank.client("F-CLASS", people.officer)
    await bank.loan(worse, OLD, risk_class=RiskClass.SPECIAL_MENTION)
    await bank.visit(worse, date(2026, 9, 1))
    adverse = await bank.client("F-ADVERSE", people.officer)
    await bank.loan(adverse, OLD)
    await bank.visit(adverse, date(2026, 8, 1), findings={"records.enforcement": "adverse"})
    alerted = await bank.client("F-ALERT", people.officer)
    await bank.loan(alerted, OLD)
    await bank.visit(alerted, date(2026, 7, 20))
    await bank.alert(alerted)
    handled = await bank.client("F-ACK", people.officer)
    await bank.loan(handled, OLD)
    await bank.visit(handled, date(2026, 7, 20))
    await bank.alert(handled, acknowledged=True)
    await bank.alert(handled, severity="warning")
    recent = await bank.client("F-RECENT", people.officer)
    await bank.loan(recent, OLD, risk_class=RiskClass.SUBSTANDARD)
    await bank.visit(recent, date(2026, 9, 25))

    today = date(2026, 10, 15)
    plan = await planner.month_plan(people.officer, 2026, 10, today=today)

    for code, words in [
        ("F-OVERDUE", "逾期 5 天"),
        ("F-CLASS", "关注"),
        ("F-ADVERSE", "records.enforcement"),
        ("F-ALERT", "严重预警"),
    ]:
        found = visit(plan, code)
        assert found.check_type is CheckType.FOCUSED, code
        assert words in found.reason.zh, code
        assert found.focus.category is FocusCategory.RISK_CONTROL, code
    for code in ("F-OVERDUE", "F-ADVERSE", "F-ALERT"):
        assert visit(plan, code).due_on == today and not visit(plan, code).overdue, code
    # 关注 also means monthly periodic checks: the one due on 1 October is overdue.
    assert visit(plan, "F-CLASS").due_on == date(2026, 10, 1)
    assert visit(plan, "F-CLASS").overdue
    # An acknowledged critical alert and a warning are no triggers: a plain periodic check.
    acknowledged = visit(plan, "F-ACK")
    assert acknowledged.check_type is CheckType.PERIODIC
    assert acknowledged.due_on == date(2026, 10, 18)
    assert all(r.check_type is not CheckType.FOCUSED for r in acknowledged.reasons)
    # Visited within the watch interval: the next focused check waits for its end.
    assert visit(plan, "F-RECENT").check_type is CheckType.FOCUSED
    assert visit(plan, "F-RECENT").due_on == date(2026, 10, 25)


async def test_a_focused_check_takes_over_an_overdue_periodic_one_and_keeps_its_date(
    bank: Bank, people: People, planner: PlanService
):
    client = await bank.client("F-LATE", people.officer)
    await bank.loan(client, OLD, days_overdue=3)
    await bank.visit(client, date(2026, 6, 1))

    plan = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 15))

    found = visit(plan, "F-LATE")
    assert found.check_type is CheckType.FOCUSED
    assert found.due_on == date(2026, 8, 30) and found.overdue
    assert [r.check_type for r in found.reasons] == [CheckType.FOCUSED, CheckType.PERIODIC]


async def test_renewal_visits_come_a_month_before_maturity_within_the_window(
    bank: Bank, people: People, planner: PlanService
):
    soon = await bank.client("R-SOON", people.officer)
    await bank.loan(soon, date(2024, 11, 20), matures_on=date(2026, 11, 20))
    await bank.visit(soon, date(2026, 8, 10))  # before the renewal window opened (22 August)
    later = await bank.client("R-LATER", people.officer)
    await bank.loan(later, date(2025, 1, 15), matures_on=date(2027, 1, 15))
    await bank.visit(later, date(2026, 9, 15))
    await bank.visit(later, date(2026, 10, 1))  # before its window opens on 17 October
    talked = await bank.client("R-TALKED", people.officer)
    await bank.loan(talked, date(2024, 11, 25), matures_on=date(2026, 11, 25))
    await bank.visit(talked, date(2026, 9, 1))  # after the window opened on 27 August

    october = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 1))
    assert codes(october) == {"R-SOON"}
    renewal = visit(october, "R-SOON")
    assert (renewal.check_type, renewal.due_on) == (CheckType.RENEWAL, date(2026, 10, 21))
    assert renewal.check_type.visit_check_type == "periodic"
    assert "2026-11-20" in renewal.reason.zh

    december = await planner.month_plan(people.officer, 2026, 12, today=date(2026, 12, 1))
    assert visit(december, "R-LATER").check_type is CheckType.RENEWAL
    assert visit(december, "R-LATER").due_on == date(2026, 12, 16)


async def test_one_visit_per_client_with_the_most_urgent_reason_first(
    bank: Bank, people: People, planner: PlanService
):
    client = await bank.client("M1", people.officer)
    await bank.loan(client, date(2026, 9, 5))
    await bank.loan(client, date(2024, 11, 10), matures_on=date(2026, 11, 10))
    await bank.visit(client, date(2026, 8, 1))

    plan = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 1))

    assert [v.client_code for v in plan.visits] == ["M1"]
    found = plan.visits[0]
    assert (found.check_type, found.due_on) == (CheckType.PURPOSE, date(2026, 10, 5))
    assert [(r.check_type, r.due_on) for r in found.extra_reasons] == [
        (CheckType.RENEWAL, date(2026, 10, 11)),
        (CheckType.PERIODIC, date(2026, 10, 30)),
    ]


# ----------------------------------------------------------------------------- focus
async def test_focus_categories_with_their_reasons(
    bank: Bank, people: People, planner: PlanService
):
    async def due_client(code: str, officer: int = people.officer, **kwargs) -> int:
        client_id = await bank.client(code, officer, **kwargs)
        await bank.loan(client_id, OLD)  # never visited: periodic check overdue
        return client_id

    await due_client("K-RISK", industry="房地产开发")
    new = await bank.client("K-NEW", people.officer, referral_promised=True)
    await bank.loan(new, date(2026, 9, 15))
    await due_client("K-HANDOVER", handed_over_on=date(2026, 8, 1))
    await due_client("K-OLD-HANDOVER", handed_over_on=date(2025, 8, 1))
    await due_client("K-REFERRAL", referral_promised=True)
    troubled = await due_client("K-SIDE-A", district="城东", industry="五金")
    await bank.alert(troubled, severity="warning")
    await due_client("K-SIDE-B", district="城东", industry="五金")
    await due_client("K-SIDE-C", district="城东", industry="餐饮")
    await due_client("K-OTHER", people.teammate, district="城东", industry="五金")
    await due_client("K-ROUTINE")

    plan = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 1))
    focus = {v.client_code: v.focus for v in plan.visits}

    assert focus["K-RISK"].category is FocusCategory.RISK_CONTROL
    assert "房地产" in focus["K-RISK"].reason.zh
    assert focus["K-NEW"].category is FocusCategory.RISK_CONTROL
    assert "2026-09-15" in focus["K-NEW"].reason.en
    assert [f.category for f in visit(plan, "K-NEW").other_focus] == [FocusCategory.REFERRAL]
    assert focus["K-HANDOVER"].category is FocusCategory.FAMILIARITY
    assert "2026-08-01" in focus["K-HANDOVER"].reason.zh
    assert focus["K-REFERRAL"].category is FocusCategory.REFERRAL
    assert "介绍" in focus["K-REFERRAL"].reason.zh
    assert focus["K-SIDE-B"].category is FocusCategory.SIDE_INSIGHT
    assert "K-SIDE-A" in focus["K-SIDE-B"].reason.zh
    # Same district but another industry; the troubled client itself: a routine visit.
    for code in ("K-SIDE-C", "K-SIDE-A", "K-ROUTINE", "K-OLD-HANDOVER"):
        assert focus[code].category is FocusCategory.FAMILIARITY, code
        assert "例行" in focus[code].reason.zh, code
    # Side insight only within one officer's clients.
    teammate = await planner.month_plan(people.teammate, 2026, 10, today=date(2026, 10, 1))
    assert visit(teammate, "K-OTHER").focus.category is FocusCategory.FAMILIARITY
    assert FocusCategory.RISK_CONTROL.label.zh == "风险控制"


# ----------------------------------------------------------------------------- grouping, trips
async def test_visits_are_grouped_by_district_and_suggested_alongside_survey_trips(
    bank: Bank, people: People, planner: PlanService
):
    for code, district, disbursed in [
        ("G1", "城东", date(2026, 9, 5)),
        ("G2", "城东", date(2026, 9, 20)),
        ("G3", "城西", date(2026, 9, 10)),
        ("G4", None, date(2026, 9, 2)),
    ]:
        client_id = await bank.client(code, people.officer, district=district)
        await bank.loan(client_id, disbursed)
    viewer = people.viewer(people.officer)
    await planner.add_trip(
        viewer, date(2026, 10, 20), "城东", "贷前调查", now=at(date(2026, 10, 1))
    )
    await planner.add_trip(viewer, date(2026, 11, 3), "城东", None, now=at(date(2026, 10, 1)))
    await planner.add_trip(
        people.viewer(people.teammate), date(2026, 10, 20), "城东", None, now=at(date(2026, 10, 1))
    )

    plan = await planner.month_plan(viewer, 2026, 10, today=date(2026, 10, 1))

    assert [(g.district, [v.client_code for v in g.visits]) for g in plan.groups] == [
        (None, ["G4"]),
        ("城东", ["G1", "G2"]),
        ("城西", ["G3"]),
    ]
    assert len(plan.trip_suggestions) == 1, "next month's trip and a colleague's are not here"
    trip = plan.trip_suggestions[0]
    assert (trip.on, trip.district, trip.note) == (date(2026, 10, 20), "城东", "贷前调查")
    assert [v.client_code for v in trip.visits] == ["G1", "G2"]


async def test_a_done_visit_stays_in_the_plan_and_leaves_the_trip_suggestion(
    bank: Bank, people: People, planner: PlanService
):
    g1 = await bank.client("G1", people.officer, district="城东")
    await bank.loan(g1, date(2026, 9, 5))
    g2 = await bank.client("G2", people.officer, district="城东")
    await bank.loan(g2, date(2026, 9, 20))
    await bank.visit(g1, date(2026, 10, 3))
    viewer = people.viewer(people.officer)
    await planner.add_trip(viewer, date(2026, 10, 20), "城东", None, now=at(date(2026, 10, 1)))

    plan = await planner.month_plan(viewer, 2026, 10, today=date(2026, 10, 12))

    assert visit(plan, "G1").done_on == date(2026, 10, 3)
    assert not visit(plan, "G1").overdue
    assert (plan.planned, plan.done) == (2, 1)
    assert [v.client_code for v in plan.trip_suggestions[0].visits] == ["G2"]


async def test_trips_need_a_district_and_a_date_not_in_the_past(
    people: People, planner: PlanService
):
    viewer = people.viewer(people.officer)
    with pytest.raises(InvalidInput):
        await planner.add_trip(viewer, date(2026, 10, 5), "  ", None, now=at(date(2026, 10, 1)))
    with pytest.raises(InvalidInput):
        await planner.add_trip(viewer, date(2026, 9, 30), "城东", None, now=at(date(2026, 10, 1)))


# ----------------------------------------------------------------------------- schedule changes
async def test_reschedule_and_snooze_change_the_plan_until_the_next_visit(
    bank: Bank, people: People, planner: PlanService
):
    for code, disbursed in [
        ("S1", date(2026, 9, 5)),
        ("S2", date(2026, 9, 8)),
        ("S3", date(2026, 9, 6)),
    ]:
        client_id = await bank.client(code, people.officer)
        await bank.loan(client_id, disbursed)
    viewer = people.viewer(people.officer)
    now = at(date(2026, 10, 1))
    moved = await planner.reschedule(viewer, "s1", date(2026, 10, 12), now=now, reason="客户出差")
    assert (moved.client_code, moved.due_on) == ("S1", date(2026, 10, 12))
    await planner.reschedule(viewer, "S2", date(2026, 11, 3), now=now)
    await planner.snooze(viewer, "S3", date(2026, 10, 9), now=now)

    october = await planner.month_plan(viewer, 2026, 10, today=date(2026, 10, 1))
    s1 = visit(october, "S1")
    assert (s1.due_on, s1.rescheduled_from, s1.check_type) == (
        date(2026, 10, 12),
        date(2026, 10, 5),
        CheckType.PURPOSE,
    )
    assert october.visit_for("S2") is None, "moved to next month"
    s3 = visit(october, "S3")
    assert s3.snoozed_until == date(2026, 10, 9)
    assert s3.snoozed(date(2026, 10, 8)) and not s3.snoozed(date(2026, 10, 9))
    november = await planner.month_plan(viewer, 2026, 11, today=date(2026, 11, 2))
    assert visit(november, "S2").due_on == date(2026, 11, 3)

    s1_id = s1.client_id
    await bank.visit(s1_id, date(2026, 10, 4))
    after = await planner.month_plan(viewer, 2026, 10, today=date(2026, 10, 5))
    assert visit(after, "S1").rescheduled_from is None
    assert visit(after, "S1").due_on == date(2026, 10, 5)
    assert visit(after, "S1").done_on == date(2026, 10, 4)


async def test_schedule_changes_check_access_and_dates(
    bank: Bank, people: People, planner: PlanService
):
    client_id = await bank.client("S1", people.officer)
    await bank.loan(client_id, date(2026, 9, 5))
    now = at(date(2026, 10, 1))
    with pytest.raises(NotFound):
        await planner.reschedule(people.viewer(people.teammate), "S1", date(2026, 10, 9), now=now)
    with pytest.raises(NotFound):
        await planner.snooze(
            people.viewer(people.other_supervisor, Role.SUPERVISOR),
            "S1",
            date(2026, 10, 9),
            now=now,
        )
    with pytest.raises(InvalidInput):
        await planner.reschedule(people.viewer(people.officer), "S1", date(2026, 9, 30), now=now)
    with pytest.raises(InvalidInput):
        await planner.snooze(people.viewer(people.officer), "S1", date(2026, 10, 1), now=now)
    changed = await planner.snooze(
        people.viewer(people.supervisor, Role.SUPERVISOR), "S1", date(2026, 10, 9), now=now
    )
    assert changed.snoozed_until == date(2026, 10, 9)


# ----------------------------------------------------------------------------- all officers
async def test_clients_of_absent_officers_are_returned_apart(
    bank: Bank, people: People, planner: PlanService
):
    gone = await bank.officer("离职", 3100, supervisor_id=people.supervisor, active=False)
    seat = await bank.officer("未加入", None, supervisor_id=people.supervisor)
    u1 = await bank.client("U1", gone)
    await bank.loan(u1, date(2026, 9, 5))
    u2 = await bank.client("U2", gone)
    await bank.loan(u2, OLD)
    await bank.visit(u2, date(2026, 9, 20))
    u3 = await bank.client("U3", seat)
    await bank.loan(u3, date(2026, 9, 6))
    mine = await bank.client("A1", people.officer)
    await bank.loan(mine, date(2026, 9, 7))

    everyone = await planner.plans_for_all(2026, 10, today=date(2026, 10, 1))

    assert set(everyone) == {people.officer, people.teammate, people.other_officer}
    assert everyone[people.teammate].is_empty, "an officer with nothing due still has a plan"
    assert [(u.client_code, u.why) for u in everyone.unattended] == [
        ("U1", "inactive"),
        ("U2", "inactive"),
        ("U3", "not_joined"),
    ]
    assert everyone.unattended[0].visit is not None
    assert everyone.unattended[0].visit.check_type is CheckType.PURPOSE
    assert everyone.unattended[1].visit is None
    single = await planner.month_plan(people.officer, 2026, 10, today=date(2026, 10, 1))
    assert everyone[people.officer] == single


async def test_an_empty_month_is_an_empty_plan(people: People, planner: PlanService):
    plan = await planner.month_plan(
        people.viewer(people.officer), 2026, 10, today=date(2026, 10, 1)
    )
    assert plan.is_empty and plan.groups == () and plan.officer_id == people.officer


# ----------------------------------------------------------------------------- team progress
async def seed_teams(bank: Bank, people: People) -> None:
    t1 = await bank.client("T1", people.officer)
    await bank.loan(t1, date(2026, 9, 5))
    await bank.alert(t1)
    await bank.alert(t1, severity="warning", acknowledged=True)
    t2 = await bank.client("T2", people.officer)
    await bank.loan(t2, date(2026, 9, 20))
    await bank.visit(t2, date(2026, 10, 10))
    t3 = await bank.client("T3", people.officer)
    await bank.loan(t3, OLD)
    await bank.visit(t3, date(2026, 7, 27))
    t4 = await bank.client("T4", people.teammate)
    await bank.loan(t4, OLD, risk_class=RiskClass.SUBSTANDARD)
    t9 = await bank.client("T9", people.other_officer)
    await bank.loan(t9, OLD, risk_class=RiskClass.DOUBTFUL)
    await bank.alert(t9)


async def test_team_progress_counts_per_officer_and_the_risk_distribution(
    bank: Bank, people: People, planner: PlanService
):
    await seed_teams(bank, people)
    supervisor = people.viewer(people.supervisor, Role.SUPERVISOR)

    progress = await planner.team_progress(supervisor, 2026, 10, today=date(2026, 10, 15))

    rows = {row.name: row for row in progress.officers}
    assert set(rows) == {"张伟", "李娜"}
    zhang = rows["张伟"]
    assert (zhang.planned, zhang.done, zhang.overdue, zhang.open_alerts) == (3, 1, 1, 1)
    assert zhang.completion == pytest.approx(1 / 3)
    li = rows["李娜"]
    assert (li.planned, li.done, li.overdue, li.open_alerts) == (1, 0, 1, 0)
    assert progress.risk_distribution == {
        RiskClass.NORMAL: 3,
        RiskClass.SPECIAL_MENTION: 0,
        RiskClass.SUBSTANDARD: 1,
        RiskClass.DOUBTFUL: 0,
        RiskClass.LOSS: 0,
    }
    assert (progress.planned, progress.done, progress.overdue) == (4, 1, 2)


async def test_team_progress_is_scoped_to_the_viewers_team(
    bank: Bank, people: People, planner: PlanService
):
    await seed_teams(bank, people)
    today = date(2026, 10, 15)

    other = await planner.team_progress(
        people.viewer(people.other_supervisor, Role.SUPERVISOR), 2026, 10, today=today
    )
    assert [row.name for row in other.officers] == ["陈静"]
    assert other.risk_distribution[RiskClass.DOUBTFUL] == 1
    assert other.risk_distribution[RiskClass.NORMAL] == 0
    assert other.open_alerts == 1

    admin = await planner.team_progress(
        people.viewer(people.admin, Role.ADMIN), 2026, 10, today=today
    )
    assert {row.name for row in admin.officers} == {"张伟", "李娜", "陈静"}

    with pytest.raises(AccessDenied):
        await planner.team_progress(people.viewer(people.officer), 2026, 10, today=today)


async def test_a_plan_of_someone_else_needs_to_be_their_supervisor(
    bank: Bank, people: People, planner: PlanService
):
    await seed_teams(bank, people)
    today = date(2026, 10, 15)
    supervisor = people.viewer(people.supervisor, Role.SUPERVISOR)
    plan = await planner.month_plan(supervisor, 2026, 10, today=today, of=people.teammate)
    assert codes(plan) == {"T4"}
    with pytest.raises(AccessDenied):
        await planner.month_plan(
            people.viewer(people.officer), 2026, 10, today=today, of=people.teammate
        )
    with pytest.raises(AccessDenied):
        await planner.month_plan(
            people.viewer(people.other_supervisor, Role.SUPERVISOR),
            2026,
            10,
            today=today,
            of=people.teammate,
        )


async def test_a_visits_due_check_reads_one_client_and_agrees_with_the_month_plan(
    bank: Bank, people: People, planner: PlanService
):
    """/visit asks what is due for one client: only that client's rows are read, and the
    answer is what the whole month's plan says of it, client by client."""
    first = await bank.client("D1", people.officer)
    await bank.loan(first, date(2026, 9, 5))
    both = await bank.client("D2", people.officer)
    await bank.loan(both, date(2026, 9, 8))
    await bank.loan(both, date(2024, 11, 10), matures_on=date(2026, 11, 10))
    moved = await bank.client("D3", people.officer)
    await bank.loan(moved, date(2026, 9, 6))
    idle = await bank.client("D4", people.officer)
    await bank.loan(idle, OLD)
    await bank.visit(idle, date(2026, 9, 20))
    other = await bank.client("D5", people.other_officer)
    await bank.loan(other, date(2026, 9, 5))
    viewer = people.viewer(people.officer)
    await planner.reschedule(viewer, "D3", date(2026, 11, 3), now=at(date(2026, 10, 1)))

    today = date(2026, 10, 1)
    plan = await planner.month_plan(viewer, 2026, 10, today=today)
    for code in ("D1", "D2", "D3", "D4"):
        planned = plan.visit_for(code)
        expected = {r.check_type.visit_check_type for r in planned.reasons} if planned else set()
        assert await planner.due_checks(people.officer, code, today=today) == expected, code
    assert await planner.due_checks(people.officer, "D2", today=today) == {"purpose", "periodic"}
    assert await planner.due_checks(people.officer, "D3", today=today) == set(), "moved on"
    # Another officer's client is not in this officer's plan.
    assert await planner.due_checks(people.officer, "D5", today=today) == set()
