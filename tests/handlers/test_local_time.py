"""Every time an officer or a supervisor reads is the bank's local time (TIMEZONE), whatever hour
the visit was made: the report's header, its photo captions, the Word and HTML files, /history
and /alerts.

01:30 in Shanghai is still the previous day in UTC, the hour at which a UTC time shows the wrong
date; 10:00 is the same day in both zones but eight hours apart.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from assistant.clock import TravelClock
from tests.conftest import BotHarness, Team
from tests.handlers.test_report import finish_visit_with_diversion

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(
    params=[
        pytest.param(datetime(2027, 3, 2, 1, 30, tzinfo=SHANGHAI), id="01:30"),
        pytest.param(datetime(2027, 3, 2, 10, 0, tzinfo=SHANGHAI), id="10:00"),
    ]
)
def clock(request: pytest.FixtureRequest) -> TravelClock:
    """The whole bank lives at this moment, from the seeding of the portfolio on."""
    return TravelClock(request.param)


def minute_pattern(clock: TravelClock) -> str:
    """The visit's local day and hour, and any minute within the next ten: the clock runs on
    while the test talks to the bot."""
    start = clock.now().astimezone(SHANGHAI)
    return rf"{start.year}年{start.month}月{start.day}日 {start.hour:02d}:{start.minute // 10}\d"


async def test_the_report_and_the_history_show_the_visit_in_local_time(
    bot: BotHarness, team: Team, clock: TravelClock
):
    local = minute_pattern(clock)
    hour = rf"{clock.now().astimezone(SHANGHAI).hour:02d}:\d\d"
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    await finish_visit_with_diversion(bot, officer)  # photos, and a critical finding

    await officer.press("📝 生成报告")
    preview = officer.text
    assert re.search(rf"检查时间：{local} – {hour}", preview), preview

    await officer.press("📄 Word")
    document = Document(io.BytesIO(officer.last.document.content))
    body = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert re.search(rf"{local} – {hour}", body), "the Word file's header"
    assert re.search(rf"收到于 {local}", body), "the Word file's photo list"
    assert "_20270302_" in officer.last.document.file_name, "named after the local day"

    await officer.press("🌐 HTML")
    page = officer.last.document.content.decode("utf-8")
    assert re.search(rf"{local} – {hour}", page), "the HTML file's header"
    assert re.search(rf"收到于 {local}", page), "the HTML file's photo captions"

    await officer.send("/history C001")
    assert "2027-03-02" in officer.last_text
    assert "2027-03-01" not in officer.last_text

    await supervisor.send("/alerts")
    assert re.search(rf"03-02 {hour}", supervisor.last_text), "when the alert was raised"
