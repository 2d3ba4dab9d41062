"""Finish later: the officer leaves the client with the visit 待补充, hears at 18:00 what it
lacks, continues from the reminder at the gaps and submits; the clock is the test's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.clock import TravelClock
from assistant.db.models import Visit, VisitStatus
from tests.conftest import BotHarness, Team, submit_visit
from tests.handlers.test_planning import tick
from tests.handlers.test_visit import skip_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"reminder_check_seconds": 0.05})


@pytest.fixture
def clock() -> TravelClock:
    # A working Monday before the reminder time: nothing is sent while the visit goes on.
    return TravelClock(datetime(2026, 10, 12, 8, 30, tzinfo=SHANGHAI))


async def test_finish_later_the_reminder_lists_what_is_missing_then_continue_and_submit(
    bot: BotHarness, team: Team, clock: TravelClock
):
    officer, teammate = bot.chat(team.officer), bot.chat(team.teammate)
    await officer.send("/visit C001")
    await skip_until(officer, "单位：人")
    await officer.send("三十五个人")
    assert "已记录" in officer.last_text

    # Leaving the client: the visit stays open as 待补充, with what it lacks.
    await officer.send("/later")
    assert "待补充" in officer.last_text and "还缺" in officer.last_text
    await officer.send("/visit")
    assert "C001 张记五金店（待补充）" in officer.last_text
    await officer.send("/client C001")
    assert "本次回访：待补充" in officer.last_text
    await officer.send("/history C001")
    assert "待补充" in officer.last_text
    assert any("继续补充" in label for label in officer.last.button_labels)

    # 18:05: one message to the officer, per visit the client and what is missing; none to a
    # colleague with nothing open.
    mark = len(bot.api.events)
    clock.travel_to(datetime(2026, 10, 12, 18, 5, tzinfo=SHANGHAI))
    await tick(bot)
    reminders = [m for m in bot.api.events_since(mark, team.officer) if "待补充" in m.text]
    assert len(reminders) == 1
    reminder = reminders[0]
    assert "张记五金店（C001）" in reminder.text
    assert "必答题未答" in reminder.text and "缺资料" in reminder.text
    assert reminder.button_labels == ["▶ C001 张记五金店 继续补充"]
    assert not [m for m in bot.api.events_since(mark, team.teammate) if "待补充" in m.text]
    await tick(bot)
    again = [m for m in bot.api.events_since(mark, team.officer) if "待补充" in m.text]
    assert len(again) == 1, "once a day"

    # Continued from the reminder: what it lacks, then the first gap (the documents).
    await officer.press_data(reminder.buttons[0][0]["callback_data"], message=reminder)
    assert "继续补充 · 张记五金店" in officer.text
    assert "请收集以下资料" in officer.last_text
    await skip_until(officer, "回访小结")
    await submit_visit(officer)
    assert "回访已完成并保存" in officer.last_text
    async with bot.services.database.session() as session:
        statuses = list(await session.scalars(select(Visit.status)))
    assert statuses == [VisitStatus.FINISHED]

    # The next evening there is nothing to remind of.
    mark = len(bot.api.events)
    clock.travel_to(datetime(2026, 10, 13, 18, 5, tzinfo=SHANGHAI))
    await tick(bot)
    assert not [m for m in bot.api.events_since(mark, team.officer) if "待补充" in m.text]
    await teammate.send("/later")
    assert "没有进行中的回访" in teammate.last_text
