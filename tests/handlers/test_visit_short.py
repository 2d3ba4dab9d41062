"""The short visit, as an officer in a small shop meets it: the core questions only, the
look-ups in one tap, and the full visit one switch away with nothing lost."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select

from assistant.db.models import Visit, VisitAnswer, VisitStatus
from assistant.demo import DEMO_PEOPLE
from benchmarks.visits import NAVIGATION, photo
from botapi.chat import Chat, polling, settle_in_process
from botapi.standin import FakeUser
from tests.conftest import DemoBank, submit_visit
from tests.handlers.test_visit import skip_until

OFFICER = next(p for p in DEMO_PEOPLE if p.alias == "officer")


@pytest.fixture
def settings(settings):
    # The bank's default: individuals get the short visit.
    return settings.model_copy(update={"visit_depth_individual": "short"})


@asynccontextmanager
async def shop_officer(bank: DemoBank) -> AsyncIterator[tuple[Any, Chat]]:
    """The demo bank running, and its officer's chat."""
    app = bank.application()
    async with polling(app):
        user = FakeUser(OFFICER.telegram_id, OFFICER.first_name)
        yield app, Chat(bank.api, user, settle_in_process(bank.api, app))


async def arrive(officer: Chat) -> None:
    """At the shop: /visit C1001, the look-ups in one tap, the check-in, past the documents."""
    await officer.send("/visit C1001")
    await officer.press("✓ 这 5 项都没查到问题")
    await officer.send_location(31.2304, 121.4737)
    await officer.press("继续 ▶")


async def test_a_shop_visit_is_short_and_switches_to_full_and_back(demo_bank: DemoBank):
    async with shop_officer(demo_bank) as (_app, officer):
        await officer.send("/visit C1001")
        started = officer.last_text
        assert "定期检查 · 简版，📑 可改完整" in started and "第 1/26 步" in started, started
        assert officer.last.button_labels[0] == "✓ 这 5 项都没查到问题"

        await officer.press("✓ 这 5 项都没查到问题")
        assert officer.last_text.startswith("✓ 已记录：访前准备（5）：未发现问题")
        assert "实时位置" in officer.last_text
        await officer.send_location(31.2304, 121.4737)
        await officer.press("继续 ▶")
        assert "今天接待您的是谁" in officer.last_text
        await officer.press("实际控制人")
        assert "主营业务" in officer.last_text

        await officer.press("📑 跳转")
        assert "现在是简版回访" in officer.last_text
        await officer.press("⇄ 改为完整回访")
        assert "已改为完整回访：共 61 步" in officer.text, officer.text
        assert "第 9/61 步" in officer.last_text and "主营业务" in officer.last_text
        await officer.press("否")
        await officer.press("否")  # the full visit's own question: has the address changed?
        assert "✓ 已记录：否" in officer.last_text

        await officer.press("📑 跳转")
        await officer.press("⇄ 改为简版回访")
        assert "已改为简版回访：共 2" in officer.text
        assert "已录入的内容都保留" in officer.text
        # Both answers stay recorded; the short visit goes on with its own next question.
        assert "现场地址与银行档案登记的经营地址一致吗" in officer.last_text


PARAGRAPH = (
    "接待的是老板本人，主营业务没变，现场地址和档案登记一致，员工8个，去年营业额三百二十万，"
    "今年到现在两百一十万，贷款按合同约定用途用的，没有别的贷款，没给别人担保，没有官司纠纷，"
    "到期还款靠经营收入"
)


async def finish_the_rest(officer: Chat) -> int:
    """Answer every step left as an officer would, and submit; the inputs it took."""
    inputs = 0
    while "回访已完成" not in officer.last_text:
        assert inputs < 40, officer.last_text
        last = officer.message_with_buttons()
        text, labels = last.text, last.button_labels
        if "实时位置" in text:
            await officer.send_location(31.2304, 121.4737)
        elif "请收集以下资料" in text:
            await officer.press("继续 ▶")
        elif "请拍照留存" in text:
            await officer.send_photo(photo(OFFICER.telegram_id))
            await officer.press(1)
            await officer.press("继续 ▶")
            inputs += 2
        elif "回访小结" in text:
            await submit_visit(officer)
        elif "贷款到账后具体用在了哪里" in text:
            await officer.send("全部用来进水暖配件，付给了永兴五金批发")
        elif "是" in labels and "否" in labels:
            await officer.press("是" if "相符" in text else "否")
        elif options := [label for label in labels if label not in NAVIGATION]:
            await officer.press(options[0])
        else:
            await officer.send("经营正常，与上次看到的一致")
        inputs += 1
    return inputs


async def test_a_shop_visit_told_in_one_paragraph(demo_bank: DemoBank):
    async with shop_officer(demo_bank) as (app, officer):
        await arrive(officer)
        assert "今天接待您的是谁" in officer.last_text

        await officer.send(PARAGRAPH)
        told = officer.last_text
        assert told.startswith("已记录 11 项：\n"), told
        for heard in ("借款人本人", "8人", "320万元", "210万元", "经营收入"):
            assert heard in told
        assert len(told.splitlines()) <= 14
        assert officer.last.button_labels[0] == "✓ 都对，继续"

        # The head count was 9, not 8: its ✎ takes the officer there, then on to the next
        # question nobody has answered yet.
        await officer.press("✎ 4")
        assert "现在一共有多少员工" in officer.last_text
        assert "当前记录：8人" in officer.last_text
        await officer.send("9个")
        assert officer.last_text.startswith("✓ 已记录：9人")
        assert "贷款到账后具体用在了哪里" in officer.last_text, "the first question left"

        inputs = 5 + 2 + await finish_the_rest(officer)
        assert inputs <= 18, inputs

        services = app.bot_data["services"]
        async with services.database.session() as session:
            visit = await session.scalar(select(Visit).order_by(Visit.id.desc()))
            answers = {
                a.item_id: a
                for a in await session.scalars(
                    select(VisitAnswer).where(VisitAnswer.visit_id == visit.id)
                )
            }
        assert visit.status is VisitStatus.FINISHED
        assert answers["flow.interview.staff.headcount_total"].value == {"v": 9}
        revenue = answers["flow.interview.revenue.last_year"]
        assert revenue.value == {"v": 3200000} and revenue.raw_text == "去年营业额三百二十万"
        assert answers["flow.interview.debt.guarantees"].value == {"v": False}


async def test_dictation_without_stops_is_read_clause_by_clause(demo_bank: DemoBank):
    async with shop_officer(demo_bank) as (_app, officer):
        await arrive(officer)
        # Voice typing leaves no punctuation; "老板" at a shop is the borrower herself.
        await officer.send("嗯老板娘本人在然后店员一共六个今天在的五个然后房租一个月一万一吧")
        told = officer.last_text
        assert told.startswith("已记录 4 项：\n"), told
        for heard in ("借款人本人", "6人", "5人", "1.1万元"):
            assert heard in told, heard


async def test_a_paragraph_at_a_look_up_is_read_as_a_paragraph_not_as_its_result(
    demo_bank: DemoBank,
):
    async with shop_officer(demo_bank) as (_app, officer):
        await officer.send("/visit C1001")
        assert "请记录查询结果" in officer.last_text
        # "没有别的贷款" would read as the look-up's "nothing found" if taken as its answer.
        await officer.send("员工一共十二个今天都在 月租两万二 除了我们行没有别的贷款 没给别人担保")
        told = officer.last_text
        assert told.startswith("已记录 5 项：\n"), told
        assert "2. 在岗人数：12人" in told
        assert "未发现问题" not in told
        await officer.press("✓ 都对，继续")
        assert "请记录查询结果" in officer.last_text, "the look-up is still to be recorded"


async def test_a_paragraph_never_overwrites_an_earlier_answer(demo_bank: DemoBank):
    async with shop_officer(demo_bank) as (_app, officer):
        await arrive(officer)
        await officer.send("员工8个，去年营业额三百二十万")
        await officer.press("✓ 都对，继续")
        assert "今天接待您的是谁" in officer.last_text

        await officer.send("员工十个，今年到现在两百一十万")
        told = officer.last_text
        assert told.startswith("已记录 1 项：\n1. 本年累计营业收入：210万元")
        assert "之前已有回答，没有覆盖" in told
        assert "2. 员工总数：保留 8人，这次说的是 10人" in told

        # English: the same, in the officer's language.
        await officer.send("/lang en")
        await officer.send("/visit C1001")
        await officer.send("we have 12 staff, rent is 8000 a month")
        told = officer.last_text
        assert told.startswith("Recorded 1:\n1. "), told
        assert "Answered before, not overwritten" in told and "kept 8" in told


async def test_answers_that_contradict_each_other_are_put_right_before_submitting(
    demo_bank: DemoBank,
):
    async with shop_officer(demo_bank) as (_app, officer):
        # The short visit asks the checkpoint; the interview's own question comes only in the
        # full visit, later, and says otherwise.
        await officer.send("/visit C1001")
        await skip_until(officer, "抵（质）押物是否完好")
        await officer.press("完好")
        await officer.press("📑 跳转")
        await officer.press("⇄ 改为完整回访")
        await officer.press("📑 跳转")
        await officer.press("抵押担保物")
        assert "档案：房产" in officer.last_text, "the file's record, to confirm in one tap"
        await officer.press("是")
        assert "有没有损毁" in officer.last_text
        await officer.press("是")
        await officer.send("有一间被租客占用了")

        await skip_until(officer, "回访小结")
        await officer.press("✅ 确认提交")
        told = officer.last_text
        assert told.startswith("有回答相互矛盾，改好一处才能提交")
        assert "问询里说抵押物有损毁或权属问题，检查要点却记为完好。" in told
        assert "✅ 仍然提交" not in officer.last.button_labels, "no way around it"

        await officer.press(next(b for b in officer.last.button_labels if "抵质押物状况" in b))
        assert "当前记录：完好" in officer.last_text
        await officer.press("有问题")
        await officer.send("一间被占用")
        await skip_until(officer, "回访小结")
        await officer.press("✅ 确认提交")
        assert "有回答相互矛盾" not in officer.last_text


async def test_putting_a_heard_figure_right_returns_to_where_the_officer_was(
    demo_bank: DemoBank,
):
    async with shop_officer(demo_bank) as (_app, officer):
        await arrive(officer)
        await officer.send("员工8个，去年营业额三百万，隔壁说他打算扩到20个人")
        assert officer.last_text.startswith("已记录 2 项：\n1. 员工总数：8人")
        assert "20" not in officer.last_text, "a plan told by the neighbour is not a fact"
        await officer.press("✎ 1")
        await officer.send("9个")
        assert officer.last_text.startswith("✓ 已记录：9人")
        assert "今天接待您的是谁" in officer.last_text, "back where the list came"


async def test_the_cover_story_is_for_small_clients_not_for_companies(demo_bank: DemoBank):
    """The article keeps the check quiet with small businesses and individuals; with a company
    an openly stated routine check is normal."""
    async with shop_officer(demo_bank) as (_app, officer):
        await officer.send("/prep C1001")
        assert "开场话术（别说是来做贷后检查）" in officer.last_text
        await officer.send("/prep C1002")
        assert "企业客户可直说是例行贷后检查" in officer.last_text
        assert "别说是来做贷后检查" not in officer.last_text
        await officer.send("/phrase C1002")
        assert "对企业客户可以直说是例行贷后检查" in officer.last_text
        await officer.send("/phrase C1001")
        assert "别说是来做贷后检查" in officer.last_text
