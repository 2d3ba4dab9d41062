"""Where typed text goes, as the officer meets it: the session decides, and a database that cannot
be reached for a moment changes nothing about it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.db.models import VisitAnswer
from assistant.errors import DatabaseUnavailable
from handlers.router import ROUTES
from handlers.session import Activity
from tests.conftest import BotHarness, Team
from tests.handlers.test_visit import skip_until

BUSY = "数据库暂时连不上，这一步没有保存。您之前录入的内容都在，请稍等片刻再发一次。"


async def recorded(bot: BotHarness, item_id: str) -> list[VisitAnswer]:
    async with bot.services.database.session() as session:
        return list(
            await session.scalars(select(VisitAnswer).where(VisitAnswer.item_id == item_id))
        )


def test_every_activity_has_one_route():
    assert set(ROUTES) == set(Activity)


async def test_an_answer_typed_while_the_visit_cannot_be_read_stays_with_the_visit(
    bot: BotHarness, team: Team, monkeypatch: pytest.MonkeyPatch
):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "单位：人")
    question = officer.last_text

    # The access gate still reads the officer; only the visit's own step fails.
    async def unreachable(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable("sqlite", "disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(bot.services.database, "run", unreachable)
        replies = await officer.send("6")

    assert [r.text for r in replies] == [BUSY], "told to send it again, not answered as a question"
    session = bot.application.user_data[team.officer]
    assert session.activity() is Activity.VISIT, "the visit is still where text goes"
    assert await recorded(bot, "flow.interview.staff.headcount_total") == []

    await officer.send("6")
    (answer,) = await recorded(bot, "flow.interview.staff.headcount_total")
    assert answer.value == {"v": 6.0}
    assert officer.last_text != question, "the visit moved on to the next question"


async def test_text_where_a_tap_is_expected_gets_the_buttons_again(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/lang")
    offered = officer.last.button_labels
    await officer.send("中文吧")
    assert officer.last.button_labels == offered
    await officer.press("中文")
    assert bot.application.user_data[team.officer].activity() is Activity.NOTHING


async def test_a_visit_finished_elsewhere_no_longer_takes_the_text(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    session = bot.application.user_data[team.officer]
    assert session.activity() is Activity.VISIT
    session.visit_id = 987654  # a visit that is not (or no longer) the officer's
    await officer.send("现场要拍哪些照片？")
    assert "依据" in officer.text, "answered from the knowledge base"
    assert session.activity() is Activity.NOTHING
