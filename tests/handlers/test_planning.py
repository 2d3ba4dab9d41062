"""The month's plan and its reminders, with the clock moved by the test: the monthly plan on
the first working day after 国庆, the reminder and the escalation on day 31 of an unchecked new
loan, snoozing from the reminder, nothing twice after a restart, and the supervisor's /team."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.clock import TravelClock
from assistant.db.models import Client, ClientKind, Loan, LoanProduct, Officer, PaymentMethod
from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import FakeBotApi, FakeUser
from tests.conftest import ADMIN_ID, Team

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICK = 0.05


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"reminder_check_seconds": TICK})


@pytest.fixture
def clock() -> TravelClock:
    # Late evening, in the quiet hours: nothing is sent until a test moves the clock on.
    return TravelClock(datetime(2026, 9, 30, 23, 0, tzinfo=SHANGHAI))


@pytest.fixture
async def services(settings, sqlite_db, knowledge):
    from assistant.services import build_services

    return build_services(settings, database=sqlite_db, knowledge=knowledge)


async def new_loan_client(
    services, team: Team, disbursed: date, matures: date | None = None
) -> None:
    """A client of the officer whose loan has had no visit since it was paid out."""
    async with services.database.session() as s:
        officer = await s.scalar(select(Officer).where(Officer.telegram_id == team.officer))
        assert officer is not None
        client = Client(
            code="N100",
            name="新放款商行",
            kind=ClientKind.INDIVIDUAL,
            officer_id=officer.id,
            business_district="城西市场",
            created_at=datetime(2026, 9, 1, tzinfo=SHANGHAI),
        )
        s.add(client)
        await s.flush()
        s.add(
            Loan(
                contract_no="HT-N100",
                client_id=client.id,
                product=LoanProduct.PERSONAL_BUSINESS,
                amount=Decimal("500000"),
                agreed_purpose="进货",
                disbursed_on=disbursed,
                matures_on=matures or disbursed + timedelta(days=730),
                payment_method=PaymentMethod.SELF,
            )
        )


async def tick(bot) -> None:
    """Let the reminder job run at the clock's current time.

    Counted in finished runs, not waited for by the wall clock: on a busy machine a run takes
    longer than the interval, and a sleep would look before the run that matters had finished.
    Two finished runs mean at least one started after the clock moved.
    """
    await job_runs(bot.application, 2)
    await bot.application.update_queue.join()


async def job_runs(application, count: int, timeout: float = 60.0) -> None:
    """Wait until the reminder job has finished ``count`` more runs."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    finished = 0

    def listener(event) -> None:
        nonlocal finished
        job = application.job_queue.get_jobs_by_name("reminders")
        if job and event.job_id == job[0].job.id:
            finished += 1
            if finished >= count:
                loop.call_soon_threadsafe(done.set)

    scheduler = application.job_queue.scheduler
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        scheduler.remove_listener(listener)


async def test_the_plan_reminders_and_escalation_across_national_day(bot, team: Team, clock):
    await new_loan_client(bot.services, team, date(2026, 9, 7))  # first check due 10-07
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    bot.chat(ADMIN_ID)
    mark = len(bot.api.events)

    # 1 October is a holiday, and so is the whole of Golden Week: nothing goes out.
    for moment in (
        datetime(2026, 10, 1, 9, 30, tzinfo=SHANGHAI),
        datetime(2026, 10, 7, 10, 0, tzinfo=SHANGHAI),
    ):
        clock.travel_to(moment)
        await tick(bot)
    assert bot.api.events_since(mark, team.officer) == []

    # 8 October, the first working day: before 09:00 still nothing, then the month's plan,
    # the overdue first check for the officer and the escalation for the supervisor.
    clock.travel_to(datetime(2026, 10, 8, 8, 30, tzinfo=SHANGHAI))
    await tick(bot)
    assert bot.api.events_since(mark, team.officer) == []
    clock.travel_to(datetime(2026, 10, 8, 9, 5, tzinfo=SHANGHAI))
    await bot.api.wait_for_messages(team.officer, since=mark)
    await tick(bot)
    to_officer = bot.api.events_since(mark, team.officer)
    plan = next(m for m in to_officer if "2026年10月回访计划" in m.text)
    assert "新放款商行" in plan.text and "城西市场" in plan.text
    assert "📋 N100 访前" in plan.button_labels
    overdue = next(m for m in to_officer if "回访已超期" in m.text)
    assert "首次用途检查" in overdue.text
    assert overdue.button_labels == ["▶ 开始回访", "😴 3天后再提醒", "📅 推迟一周"]
    escalations = [m for m in bot.api.events_since(mark, team.supervisor) if "🔺" in m.text]
    assert len(escalations) == 1 and "张伟" in escalations[0].text
    # The client of an officer who never joined is reported to the admin, once.
    (unattended,) = [m for m in bot.api.events_since(mark, ADMIN_ID) if "重新分配" in m.text]
    assert "C004" in unattended.text and "尚未登记" in unattended.text

    # Later the same day: nothing is sent again.
    sent = len(bot.api.events)
    clock.travel_to(datetime(2026, 10, 8, 15, 0, tzinfo=SHANGHAI))
    await tick(bot)
    assert len(bot.api.events) == sent

    # Snoozed from the reminder itself: quiet on the 9th, reminded again on the 12th (the 10th
    # is a make-up working day in 2026, the 11th a Sunday: the snooze, not the calendar, counts).
    officer.replies = [overdue]
    await officer.press("😴 3天后再提醒")
    assert "10月11日 再提醒您" in officer.last_text
    mark = len(bot.api.events)
    clock.travel_to(datetime(2026, 10, 9, 9, 30, tzinfo=SHANGHAI))
    await tick(bot)
    assert not [m for m in bot.api.events_since(mark, team.officer) if "N100" in m.text]
    clock.travel_to(datetime(2026, 10, 12, 9, 30, tzinfo=SHANGHAI))
    await tick(bot)
    assert [m for m in bot.api.events_since(mark, team.officer) if "回访已超期" in m.text]

    # The plan button opens the brief.
    await officer.send("/plan")
    assert "2026年10月回访计划" in officer.last_text
    await officer.press("📋 N100 访前")
    assert "访前简报" in officer.last_text
    assert supervisor.user.id == team.supervisor


async def test_a_restart_sends_nothing_twice(settings, sqlite_db, knowledge, team: Team, clock):
    from assistant.db.database import Database
    from assistant.services import build_services

    await new_loan_client_via(settings, sqlite_db, knowledge, team)
    clock.travel_to(datetime(2026, 10, 8, 9, 30, tzinfo=SHANGHAI))
    api = FakeBotApi()
    counts = []
    for _ in range(2):
        services = build_services(
            settings, database=Database(str(sqlite_db.url), clock=clock), knowledge=knowledge
        )
        application = build_application(settings, standin_builder(api), services=services)
        async with polling(application):
            # The officer's chat exists, so the messages can be delivered.
            Chat(api, FakeUser(team.officer, "张伟"), settle_in_process(api, application))
            await job_runs(application, 2)
        counts.append(len(api.events_since(0, team.officer)))
    assert counts[0] >= 2, "the plan and the overdue reminder went out"
    assert counts[1] == counts[0], "the second process sent nothing again"


async def new_loan_client_via(settings, database, knowledge, team: Team) -> None:
    from assistant.services import build_services

    await new_loan_client(
        build_services(settings, database=database, knowledge=knowledge), team, date(2026, 9, 7)
    )


async def test_team_shows_progress_and_a_chart(bot, team: Team, clock):
    await new_loan_client(bot.services, team, date(2026, 9, 7))
    clock.travel_to(datetime(2026, 10, 12, 11, 0, tzinfo=SHANGHAI))
    await tick(bot)  # as above: the reminders are out before the replies are read
    supervisor = bot.chat(team.supervisor)
    await supervisor.send("/team")
    summary = next(m for m in supervisor.replies if "团队回访进度" in m.text)
    assert "张伟" in summary.text and "超期未访" in summary.text
    photo = next(m for m in supervisor.replies if m.photo is not None)
    assert photo.photo.content.startswith(b"\x89PNG")
    officer = bot.chat(team.officer)
    await officer.send("/team")
    assert "只对主管开放" in officer.last_text


async def test_a_survey_trip_suggests_visits_on_the_way(bot, team: Team, clock):
    await new_loan_client(bot.services, team, date(2026, 9, 7))
    clock.travel_to(datetime(2026, 10, 12, 11, 0, tzinfo=SHANGHAI))
    # The day's overdue reminder goes out first: sent while the officer plans, it would be the
    # last message on the screen instead of the reply being checked.
    await tick(bot)
    officer = bot.chat(team.officer)
    await officer.send("/trip 城西市场 10-20 看新客户")
    assert "已记下：10月20日 去城西市场" in officer.last_text
    assert "新放款商行" in officer.last_text
    await officer.send("/trip 城西市场 明天")
    assert "已记下：10月13日 去城西市场" in officer.last_text
    await officer.send("/trip 城西市场 某天")
    assert "没看懂日期" in officer.last_text
    await officer.send("/plan 2026-13")
    assert "没看懂" in officer.last_text


async def test_a_deadline_missed_before_the_import_is_not_escalated(bot, team: Team, clock):
    """On the first day of a new install, supervisors are not flooded with history."""
    await new_loan_client(bot.services, team, date(2026, 9, 7))
    async with bot.services.database.session() as s:
        client = await s.scalar(select(Client).where(Client.code == "N100"))
        assert client is not None
        client.created_at = datetime(2026, 10, 8, 8, 0, tzinfo=SHANGHAI)
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    mark = len(bot.api.events)
    clock.travel_to(datetime(2026, 10, 8, 9, 30, tzinfo=SHANGHAI))
    await bot.api.wait_for_messages(team.officer, since=mark)
    await tick(bot)
    assert any("回访已超期" in m.text for m in bot.api.events_since(mark, team.officer))
    assert not [m for m in bot.api.events_since(mark, team.supervisor) if "🔺" in m.text]
    assert officer.user.id != supervisor.user.id


async def test_opening_lines_near_mid_autumn_for_a_loan_up_for_renewal(bot, team: Team, clock):
    await new_loan_client(bot.services, team, date(2025, 11, 1), matures=date(2026, 10, 30))
    clock.travel_to(datetime(2026, 9, 20, 10, 0, tzinfo=SHANGHAI))  # 中秋 is 25 September
    officer = bot.chat(team.officer)
    await officer.send("/phrase N100")
    lines = officer.last_text
    assert "开场话术 · 新放款商行" in lines
    assert "中秋" in lines or "续" in lines or "到期" in lines
    quoted = "".join(part.split("」")[0] for part in lines.split("「")[1:])
    for forbidden in ("贷后", "检查", "核查", "利率", "保证续贷"):
        assert forbidden not in quoted
    await officer.send("/prep N100")
    assert "开场话术" in officer.last_text and "「" in officer.last_text
    await officer.send("/phrase C009")
    assert "没有找到客户" in officer.last_text
