"""An administrator invites officers and imports the portfolio by sending a file."""

from sqlalchemy import func, select

from assistant.db.models import Client, Loan
from tests.conftest import ADMIN_ID, SAMPLES, BotHarness, Team

SAMPLE = SAMPLES / "portfolio_sample.xlsx"


async def count(bot: BotHarness, model: type) -> int:
    async with bot.services.database.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_import_is_previewed_then_applied_on_confirmation(bot: BotHarness):
    admin = bot.chat(ADMIN_ID)
    await admin.send_document(SAMPLE)
    assert "正在检查" in admin.last_text or "客户" in admin.last_text
    assert admin.last.button_labels == ["✅ 确认导入", "✖️ 取消"]
    assert await count(bot, Client) == 0, "a preview writes nothing"
    preview = admin.message_with_buttons()

    await admin.press("确认导入")
    assert await count(bot, Client) >= 10
    assert await count(bot, Loan) >= 10
    assert preview.buttons == [], "the buttons go once the decision is made"

    await admin.send("/clients")
    assert "（演示）" in admin.last_text


async def test_the_imported_roster_joins_by_invite_and_sees_its_own_clients(bot: BotHarness):
    admin = bot.chat(ADMIN_ID)
    await admin.send_document(SAMPLE)
    await admin.press("确认导入")
    await admin.send("/invite officer E1003")
    code = admin.last_text.split("/start ")[-1].strip()

    newcomer = bot.chat(4003, "刘洋")
    await newcomer.send(f"/start {code}")
    await newcomer.send("/clients")
    assert "共 2 户" in newcomer.last_text


async def test_a_cancelled_import_changes_nothing(bot: BotHarness):
    admin = bot.chat(ADMIN_ID)
    await admin.send_document(SAMPLE)
    await admin.send("确认")
    assert "请点击下方按钮" in admin.last_text
    assert admin.last.button_labels == ["✅ 确认导入", "✖️ 取消"]
    await admin.press("取消")
    assert "已取消导入" in admin.last_text
    assert await count(bot, Client) == 0
    assert not list(bot.services.uploads_dir.iterdir()), "the upload is removed"


async def test_a_broken_file_is_reported_by_row_and_column(bot: BotHarness):
    admin = bot.chat(ADMIN_ID)
    csv = (
        "client_code,client_name,kind,officer_staff_no\n"
        "C1,甲商行,individual,NOBODY\n"
        "C2,乙公司,martian,NOBODY\n"
    ).encode()
    await admin.send_document(csv, "clients.csv", "text/csv")
    report = admin.last_text
    assert "第 2 行" in report
    assert "第 3 行" in report
    assert admin.last.button_labels == []
    assert await count(bot, Client) == 0


async def test_a_file_of_the_wrong_type_is_refused_politely(bot: BotHarness):
    admin = bot.chat(ADMIN_ID)
    await admin.send_document(b"%PDF-1.4", "portfolio.pdf", "application/pdf")
    assert "只支持 .xlsx 和 .csv" in admin.last_text


async def test_a_garbage_xlsx_is_an_error_message_not_a_crash(bot: BotHarness):
    admin = bot.chat(ADMIN_ID)
    await admin.send_document(b"this is not a zip", "portfolio.xlsx")
    assert admin.last_text
    assert "抱歉" not in admin.last_text
    assert await count(bot, Client) == 0


async def test_only_admins_import_or_invite(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send_document(SAMPLE)
    assert "只有管理员可以导入" in officer.last_text
    await officer.send("/invite officer")
    assert "没有权限" in officer.last_text
    assert await count(bot, Loan) == 1


async def test_invite_without_arguments_explains_usage(bot: BotHarness):
    admin = bot.chat(ADMIN_ID, language_code="en")
    await admin.send("/invite")
    assert "Usage: /invite ROLE" in admin.last_text
    await admin.send("/invite officer E1 NOSUCH")
    assert "No supervisor has staff number" in admin.last_text
