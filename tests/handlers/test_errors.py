"""A failure inside a handler is apologised for, logged without customer data, and loses nothing."""

import logging

from tests.conftest import ADMIN_ID, SAMPLES, BotHarness, Team


async def test_a_failing_step_apologises_and_keeps_the_pending_import(
    bot: BotHarness, team: Team, monkeypatch, caplog
):
    admin = bot.chat(ADMIN_ID)
    await admin.send_document(SAMPLES / "portfolio_sample.xlsx")
    assert admin.last.button_labels == ["✅ 确认导入", "✖️ 取消"]

    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire while reading 张记五金店")

    monkeypatch.setattr(bot.services.portfolio, "list_clients", broken)
    with caplog.at_level(logging.ERROR):
        await admin.send("/clients")
    assert "抱歉，处理这条消息时出错了" in admin.last_text
    assert "已保存" in admin.last_text
    assert any("failed" in record.getMessage() for record in caplog.records)
    assert all("张记五金店" not in record.getMessage() for record in caplog.records)

    monkeypatch.undo()
    await admin.press("确认导入")
    assert "导入完成" in admin.last_text


async def test_an_english_user_gets_the_apology_in_english(
    bot: BotHarness, team: Team, monkeypatch
):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.portfolio, "client_card", broken)
    officer = bot.chat(team.officer, language_code="en")
    await officer.send("/client C001")
    assert "Sorry, something went wrong" in officer.last_text
