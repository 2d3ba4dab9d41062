"""The report service: drafts, edits, the copy-paste check, submission, failures and the archive."""

import io
import json
import zipfile
from typing import Any

import pytest
from docx import Document
from sqlalchemy import select, update

from assistant.db.models import Officer, Report, ReportStatus
from assistant.errors import InvalidInput, NotFound
from assistant.reports.compose import ReportComposer
from assistant.reports.service import NoSupervisor, ReportBuildFailed, ReportLocked
from tests.conftest import Statements, Team, record_finished_visit

# The report with its audit entry, the visit, its document readings (two), and the rest.
TRANSACTIONS_TO_OPEN = 5


async def officer(services, team: Team):
    return await services.access.viewer(team.officer)


async def test_a_draft_carries_the_findings_and_the_figures_from_the_answers(services, team):
    visit_id = await record_finished_visit(services)
    view = await services.reports.open_for_visit(await officer(services, team), visit_id, "zh")
    assert view.status is ReportStatus.DRAFT and view.editable
    rules = {f.rule_id: f.severity.value for f in view.data.findings}
    assert rules["use.not_as_agreed"] == "critical"
    preview = "\n".join(view.chunks)
    assert "张记五金店" in preview and "🔴" in preview
    figures = [fact.value for section in view.data.sections for fact in section.facts]
    assert "5万元" in figures
    assert view.similarity is None


async def test_edits_are_checked_and_locked_once_submitted(services, team):
    me = await officer(services, team)
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    section = view.data.sections[0].id
    for text in ("   ", "很长" * 2000):
        with pytest.raises(InvalidInput):
            await services.reports.edit_section(me, view.report_id, section, text, "zh")
    with pytest.raises(InvalidInput):
        await services.reports.edit_section(me, view.report_id, "no_such_section", "x", "zh")
    edited = await services.reports.edit_section(me, view.report_id, section, "我的说明", "zh")
    assert edited.data.sections[0].narrative == "我的说明"
    assert edited.data.sections[0].narrative_source == "edited"

    await services.reports.set_assessment(me, view.report_id, "经营正常，按计划跟进。", "zh")

    await services.reports.submit(me, view.report_id, "zh")
    with pytest.raises(ReportLocked):
        await services.reports.edit_section(me, view.report_id, section, "改", "zh")
    with pytest.raises(ReportLocked):
        await services.reports.submit(me, view.report_id, "zh")


async def test_a_report_copied_from_the_last_visit_is_flagged(services, team):
    me = await officer(services, team)
    first = await services.reports.open_for_visit(
        me, await record_finished_visit(services, days_ago=30), "zh"
    )
    await services.reports.set_assessment(me, first.report_id, "经营正常，按计划跟进。", "zh")
    await services.reports.submit(me, first.report_id, "zh")
    second = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    assert second.similarity is not None and second.similarity >= 0.9
    assert second.copy_warning
    assert "相似度" in services.texts.render("zh", "report.status", view=second, note=None)


async def test_without_a_supervisor_the_report_stays_a_draft(services, team):
    async with services.database.session() as s:
        await s.execute(update(Officer).values(supervisor_id=None))
    me = await officer(services, team)
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    with pytest.raises(NoSupervisor):
        await services.reports.submit(me, view.report_id, "zh")
    assert (await services.reports.open(me, view.report_id, "zh")).status is ReportStatus.DRAFT


async def test_a_broken_template_is_reported_and_nothing_changes(services, team, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"this is not a Word file")
    services.reports.files.template_path = broken
    me = await officer(services, team)
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    with pytest.raises(ReportBuildFailed):
        await services.reports.document(me, view.report_id, "docx", "zh")
    await services.reports.set_assessment(me, view.report_id, "经营正常，按计划跟进。", "zh")
    with pytest.raises(ReportBuildFailed):
        await services.reports.submit(me, view.report_id, "zh")
    async with services.database.session() as s:
        stored = await s.get(Report, view.report_id)
        assert stored is not None and stored.status is ReportStatus.DRAFT and stored.version == 0
    html, name = await services.reports.document(me, view.report_id, "html", "zh")
    assert name.endswith(".html") and b"<html" in html


async def test_the_export_holds_reports_answers_and_an_index(services, team):
    me = await officer(services, team)
    reported = await record_finished_visit(services, days_ago=40)
    await services.reports.open_for_visit(me, reported, "zh")
    await record_finished_visit(services)
    archive = zipfile.ZipFile(
        io.BytesIO(
            await services.reports.export_client(
                services.access.system_actor(), "C001", "zh", today=services.today()
            )
        )
    )
    names = archive.namelist()
    index = json.loads(archive.read("index.json"))
    assert index["client"] == "C001" and len(index["visits"]) == 2
    assert sum(n.endswith(".docx") for n in names) == 2
    assert sum(n.endswith(".html") for n in names) == 2
    answers_json = next(n for n in names if n.endswith("answers.json"))
    answers = json.loads(archive.read(answers_json))
    diverted = next(a for a in answers if a["item_id"].endswith("diverted_amount"))
    assert diverted["value"] == 50000.0
    csv_text = archive.read(answers_json.replace(".json", ".csv")).decode("utf-8-sig")
    assert "diverted_amount" in csv_text
    docx_name = next(n for n in names if n.endswith(".docx"))
    assert "张记五金店" in "\n".join(
        p.text for p in Document(io.BytesIO(archive.read(docx_name))).paragraphs
    )
    # Only its officer starts a report: exporting wrote no report for the other visit.
    async with services.database.session() as s:
        assert len(list(await s.scalars(select(Report)))) == 1


async def test_the_supervisor_reads_the_teams_reports_but_cannot_edit_them(services, team):
    me = await officer(services, team)
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    boss = await services.access.viewer(team.supervisor)
    seen = await services.reports.open(boss, view.report_id, "en")
    assert not seen.editable and seen.data.lang == "en"
    with pytest.raises(ReportLocked):
        await services.reports.set_remarks(boss, view.report_id, "x", "zh")
    stranger = await services.access.viewer(team.other_supervisor)
    with pytest.raises(NotFound):
        await services.reports.open(stranger, view.report_id, "zh")


async def test_an_llm_may_polish_the_paragraphs_but_never_bring_a_figure(services, team):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.llm import LlmComponent
    from assistant.reports.polish import NarrativePolisher
    from assistant.services import PROMPTS_DIR

    def polisher(reply: str) -> NarrativePolisher:
        return NarrativePolisher(
            LlmComponent(FakeListChatModel(responses=[reply] * 20), PROMPTS_DIR / "llm")
        )

    me = await officer(services, team)
    services.reports.polisher = polisher("经核实，客户经营基本正常，资金去向仍需跟进。")
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    assert {s.narrative_source for s in view.data.sections} == {"llm"}

    services.reports.polisher = polisher("经核实，客户挪用了99万元。")
    again = await services.reports.regenerate(me, view.report_id, "zh")
    assert {s.narrative_source for s in again.data.sections} == {"template"}
    assert "99" not in "\n".join(again.chunks)


@pytest.fixture
def composed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The language of every report composed."""
    languages: list[str] = []
    real = ReportComposer.compose

    def compose(self: ReportComposer, *args: Any, **kwargs: Any) -> Any:
        languages.append(kwargs["lang"])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ReportComposer, "compose", compose)
    return languages


async def test_a_submission_and_its_review_compose_the_report_once_per_language(
    services, team, composed: list[str]
):
    me = await officer(services, team)
    boss = await services.access.viewer(team.supervisor)
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "zh")
    composed.clear()

    await services.reports.save_assessment(me, view.report_id, "经营正常，按计划跟进。")
    submission = await services.reports.submit(me, view.report_id, "zh")
    assert composed == ["zh"], "the officer and the supervisor read the same composition"
    assert submission.view.is_author and not submission.view.is_reviewer
    assert submission.supervisor_view.is_reviewer and not submission.supervisor_view.is_author
    assert submission.view.data == submission.supervisor_view.data
    assert "经营正常，按计划跟进。" in submission.view.data.assessment

    composed.clear()
    review = await services.reports.review(
        boss, view.report_id, 1, approve=True, comment=None, lang="zh"
    )
    assert composed == ["zh"]
    assert review.view.is_reviewer and review.officer_view.is_author
    assert review.officer_view.data.status == "approved"


async def test_an_english_officer_and_a_chinese_supervisor_each_get_their_language(
    services, team, composed: list[str]
):
    me = await officer(services, team)
    view = await services.reports.open_for_visit(me, await record_finished_visit(services), "en")
    await services.reports.save_assessment(me, view.report_id, "Sound business; follow up.")
    composed.clear()

    submission = await services.reports.submit(me, view.report_id, "en")

    assert sorted(composed) == ["en", "zh"]
    assert submission.view.data.lang == "en" and submission.supervisor_view.data.lang == "zh"


async def test_a_report_reads_its_other_rows_in_one_transaction(services, team):
    """The previous check, the signatures, the files and the last narrative: one snapshot,
    not a session each."""
    me = await officer(services, team)
    await record_finished_visit(services, days_ago=40)
    visit_id = await record_finished_visit(services)
    view = await services.reports.open_for_visit(me, visit_id, "zh")
    sql = Statements(services.database)

    reopened = await services.reports.open(me, view.report_id, "zh")

    assert reopened.data.header.previous is not None, "the earlier visit is found"
    assert [f.evidence_id for f in reopened.data.files] == [f.evidence_id for f in view.data.files]
    assert sql.transactions <= TRANSACTIONS_TO_OPEN
