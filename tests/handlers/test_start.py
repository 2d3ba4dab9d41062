"""Joining the bot: strangers are refused, invite codes turn them into officers."""

from sqlalchemy import select, update

from assistant.db.models import Officer, Role, VisitAnswer
from tests.conftest import ADMIN_ID, BotHarness, Team
from tests.handlers.test_visit import skip_until


async def test_a_stranger_gets_one_polite_refusal_and_nothing_else(bot: BotHarness, team: Team):
    stranger = bot.chat(team.stranger)

    await stranger.send("/start")
    assert "仅供本行已登记的客户经理使用" in stranger.last_text
    assert "邀请码" in stranger.last_text

    for text in ("/clients", "/client C001", "你好", "/help"):
        assert await stranger.send(text) == []
    assert "张记五金店" not in "".join(m.text for m in bot.api.chat_messages(team.stranger))


async def test_a_stranger_in_english_is_refused_in_english(bot: BotHarness, team: Team):
    stranger = bot.chat(team.stranger, language_code="en")
    await stranger.send("hello")
    assert "only for the bank's registered loan officers" in stranger.last_text


async def test_an_invited_officer_joins_and_sees_only_their_seat(bot: BotHarness, team: Team):
    admin = bot.chat(ADMIN_ID, "管理员")
    await admin.send("/invite officer E3")
    code = admin.last_text.split("/start ")[-1].strip()
    assert "t.me/loan_visit_assistant_bot?start=" in admin.last_text

    newcomer = bot.chat(4242, "刘洋")
    await newcomer.send(f"/start {code}")
    assert "欢迎加入" in newcomer.last_text
    assert "客户经理" in newcomer.last_text

    await newcomer.send("/clients")
    assert "C004" in newcomer.last_text
    assert "C001" not in newcomer.last_text
    assert "C009" not in newcomer.last_text


async def test_an_invite_code_works_once(bot: BotHarness, team: Team):
    admin = bot.chat(ADMIN_ID)
    await admin.send("/invite supervisor")
    code = admin.last_text.split("/start ")[-1].strip()

    first = bot.chat(5001, "甲")
    await first.send(f"/start {code}")
    assert "主管" in first.last_text

    second = bot.chat(5002, "乙")
    await second.send(f"/start {code}")
    assert "已被使用" in second.last_text
    assert await second.send("/clients") == []


async def test_a_wrong_code_says_so_and_guessing_is_stopped(bot: BotHarness, team: Team):
    guesser = bot.chat(6001)
    for attempt in range(5):
        await guesser.send(f"/start WRONGCODE{attempt}")
        assert "未找到该邀请码" in guesser.last_text
    admin = bot.chat(ADMIN_ID)
    await admin.send("/invite officer")
    good_code = admin.last_text.split("/start ")[-1].strip()
    await guesser.send(f"/start {good_code}")
    assert "错误尝试次数过多" in guesser.last_text


async def test_an_officer_is_welcomed_by_name_and_role(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/start")
    assert "张伟" in officer.last_text
    assert "客户经理" in officer.last_text
    await officer.send("/start SOMECODE")
    assert "已经登记过了" in officer.last_text


async def test_the_deep_link_payload_is_the_same_as_typing_the_code(bot: BotHarness, team: Team):
    issued = await bot.services.access.create_invite(
        bot.services.access.system_actor(), Role.OFFICER, "E77"
    )
    # Telegram turns t.me/<bot>?start=CODE into the message "/start CODE".
    joiner = bot.chat(8080, "New", language_code="en")
    await joiner.send(f"/start {issued.code}")
    assert "Welcome, New" in joiner.last_text


async def test_an_officer_deactivated_mid_visit_gets_nothing_more(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "单位：人")
    await officer.send("6")  # a step: the gate may let the officer it knows through for it
    question = officer.last_text

    # Another replica (or the bank's admin tooling) deactivates them: this process is not told.
    async with bot.services.database.session() as session:
        await session.execute(
            update(Officer).where(Officer.telegram_id == team.officer).values(active=False)
        )

    assert [r.text for r in await officer.send("7")] == ["您没有权限执行此操作。"]
    # From then on they are a stranger: one polite refusal, then silence.
    replies = await officer.press("⏭ 跳过")
    for text in ("8", "/clients", "/client C001"):
        replies += await officer.send(text)
    assert [r.text for r in replies if "仅供本行已登记的客户经理使用" not in r.text] == []
    assert len(replies) <= 1
    assert question in [m.text for m in bot.api.chat_messages(team.officer)]
    async with bot.services.database.session() as session:
        recorded = await session.scalars(select(VisitAnswer.raw_text))
        assert {"7", "8"}.isdisjoint(set(recorded)), "nothing recorded after the deactivation"
