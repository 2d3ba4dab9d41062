"""The access matrix: what each kind of person gets from every command and every button.

    python -m benchmarks.hardening.access

Every command the bot registers, and every button prefix with its data forged to point at the
client C001 or at one of its officer's visits, reports, alerts and readings, is sent through the
real Application (the in-process Bot API stand-in) by a stranger, the officer who owns C001, a
teammate, an officer of another team, their supervisor and an administrator. Each cell records
what came back:

- ``allowed``   the action was done (``allowed·data``: and C001's data reached the person);
- ``refused``   the bot said no (no right, an expired button, a decision already made);
- ``not found`` the bot said there is no such thing (as it must for what one may not see);
- ``ignored``   nothing at all came back;
- ``error``     a handler failed (always a bug).

Whether customer data was seen is decided by looking for C001's name, its guarantor, contract
number, amount, agreed purpose, address and a typed answer in everything the person received:
message texts, button toasts and the Word and HTML files.

Each cell starts from its own fresh targets (a new visit, report, alert or reading where the
press would change one) and with the person's conversation state cleared, so one cell never
decides another. The targets are all C001's: the officer's column is the owner's, which shows
that each probe does reach the data when access is granted.

The setup is the test bank of ``tests/conftest.py`` (so the script needs the test extras);
``tests/test_access_matrix.py`` runs :func:`access_matrix` on its fixtures and checks the policy
cell by cell.
"""

from __future__ import annotations

import asyncio
import html
import io
import sys
import tempfile
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

REPO = Path(__file__).resolve().parent.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.access import Viewer
from assistant.data.checklist import AnswerType
from assistant.db.models import (
    Alert,
    Client,
    EvidenceFile,
    EvidenceReading,
    Officer,
    Report,
    ReportStatus,
    Role,
    Visit,
    VisitStatus,
)
from assistant.i18n import Texts
from assistant.knowledge.answering import entry_token
from assistant.services import Services
from assistant.visits.model import DOCUMENTS, FINISH, stop_token
from botapi.chat import Chat, settle_in_process
from botapi.standin import BotMessage, FakeBotApi, FakeUser
from handlers.session import Session, VoiceAnswer

CLIENT = "C001"
CLIENT_NAME = "张记五金店"
# What of C001 may not reach anyone who may not see it: its name first, then the figures and
# facts a card, a brief, a report or an alert shows (the typed answer is from its visits).
MARKERS = {
    CLIENT_NAME: "name",
    "张父": "guarantor",
    "HT-001": "contract",
    "300,000": "amount",
    "进货周转": "purpose",
    "A12": "address",
    "借给亲戚": "answer",
}

ACTORS = ("stranger", "officer", "teammate", "other_team_officer", "supervisor", "admin")
ACTOR_TITLES = {
    "stranger": "stranger",
    "officer": "officer (owner)",
    "teammate": "teammate",
    "other_team_officer": "other team's officer",
    "supervisor": "supervisor",
    "admin": "admin",
}
OUTCOMES = ("allowed", "refused", "not found", "ignored", "error")

NOT_FOUND_KEYS = frozenset(
    {
        "client.not_found",
        "error.not_found",
        "visit.not_found",
        "report.no_finished_visit",
        "ocr.not_found",
    }
)
REFUSED_KEYS = frozenset(
    {
        "access.refused",
        "access.refused_short",
        "error.access_denied",
        "importing.admins_only",
        "knowledge.admins_only",
        "team.only_supervisors",
        "report.locked",
        "report.already_reviewed",
        "alerts.already_acknowledged",
        "visit.stale",
        "visit.already_finished",
        "report.stale",
        "plan.stale",
        "voice.expired",
        "fallback.stale_button",
        "invite.invalid",
        "invite.locked",
        "invite.already_registered",
    }
)
ERROR_KEYS = frozenset({"error.unexpected", "error.database_busy"})


@dataclass(frozen=True)
class Row:
    """One cell of the matrix: what ``actor`` got from ``probe``."""

    probe: str
    actor: str
    outcome: str
    # Which of MARKERS reached the person, the message keys the bot rendered, how many
    # messages it sent them, and what they sent (a text, or a button's data).
    leaked: tuple[str, ...]
    keys: tuple[str, ...]
    replies: int
    sent: str = ""

    @property
    def saw_customer_data(self) -> bool:
        return bool(self.leaked)


class Harness(Protocol):
    """What :func:`access_matrix` drives: the ``bot`` fixture of the tests is one."""

    api: FakeBotApi
    application: Any
    services: Services


@dataclass
class Action:
    """What one probe sends, and the conversation state the person has when sending it."""

    text: str | None = None
    data: str | None = None
    session: Session = field(default_factory=Session)


# ----------------------------------------------------------------------------- the targets
class Bank:
    """Makes fresh targets, all of them C001's and its officer's, straight in the database."""

    def __init__(self, services: Services, team: Any) -> None:
        self.services = services
        self.team = team

    async def start(self) -> None:
        services = self.services
        async with services.database.session() as session:
            client = await session.scalar(select(Client).where(Client.code == CLIENT))
            assert client is not None, "the test bank has no C001"
            officer = await session.get(Officer, client.officer_id)
            assert officer is not None
            assert officer.telegram_id == self.team.officer
            self.client_id, self.officer_id = client.id, officer.id
            self.supervisor_id = officer.supervisor_id
        owner = await services.access.viewer(self.team.officer)
        assert owner is not None
        self.owner: Viewer = owner
        card = await services.portfolio.client_card(
            owner, CLIENT, today=services.today(), audit=False
        )
        self.check = services.visits.default_check(card)
        self.stops = services.visits.plan(card, self.check, {}, {})
        checklist = services.visits.checklist
        self.statement_category = next(
            e.id
            for e in (*checklist.documents, *checklist.photo_categories)
            if e.reads == "statement"
        )

    def stop(self, kind: AnswerType) -> str:
        return next(s.id for s in self.stops if s.item is not None and s.item.type is kind)

    async def open_visit(self, stop_id: str) -> tuple[int, str]:
        """A visit of the officer's to C001, open at ``stop_id``; returns its id and the token
        its buttons carry."""
        async with self.services.database.session() as session:
            visit = Visit(
                client_id=self.client_id,
                officer_id=self.officer_id,
                check_type=self.check,
                status=VisitStatus.OPEN,
                current=stop_id,
                findings={},
            )
            session.add(visit)
            await session.flush()
            return visit.id, stop_token(stop_id)

    async def finished_visit(self) -> int:
        from tests.conftest import record_finished_visit

        return await record_finished_visit(self.services, CLIENT)

    async def report(self, status: ReportStatus = ReportStatus.DRAFT) -> tuple[int, int]:
        """A report of a new finished visit (the newest: ``/report C001`` opens it); returns
        the report's id and version."""
        visit_id = await self.finished_visit()
        version = 0 if status is ReportStatus.DRAFT else 1
        async with self.services.database.session() as session:
            report = Report(
                visit_id=visit_id,
                client_id=self.client_id,
                officer_id=self.officer_id,
                status=status,
                version=version,
                overrides={},
                polished={},
                # Written, so that a submission goes to the supervisor rather than asking for it.
                assessment="经营正常，按计划跟进。",
            )
            session.add(report)
            await session.flush()
            return report.id, version

    async def alert(self) -> int:
        visit_id = await self.finished_visit()
        text = {"zh": f"{CLIENT_NAME}：贷款资金被挪用", "en": "Loan diverted"}
        async with self.services.database.session() as session:
            alert = Alert(
                visit_id=visit_id,
                client_id=self.client_id,
                officer_id=self.officer_id,
                supervisor_id=self.supervisor_id,
                rule_id="loan_use.diverted",
                severity="critical",
                finding={
                    "rule_id": "loan_use.diverted",
                    "severity": "critical",
                    "title": text,
                    "detail": text,
                    "evidence": [],
                    "measures": [],
                },
            )
            session.add(alert)
            await session.flush()
            return alert.id

    async def evidence(self, visit_id: int, group: str | None = None) -> int:
        async with self.services.database.session() as session:
            record = EvidenceFile(
                visit_id=visit_id,
                kind="photo",
                category=None,
                sha256="a" * 64,
                size=1,
                mime_type="image/jpeg",
                media_group_id=group,
            )
            session.add(record)
            await session.flush()
            return record.id

    async def reading(self, *, wrong_category: bool = False) -> int:
        """A licence read on an open visit of the officer's, its fields not yet confirmed."""
        visit_id, _ = await self.open_visit(DOCUMENTS)
        evidence_id = await self.evidence(visit_id)
        async with self.services.database.session() as session:
            reading = EvidenceReading(
                evidence_file_id=evidence_id,
                visit_id=visit_id,
                category="doc.business_licence",
                expected_type="licence",
                status="done",
                problem="wrong_category" if wrong_category else None,
                detected_type="statement" if wrong_category else None,
                lines=[],
                fields={
                    "name": {"value": CLIENT_NAME, "confidence": 0.93},
                    "address": {"value": "城东建材市场 A12 号", "confidence": 0.9},
                },
                confirmed={},
            )
            session.add(reading)
            await session.flush()
            return reading.id

    async def invite_code(self) -> str:
        issued = await self.services.access.create_invite(
            self.services.access.system_actor(), Role.OFFICER
        )
        return issued.code


# ----------------------------------------------------------------------------- the probes
Make = Callable[[Bank], Awaitable[Action]]


def _text(text: str) -> Make:
    async def make(bank: Bank) -> Action:
        return Action(text=text)

    return make


def _data(data: str) -> Make:
    async def make(bank: Bank) -> Action:
        return Action(data=data)

    return make


async def _trip(bank: Bank) -> Action:
    on = bank.services.today() + timedelta(days=3)
    return Action(text=f"/trip 城东建材市场 {on.isoformat()}")


async def _report_command(bank: Bank) -> Action:
    await bank.report()
    return Action(text=f"/report {CLIENT}")


async def _alerts_command(bank: Bank) -> Action:
    await bank.alert()
    return Action(text="/alerts")


async def _history_command(bank: Bank) -> Action:
    await bank.report()
    return Action(text=f"/history {CLIENT}")


async def _start_with_a_valid_code(bank: Bank) -> Action:
    return Action(text=f"/start {await bank.invite_code()}")


def _visit_button(action: str, where: str = "yes_no") -> Make:
    async def make(bank: Bank) -> Action:
        if where == "finish":
            stop_id = FINISH
        elif where == "precheck":
            stop_id = next(s.id for s in bank.stops if s.precheck is not None)
        else:
            stop_id = bank.stop(AnswerType.YES_NO)
        visit_id, token = await bank.open_visit(stop_id)
        value = "yes" if action == "c" else ""
        return Action(data=f"v:{visit_id}:{token}:{action}:{value}")

    return make


async def _resume(bank: Bank) -> Action:
    visit_id, _ = await bank.open_visit(bank.stop(AnswerType.YES_NO))
    return Action(data=f"vr:{visit_id}")


async def _tag_file(bank: Bank) -> Action:
    # The worst case: the person's own note of their visit points at the officer's visit.
    visit_id, _ = await bank.open_visit(DOCUMENTS)
    evidence_id = await bank.evidence(visit_id)
    return Action(data=f"ve:{evidence_id}:0", session=Session(visit_id=visit_id))


async def _tag_album(bank: Bank) -> Action:
    visit_id, _ = await bank.open_visit(DOCUMENTS)
    await bank.evidence(visit_id, group="album-1")
    return Action(data=f"vg:{visit_id}:album-1:0", session=Session(visit_id=visit_id))


async def _voice(bank: Bank) -> Action:
    # As if the person had sent the voice note for the officer's question themselves.
    visit_id, token = await bank.open_visit(bank.stop(AnswerType.NUMBER))
    waiting = VoiceAnswer(visit_id, token, "六")
    return Action(data=f"vo:{visit_id}:{token}", session=Session(voice_answer=waiting))


async def _open_visit_report(bank: Bank) -> Action:
    report_id, _ = await bank.report()
    async with bank.services.database.session() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        return Action(data=f"rp:{report.visit_id}")


async def _reopen(bank: Bank) -> Action:
    report_id, _ = await bank.report(ReportStatus.RETURNED)
    async with bank.services.database.session() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        return Action(data=f"va:{report.visit_id}")


def _report_button(action: str) -> Make:
    async def make(bank: Bank) -> Action:
        report_id, _ = await bank.report()
        return Action(data=f"r:{report_id}:{action}")

    return make


def _review_button(decision: str) -> Make:
    async def make(bank: Bank) -> Action:
        report_id, version = await bank.report(ReportStatus.SUBMITTED)
        return Action(data=f"rv:{report_id}:{version}:{decision}")

    return make


async def _acknowledge(bank: Bank) -> Action:
    return Action(data=f"al:{await bank.alert()}")


def _reading_button(action: str) -> Make:
    async def make(bank: Bank) -> Action:
        if action == "om":
            reading_id = await bank.reading(wrong_category=True)
            return Action(data=f"om:{reading_id}:{bank.statement_category}")
        reading_id = await bank.reading()
        suffix = {"oc": ":name", "oe": ":name", "oa": ""}[action]
        return Action(data=f"{action}:{reading_id}{suffix}")

    return make


PROBES: tuple[tuple[str, Make], ...] = (
    # Commands, in the order handlers/__init__.py registers them.
    ("/start", _text("/start")),
    ("/help", _text("/help")),
    ("/lang", _text("/lang")),
    ("/clients", _text("/clients")),
    (f"/client {CLIENT}", _text(f"/client {CLIENT}")),
    ("/invite officer", _text("/invite officer")),
    ("/cancel", _text("/cancel")),
    ("/ask", _text("/ask 贷后检查要看哪些资料")),
    ("/reindex", _text("/reindex")),
    (f"/visit {CLIENT}", _text(f"/visit {CLIENT}")),
    ("/later", _text("/later")),
    (f"/prep {CLIENT}", _text(f"/prep {CLIENT}")),
    ("/plan", _text("/plan")),
    ("/trip", _trip),
    ("/team", _text("/team")),
    (f"/phrase {CLIENT}", _text(f"/phrase {CLIENT}")),
    (f"/report {CLIENT}", _report_command),
    ("/alerts", _alerts_command),
    (f"/history {CLIENT}", _history_command),
    ("/start WRONGCODE", _text("/start WRONGCODE22")),
    # Buttons, forged to point at C001 and its officer's visits, reports, alerts and readings.
    ("lang:zh", _data("lang:zh")),
    ("cl:p:1", _data("cl:p:1")),
    (f"cl:{CLIENT}", _data(f"cl:{CLIENT}")),
    ("imp:ok", _data("imp:ok")),
    ("v: choose", _visit_button("c")),
    ("v: skip", _visit_button("s")),
    ("v: not applicable", _visit_button("n")),
    ("v: back", _visit_button("b")),
    ("v: sections", _visit_button("j")),
    ("v: pause", _visit_button("p")),
    ("v: complete", _visit_button("f", where="finish")),
    ("v: more", _visit_button("h", where="precheck")),
    ("vr: resume", _resume),
    ("va: reopen for additions", _reopen),
    ("ve: file category", _tag_file),
    ("vg: album category", _tag_album),
    (f"vp:{CLIENT}", _data(f"vp:{CLIENT}")),
    # 展开 under an answer: the knowledge base's own text, nobody's data.
    ("km: more", _data(f"km:zh:{entry_token('flow.photos')}")),
    ("oc: confirm field", _reading_button("oc")),
    ("oa: confirm all", _reading_button("oa")),
    ("oe: correct field", _reading_button("oe")),
    ("om: move document", _reading_button("om")),
    ("vo: voice answer", _voice),
    (f"pl:p:{CLIENT} brief", _data(f"pl:p:{CLIENT}")),
    (f"pl:v:{CLIENT} visit", _data(f"pl:v:{CLIENT}")),
    (f"pl:s:{CLIENT} snooze", _data(f"pl:s:{CLIENT}")),
    (f"pl:l:{CLIENT} later", _data(f"pl:l:{CLIENT}")),
    ("rp: draft/open", _open_visit_report),
    ("r: open", _report_button("o")),
    ("r: Word", _report_button("w")),
    ("r: HTML", _report_button("h")),
    ("r: edit", _report_button("e")),
    ("r: edit section", _report_button("es:0")),
    ("r: remarks", _report_button("m")),
    ("r: regenerate", _report_button("g")),
    ("r: submit", _report_button("s")),
    ("rv: approve", _review_button("a")),
    ("rv: return", _review_button("r")),
    ("al: acknowledge", _acknowledge),
    # Last: it makes the stranger an officer.
    ("/start VALIDCODE", _start_with_a_valid_code),
)


# ----------------------------------------------------------------------------- running
@contextmanager
def recording_keys(texts: Texts) -> Iterator[list[str]]:
    """Every message key rendered meanwhile, in order (what the bot chose to say)."""
    keys: list[str] = []
    render, plain = texts.render, texts.plain

    def recorded_render(lang: Any, key: str, **params: Any) -> str:
        keys.append(key)
        return render(lang, key, **params)

    def recorded_plain(lang: Any, key: str, **params: Any) -> str:
        keys.append(key)
        return plain(lang, key, **params)

    texts.render = recorded_render  # type: ignore[method-assign]
    texts.plain = recorded_plain  # type: ignore[method-assign]
    try:
        yield keys
    finally:
        del texts.render
        del texts.plain


def document_text(content: bytes) -> str:
    """The readable text of a Word or HTML file (a Word file's runs joined per paragraph)."""
    if content[:2] == b"PK":
        try:
            from docx import Document

            document = Document(io.BytesIO(content))
        except (zipfile.BadZipFile, KeyError, ValueError):
            return ""
        parts = [p.text for p in document.paragraphs]
        parts += [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join(parts)
    return html.unescape(content.decode("utf-8", errors="replace"))


def received_text(messages: list[BotMessage], toast: dict[str, Any] | None) -> str:
    parts = [m.text for m in messages]
    parts += [document_text(m.document.content) for m in messages if m.document is not None]
    if toast and toast.get("text"):
        parts.append(str(toast["text"]))
    return "\n".join(parts)


def classify(keys: list[str], leaked: list[str], replies: int, toast: bool) -> str:
    seen = set(keys)
    if seen & ERROR_KEYS:
        return "error"
    if leaked:
        return "allowed"
    if seen & NOT_FOUND_KEYS:
        return "not found"
    if seen & REFUSED_KEYS:
        return "refused"
    if not replies and not toast:
        return "ignored"
    return "allowed"


def actor_ids(team: Any) -> dict[str, int]:
    from tests.conftest import ADMIN_ID

    return {
        "stranger": team.stranger,
        "officer": team.officer,
        "teammate": team.teammate,
        "other_team_officer": team.other_team_officer,
        "supervisor": team.supervisor,
        "admin": ADMIN_ID,
    }


async def access_matrix(
    harness: Harness,
    team: Any,
    *,
    probes: tuple[tuple[str, Make], ...] = PROBES,
    actors: tuple[str, ...] = ACTORS,
) -> list[Row]:
    """Send every probe as every actor; one :class:`Row` per cell, probes in order.

    Args:
        harness: the running Application on the stand-in, with its services (``api``,
            ``application``, ``services``), on a database seeded with the test bank.
        team: who is who (``tests.conftest.Team``).
    """
    api, application, services = harness.api, harness.application, harness.services
    missing = (NOT_FOUND_KEYS | REFUSED_KEYS | ERROR_KEYS) - services.texts.keys("zh")
    assert not missing, f"message keys the matrix expects are gone: {sorted(missing)}"
    bank = Bank(services, team)
    await bank.start()
    ids = actor_ids(team)
    chats: dict[str, Chat] = {}
    screens: dict[str, BotMessage] = {}
    for actor in actors:
        user_id = ids[actor]
        chats[actor] = Chat(
            api,
            FakeUser(user_id, actor, language_code="zh-hans"),
            settle_in_process(api, application),
        )
        # A message on the person's screen for the forged buttons to be pressed on.
        sent = await application.bot.send_message(user_id, "·")
        screens[actor] = api.messages[(user_id, sent.message_id)]

    rows: list[Row] = []
    for label, make in probes:
        for actor in actors:
            user_id, chat = ids[actor], chats[actor]
            application.chat_data[user_id].clear()
            action = await make(bank)
            # The person's session is exactly the probe's, whatever the last probe left.
            vars(application.user_data[user_id]).update(vars(action.session))
            with recording_keys(services.texts) as keys:
                if action.text is not None:
                    replies = await chat.send(action.text)
                    toast = None
                else:
                    assert action.data is not None
                    replies = await chat.press_data(action.data, message=screens[actor])
                    toast = chat.callback_answer()
            got = received_text(replies, toast)
            leaked = [marker for marker in MARKERS if marker in got]
            has_toast = bool(toast and toast.get("text"))
            rows.append(
                Row(
                    label,
                    actor,
                    classify(keys, leaked, len(replies), has_toast),
                    tuple(leaked),
                    tuple(keys),
                    len(replies),
                    action.text if action.text is not None else action.data or "",
                )
            )
    return rows


def cell(row: Row) -> str:
    return f"{row.outcome}·data" if row.outcome == "allowed" and row.leaked else row.outcome


def render_table(rows: list[Row]) -> str:
    """A markdown matrix: one line per probe, one column per actor."""
    actors = list(dict.fromkeys(r.actor for r in rows))
    probes = list(dict.fromkeys(r.probe for r in rows))
    by_cell = {(r.probe, r.actor): r for r in rows}
    lines = [
        "| probe | " + " | ".join(ACTOR_TITLES.get(a, a) for a in actors) + " |",
        "|---|" + "---|" * len(actors),
    ]
    for probe in probes:
        cells = [cell(by_cell[(probe, a)]) if (probe, a) in by_cell else "" for a in actors]
        lines.append(f"| `{probe}` | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "allowed·data: C001's name, guarantor, contract, amount, purpose, address or a typed "
        "answer reached the person. Targets are C001 (owned by the officer) and its officer's "
        "visits, reports, alerts and readings; every button's data is forged."
    )
    return "\n".join(lines)


async def run(data_dir: Path, *, knowledge: Any = None) -> list[Row]:
    """The matrix on a fresh SQLite database of the test bank, in ``data_dir``; ``knowledge``
    is a loaded knowledge base to share (the tests' one), or ``None`` to load the kept one."""
    from assistant.config import Settings
    from assistant.db.database import Database
    from assistant.services import build_knowledge, build_services
    from bot import build_application
    from botapi.chat import polling
    from botapi.console import standin_builder
    from tests.conftest import ADMIN_ID, BotHarness, seed_team

    # The knowledge index is built once and kept, as benchmarks/visits.py keeps it.
    if knowledge is None:
        knowledge = build_knowledge(Settings(_env_file=None, data_dir=REPO / "data" / "benchmark"))
        await knowledge.load()
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        admin_ids=frozenset({ADMIN_ID}),
        bot_token=None,
        database_url=None,
        timezone="Asia/Shanghai",
        ocr_engine="none",
    )
    database = Database(f"sqlite+aiosqlite:///{data_dir / 'access.db'}")
    services = build_services(settings, database=database, knowledge=knowledge)
    team = await seed_team(services)

    api = FakeBotApi()
    application = build_application(settings, standin_builder(api), services=services)
    async with polling(application):
        return await access_matrix(BotHarness(api, application, services), team)


# Who must never receive C001's data: it belongs to another officer's portfolio for them.
OUTSIDERS = frozenset({"stranger", "teammate", "other_team_officer"})


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(run(Path(tmp)))
    print(render_table(rows))
    broken = [r for r in rows if r.outcome == "error"]
    leaked = [r for r in rows if r.saw_customer_data and r.actor in OUTSIDERS]
    print(f"\nhandler errors: {len(broken)}; customer data seen by outsiders: {len(leaked)}")
    return 1 if broken or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
