"""Who gets what from the Mini App's endpoints: every endpoint as every kind of person, with
valid, forged and replayed launch data, checked cell by cell against the same policy as the
chat (tests/test_access_matrix.py). The targets are client C001's reports, so the officer's
column is the owner's.

Each person gets a bank of their own, in which C001's officer has one draft report (with a
photo) and one submitted for review (which alerted the supervisor of a diversion).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from assistant.miniapp.initdata import sign
from benchmarks.hardening.access import ACTORS
from handlers.webapp import PageServer
from tests.conftest import ADMIN_ID, BotHarness, Team, add_photo, record_finished_visit
from tests.handlers.test_visit_complete import jpeg

# One letter per actor, in the chat matrix's order (benchmarks/hardening/access.py).
# D 200 with C001's data (a photo of the visit counts)    A 200 without it
# U 401    N 404    C 409 (the rules refuse it: locked, not the author)
EXPECTED = {
    "GET home": "UDAADA",
    "GET draft report": "UDNNDD",
    "GET draft photo": "UDNNDD",
    "GET submitted report": "UDNNDD",
    "POST edit remarks": "UDNNCC",
    "POST edit section": "UDNNCC",
    "POST edit assessment": "UDNNCC",
    "POST submit": "UANNCC",
    "POST review approve": "UNNNAN",
    "GET team": "UNNNDD",
    "POST alert ack": "UNNNAA",
    "GET home, forged initData": "UUUUUU",
    "GET draft report, forged initData": "UUUUUU",
    "GET draft report, initData 61 minutes old": "UUUUUU",
    "POST edit remarks, initData 61 minutes old": "UUUUUU",
    "GET draft report, initData dated ahead": "UUUUUU",
}
MARKERS = ("张记五金店", "C001", "HT-001", "张父")


@dataclass(frozen=True)
class Cell:
    status: int
    saw: bool

    @property
    def letter(self) -> str:
        if self.status == 200:
            return "D" if self.saw else "A"
        return {401: "U", 404: "N", 409: "C"}.get(self.status, f"?{self.status}")


async def setting(bot: BotHarness, team: Team) -> dict[str, int]:
    """C001's draft report with one photo, and another of its reports submitted for review."""
    services = bot.services
    officer = await services.access.viewer(team.officer)
    draft_visit = await record_finished_visit(services, "C001", days_ago=1)
    photo = await add_photo(services, draft_visit, jpeg(40), category="storefront")
    draft = await services.reports.open_for_visit(officer, draft_visit, "zh")
    submitted_visit = await record_finished_visit(services, "C001")
    submitted = await services.reports.open_for_visit(officer, submitted_visit, "zh")
    await services.reports.set_assessment(officer, submitted.report_id, "挪用已要求归还。", "zh")
    await services.reports.submit(officer, submitted.report_id, "zh")
    supervisor = await services.access.viewer(team.supervisor)
    alert = (await services.alerts.open_alerts(supervisor))[0].alert_id
    return {
        "draft": draft.report_id,
        "photo": photo,
        "submitted": submitted.report_id,
        "alert": alert,
    }


def probes(ids: dict[str, int], section: str):
    draft, submitted = ids["draft"], ids["submitted"]
    return {
        "GET home": ("GET", "/app/api/home", None),
        "GET draft report": ("GET", f"/app/api/report/{draft}", None),
        "GET draft photo": ("GET", f"/app/api/report/{draft}/photo/{ids['photo']}", None),
        "GET submitted report": ("GET", f"/app/api/report/{submitted}", None),
        "POST edit remarks": (
            "POST",
            f"/app/api/report/{draft}/edit",
            {"field": "remarks", "text": "张记五金店备注"},
        ),
        "POST edit section": (
            "POST",
            f"/app/api/report/{draft}/edit",
            {"field": "section", "section": section, "text": "张记五金店情况正常。"},
        ),
        "POST edit assessment": (
            "POST",
            f"/app/api/report/{draft}/edit",
            {"field": "assessment", "text": "正常。"},
        ),
        "POST submit": ("POST", f"/app/api/report/{draft}/submit", {}),
        "POST review approve": (
            "POST",
            f"/app/api/report/{submitted}/review",
            {"version": 1, "approve": True},
        ),
        "GET team": ("GET", "/app/api/team", None),
        "POST alert ack": ("POST", f"/app/api/alert/{ids['alert']}/ack", {}),
    }


async def matrix_row(bot: BotHarness, team: Team, actor: str) -> dict[str, Cell]:
    ids = await setting(bot, team)
    telegram_id = ADMIN_ID if actor == "admin" else getattr(team, actor)
    token, now = bot.application.bot.token, bot.services.clock.now()
    officer = await bot.services.access.viewer(team.officer)
    section = (await bot.services.reports.open(officer, ids["draft"], "zh")).data.sections[0].id
    server = PageServer(bot.application, listen="127.0.0.1", port=0)
    port = server.start()
    cells = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def call(method, path, body, init_data):
                headers = {"X-Telegram-Init-Data": init_data}
                if method == "GET":
                    answer = await client.get(path, headers=headers)
                else:
                    headers["Content-Type"] = "application/json"
                    answer = await client.post(path, headers=headers, content=json.dumps(body))
                shown = answer.content.decode("utf-8", "replace")
                photo = answer.headers.get("Content-Type", "").startswith("image/")
                return Cell(answer.status_code, photo or any(m in shown for m in MARKERS))

            valid = sign(telegram_id, token, now=now)
            for probe, (method, path, body) in probes(ids, section).items():
                cells[probe] = await call(method, path, body, valid)
            all_probes = probes(ids, section)
            variants = {
                "forged initData": sign(telegram_id, "1:FORGED", now=now),
                "initData 61 minutes old": sign(
                    telegram_id, token, now=now - timedelta(minutes=61)
                ),
                "initData dated ahead": sign(telegram_id, token, now=now + timedelta(minutes=5)),
            }
            for probe in EXPECTED:
                if ", " not in probe:
                    continue
                base, variant = probe.split(", ", 1)
                method, path, body = all_probes[base]
                cells[probe] = await call(method, path, body, variants[variant])
    finally:
        await server.stop()
    return cells


@pytest.mark.parametrize("actor", ACTORS)
async def test_each_person_gets_what_the_policy_says(bot: BotHarness, team: Team, actor: str):
    await bot.chat(team.officer).send("/help")
    await bot.chat(team.supervisor).send("/help")
    cells = await matrix_row(bot, team, actor)
    column = ACTORS.index(actor)
    wrong = [
        f"{probe}: expected {letters[column]}, got {cells[probe].letter}"
        for probe, letters in EXPECTED.items()
        if cells[probe].letter != letters[column]
    ]
    assert not wrong, "\n".join(wrong)
    # Whatever was refused carried none of C001's data.
    assert not [p for p, c in cells.items() if c.status != 200 and c.saw]
