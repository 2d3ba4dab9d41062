"""What the officer was in the middle of survives a restart of the bot."""

from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import FakeBotApi, FakeUser
from tests.conftest import ADMIN_ID, SAMPLES


async def test_a_pending_import_survives_a_restart(settings, sqlite_db):
    from assistant.services import build_services

    api = FakeBotApi()
    first = build_application(
        settings, standin_builder(api), services=build_services(settings, database=sqlite_db)
    )
    async with polling(first):
        admin = Chat(api, FakeUser(ADMIN_ID, "管理员"), settle_in_process(api, first))
        await admin.send_document(SAMPLES / "portfolio_sample.xlsx")
        assert admin.last.button_labels == ["✅ 确认导入", "✖️ 取消"]

    # A new process: new Application, new services, same database.
    from assistant.db.database import Database

    database = Database(str(sqlite_db.url))
    second = build_application(
        settings, standin_builder(api), services=build_services(settings, database=database)
    )
    async with polling(second):
        admin = Chat(api, FakeUser(ADMIN_ID, "管理员"), settle_in_process(api, second))
        await admin.send("嗯")
        assert admin.last.button_labels == ["✅ 确认导入", "✖️ 取消"]
        await admin.press("确认导入")
        assert "客户" in admin.last_text
        await admin.send("/clients")
        assert "（演示）" in admin.last_text
