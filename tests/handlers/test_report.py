"""From a finished visit with a diversion answer to an approved report in the archive, as the
officer and the supervisor each see it on their phones."""

import io
import re

import pytest
from docx import Document
from sqlalchemy import select, update

import assistant.reports.files as files_module
from assistant.db.models import Alert, AuditEntry, Client, Officer
from assistant.errors import AccessDenied, InvalidInput, NotFound
from assistant.reports.files import ReportFiles
from tests.conftest import BotHarness, Team, record_finished_visit, submit_report, submit_visit
from tests.handlers.test_visit import skip_until
from tests.handlers.test_visit_complete import jpeg


def messages_to(bot: BotHarness, chat_id: int, since: int) -> list:
    return bot.api.events_since(since, chat_id)


async def finish_visit_with_diversion(bot: BotHarness, officer) -> None:
    """C001's visit: the loan went elsewhere, two photos, then submitted."""
    await officer.send("/visit C001")
    await skip_until(officer, "实际用途和借款合同约定的用途一致吗")
    await officer.press("不一致")
    assert "已即时预警主管" in officer.text
    await officer.send("借给亲戚交了购房首付")
    await officer.send("五万")
    await skip_until(officer, "请拍照留存")
    await officer.send_photo(jpeg(10))
    await officer.press("门头、招牌和门牌号")
    await officer.send_photo(jpeg(90))
    await officer.press("库存和仓库")
    await skip_until(officer, "回访小结")
    await submit_visit(officer)
    assert "回访已完成" in officer.last_text


async def test_the_report_loop_from_visit_to_approved_archive(bot: BotHarness, team: Team):
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    mark = len(bot.api.events)
    await finish_visit_with_diversion(bot, officer)

    # The diversion was alerted to the supervisor the moment it was recorded, once.
    alerts = [m for m in messages_to(bot, team.supervisor, mark) if "风险预警" in m.text]
    assert len(alerts) == 1
    assert "🔴" in alerts[0].text and "张记五金店" in alerts[0].text
    assert alerts[0].button_labels == ["✔️ 知悉"]

    # The officer drafts the report: one phone screen with the finding and the suggestion;
    # the figures are in the files.
    await officer.press("📝 生成报告")
    preview, *_ = (m for m in officer.replies if m.text.startswith("📋"))
    assert "张记五金店" in preview.text
    assert "🔴" in preview.text and "建议分类" in preview.text
    assert len(preview.text.splitlines()) <= 25
    assert "报告状态：草稿" in officer.last_text

    # Editing one section's narrative shows that section, not the whole report again.
    await officer.press("✏️ 修改叙述")
    await officer.press(1)
    assert "请发送" in officer.last_text
    await officer.send("客户承认将五万元借给亲戚交购房首付，已要求三日内归还并提供凭证。")
    assert "段落已更新" in officer.last_text
    edited, _status = officer.replies
    assert "已要求三日内归还" in edited.text and "风险信号" not in edited.text

    # Submitting asks first for the officer's own overall assessment, then sends the report.
    # The supervisor decides in one message: the report as HTML to read on the phone, then
    # the Word file carrying the summary, the findings with the alerts folded in, and the
    # decision buttons. No preview pages, no alert messages of their own.
    await officer.press("📤 提交审批")
    assert "综合评价" in officer.last_text
    mark = len(bot.api.events)
    await officer.send("借款人挪用五万元借给亲戚，经营本身正常；已要求归还，下次重点核实。")
    assert "已提交主管审批" in officer.last_text
    to_supervisor = messages_to(bot, team.supervisor, mark)
    html, word = to_supervisor
    assert html.document.file_name.endswith(".html") and b"<html" in html.document.content
    assert word.document.file_name.endswith(".docx")
    assert word.text.startswith("待审批：贷后检查报告")
    assert "🔴" in word.text and "建议分类" in word.text
    assert "🔔" in word.text, "the diversion's alert, folded into the review"
    assert len(word.text) <= 1024 and len(word.text.splitlines()) <= 25
    assert word.button_labels == ["✅ 批准", "↩️ 退回"]

    # Returned with a comment; the officer hears of it and sees the report again.
    mark = len(bot.api.events)
    await supervisor.press("↩️ 退回")
    assert "请输入退回意见" in supervisor.last_text
    await supervisor.send("请补充亲戚的姓名和归还计划。")
    assert "已退回" in supervisor.last_text
    to_officer = messages_to(bot, team.officer, mark)
    assert any("被退回修改" in m.text and "归还计划" in m.text for m in to_officer)

    # A second decision on the same version is refused.
    await supervisor.press("✅ 批准")
    assert "已经审批过" in supervisor.last_text

    # Revised and resubmitted, then approved.
    officer.replies = to_officer
    await officer.press("💬 备注")
    await officer.send("借款亲戚：张三，承诺十二月五日前归还。")
    assert "备注已保存" in officer.last_text
    mark = len(bot.api.events)
    await submit_report(officer)
    assert "第 2 版" in officer.last_text
    supervisor.replies = messages_to(bot, team.supervisor, mark)
    await supervisor.press("✅ 批准")
    assert "已批准" in supervisor.last_text
    assert any("已获批准" in m.text for m in messages_to(bot, team.officer, mark))

    # The archive shows it, and the Word file opens with the photos and the findings in it.
    await officer.send("/history C001")
    assert "已批准" in officer.last_text and "🔴" in officer.last_text
    await officer.press(1)
    document = Document(io.BytesIO(officer.last.document.content))
    body = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "张记五金店" in body
    assert "已要求三日内归还" in body
    assert "5万元" in body, "the diverted amount, from the answers"
    assert "下次重点核实" in body, "the officer's own assessment"
    assert re.search(r"审核人：\S+    日期：\d{4}年", body), "signed by the approving supervisor"
    assert len(document.inline_shapes) == 2

    # Every status change is in the audit log, and the alert was raised once only.
    async with bot.services.database.session() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("report.%"))
                .order_by(AuditEntry.id)
            )
        )
        raised = list(await session.scalars(select(Alert.rule_id)))
    assert actions == [
        "report.draft",
        "report.edit",
        "report.assessment",
        "report.submit",
        "report.return",
        "report.remarks",
        "report.submit",
        "report.approve",
    ]
    assert len(raised) == len(set(raised))


async def test_a_two_person_visit_names_the_second_inspector_who_signs_too(
    bot: BotHarness, team: Team
):
    await record_finished_visit(bot.services)
    officer = bot.chat(team.officer)
    await officer.send("/report C001")
    await officer.press("✏️ 修改叙述")
    await officer.press("👥 同行检查人")
    assert "双人检查" in officer.last_text
    mates = [b for b in officer.last.button_labels if b != "无同行（单人检查）"]
    async with bot.services.database.session() as session:
        names = dict((await session.execute(select(Officer.id, Officer.name))).all())
    me = await officer_id(bot, team.officer)
    stranger = await officer_id(bot, team.other_team_officer)
    assert mates and names[me] not in mates and names[stranger] not in mates
    await officer.press(mates[0])
    assert "同行检查人已记录" in officer.last_text
    await submit_report(officer)
    assert "已提交主管审批" in officer.last_text
    await officer.send("/report C001")
    await officer.press("📄 Word")
    document = Document(io.BytesIO(officer.last.document.content))
    rows = [" | ".join(c.text for c in row.cells) for t in document.tables for row in t.rows]
    assert f"同行检查人 | {mates[0]}" in rows
    lines = [p.text for p in document.paragraphs]
    assert sum(1 for line in lines if line.startswith("检查人：")) == 2, "both inspectors sign"
    # Someone of another team cannot be named, whatever the button says.
    view = await bot.services.reports.latest_for_client(
        await bot.services.access.viewer(team.officer), "C001", "zh"
    )
    with pytest.raises(InvalidInput):
        await bot.services.reports.set_companion(
            await bot.services.access.viewer(team.officer),
            view.report_id,
            await officer_id(bot, team.other_team_officer),
            "zh",
        )


async def officer_id(bot: BotHarness, telegram_id: int) -> int:
    viewer = await bot.services.access.viewer(telegram_id)
    assert viewer is not None
    return viewer.officer_id


async def test_the_supervisor_acknowledges_an_alert_once(bot: BotHarness, team: Team):
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    await finish_visit_with_diversion(bot, officer)
    await supervisor.send("/alerts")
    assert "未处理的风险预警" in supervisor.last_text
    await supervisor.press(1)
    assert "已确认知悉" in supervisor.last_text
    await supervisor.send("/alerts")
    assert "没有未处理的风险预警" in supervisor.last_text


async def test_only_the_officers_own_supervisor_may_decide(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await finish_visit_with_diversion(bot, officer)
    await officer.press("📝 生成报告")
    await submit_report(officer)
    reports, access = bot.services.reports, bot.services.access
    ((report_id, *_),) = await reports.pending(await access.viewer(team.supervisor))
    for someone in (team.other_supervisor, team.teammate, team.officer):
        with pytest.raises((AccessDenied, NotFound)):
            await reports.review(
                await access.viewer(someone), report_id, 1, approve=True, comment=None, lang="zh"
            )
    review = await reports.review(
        await access.viewer(team.supervisor), report_id, 1, approve=True, comment=None, lang="zh"
    )
    assert review.approved


async def test_a_report_cannot_be_drafted_before_the_visit_is_finished(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await officer.send("/report C001")
    assert "还没有已完成的回访" in officer.last_text


async def test_names_with_markup_characters_render_safely(bot: BotHarness, team: Team):
    hostile = "<b>张&李</b>_*[x](y).!"
    async with bot.services.database.session() as s:
        await s.execute(update(Client).where(Client.code == "C001").values(name=hostile))
    await record_finished_visit(bot.services)
    officer = bot.chat(team.officer)
    await officer.send("/report C001")
    # The stand-in refuses MarkdownV2 that Telegram would refuse: getting here means it parsed.
    assert hostile in officer.text
    await officer.press("🌐 HTML")
    html = officer.last.document.content.decode("utf-8")
    assert "&lt;b&gt;张&amp;李&lt;/b&gt;" in html and hostile not in html
    await officer.press("📄 Word")
    document = Document(io.BytesIO(officer.last.document.content))
    assert any(hostile in p.text for p in document.paragraphs)


async def test_a_failed_word_build_is_explained_and_the_draft_kept(
    bot: BotHarness, team: Team, tmp_path
):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a Word file")
    bot.services.reports.files.template_path = broken
    await record_finished_visit(bot.services)
    officer = bot.chat(team.officer)
    await officer.send("/report C001")
    await submit_report(officer)
    assert "报告文件生成失败" in officer.last_text
    await officer.send("/report C001")
    assert "报告状态：草稿" in officer.last_text
    assert "📤 提交审批" in officer.last.button_labels


async def test_an_english_speaking_officer_and_a_chinese_supervisor(bot: BotHarness, team: Team):
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    await officer.send("/lang en")
    await record_finished_visit(bot.services)
    await officer.send("/report C001")
    assert "Report status: draft" in officer.last_text
    assert "Loan diverted" in officer.text
    await officer.press("📤 Submit")
    assert "overall assessment" in officer.last_text
    mark = len(bot.api.events)
    await officer.send("The business is sound; the diverted money is to be repaid this week.")
    assert "Submitted for approval" in officer.last_text
    assert any("待审批" in m.text for m in messages_to(bot, team.supervisor, mark))
    await supervisor.send("/alerts")
    assert "未处理的风险预警" in supervisor.last_text
    await officer.send("/alerts")
    assert "Open risk alerts" in officer.last_text
    await officer.send("/history C001")
    assert "Visit archive" in officer.last_text and "awaiting approval" in officer.last_text


async def test_the_supervisors_files_are_built_in_a_worker_process(
    bot: BotHarness, team: Team, monkeypatch: pytest.MonkeyPatch
):
    """As in production (REPORT_WORKERS=1): the bot's own process builds no file."""

    def not_in_the_bot(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("a report file was built in the bot's process")

    monkeypatch.setattr(files_module, "render_docx", not_in_the_bot)
    monkeypatch.setattr(files_module, "render_html", not_in_the_bot)
    bot.services.reports.files = ReportFiles(
        bot.services.reports.files.template_path, bot.services.settings.tz, workers=1
    )
    try:
        officer = bot.chat(team.officer)
        await record_finished_visit(bot.services)
        await officer.send("/report C001")
        mark = len(bot.api.events)
        await submit_report(officer)
        assert "已提交主管审批" in officer.last_text
        html, word = messages_to(bot, team.supervisor, mark)
        assert "张记五金店" in html.document.content.decode("utf-8")
        document = Document(io.BytesIO(word.document.content))
        assert any("张记五金店" in p.text for p in document.paragraphs) or any(
            "张记五金店" in cell.text
            for table in document.tables
            for row in table.rows
            for cell in row.cells
        )
        assert word.button_labels == ["✅ 批准", "↩️ 退回"]
    finally:
        bot.services.reports.files.close()
