"""Who gets what: every command and every (forged) button, as every kind of person, checked
cell by cell against the policy; every read of customer data in the audit log; invite codes.

The matrix comes from ``benchmarks/hardening/access.py`` (``python -m benchmarks.hardening.access``
prints it). Its targets are all the client C001 and its officer's visits, reports, alerts and
readings, so the officer's column is the owner's.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from assistant.db.models import AuditEntry, Invite, Officer, Role
from benchmarks.hardening.access import ACTORS, MARKERS, PROBES, Row, render_table, run
from tests.conftest import BotHarness, Team, record_finished_visit

# One letter per actor, in ACTORS order: stranger, officer (owner of C001), teammate, officer of
# another team, supervisor, admin.
#   D allowed, and C001's data reached them    A allowed, none of C001's data
#   a allowed, C001's data or not (the month's plan depends on today's date)
#   R refused    N not found    I ignored (nothing came back)
EXPECTED = {
    "/start": "RAAAAA",
    "/help": "IAAAAA",
    "/lang": "IAAAAA",
    "/clients": "IDAADD",
    "/client C001": "IDNNDD",
    "/invite officer": "IRRRRA",
    "/cancel": "IAAAAA",
    "/ask": "IAAAAA",
    "/reindex": "IRRRRA",
    "/visit C001": "IDNNDD",
    # Acts on the visit each person opened with the /visit probe above: their own, nobody else's.
    "/later": "IDAADD",
    "/prep C001": "IDNNDD",
    "/plan": "IaAAAA",
    "/trip": "IaAAAA",
    "/team": "IRRRAA",
    "/phrase C001": "IDNNDD",
    "/report C001": "IDNNDD",
    "/alerts": "IDAADD",
    "/history C001": "IDNNDD",
    "/start WRONGCODE": "RRRRRR",
    "lang:zh": "RAAAAA",
    "cl:p:1": "RDAADD",
    "cl:C001": "RDNNDD",
    "imp:ok": "RRRRRA",
    "v: choose": "RDNNNN",
    "v: skip": "RDNNNN",
    "v: not applicable": "RDNNNN",
    "v: back": "RDNNNN",
    "v: sections": "RANNNN",
    "v: pause": "RDNNNN",
    "v: complete": "RDNNNN",
    # A look-up's explanation: checklist text, none of C001's data.
    "v: more": "RANNNN",
    # The handler answers any failure to resume as an expired button: nothing is revealed.
    "vr: resume": "RDRRRR",
    # Only the officer whose report came back reopens its visit; to anyone else it is not found.
    "va: reopen for additions": "RDNNNN",
    "ve: file category": "RARRRR",
    "vg: album category": "RARRRR",
    "vp:C001": "RDNNDD",
    "km: more": "RAAAAA",
    "oc: confirm field": "RDNNNN",
    "oa: confirm all": "RDNNNN",
    "oe: correct field": "RANNNN",
    "om: move document": "RANNNN",
    "vo: voice answer": "RDRRRR",
    "pl:p:C001 brief": "RDNNDD",
    "pl:v:C001 visit": "RDNNDD",
    "pl:s:C001 snooze": "RDNNDD",
    "pl:l:C001 later": "RDNNDD",
    "rp: draft/open": "RDNNDD",
    "r: open": "RDNNDD",
    "r: Word": "RDNNDD",
    "r: HTML": "RDNNDD",
    "r: edit": "RANNRR",
    "r: edit section": "RDNNRR",
    "r: remarks": "RANNRR",
    "r: regenerate": "RDNNRR",
    "r: submit": "RDNNRR",
    "rv: approve": "RRNNDR",
    "rv: return": "RRNNAR",
    "al: acknowledge": "RRNNDD",
    "/start VALIDCODE": "ARRRRR",
}
LETTERS = {"R": "refused", "N": "not found", "I": "ignored"}


@pytest.fixture(scope="module")
def matrix(knowledge, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Row]:
    rows = asyncio.run(run(tmp_path_factory.mktemp("access"), knowledge=knowledge))
    return {(row.probe, row.actor): row for row in rows}


def matches(row: Row, letter: str) -> bool:
    if letter == "D":
        return row.outcome == "allowed" and row.saw_customer_data
    if letter == "A":
        return row.outcome == "allowed" and not row.saw_customer_data
    if letter == "a":
        return row.outcome == "allowed"
    return row.outcome == LETTERS[letter] and not row.saw_customer_data


async def test_every_registered_command_and_button_is_probed(matrix, settings, services):
    """Read from the Application itself: a handler added later without a probe fails here."""
    from telegram.ext import CallbackQueryHandler, CommandHandler

    from bot import build_application
    from botapi.console import standin_builder
    from botapi.standin import FakeBotApi

    assert [label for label, _ in PROBES] == list(EXPECTED)
    application = build_application(settings, standin_builder(FakeBotApi()), services=services)
    handlers = [h for group in application.handlers.values() for h in group]
    sent = {row.sent for row in matrix.values()}
    commands = {c for h in handlers if isinstance(h, CommandHandler) for c in h.commands}
    assert commands == {text.split()[0].lstrip("/") for text in sent if text.startswith("/")}
    patterns = [h.pattern for h in handlers if isinstance(h, CallbackQueryHandler) and h.pattern]
    assert len(patterns) >= 15
    for pattern in patterns:
        assert any(pattern.match(data) for data in sent), pattern.pattern


def test_the_matrix_matches_the_policy_cell_by_cell(matrix):
    wrong = []
    for probe, letters in EXPECTED.items():
        for actor, letter in zip(ACTORS, letters, strict=True):
            row = matrix[(probe, actor)]
            if not matches(row, letter):
                wrong.append(f"{probe} / {actor}: expected {letter}, got {row}")
    assert not wrong, "\n".join(wrong)


def test_no_handler_fails_anywhere(matrix):
    assert [row for row in matrix.values() if row.outcome == "error"] == []


def test_a_stranger_gets_nothing_but_one_refusal_until_joining_with_a_code(matrix):
    stranger = [row for (_, actor), row in matrix.items() if actor == "stranger"]
    assert all(not row.saw_customer_data for row in stranger)
    # Told once, at the first message; every other message goes unanswered ...
    assert stranger[0].keys == ("access.refused",)
    codes = ("/start", "/start WRONGCODE", "/start VALIDCODE")
    texts = [row for row in stranger if row.probe.startswith("/") and row.probe not in codes]
    assert all(row.outcome == "ignored" for row in texts)
    # ... and a button gets the short refusal as a toast, no message.
    buttons = [row for row in stranger if not row.probe.startswith("/")]
    assert all(row.keys == ("access.refused_short",) and not row.replies for row in buttons)
    # A code is the one way in: a wrong one is refused, a valid one makes an officer.
    assert matrix[("/start WRONGCODE", "stranger")].keys == ("invite.invalid",)
    assert stranger[-1].probe == "/start VALIDCODE"
    assert stranger[-1].outcome == "allowed"


@pytest.mark.parametrize("actor", ["teammate", "other_team_officer"])
def test_forged_buttons_reveal_nothing_of_another_officers_client(matrix, actor):
    """Not the name, not a figure, not a typed answer: nothing from any button or command."""
    seen = {probe: row.leaked for (probe, who), row in matrix.items() if who == actor}
    assert all(leaked == () for leaked in seen.values()), seen
    for probe in ("/client C001", "/visit C001", "/prep C001", "/report C001", "/history C001"):
        assert matrix[(probe, actor)].outcome == "not found"
    for probe in ("cl:C001", "rp: draft/open", "r: open", "r: Word", "r: HTML", "v: choose"):
        assert matrix[(probe, actor)].outcome == "not found"


def test_the_supervisor_sees_the_team_but_cannot_act_as_the_officer(matrix):
    def outcome(probe):
        return matrix[(probe, "supervisor")]

    for probe in ("/clients", "/client C001", "/history C001", "/report C001", "r: open"):
        assert outcome(probe).saw_customer_data, probe
    # The officer's visit: no answer, skip, pause or completion through forged v: data.
    for probe in [p for p in EXPECTED if p.startswith("v: ")]:
        assert outcome(probe).outcome == "not found", probe
        assert not outcome(probe).saw_customer_data
    for probe in ("vo: voice answer", "ve: file category", "vg: album category"):
        assert outcome(probe).outcome == "refused", probe
    for probe in ("oc: confirm field", "oa: confirm all", "oe: correct field", "om: move document"):
        assert outcome(probe).outcome == "not found", probe
    # Nor the officer's report: only its author edits and submits it.
    for probe in ("r: edit section", "r: remarks", "r: regenerate", "r: submit"):
        assert outcome(probe).outcome == "refused", probe
    # What is the supervisor's own: the decision on a submitted report, the alert.
    assert outcome("rv: approve").outcome == "allowed"
    assert outcome("al: acknowledge").outcome == "allowed"


def test_an_admin_sees_every_client_but_acts_on_no_one_elses_visit(matrix):
    for probe in ("/clients", "/client C001", "/history C001", "/report C001", "r: Word"):
        assert matrix[(probe, "admin")].saw_customer_data, probe
    for probe in ("v: choose", "oc: confirm field"):
        assert matrix[(probe, "admin")].outcome == "not found"
    assert matrix[("r: submit", "admin")].outcome == "refused"
    assert matrix[("rv: approve", "admin")].outcome == "refused"


def test_the_table_has_a_line_per_probe_and_a_column_per_actor(matrix):
    table = render_table(list(matrix.values()))
    lines = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(lines) == len(PROBES)
    assert all(line.count("|") == len(ACTORS) + 2 for line in lines)
    assert "| `/client C001` | ignored | allowed·data | not found |" in table


# ----------------------------------------------------------------------------- the audit log
async def officer_id(bot: BotHarness, telegram_id: int) -> int:
    async with bot.services.database.session() as session:
        found = await session.scalar(select(Officer.id).where(Officer.telegram_id == telegram_id))
    assert found is not None
    return found


async def newest_entries(bot: BotHarness, since: int) -> list[AuditEntry]:
    async with bot.services.database.session() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)
            )
        )


async def last_entry_id(bot: BotHarness) -> int:
    async with bot.services.database.session() as session:
        return await session.scalar(select(func.max(AuditEntry.id))) or 0


def personal(entry: AuditEntry) -> list[str]:
    """Names or typed answers in an entry (there should be none: codes and counts only)."""
    written = json.dumps([entry.target, entry.detail], ensure_ascii=False)
    names = ["张记五金店", "鑫盛机械", "张伟", "王主管", "张父", "进货周转", "借给亲戚"]
    return [name for name in [*names, *MARKERS] if name in written]


async def test_every_read_of_customer_data_leaves_one_audit_entry_with_its_reader(
    bot: BotHarness, team: Team
):
    officer, supervisor = bot.chat(team.officer), bot.chat(team.supervisor)
    officer_no, supervisor_no = (
        await officer_id(bot, team.officer),
        await officer_id(bot, team.supervisor),
    )
    visit_id = await record_finished_visit(bot.services)
    owner = await bot.services.access.viewer(team.officer)
    assert owner is not None
    report = await bot.services.reports.open_for_visit(owner, visit_id, "zh")

    async def one_entry(chat, action: str, target: str | None, actor: int, **detail) -> None:
        mark = await last_entry_id(bot)
        await chat()
        entries = await newest_entries(bot, mark)
        assert [(e.action, e.target, e.actor_officer_id) for e in entries] == [
            (action, target, actor)
        ], entries
        assert personal(entries[0]) == []
        for key, value in detail.items():
            assert entries[0].detail[key] == value

    await one_entry(lambda: officer.send("/clients"), "clients.list", None, officer_no, count=2)
    await one_entry(lambda: officer.send("/client C001"), "client.view", "C001", officer_no)
    await one_entry(lambda: officer.press_data("cl:C002"), "client.view", "C002", officer_no)
    await one_entry(lambda: officer.send("/prep C001"), "brief.view", "C001", officer_no)
    await one_entry(lambda: officer.send("/history C001"), "history.view", "C001", officer_no)
    rid = str(report.report_id)
    await one_entry(lambda: officer.send("/report C001"), "reports.open", rid, officer_no)
    await one_entry(lambda: officer.press_data(f"r:{rid}:o"), "reports.open", rid, officer_no)
    await one_entry(
        lambda: officer.press_data(f"r:{rid}:w"), "reports.download", rid, officer_no, format="docx"
    )
    await one_entry(lambda: supervisor.send("/report C001"), "reports.open", rid, supervisor_no)
    await one_entry(
        lambda: supervisor.press_data(f"r:{rid}:h"),
        "reports.download",
        rid,
        supervisor_no,
        format="html",
    )
    await one_entry(
        lambda: bot.services.reports.export_client(owner, "C001", "zh", today=bot.services.today()),
        "history.export",
        "C001",
        officer_no,
        visits=1,
    )


async def test_a_refused_read_leaves_no_read_entry(bot: BotHarness, team: Team):
    await record_finished_visit(bot.services)
    mark = await last_entry_id(bot)
    for who in (team.other_team_officer, team.teammate, team.stranger):
        outsider = bot.chat(who)
        for text in ("/client C001", "/prep C001", "/history C001", "/report C001"):
            await outsider.send(text)
    assert await newest_entries(bot, mark) == []


async def test_the_list_entry_counts_the_clients_and_names_none(bot: BotHarness, team: Team):
    supervisor = bot.chat(team.supervisor)
    mark = await last_entry_id(bot)
    await supervisor.send("/clients")
    (entry,) = await newest_entries(bot, mark)
    assert entry.detail == {"page": 1, "count": 4, "total": 4}
    assert entry.target is None


# ----------------------------------------------------------------------------- invite codes
# tests/handlers/test_start.py covers a code used twice and five wrong guesses followed by the
# right code; these add an expired code and what the lock leaves of the code.


async def test_an_expired_code_is_refused_and_the_stranger_stays_one(bot: BotHarness, team: Team):
    issued = await bot.services.access.create_invite(
        bot.services.access.system_actor(), Role.OFFICER, "E77"
    )
    async with bot.services.database.session() as session:
        await session.execute(
            update(Invite).values(expires_at=bot.services.clock.now() - timedelta(minutes=1))
        )
    late = bot.chat(6100)
    await late.send(f"/start {issued.code}")
    assert "已过期" in late.last_text
    assert await late.send("/clients") == []
    assert await bot.services.access.viewer(6100) is None


async def test_a_locked_account_cannot_use_a_right_code_and_leaves_it_unused(
    bot: BotHarness, team: Team
):
    issued = await bot.services.access.create_invite(
        bot.services.access.system_actor(), Role.OFFICER, "E78"
    )
    guesser = bot.chat(6200)
    for attempt in range(5):
        await guesser.send(f"/start WRONG{attempt}")
    await guesser.send(f"/start {issued.code}")
    assert "错误尝试次数过多" in guesser.last_text
    assert await guesser.send("/clients") == []
    assert await bot.services.access.viewer(6200) is None

    rightful = bot.chat(6201, "刘洋")
    await rightful.send(f"/start {issued.code}")
    assert "欢迎加入" in rightful.last_text


async def test_plans_alerts_and_opening_lines_are_reads_in_the_audit_log_too(
    bot: BotHarness, team: Team
):
    officer = bot.chat(team.officer)
    officer_no = await officer_id(bot, team.officer)
    for command, action, target in (
        ("/alerts", "alerts.list", None),
        ("/phrase C001", "phrase.view", "C001"),
    ):
        mark = await last_entry_id(bot)
        await officer.send(command)
        entries = await newest_entries(bot, mark)
        assert [(e.action, e.target, e.actor_officer_id) for e in entries] == [
            (action, target, officer_no)
        ], entries
        assert personal(entries[0]) == []
    mark = await last_entry_id(bot)
    await officer.send("/plan")
    entries = await newest_entries(bot, mark)
    assert [(e.action, e.actor_officer_id) for e in entries] == [("plan.view", officer_no)]
    assert entries[0].detail["officer"] == officer_no
    assert personal(entries[0]) == []
