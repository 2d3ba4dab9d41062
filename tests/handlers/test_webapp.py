"""The Mini App's HTTP side, as the page's script calls it: who may read and change what, and
that the chat hears of a submission or a decision made on the page."""

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from assistant.miniapp.initdata import sign
from handlers.webapp import PAGES_DIR, PageServer
from tests.conftest import BotHarness, Team, add_photo, record_finished_visit


@pytest.fixture
async def pages(bot: BotHarness, team: Team):
    server = PageServer(bot.application, listen="127.0.0.1", port=0)
    port = server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield client
    await server.stop()


def launch(bot: BotHarness, telegram_id: int, **moved) -> dict[str, str]:
    now = bot.services.clock.now() - timedelta(**moved) if moved else bot.services.clock.now()
    return {"X-Telegram-Init-Data": sign(telegram_id, bot.application.bot.token, now=now)}


async def drafted(bot: BotHarness, team: Team, code: str = "C001") -> int:
    visit_id = await record_finished_visit(bot.services, code)
    viewer = await bot.services.access.viewer(team.officer if code == "C001" else team.teammate)
    view = await bot.services.reports.open_for_visit(viewer, visit_id, "zh")
    return view.report_id


async def post(client, path, headers, body):
    return await client.post(
        path, headers={**headers, "Content-Type": "application/json"}, content=json.dumps(body)
    )


async def test_the_page_and_its_api_carry_a_strict_policy(pages, bot: BotHarness, team: Team):
    page = await pages.get("/app/")
    assert page.status_code == 200 and b'<script defer src="/app/static/app.js">' in page.content
    assert b"<script>" not in page.content and b"style=" not in page.content
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert (await pages.get("/app/static/vendor/chart.umd.min.js")).status_code == 200
    home = await pages.get("/app/api/home", headers=launch(bot, team.officer))
    assert home.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in home.headers


async def test_forged_expired_or_missing_launch_data_gets_401(pages, bot: BotHarness, team: Team):
    report_id = await drafted(bot, team)
    forged = {
        "X-Telegram-Init-Data": sign(
            team.officer, "123:NOT-THE-TOKEN", now=bot.services.clock.now()
        )
    }
    for headers in ({}, forged, launch(bot, team.officer, hours=2)):
        answer = await pages.get(f"/app/api/report/{report_id}", headers=headers)
        assert answer.status_code == 401
        # Nobody is known yet: told in both languages.
        assert (
            "重新打开" in answer.json()["message"]
            and "open this page again" in answer.json()["message"]
        )
    # Telegram signed it, but nobody of the bank's is behind that account.
    assert (await pages.get("/app/api/home", headers=launch(bot, team.stranger))).status_code == 401


async def test_another_teams_report_is_not_there(pages, bot: BotHarness, team: Team):
    report_id = await drafted(bot, team)
    for outsider in (team.other_team_officer, team.other_supervisor, team.teammate):
        answer = await pages.get(f"/app/api/report/{report_id}", headers=launch(bot, outsider))
        assert answer.status_code == 404, outsider
        assert "张记五金店" not in answer.text
    assert (
        await pages.get(f"/app/api/report/{report_id}", headers=launch(bot, team.supervisor))
    ).status_code == 200


async def test_writes_need_json_so_a_cross_site_form_cannot_post(
    pages, bot: BotHarness, team: Team
):
    report_id = await drafted(bot, team)
    form = await pages.post(
        f"/app/api/report/{report_id}/edit",
        headers=launch(bot, team.officer),
        data={"field": "remarks", "text": "x"},
    )
    assert form.status_code == 415
    view = await bot.services.reports.open(
        await bot.services.access.viewer(team.officer), report_id, "zh"
    )
    assert view.data.remarks is None


async def in_chat(bot: BotHarness, *people: int) -> None:
    """They have talked to the bot before, so it may message them (as Telegram requires)."""
    for person in people:
        await bot.chat(person).send("/help")


async def test_edit_submit_return_resubmit_approve(pages, bot: BotHarness, team: Team):
    report_id = await drafted(bot, team)
    await in_chat(bot, team.officer, team.supervisor)
    officer, supervisor = launch(bot, team.officer), launch(bot, team.supervisor)
    page = (await pages.get(f"/app/api/report/{report_id}", headers=officer)).json()
    report = page["report"]
    assert report["editable"] and not report["reviewable"]
    assert page["labels"]["submit"] == "提交审批"
    section = report["sections"][0]["id"]

    # The officer edits a section; a too-long text is refused and nothing changes.
    too_long = await post(
        pages,
        f"/app/api/report/{report_id}/edit",
        officer,
        {"field": "section", "section": section, "text": "长" * 3001},
    )
    assert too_long.status_code == 409 and "3000" in too_long.json()["message"]
    edited = await post(
        pages,
        f"/app/api/report/{report_id}/edit",
        officer,
        {"field": "section", "section": section, "text": "客户承认挪用五万元，已要求归还。"},
    )
    assert edited.status_code == 200
    assert edited.json()["report"]["sections"][0]["narrative"] == "客户承认挪用五万元，已要求归还。"

    # Submitting without the overall assessment is asked for it, as in the chat.
    missing = await post(pages, f"/app/api/report/{report_id}/submit", officer, {})
    assert missing.status_code == 409 and missing.json()["error"] == "report.assessment_needed"
    await post(
        pages,
        f"/app/api/report/{report_id}/edit",
        officer,
        {"field": "assessment", "text": "挪用已发现并要求归还，经营正常，下次重点核实。"},
    )
    mark = len(bot.api.events)
    sent = await post(pages, f"/app/api/report/{report_id}/submit", officer, {})
    assert sent.status_code == 200 and sent.json()["version"] == 1
    # The chat hears of it as if the officer had pressed 「提交审批」 there.
    to_officer = bot.api.events_since(mark, team.officer)
    assert any("已提交主管审批" in m.text for m in to_officer)
    to_supervisor = bot.api.events_since(mark, team.supervisor)
    assert any(m.document and m.document.file_name.endswith(".docx") for m in to_supervisor)
    assert "✅ 批准" in to_supervisor[-1].button_labels

    # Locked now: the officer cannot edit a submitted report from the page either.
    locked = await post(
        pages, f"/app/api/report/{report_id}/edit", officer, {"field": "remarks", "text": "晚了"}
    )
    assert locked.status_code == 409

    # The supervisor returns it with a comment on that section; a second decision is refused.
    review = (await pages.get(f"/app/api/report/{report_id}", headers=supervisor)).json()["report"]
    assert review["reviewable"] and review["changes"]["since"] is None
    mark = len(bot.api.events)
    returned = await post(
        pages,
        f"/app/api/report/{report_id}/review",
        supervisor,
        {"version": 1, "approve": False, "comment": "请补充归还凭证", "section": section},
    )
    assert returned.status_code == 200
    decision = [m for m in bot.api.events_since(mark, team.officer) if "退回" in m.text]
    assert decision and "请补充归还凭证" in decision[0].text
    again = await post(
        pages, f"/app/api/report/{report_id}/review", supervisor, {"version": 1, "approve": True}
    )
    assert again.status_code == 409

    # The officer changes that section and resubmits; the supervisor sees what changed.
    await post(
        pages,
        f"/app/api/report/{report_id}/edit",
        officer,
        {"field": "section", "section": section, "text": "客户已归还五万元，凭证已收。"},
    )
    await post(pages, f"/app/api/report/{report_id}/submit", officer, {})
    review = (await pages.get(f"/app/api/report/{report_id}", headers=supervisor)).json()["report"]
    assert review["version"] == 2 and review["changes"]["since"] == 1
    changed = [s["id"] for s in review["sections"] if s["changed"]]
    assert changed == [section]
    mark = len(bot.api.events)
    approved = await post(
        pages, f"/app/api/report/{report_id}/review", supervisor, {"version": 2, "approve": True}
    )
    assert approved.status_code == 200
    assert any("批准" in m.text for m in bot.api.events_since(mark, team.officer))


async def test_a_plain_officer_has_no_team_page(pages, bot: BotHarness, team: Team):
    assert (await pages.get("/app/api/team", headers=launch(bot, team.officer))).status_code == 404
    team_page = (await pages.get("/app/api/team", headers=launch(bot, team.supervisor))).json()
    names = [o["name"] for o in team_page["officers"]]
    assert "张伟" in names and "陈静" not in names
    assert [t["label"] for t in team_page["risk"]][:2] == ["正常", "关注"]


async def test_an_alert_is_acknowledged_from_the_team_page_once(pages, bot: BotHarness, team: Team):
    report_id = await drafted(bot, team)
    await in_chat(bot, team.officer, team.supervisor)
    officer, supervisor = launch(bot, team.officer), launch(bot, team.supervisor)
    await post(
        pages,
        f"/app/api/report/{report_id}/edit",
        officer,
        {"field": "assessment", "text": "挪用已发现并要求归还。"},
    )
    await post(pages, f"/app/api/report/{report_id}/submit", officer, {})
    alerts = (await pages.get("/app/api/team", headers=supervisor)).json()["alerts"]
    assert alerts, "the diversion raised an alert"
    first = alerts[0]["id"]
    assert (await post(pages, f"/app/api/alert/{first}/ack", officer, {})).status_code == 404
    assert (await post(pages, f"/app/api/alert/{first}/ack", supervisor, {})).status_code == 200
    assert (await post(pages, f"/app/api/alert/{first}/ack", supervisor, {})).status_code == 409
    left = (await pages.get("/app/api/team", headers=supervisor)).json()["alerts"]
    assert first not in [a["id"] for a in left]


async def test_the_chat_offers_the_page_only_where_there_is_one(bot: BotHarness, team: Team):
    visit_id = await record_finished_visit(bot.services, "C001")
    officer = bot.chat(team.officer)
    await officer.send("/report C001")
    assert "📱 在页面中打开" not in officer.last.button_labels
    bot.services.webapp_url = "https://bank.example/app/"
    await officer.send("/report C001")
    buttons = [b for row in officer.last.buttons for b in row if "web_app" in b]
    assert buttons and buttons[0]["web_app"]["url"].startswith("https://bank.example/app/?report=")
    assert visit_id


def test_the_shipped_chart_library_is_the_one_named():
    vendored = PAGES_DIR / "static" / "vendor"
    digest = hashlib.sha256((vendored / "chart.umd.min.js").read_bytes()).hexdigest()
    assert digest in (vendored / "README.md").read_text(encoding="utf-8")
    assert Path(vendored / "chart.js.LICENSE.md").exists()


async def test_the_page_speaks_the_officers_language(pages, bot: BotHarness, team: Team):
    report_id = await drafted(bot, team)
    viewer = await bot.services.access.viewer(team.officer)
    await bot.services.access.set_language(viewer, "en")
    page = (
        await pages.get(f"/app/api/report/{report_id}", headers=launch(bot, team.officer))
    ).json()
    assert page["lang"] == "en"
    assert page["labels"]["submit"] == "Submit for review"
    assert page["report"]["title"] == "Post-Loan Inspection Report"
    refused = await pages.get("/app/api/team", headers=launch(bot, team.officer))
    assert refused.json()["message"].startswith("Not found")


async def test_team_offers_the_page_where_there_is_one(bot: BotHarness, team: Team):
    supervisor = bot.chat(team.supervisor)
    await supervisor.send("/team")
    assert not any(
        "web_app" in b
        for m in bot.api.chat_messages(team.supervisor)
        for row in m.buttons
        for b in row
    )
    bot.services.webapp_url = "https://bank.example/app/"
    await supervisor.send("/team")
    urls = [
        b["web_app"]["url"]
        for m in bot.api.chat_messages(team.supervisor)
        for row in m.buttons
        for b in row
        if "web_app" in b
    ]
    assert urls == ["https://bank.example/app/?team=1"]


def test_the_mini_app_exists_only_behind_an_https_webhook(settings):
    from pydantic import SecretStr

    from assistant.services import webapp_url

    assert webapp_url(settings) is None, "polling"
    webhook = {"run_mode": "webhook", "webhook_secret": SecretStr("s3cret")}
    https = settings.model_copy(update={**webhook, "webhook_url": "https://bot.example.bank/"})
    assert webapp_url(https) == "https://bot.example.bank/app/"
    plain = settings.model_copy(update={**webhook, "webhook_url": "http://10.0.0.5:8080"})
    assert webapp_url(plain) is None, "Telegram opens Mini Apps from HTTPS addresses only"


async def test_a_photo_is_served_without_composing_the_report_again(
    pages, bot: BotHarness, team: Team
):
    from sqlalchemy import func, select

    from assistant.db.models import AuditEntry
    from tests.handlers.test_visit_complete import jpeg

    services = bot.services
    officer = await services.access.viewer(team.officer)
    visit_id = await record_finished_visit(services, "C001")
    photo_id = await add_photo(services, visit_id, jpeg(30))
    report_id = (await services.reports.open_for_visit(officer, visit_id, "zh")).report_id
    headers = launch(bot, team.officer)
    await pages.get(f"/app/api/report/{report_id}", headers=headers)

    async def opened() -> int:
        async with services.database.session() as s:
            return await s.scalar(select(func.count()).where(AuditEntry.action == "reports.open"))

    before = await opened()
    for size in ("thumb", "full", "thumb"):
        photo = await pages.get(
            f"/app/api/report/{report_id}/photo/{photo_id}?size={size}", headers=headers
        )
        assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    assert await opened() == before, "one audited opening per page, not one per photo"
    missing = await pages.get(f"/app/api/report/{report_id}/photo/999999", headers=headers)
    assert missing.status_code == 404
