"""Asking the knowledge base in the chat: free text or /ask, about the client at hand."""

import time

from assistant.knowledge.base import Building
from tests.conftest import ADMIN_ID, BotHarness, Team


async def test_a_question_typed_in_the_chat_gets_a_sourced_answer(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("回访时要拍哪些照片？")
    assert "依据：¹拍照记录" in officer.last_text
    assert "<i>依据" in officer.last.text_html, "the footnotes are set apart"


async def test_ask_without_a_question_explains_how(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/ask")
    assert "请把问题写在 /ask 后面" in officer.last_text


async def test_an_off_topic_question_is_refused_not_invented(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer, language_code="en")
    await officer.send("/ask what's the best pizza in Shenzhen?")
    assert "outside the post-loan visit knowledge base" in officer.last_text
    assert "Based on:" not in officer.last_text


async def test_a_calculation_is_refused_with_what_is_covered(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("帮我算一下100万贷款10年每月还多少")
    assert "我不替您做计算" in officer.last_text
    assert "依据：" not in officer.last_text


async def test_after_opening_a_client_the_answer_is_what_to_check_this_time(
    bot: BotHarness, team: Team
):
    officer = bot.chat(team.officer)
    await officer.send("/client C001")
    assert "张记五金店" in officer.last_text, "the client card is shown once, when opened"
    await officer.send("这个个体户这次我该查什么？")
    answer = officer.last_text
    assert "张记五金店（C001）这次回访重点查" in answer
    assert "1. " in answer and "9. " not in answer, "at most 8 checks"
    assert "放款 12 天：核对资金实际去向与约定用途「进货周转」" in answer
    assert "担保人 张父" in answer and "抵押物（商铺）" in answer
    assert "依据：¹" in answer
    assert "经办客户经理" not in answer and "注册地址" not in answer, "no client card under it"

    # /prep says the same, from the same list.
    await officer.send("/prep C001")
    brief = officer.last_text
    assert "放款 12 天：核对资金实际去向与约定用途「进货周转」" in brief


async def test_a_general_answer_fits_a_phone_and_more_shows_the_entries(
    bot: BotHarness, team: Team
):
    officer = bot.chat(team.officer)
    await officer.send("回访时要拍哪些照片")
    short = officer.last_text
    assert len(short) <= 700 and short.count("\n") < 12
    assert "来源：" not in short
    await officer.press("展开全文")
    full = officer.last_text
    assert "来源：《贷后回访流程及检查要点》" in full
    assert len(full) > len(short)


async def test_a_topic_the_knowledge_base_lacks_is_named_and_its_nearest_entries_open(
    bot: BotHarness, team: Team
):
    officer = bot.chat(team.officer)
    await officer.send("不良贷款要核销的话需要什么条件")
    told = officer.last_text
    assert told.startswith("知识库里还没有「呆账核销与账销案存」的内容")
    assert "依据：" not in told, "nothing answered from a loosely related entry"
    assert told.count("\n• ") == 3 and told.count("\n") < 12
    nearest = told.split("\n• ")[1].split("\n")[0]
    await officer.press("展开全文")
    assert nearest in officer.last_text
    assert "来源：" in officer.last_text


async def test_a_question_while_the_index_is_built_is_told_how_long(
    bot: BotHarness, team: Team, monkeypatch
):
    knowledge = bot.services.knowledge
    monkeypatch.setattr(knowledge, "_retriever", None)
    monkeypatch.setattr(knowledge, "_loading_since", time.monotonic())
    monkeypatch.setattr(knowledge, "building", Building(1000, 500, time.monotonic() - 10))
    officer = bot.chat(team.officer)
    await officer.send("回访时要拍哪些照片")
    assert "知识库还在准备中，大约还要" in officer.last_text
    assert "其他功能现在就能用" in officer.last_text
    await officer.send("/client C001")
    assert "张记五金店" in officer.last_text, "everything else answers at once"


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
