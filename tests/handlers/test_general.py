"""Help, language, and what happens with input the bot did not ask for."""

from tests.conftest import ADMIN_ID, BotHarness, Team


async def test_help_lists_what_an_officer_can_do_next(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/help")
    assert "/clients" in officer.last_text
    assert "/client 客户编号" in officer.last_text
    assert "/invite" not in officer.last_text


async def test_help_for_an_admin_explains_invites_and_import(bot: BotHarness, team: Team):
    admin = bot.chat(ADMIN_ID)
    await admin.send("/help")
    assert "/invite" in admin.last_text
    assert ".xlsx" in admin.last_text


async def test_language_follows_telegram_and_lang_switches_it(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer, language_code="en-US")
    await officer.send("/help")
    assert "Loan visit assistant" in officer.last_text

    await officer.send("/lang")
    assert officer.last.button_labels == ["中文", "English"]
    await officer.press("中文")
    assert "已切换为中文" in officer.last_text
    await officer.send("/help")
    assert "贷后回访助手" in officer.last_text


async def test_typing_when_a_button_is_expected_shows_the_buttons_again(
    bot: BotHarness, team: Team
):
    officer = bot.chat(team.officer)
    await officer.send("/lang")
    await officer.send("英文")
    assert "请点击下方按钮" in officer.last_text
    assert officer.last.button_labels == ["中文", "English"]
    await officer.press("English")
    assert "Language set to English" in officer.last_text
    await officer.send("whatever")
    assert "outside the post-loan visit knowledge base" in officer.last_text, (
        "free text is a question again"
    )


async def test_an_unknown_command_points_to_help(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/frobnicate")
    assert "没有这个命令" in officer.last_text
    assert "/help" in officer.last_text


async def test_a_photo_outside_a_visit_is_answered(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send_photo(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert "暂不支持" in officer.last_text


async def test_the_command_menu_exists_in_both_languages(bot: BotHarness, team: Team):
    menus = bot.api.commands
    zh = menus[('{"type": "default"}', "zh")]
    en = menus[('{"type": "default"}', "en")]
    assert [c["command"] for c in zh] == [c["command"] for c in en]
    assert {"clients", "help", "lang"} <= {c["command"] for c in zh}
    assert next(c for c in zh if c["command"] == "clients")["description"] == "我的客户"
    assert next(c for c in en if c["command"] == "clients")["description"] == "My clients"
