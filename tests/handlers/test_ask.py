"""Asking the knowledge base in the chat: free text or /ask, about the client at hand."""

from tests.conftest import ADMIN_ID, BotHarness, Team


async def test_a_question_typed_in_the_chat_gets_a_sourced_answer(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("回访时要拍哪些照片？")
    assert "来源：" in officer.last_text
    assert "《贷后回访流程及检查要点》" in officer.last_text
    assert "<b>" in officer.last.text_html, "section titles are bold"


async def test_ask_without_a_question_explains_how(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/ask")
    assert "请把问题写在 /ask 后面" in officer.last_text


async def test_an_uncovered_question_is_refused_not_invented(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer, language_code="en")
    await officer.send("/ask what's the best pizza in Shenzhen?")
    assert "does not cover this question" in officer.last_text
    assert "Sources:" not in officer.last_text


async def test_after_opening_a_client_the_answer_is_about_that_client(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/client C001")
    await officer.send("这个个体户放款后我要查些什么？")
    answer = officer.last_text
    assert "客户：张记五金店" in answer
    assert "约定用途「进货周转」" in answer and "放款已 12 天" in answer
    assert "首次用途检查" in answer
    assert "担保人：张父" in answer and "抵押物：商铺" in answer


async def test_a_client_out_of_reach_is_never_used_as_context(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/client C009")
    await officer.send("这个客户放款后要查什么？")
    assert "别组客户公司" not in officer.last_text
    assert "C009" not in officer.last_text


async def test_only_admins_reload_the_knowledge_base(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/reindex")
    assert "只有管理员" in officer.last_text

    admin = bot.chat(ADMIN_ID)
    await admin.send("/reindex")
    assert "知识库已重新加载" in admin.last_text
    assert "重新计算向量 0 个" in admin.last_text, "an unchanged knowledge base is not re-embedded"
