import asyncio
from datetime import UTC, date, datetime, time

import pytest

from assistant.db.database import Database
from assistant.planning.reminders import Notification, ReminderPolicy, ReminderService

from .conftest import SHANGHAI, Bank, People, at, make_reminders

OLD = date(2025, 1, 1)


async def send_all(service: ReminderService, notes: list[Notification]) -> None:
    for note in notes:
        assert await service.mark_sent(note)


def kinds(notes: list[Notification]) -> list[tuple[str, int]]:
    """(kind, recipient Telegram id), in order."""
    return [(n.kind, n.recipient_telegram_id) for n in notes]


@pytest.fixture
async def new_loan(bank: Bank, people: People) -> int:
    """张伟's client with a loan disbursed 8 September 2026: first check due 8 October."""
    client_id = await bank.client("N1", people.officer, district="城东")
    await bank.loan(client_id, date(2026, 9, 8))
    return client_id


# ----------------------------------------------------------------------------- the monthly plan
async def test_the_monthly_plan_goes_out_on_the_first_working_day_after_national_day(
    people: People, new_loan: int, reminders: ReminderService
):
    for day in range(1, 8):  # 国庆: no working day
        assert await reminders.due_notifications(at(date(2026, 10, day))) == []
    assert await reminders.due_notifications(at(date(2026, 10, 8), "08:59")) == []

    notes = await reminders.due_notifications(at(date(2026, 10, 8), "09:00"))

    plans = {n.recipient_telegram_id: n for n in notes if n.kind == "monthly_plan"}
    assert set(plans) == {3001, 3002, 3009}, "officers only: supervisors and admins hold no clients"
    mine = plans[3001]
    assert mine.key == f"plan:{people.officer}:2026-10"
    assert mine.plan is not None and [v.client_code for v in mine.plan.visits] == ["N1"]
    assert plans[3002].plan is not None and plans[3002].plan.is_empty
    assert plans[3002].language == "en"
    # The first check is due today: a due-soon reminder, and nothing escalated yet.
    assert [(n.kind, n.visit.client_code) for n in notes if n.visit] == [("due_soon", "N1")]


async def test_a_monthly_plan_missed_while_the_bot_was_down_goes_out_at_the_next_run(
    people: People, reminders: ReminderService
):
    notes = await reminders.due_notifications(at(date(2026, 10, 9), "15:00"))
    assert kinds(notes) == [("monthly_plan", 3001), ("monthly_plan", 3002), ("monthly_plan", 3009)]
    assert all(n.key.endswith(":2026-10") for n in notes)


async def test_nothing_is_sent_twice_after_marking_a_restart_or_a_clock_going_back(
    database: Database, people: People, new_loan: int, reminders: ReminderService
):
    first = await reminders.due_notifications(at(date(2026, 10, 8), "09:05"))
    assert first
    await send_all(reminders, first)

    assert await reminders.due_notifications(at(date(2026, 10, 8), "09:35")) == []
    restarted = make_reminders(database)
    assert await restarted.due_notifications(at(date(2026, 10, 8), "15:00")) == []
    assert await restarted.due_notifications(at(date(2026, 10, 8), "09:00")) == []
    assert not await restarted.mark_sent(first[0]), "a duplicate is ignored"


async def test_a_restart_across_the_month_boundary_never_doubles_a_monthly_plan(
    database: Database, people: People, new_loan: int, reminders: ReminderService
):
    october = await reminders.due_notifications(at(date(2026, 10, 8), "09:30"))
    await send_all(reminders, october)

    restarted = make_reminders(database)
    assert await restarted.due_notifications(at(date(2026, 11, 1))) == [], "a Sunday"
    november = await restarted.due_notifications(at(date(2026, 11, 2), "09:30"))
    plans = [n for n in november if n.kind == "monthly_plan"]
    assert len(plans) == 3 and all(n.key.endswith(":2026-11") for n in plans)
    await send_all(restarted, november)

    went_back = make_reminders(database)
    earlier = await went_back.due_notifications(at(date(2026, 10, 30), "10:00"))
    assert [n for n in earlier if n.kind == "monthly_plan"] == []
    assert await went_back.due_notifications(at(date(2026, 11, 2), "11:00")) == []


# ----------------------------------------------------------------------------- when
async def test_nothing_goes_out_in_quiet_hours(database: Database, people: People):
    early = make_reminders(database, reminder_time=time(7, 0))
    day = date(2026, 10, 8)
    assert await early.due_notifications(at(day, "07:30")) == [], "quiet until 08:00"
    assert await early.due_notifications(at(day, "21:30")) == []
    assert await early.due_notifications(at(day, "08:00")) != []


def test_quiet_hours_may_span_midnight_or_be_off():
    policy = ReminderPolicy(tz=SHANGHAI)
    assert policy.quiet(time(23, 0)) and policy.quiet(time(7, 59))
    assert not policy.quiet(time(8, 0)) and not policy.quiet(time(20, 59))
    assert not ReminderPolicy(tz=SHANGHAI, quiet_start=None, quiet_end=None).quiet(time(23, 0))
    lunch = ReminderPolicy(tz=SHANGHAI, quiet_start=time(12, 0), quiet_end=time(13, 30))
    assert lunch.quiet(time(12, 45)) and not lunch.quiet(time(13, 30))


async def test_now_must_carry_a_time_zone(reminders: ReminderService):
    with pytest.raises(ValueError, match="timezone"):
        await reminders.due_notifications(datetime(2026, 10, 8, 10, 0))


async def test_times_in_another_zone_are_judged_in_the_bank_zone(
    people: People, reminders: ReminderService
):
    # 00:30 UTC is 08:30 in Shanghai: before the reminder time.
    assert await reminders.due_notifications(datetime(2026, 10, 8, 0, 30, tzinfo=UTC)) == []
    assert await reminders.due_notifications(datetime(2026, 10, 8, 1, 30, tzinfo=UTC)) != []


# ----------------------------------------------------------------------------- visit reminders
async def test_due_soon_once_then_overdue_at_most_once_a_day(
    bank: Bank, people: People, reminders: ReminderService
):
    client_id = await bank.client("D1", people.officer)
    await bank.loan(client_id, OLD)
    await bank.visit(client_id, date(2026, 7, 14))  # quarterly: due 12 October
    snoozed = await bank.client("D2", people.officer)
    await bank.loan(snoozed, OLD)
    await bank.visit(snoozed, date(2026, 7, 14))
    await reminders.plans.snooze(
        people.viewer(people.officer), "D2", date(2026, 10, 14), now=at(date(2026, 10, 8))
    )

    async def visit_notes(day: date, clock: str = "10:00") -> list[tuple[str, str]]:
        notes = await reminders.due_notifications(at(day, clock))
        await send_all(reminders, notes)
        return [(n.kind, n.visit.client_code) for n in notes if n.visit is not None]

    assert await visit_notes(date(2026, 10, 8)) == [], "four days ahead is not yet due soon"
    assert await visit_notes(date(2026, 10, 9)) == [("due_soon", "D1")]
    assert await visit_notes(date(2026, 10, 10)) == [], "调休 Saturday: a working day, sent before"
    assert await visit_notes(date(2026, 10, 12)) == []
    assert await visit_notes(date(2026, 10, 13)) == [("overdue", "D1")]
    assert await visit_notes(date(2026, 10, 13), "16:00") == []
    assert await visit_notes(date(2026, 10, 14)) == [("overdue", "D1"), ("overdue", "D2")]


async def test_visits_due_early_next_month_are_due_soon_at_the_end_of_this_one(
    bank: Bank, people: People, reminders: ReminderService
):
    client_id = await bank.client("NX", people.officer)
    await bank.loan(client_id, date(2026, 10, 3))  # first check due 2 November

    notes = await reminders.due_notifications(at(date(2026, 10, 30)))

    soon = [n for n in notes if n.kind == "due_soon"]
    assert [(n.visit.client_code, n.due_on) for n in soon if n.visit] == [("NX", date(2026, 11, 2))]


# ----------------------------------------------------------------------------- escalation
async def test_an_unchecked_new_loan_is_escalated_on_day_31_once(
    people: People, new_loan: int, reminders: ReminderService
):
    # The officer snoozes the reminder: that quiets the officer's reminders, not the escalation.
    await reminders.plans.snooze(
        people.viewer(people.officer), "N1", date(2026, 10, 20), now=at(date(2026, 10, 8))
    )
    day_30 = await reminders.due_notifications(at(date(2026, 10, 8), "09:30"))
    assert [n for n in day_30 if n.kind == "escalation"] == []
    await send_all(reminders, day_30)

    day_31 = await reminders.due_notifications(at(date(2026, 10, 9), "09:30"))

    assert kinds(day_31) == [("escalation", 2001)]
    escalation = day_31[0]
    assert escalation.key == f"escalate:{people.supervisor}:{new_loan}:2026-10-08"
    assert (escalation.officer_id, escalation.officer_name) == (people.officer, "张伟")
    assert (escalation.due_on, escalation.days_overdue) == (date(2026, 10, 8), 1)
    assert escalation.visit is not None and escalation.visit.client_code == "N1"
    await send_all(reminders, day_31)
    assert await reminders.due_notifications(at(date(2026, 10, 9), "14:00")) == []
    assert await reminders.due_notifications(at(date(2026, 10, 11))) == [], "a Sunday"
    assert await reminders.due_notifications(at(date(2026, 10, 12))) == []


async def test_escalation_waits_for_the_grace_days(
    database: Database, people: People, new_loan: int
):
    patient = make_reminders(database, escalation_grace_days=2)
    on_day_31 = await patient.due_notifications(at(date(2026, 10, 9)))
    assert "escalation" not in {n.kind for n in on_day_31}
    later = await patient.due_notifications(at(date(2026, 10, 12)))
    assert [n.days_overdue for n in later if n.kind == "escalation"] == [4]


async def test_escalations_reach_someone_when_the_officer_or_supervisor_is_absent(
    bank: Bank, people: People, reminders: ReminderService
):
    gone = await bank.officer("离职", 3100, supervisor_id=people.supervisor, active=False)
    lone = await bank.officer("无主管", 3200)
    for code, officer in (("GONE", gone), ("LONE", lone)):
        client_id = await bank.client(code, officer)
        await bank.loan(client_id, date(2026, 9, 8))

    notes = await reminders.due_notifications(at(date(2026, 10, 9)))

    escalations = {
        n.visit.client_code: n.recipient_telegram_id
        for n in notes
        if n.kind == "escalation" and n.visit
    }
    assert escalations == {"GONE": 2001, "LONE": 9001}
    assert all(n.recipient_telegram_id != 3100 for n in notes), "an inactive officer hears nothing"


# ----------------------------------------------------------------------------- the log
async def test_two_replicas_marking_the_same_notification_record_it_once(
    database: Database, people: People, reminders: ReminderService
):
    notes = await reminders.due_notifications(at(date(2026, 10, 8)))
    other_replica = make_reminders(database)
    results = await asyncio.gather(reminders.mark_sent(notes[0]), other_replica.mark_sent(notes[0]))
    assert sorted(results) == [False, True]
    assert notes[0].payload() == {"visits": notes[0].plan.planned, "overdue": 0}


async def test_the_monthly_plan_goes_out_in_a_year_without_a_holiday_schedule(
    people: People, new_loan: int, reminders: ReminderService
):
    from assistant.planning.calendar import WorkCalendar

    calendar = WorkCalendar()
    year = next(y for y in range(2026, 2200) if not calendar.covers(y))
    first = calendar.first_workday_of_month(year, 3)  # Monday to Friday: the fallback
    assert await reminders.due_notifications(at(first, "08:59")) == []
    notes = await reminders.due_notifications(at(first, "09:00"))
    assert ("monthly_plan", 3001) in kinds(notes)
    assert all(n.key.endswith(f":{year}-03") for n in notes if n.kind == "monthly_plan")
