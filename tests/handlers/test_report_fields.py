"""The report a supervisor signs, read back from its Word file: a C1001 visit told the way an
officer tells it (one paragraph, then the few questions left), drafted, given the officer's own
overall assessment, approved, and opened from the archive. Every field of a 贷后检查报告 that
a supervisor looks for first is there, labels are nouns, nothing is written as "0元", and no
two statements contradict each other."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

from assistant.demo import DEMO_PEOPLE
from botapi.chat import Chat, polling, settle_in_process
from botapi.standin import FakeUser
from tests.conftest import DemoBank, submit_visit
from tests.handlers.test_visit_complete import SPOKEN, jpeg

OFFICER = next(p for p in DEMO_PEOPLE if p.alias == "officer")
SUPERVISOR = next(p for p in DEMO_PEOPLE if p.alias == "supervisor")
NAVIGATION = {"⏭ 跳过", "🚫 不适用", "⬅ 返回", "📑 跳转", "⏸ 暂停", "继续 ▶", "✅ 确认提交"}

# What the officer says once the client has shown them round, as they would type it.
DEBRIEF = (
    "张老板本人接待的，主营没变，还在原地址。员工6个，今天在岗5个。"
    "去年营业额大概180万，今年到现在150万左右。"
    "贷款30万全部用来进水暖配件了，付给永兴五金批发。"
    "除了我们没有别的贷款，没给别人担保，也没有官司。"
    "店面是自己的，不交租；没有应收款，都是现款现结。"
    "抵押的商铺完好，跟档案一样，现在大概能值65万。保证人刘美兰正常。靠经营收入还款。"
)
# The questions the paragraph left open, answered in the officer's words.
TYPED = {
    "用在了哪里": "全部进了水暖配件，付给了永兴五金批发",
    "主要供货方": "永兴五金批发，合作五年，月结",
    "主要客户": "周边装修队和散客，现款",
}
ASSESSMENT = "经营稳定，库存充足，贷款按约定用于进货，还款来源可靠，维持正常类，按期复查。"


async def answer(chat: Chat) -> None:
    """Whatever is still asked after the paragraph: the ordinary answer, as a quick officer
    gives it (the usual run, the first option, a spoken figure)."""
    labels = chat.last.button_labels
    usual = next((b for b in labels if b.startswith("✓ 这")), None)
    if usual is not None:
        await chat.press(usual)
        return
    if "是" in labels and "否" in labels:
        await chat.press("是" if "相符" in chat.last_text or "一致" in chat.last_text else "否")
        return
    options = [b for b in labels if b not in NAVIGATION]
    unit = re.search(r"（单位：(.+?)）", chat.last_text)
    if unit and unit.group(1) in SPOKEN:
        await chat.send(SPOKEN[unit.group(1)])
        return
    if options:
        await chat.press(options[0])
        return
    typed = next((t for cue, t in TYPED.items() if cue in chat.last_text), None)
    if typed is not None:
        await chat.send(typed)
        return
    await chat.press("⏭ 跳过")


@pytest.fixture
async def word_file(demo_bank: DemoBank) -> str:
    """The approved C1001 report, as its Word file reads."""
    officer_user = FakeUser(OFFICER.telegram_id, OFFICER.first_name)
    supervisor_user = FakeUser(SUPERVISOR.telegram_id, SUPERVISOR.first_name)
    application = demo_bank.application()
    async with polling(application):
        settle = settle_in_process(demo_bank.api, application)
        officer = Chat(demo_bank.api, officer_user, settle)
        supervisor = Chat(demo_bank.api, supervisor_user, settle)
        await officer.send("/visit C1001")
        await officer.press(next(b for b in officer.last.button_labels if b.startswith("✓ 这")))
        await officer.send_location(31.2412, 121.4936)
        await officer.press("继续 ▶")
        await officer.send(DEBRIEF)
        for _ in range(60):
            if "请拍照留存" in officer.last_text:
                break
            await answer(officer)
        for shade, category in ((20, "门头"), (120, "库存")):
            await officer.send_photo(jpeg(shade))
            await officer.press(next(b for b in officer.last.button_labels if category in b))
        await officer.press("继续 ▶")
        for _ in range(30):
            if "回访小结" in officer.last_text:
                break
            await answer(officer)
        await submit_visit(officer)
        assert "回访已完成" in officer.last_text
        await officer.press("📝 生成报告")
        await officer.press("📤 提交审批")
        assert "综合评价" in officer.last_text
        await officer.send(ASSESSMENT)
        assert "已提交主管审批" in officer.last_text
        supervisor.replies = demo_bank.api.chat_messages(supervisor_user.id)[-2:]
        await supervisor.press("✅ 批准")
        assert "已批准" in supervisor.last_text
        await officer.send("/history C1001")
        await officer.press(next(b for b in officer.last.button_labels if "已批准" in b))
        document = Document(io.BytesIO(officer.last.document.content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


async def test_the_word_file_has_every_field_a_supervisor_looks_for(word_file: str):
    text = word_file
    print(text)  # the report as read back: `pytest -s` shows it in full
    # The check itself: how, where, when (local time), who, and whom they met.
    assert "检查方式 | 现场检查" in text
    assert "检查地点 | 城东区建材市场路18号A区12号" in text
    assert re.search(r"检查时间 \| \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", text)
    assert "检查人 | 张伟" in text
    assert "接待人 | 张国富（借款人本人）" in text
    assert "上次检查 | " in text
    # The credit report and this bank's own record.
    assert "人行征信 | 无新增负债和逾期" in text
    assert "本行还款记录 | HT2025-0001 按期还款，未逾期" in text
    # Each guarantor by name, relation and amount; the collateral with its title and value.
    assert "刘美兰 | 配偶 | 30万元 | HT2025-0001 | 正常" in text
    assert "沪(2025)演示区不动产权第003456号" in text
    assert re.search(r"62万元（\d{4}年\d{1,2}月\d{1,2}日）", text), "appraisal and its date"
    assert "抵押率" in text and re.search(r"\d+(\.\d)?%（贷款 30万元 ÷ (现值|评估值)）", text)
    # The conclusion: the officer's own words, the suggestion with its reasons, measures and
    # the next check, signed by both.
    assert ASSESSMENT in text
    assert "建议分类" in text and "理由" in text
    assert re.search(r"下次检查时间 \| \d{4}年\d{1,2}月\d{1,2}日前（", text)
    assert re.search(r"检查人：张伟\s+日期：\d{4}年", text)
    assert re.search(r"审核人：王强\s+日期：\d{4}年", text)


async def test_the_word_file_reads_as_a_report_not_a_questionnaire(word_file: str):
    text = word_file
    labels = [line.split(" | ")[0] for line in text.splitlines() if " | " in line]
    assert labels and not [label for label in labels if "？" in label or "?" in label]
    assert not re.search(r"(?<![\d.])0元", text), "a zero is said in words"
    assert "无应收账款" in text or "没有应收款" in text
    # One collateral, one state: never both intact and damaged.
    assert not ("完好" in text and "损毁" in text and "存在损毁" in text)
