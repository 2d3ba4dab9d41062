"""A complete visit, as the issue's done-when describes it, for an individual and a corporate demo
client: brief, look-ups with an adverse finding, check-in, documents, typed answers in Chinese
numerals, a follow-up, a mid-visit question, a pause and a resume after restarting the bot, an
album, a reused-photo warning, and the submitted visit stored with typed answers."""

import asyncio
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from assistant.db.models import Visit, VisitAnswer, VisitStatus
from assistant.demo import DEMO_PEOPLE
from botapi.chat import Chat, polling, settle_in_process
from botapi.standin import FakeUser
from tests.conftest import DemoBank, submit_visit

OFFICER = next(p for p in DEMO_PEOPLE if p.alias == "officer")
SPOKEN = {
    "人": "三十五个人",
    "万元": "二十五万",
    "元": "两千五百元",
    "%": "百分之十五",
    "天": "三十天",
    "月": "三个月",
    "平方米": "一百二十平",
}
NAVIGATION = {"⏭ 跳过", "🚫 不适用", "⬅ 返回", "📑 跳转", "⏸ 暂停", "继续 ▶", "✅ 确认提交"}


def jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (shade, 100, 200 - shade)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def bank(demo_bank: DemoBank) -> DemoBank:
    return demo_bank


async def answer_current(chat: Chat) -> str:
    """Answer whatever is asked, the way an officer would; returns what kind of answer it was."""
    text, labels = chat.last_text, chat.last.button_labels
    unit = re.search(r"（单位：(.+?)）", text)
    if unit and unit.group(1) in SPOKEN:
        await chat.send(SPOKEN[unit.group(1)])
        return "numeral"
    if "是" in labels and "否" in labels:
        await chat.press("是")
        return "yes"
    options = [label for label in labels if label not in NAVIGATION]
    if options:
        await chat.press(options[0])
        return "choice"
    await chat.send("和上次看到的情况一样")
    return "text"


async def move_on(chat: Chat) -> None:
    labels = chat.last.button_labels
    await chat.press(next(b for b in ("⏭ 跳过", "继续 ▶") if b in labels))


@pytest.mark.parametrize("client", ["C1001", "C1002"])
async def test_a_complete_visit(bank: DemoBank, client: str):
    user = FakeUser(OFFICER.telegram_id, OFFICER.first_name)
    first = bank.application()
    async with polling(first):
        officer = Chat(bank.api, user, settle_in_process(bank.api, first))
        await officer.send(f"/prep {client}")
        assert "访前简报" in officer.last_text and "开场话术" in officer.last_text
        await officer.press("▶ 开始访前查询")
        assert "开始回访" in officer.last_text

        # Look-ups: enforcement is adverse, the rest clear.
        while "访前准备 ·" in officer.last_text:
            adverse = "执行" in officer.last_text
            results = [b for b in officer.last.button_labels if not b.startswith("✓ 这")]
            await officer.press("发现问题" if adverse else results[0])
            if adverse:
                # The record's details are asked at once, with the site still open.
                assert "案号" in officer.last_text and "访前准备 ·" in officer.last_text
                await officer.send("（2025）沪0101执1234号，欠货款8万元，2025年3月立案")
                assert "已记录" in officer.last_text
        assert "实时位置" in officer.last_text
        await officer.send("到了")
        assert "这一步需要签到" in officer.text, "text where a location is expected"
        await officer.send_location(31.2304, 121.4737)
        assert "已签到" in officer.text

        # Documents: one statement, filed under its document type.
        await officer.send_document(b"%PDF-1.4 bank statement", "statement.pdf", "application/pdf")
        await officer.press(1)
        assert "已归类为" in officer.last_text
        await officer.press("继续 ▶")

        # The interview: answer the first questions, Chinese numerals included.
        kinds: list[str] = []
        while "numeral" not in kinds:
            assert len(kinds) < 16, kinds
            before = officer.last_text
            kinds.append(await answer_current(officer))
            if officer.last_text == before:
                await move_on(officer)

        replies = await officer.send("老板说的营业额和流水对不上怎么办？")
        assert "依据：" in replies[0].text
        assert "回到当前问题" in officer.last_text
        step = officer.last_text.split("\n", 1)[0]
        await officer.press("⏸ 暂停")
        assert "已暂停" in officer.last_text

    second = bank.application()  # a restart: new process state, same database
    async with polling(second):
        officer = Chat(bank.api, user, settle_in_process(bank.api, second))
        await officer.send(f"/visit {client}")
        assert "继续上次的回访" in officer.last_text
        assert officer.last_text.split("\n", 1)[0] == step

        for _ in range(150):
            if "请拍照留存" in officer.last_text:
                break
            await move_on(officer)
        for shade in (10, 60, 110):
            await officer.send_photo(jpeg(shade), media_group_id=f"album-{client}")
        await asyncio.sleep(2.5)
        assert "一组 3 张照片" in bank.api.chat_messages(user.id)[-1].text
        await officer.press(1)
        assert "已归类为" in officer.last_text, "the whole album filed with one tap"
        await officer.send_photo(jpeg(10))
        assert "完全相同" in officer.last_text, "a reused photo is flagged"
        await officer.press(1)
        await officer.press("继续 ▶")

        for _ in range(150):
            if "回访小结" in officer.last_text:
                break
            await move_on(officer)
        assert "已上传 5 个文件" in officer.last_text
        await submit_visit(officer)
        assert "回访已完成并保存" in officer.last_text

        services = second.bot_data["services"]
        async with services.database.session() as session:
            visit = await session.scalar(select(Visit).order_by(Visit.id.desc()))
            answers = (
                await session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id == visit.id))
            ).all()
        assert visit.status is VisitStatus.FINISHED
        assert visit.findings.get("records.enforcement") == "adverse"
        assert visit.checkin_latitude == pytest.approx(31.2304)
        numerals = [a for a in answers if a.raw_text in SPOKEN.values()]
        assert numerals, "Chinese numerals stored with their typed value"
        assert all(isinstance(a.value["v"], float) for a in numerals)
        checklist = services.visits.checklist
        assert any(checklist.item(a.item_id).parent for a in answers), "a follow-up answered"
