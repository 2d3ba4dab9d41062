"""The short visit, as an officer in a small shop meets it: the core questions only, the
look-ups in one tap, and the full visit one switch away with nothing lost."""

import pytest

from assistant.demo import DEMO_PEOPLE
from botapi.chat import Chat, polling, settle_in_process
from botapi.standin import FakeUser
from tests.conftest import DemoBank

OFFICER = next(p for p in DEMO_PEOPLE if p.alias == "officer")


@pytest.fixture
def settings(settings):
    # The bank's default: individuals get the short visit.
    return settings.model_copy(update={"visit_depth_individual": "short"})


async def test_a_shop_visit_is_short_and_switches_to_full_and_back(demo_bank: DemoBank):
    app = demo_bank.application()
    async with polling(app):
        officer = Chat(
            demo_bank.api,
            FakeUser(OFFICER.telegram_id, OFFICER.first_name),
            settle_in_process(demo_bank.api, app),
        )
        await officer.send("/visit C1001")
        started = officer.last_text
        assert "定期检查 · 简版，共 24 步" in started, started
        assert officer.last.button_labels[0] == "✓ 这 4 项都没查到问题"

        await officer.press("✓ 这 4 项都没查到问题")
        assert officer.last_text.startswith("✓ 已记录：访前准备（4）：未发现问题、未查询到")
        assert "实时位置" in officer.last_text
        await officer.send_location(31.2304, 121.4737)
        await officer.press("继续 ▶")
        assert "今天接待您的是谁" in officer.last_text
        await officer.press("实际控制人")
        assert "主营业务" in officer.last_text

        await officer.press("📑 跳转")
        assert "现在是简版回访" in officer.last_text
        await officer.press("⇄ 改为完整回访")
        assert "已改为完整回访：共 6" in officer.text, officer.text
        assert "第 8/6" in officer.last_text and "主营业务" in officer.last_text
        await officer.press("否")
        await officer.press("否")  # the full visit's own question: has the address changed?
        assert "✓ 已记录：否" in officer.last_text

        await officer.press("📑 跳转")
        await officer.press("⇄ 改为简版回访")
        assert "已改为简版回访：共 2" in officer.text
        assert "已录入的内容都保留" in officer.text
        # Both answers stay recorded; the short visit goes on with its own next question.
        assert "现场地址与银行档案登记的经营地址一致吗" in officer.last_text
