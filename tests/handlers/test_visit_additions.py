"""补充: a report the supervisor returns reopens its own visit for additions, on the demo
client C1001, as the officer and the supervisor see it on their phones."""

from sqlalchemy import func, select

from assistant.db.models import Client, Report, ReportStatus, Visit, VisitStatus
from assistant.demo import DEMO_PEOPLE
from botapi.chat import Chat, polling, settle_in_process
from botapi.standin import FakeUser
from tests.conftest import DemoBank, submit_report, submit_visit
from tests.handlers.test_visit import skip_until
from tests.handlers.test_visit_complete import answer_current

OFFICER = next(p for p in DEMO_PEOPLE if p.alias == "officer")
SUPERVISOR = next(p for p in DEMO_PEOPLE if p.alias == "supervisor")


async def counts(application) -> tuple[int, int]:
    services = application.bot_data["services"]
    async with services.database.session() as session:
        client_id = select(Client.id).where(Client.code == "C1001").scalar_subquery()
        visits = await session.scalar(
            select(func.count()).select_from(Visit).where(Visit.client_id == client_id)
        )
        reports = await session.scalar(
            select(func.count()).select_from(Report).where(Report.client_id == client_id)
        )
    return visits or 0, reports or 0


async def test_a_returned_report_is_completed_in_the_same_visit(demo_bank: DemoBank):
    bank = demo_bank
    application = bank.application()
    async with polling(application):
        settle = settle_in_process(bank.api, application)
        officer = Chat(bank.api, FakeUser(OFFICER.telegram_id, OFFICER.first_name), settle)
        supervisor = Chat(bank.api, FakeUser(SUPERVISOR.telegram_id, SUPERVISOR.first_name), settle)

        # The visit is submitted with the documents and most answers missing.
        await officer.send("/visit C1001")
        await skip_until(officer, "回访小结")
        await submit_visit(officer)
        assert "回访已完成并保存" in officer.last_text
        await officer.press("📝 生成报告")
        await submit_report(officer)
        assert "已提交主管审批" in officer.last_text
        before = await counts(application)

        # Returned for a missing document.
        await supervisor.press("↩️ 退回")
        mark = len(bank.api.events)
        await supervisor.send("缺银行流水，请补上，并补充员工人数。")
        assert "已退回" in supervisor.last_text
        decision = next(
            m for m in bank.api.events_since(mark, OFFICER.telegram_id) if "被退回修改" in m.text
        )
        assert decision.button_labels == ["📝 补充"]
        add_more = decision.buttons[0][0]["callback_data"]

        # /visit C1001 reopens the same visit (no new one), and says what was asked.
        await officer.send("/visit C1001")
        intro = next(m for m in officer.replies if "补充回访" in m.text)
        assert "缺银行流水" in intro.text and "第 1 版" in intro.text
        assert "还缺" in intro.text
        assert await counts(application) == before

        # 「补充」 on the return message lands on the first gap: the documents.
        await officer.press_data(add_more, message=decision)
        assert "补充回访" in officer.text
        assert "请收集以下资料" in officer.last_text
        await officer.send_document(b"%PDF-1.4 statement", "statement.pdf", "application/pdf")
        await officer.press(1)
        assert "已归类为" in officer.last_text
        await officer.press("继续 ▶")
        # The next stop is the next gap, a required question; it is answered.
        question = officer.last_text
        assert "第 " in question and "回访小结" not in question
        await answer_current(officer)
        assert officer.last_text != question
        await skip_until(officer, "回访小结")

        # Submitted from the visit: the same report, version 2, back to the supervisor.
        mark = len(bank.api.events)
        await submit_visit(officer)
        assert "已提交主管审批" in officer.text and "第 2 版" in officer.text
        to_supervisor = bank.api.events_since(mark, SUPERVISOR.telegram_id)
        assert any("待审批" in m.text for m in to_supervisor)
        assert any(m.document is not None for m in to_supervisor)
        assert await counts(application) == before
        services = application.bot_data["services"]
        async with services.database.session() as session:
            report = await session.scalar(select(Report).order_by(Report.id.desc()))
            assert report is not None
            visit = await session.get(Visit, report.visit_id)
            assert visit is not None
        assert (report.status, report.version) == (ReportStatus.SUBMITTED, 2)
        assert visit.status is VisitStatus.FINISHED

        # The supervisor sees the same visit's report with the statement in it, and approves.
        supervisor.replies = to_supervisor
        assert any("第 2 版" in m.text for m in to_supervisor)
        await supervisor.press("✅ 批准")
        assert "已批准" in supervisor.last_text

        # The old 「补充」 button now explains itself; /visit starts a new visit.
        await officer.press_data(add_more, message=decision)
        assert "已经批准，不需要再补充" in officer.last_text
        await officer.send("/visit C1001")
        assert "开始回访" in officer.last_text
