"""A guided visit in the chat, as an officer on a phone does it."""

from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import FakeBotApi, FakeUser
from tests.conftest import BotHarness, Team


async def skip_until(
    chat: Chat, text: str, limit: int = 120, moves: tuple[str, ...] = ("⏭ 跳过", "继续 ▶")
) -> None:
    """Move on (skip a question, continue past documents, record the first result of a
    pre-visit check) until the bot shows ``text``."""
    for _ in range(limit):
        if text in chat.last_text:
            return
        labels = chat.last.button_labels
        move_on = next((b for b in moves if b in labels), 1)
        await chat.press(move_on)
    raise AssertionError(f"never reached {text!r}; last: {chat.last_text}")


async def test_a_visit_walks_prechecks_checkin_and_typed_answers(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    assert "开始回访（首次用途检查）" in officer.last_text
    assert "访前" in officer.last_text
    first_buttons = officer.last.button_labels
    first_message = officer.last
    first_data = first_message.buttons[0][0]["callback_data"]

    # Public-record checks: the enforcement one is adverse, the rest clear.
    for _ in range(6):
        if "签到" in officer.last_text:
            break
        labels = officer.last.button_labels
        adverse = "执行" in officer.last_text and any("异常" in b or "有" in b for b in labels)
        await officer.press(2 if adverse else 1)
    assert "实时位置" in officer.last_text

    # Check-in with a location far from the client (no coordinates on record here).
    await officer.send_location(31.2304, 121.4737)
    assert "已签到" in officer.text
    assert "收集以下资料" in officer.last_text
    await officer.press("继续 ▶")

    # The first number question: a wrong answer is asked again, a Chinese numeral is read.
    await skip_until(officer, "单位：人")
    question = officer.last_text
    await officer.send("不太清楚")
    assert "没能识别" in officer.text
    assert officer.last_text.split("\n", 1)[1] == question.split("\n", 1)[1]
    await officer.send("三十五个人")
    assert officer.last_text != question

    # The first message's buttons are still on screen: pressing one again is refused.
    assert first_buttons
    await officer.press_data(first_data, message=first_message)
    assert "这个按钮已过期" in officer.last_text


async def test_pause_then_resume_after_a_restart(settings, sqlite_db, knowledge, team: Team):
    from assistant.db.database import Database
    from assistant.services import build_services

    api = FakeBotApi()
    first = build_application(
        settings,
        standin_builder(api),
        services=build_services(settings, database=sqlite_db, knowledge=knowledge),
    )
    async with polling(first):
        officer = Chat(api, FakeUser(team.officer, "张伟"), settle_in_process(api, first))
        await officer.send("/visit C001")
        await officer.press(1)
        # The step's header; the line above it says what the press recorded.
        assert officer.last_text.startswith("✓ 已记录：")
        step = officer.last_text.split("\n")[1]
        await officer.press("⏸ 暂停")
        assert "已暂停" in officer.last_text

    database = Database(str(sqlite_db.url))
    second = build_application(
        settings,
        standin_builder(api),
        services=build_services(settings, database=database, knowledge=knowledge),
    )
    async with polling(second):
        officer = Chat(api, FakeUser(team.officer, "张伟"), settle_in_process(api, second))
        await officer.send("/visit")
        assert "未完成的回访" in officer.last_text
        await officer.press("C001 张记五金店")
        assert "继续上次的回访" in officer.last_text
        assert officer.last_text.split("\n", 1)[0] == step


async def test_a_question_mid_visit_returns_to_the_same_step(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "单位：")
    question = officer.last_text
    replies = await officer.send("回访时要拍哪些照片？")
    assert "依据：" in replies[0].text
    assert "回到当前问题" in officer.last_text
    assert question.split("\n")[-1] in officer.last_text


async def test_ask_mid_visit_also_returns_to_the_step(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "单位：")
    question = officer.last_text
    replies = await officer.send("/ask 抵押物要看什么")
    assert "依据：" in replies[0].text
    assert question.split("\n")[-1] in officer.last_text


async def test_someone_elses_client_cannot_be_visited(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C009")
    assert "没有找到客户「C009」" in officer.last_text


async def test_a_location_outside_check_in_is_explained(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send_location(31.0, 121.0)
    assert "现在不在回访的签到步骤" in officer.last_text


async def test_the_summary_step_is_shown_again_after_a_question_or_a_resume(
    bot: BotHarness, team: Team
):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "回访小结")
    await officer.send("走访要拍哪些照片？")
    assert "抱歉" not in officer.text
    assert "回访小结" in officer.last_text
    await officer.send("/visit C001")
    assert "抱歉" not in officer.text
    assert "回访小结" in officer.last_text
    assert "✅ 确认提交" in officer.last.button_labels


async def test_what_was_recorded_is_said_back_and_kept_when_going_back(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "单位：人")
    question = officer.last_text.split("\n")[1]

    await officer.send("三十来个人")
    assert officer.last_text.startswith("✓ 已记录：约30人\n")

    await officer.press("⬅ 返回")
    assert question in officer.last_text
    assert "当前记录：约30人" in officer.last_text
    # On again without retyping: the answer stays, it is not turned into a skip.
    await officer.press("⏭ 跳过")
    await officer.press("⬅ 返回")
    assert "当前记录：约30人" in officer.last_text


async def test_staff_on_site_is_all_of_them_in_one_tap_or_two_words(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "现在一共有多少员工")
    await officer.send("12个")
    await skip_until(officer, "实际在岗")
    assert "✓ 都在（12）" in officer.last.button_labels

    await officer.send("今天都在")
    assert officer.last_text.startswith("✓ 已记录：12人\n")

    await officer.press("⬅ 返回")
    replies = await officer.send("不是都在")
    assert "没能识别" in replies[0].text, "a denial is not all of them"
    await officer.press("✓ 都在（12）")
    assert officer.last_text.startswith("✓ 已记录：12人\n")


async def test_typed_skip_and_a_question_without_its_mark(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await officer.send("没问题")
    assert officer.last_text.startswith("✓ 已记录：未发现问题\n")
    await skip_until(officer, "单位：人")
    question = officer.last_text

    replies = await officer.send("回访时要拍哪些照片")
    assert "依据：" in replies[0].text, "answered from the knowledge base, not refused"
    assert "没能识别" not in officer.text
    assert "回到当前问题" in officer.last_text

    await officer.send("跳过")
    assert "没能识别" not in officer.text
    assert officer.last_text != question
    await officer.press("⬅ 返回")
    assert "当前记录：已跳过" in officer.last_text


async def test_the_english_visit_reads_number_words_and_names_the_unit(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer, language_code="en")
    await officer.send("/visit C001")
    await skip_until(officer, "(unit: people)", moves=("⏭ Skip", "Continue ▶"))
    assert "人" not in officer.last_text.split("\n", 1)[1]
    await officer.send("about thirty")
    assert officer.last_text.startswith("✓ Recorded: about 30 people\n")


async def test_submitting_with_gaps_lists_them_and_asks_first(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "回访小结")
    await officer.press("✅ 确认提交")
    assert "还没完成，确定现在提交吗" in officer.last_text
    assert "必答题未答" in officer.last_text
    assert "必收资料未收" in officer.last_text
    assert officer.last.button_labels == ["✅ 仍然提交", "📑 去补充", "🚶 离开现场，稍后补充"]

    await officer.press("📑 去补充")
    assert officer.last.button_labels, "the sections to go back to"
    await officer.send("/visit C001")
    assert "回访小结" in officer.last_text, "nothing was submitted"
    await officer.press("✅ 确认提交")
    await officer.press("✅ 仍然提交")
    assert "回访已完成并保存" in officer.last_text


async def test_cancel_discards_a_visit_started_by_mistake(bot: BotHarness, team: Team):
    from sqlalchemy import select

    from assistant.db.models import Visit, VisitStatus

    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await officer.send("没问题")
    await officer.send("/cancel")
    assert "要放弃对 张记五金店（C001）的这次回访吗" in officer.last_text
    await officer.press("↩ 继续回访")
    assert "第 2/" in officer.last_text, "kept, at the same step"

    await officer.send("/cancel")
    await officer.press("🗑 放弃这次回访")
    assert "已放弃这次回访" in officer.last_text
    await officer.send("/visit")
    assert "C001" not in officer.last_text, "no longer among the unfinished visits"
    await officer.send("/visit C001")
    assert "开始回访" in officer.last_text and "第 1/" in officer.last_text

    async with bot.services.database.session() as session:
        statuses = (await session.scalars(select(Visit.status).order_by(Visit.id))).all()
    assert statuses == [VisitStatus.DISCARDED, VisitStatus.OPEN]
