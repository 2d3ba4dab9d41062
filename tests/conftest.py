"""Shared fixtures: settings, databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
services, and the real PTB Application wired to the in-process Bot API stand-in."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from assistant.clock import TravelClock
from assistant.db.database import Database

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
PG_ENV = "TEST_DATABASE_URL"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


async def _create_pg_database(admin_url: str) -> tuple[str, str]:
    import asyncpg

    url = make_url(admin_url)
    name = f"lva_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False), name


async def _drop_pg_database(admin_url: str, name: str) -> None:
    import asyncpg

    url = make_url(admin_url)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def clock() -> TravelClock:
    """The clock of the bot under test: the host's time unless a test travels.

    Everything that means "now" or "today" in a test comes from here (the services read it, the
    database stamps rows with it), never from the host: a suite run at 23:50 in Shanghai, which
    is still the day before in UTC, agrees with itself.
    """
    return TravelClock()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not os.environ.get(PG_ENV), reason=f"{PG_ENV} names no PostgreSQL test database"
            ),
        ),
    ]
)
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, clock: TravelClock
) -> AsyncIterator[Database]:
    """A migrated, empty database: one SQLite file, or a fresh PostgreSQL database per test."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", clock=clock)
        await db.start()
        yield db
        await db.dispose()
        return
    admin_url = os.environ[PG_ENV]
    url, name = await _create_pg_database(admin_url)
    db = Database(url, clock=clock)
    try:
        await db.start()
        yield db
    finally:
        await db.dispose()
        await _drop_pg_database(admin_url, name)


@pytest.fixture
async def sqlite_db(tmp_path: Path, clock: TravelClock) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", clock=clock)
    await db.start()
    yield db
    await db.dispose()


# --------------------------------------------------------------------------- the bot, end to end
from dataclasses import dataclass  # noqa: E402
from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.db.models import (  # noqa: E402
    Client,
    ClientKind,
    Collateral,
    Guarantor,
    Loan,
    LoanProduct,
    Officer,
    PaymentMethod,
    Role,
)
from assistant.knowledge.base import KnowledgeBase  # noqa: E402
from assistant.services import Services, build_knowledge, build_services  # noqa: E402
from botapi.chat import Chat, polling, settle_in_process  # noqa: E402
from botapi.console import standin_builder  # noqa: E402
from botapi.standin import FakeBotApi, FakeUser  # noqa: E402

ADMIN_ID = 900001


@pytest.fixture(scope="session")
def chroma_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One knowledge index for the whole run: embedding the knowledge base takes a while, and
    an unchanged knowledge base is never embedded again (that is part of what is tested)."""
    return tmp_path_factory.mktemp("chroma")


@pytest.fixture(scope="session")
def knowledge(chroma_path: Path) -> KnowledgeBase:
    base = build_knowledge(Settings(_env_file=None, chroma_path=chroma_path))
    asyncio.run(base.load())
    return base


@pytest.fixture(scope="session", autouse=True)
def shared_index_for_subprocesses(knowledge: KnowledgeBase, chroma_path: Path) -> None:
    """Bots started as separate processes by the tests find the index already built."""
    os.environ["CHROMA_PATH"] = str(chroma_path)


class Statements:
    """Counts the SQL statements and transactions sent through every engine of the database."""

    def __init__(self, database: Database) -> None:
        self.statements: list[str] = []
        self.transactions = 0
        for engine in database.sync_engines:
            event.listen(engine, "before_cursor_execute", self._statement)
            event.listen(engine, "begin", self._begin)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement.split()[0].upper())

    def _begin(self, _conn: Any) -> None:
        self.transactions += 1

    def reset(self) -> None:
        self.statements.clear()
        self.transactions = 0


@pytest.fixture
def settings(data_dir: Path, chroma_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        admin_ids=frozenset({ADMIN_ID}),
        bot_token=None,
        database_url=None,
        timezone="Asia/Shanghai",
        chroma_path=chroma_path,
        # Photos are kept but not read unless a test asks for OCR (tests/handlers/test_documents).
        ocr_engine="none",
        # Report files are built on threads; tests/assistant/reports/test_files.py covers the
        # worker processes.
        report_workers=0,
        # The visit tests walk every question; the short visit, the default for individuals,
        # has tests of its own (tests/handlers/test_visit_short.py, which set it back).
        visit_depth_individual="full",
    )


@pytest.fixture
async def services(settings: Settings, sqlite_db: Database, knowledge: KnowledgeBase) -> Services:
    return build_services(settings, database=sqlite_db, knowledge=knowledge)


@dataclass
class Team:
    """Who is who in the test bank. Telegram ids double as easy-to-read names."""

    supervisor: int = 2001
    officer: int = 3001
    teammate: int = 3002
    other_supervisor: int = 2009
    other_team_officer: int = 3009
    stranger: int = 7777


@pytest.fixture
async def team(services: Services) -> Team:
    """Two teams and a small portfolio, written straight to the database."""
    return await seed_team(services)


async def seed_team(services: Services) -> Team:
    """The test bank of :class:`Team`, in ``services``' database."""
    await services.start()
    people = Team()
    now, today = services.clock.now(), services.today()
    async with services.database.session() as s:
        sup = Officer(
            telegram_id=people.supervisor,
            staff_no="S1",
            name="王主管",
            role=Role.SUPERVISOR,
            joined_at=now,
        )
        sup9 = Officer(
            telegram_id=people.other_supervisor,
            staff_no="S9",
            name="赵主管",
            role=Role.SUPERVISOR,
            joined_at=now,
        )
        s.add_all([sup, sup9])
        await s.flush()
        e1 = Officer(
            telegram_id=people.officer,
            staff_no="E1",
            name="张伟",
            role=Role.OFFICER,
            supervisor_id=sup.id,
            joined_at=now,
        )
        e2 = Officer(
            telegram_id=people.teammate,
            staff_no="E2",
            name="李娜",
            role=Role.OFFICER,
            supervisor_id=sup.id,
            joined_at=now,
        )
        e9 = Officer(
            telegram_id=people.other_team_officer,
            staff_no="E9",
            name="陈静",
            role=Role.OFFICER,
            supervisor_id=sup9.id,
            joined_at=now,
        )
        seat = Officer(staff_no="E3", name="刘洋", role=Role.OFFICER, supervisor_id=sup.id)
        s.add_all([e1, e2, e9, seat])
        await s.flush()
        clients = [
            Client(
                code="C001",
                name="张记五金店",
                kind=ClientKind.INDIVIDUAL,
                officer_id=e1.id,
                industry="五金零售",
                business_district="城东建材市场",
                registered_address="城东建材市场 A12 号",
            ),
            Client(
                code="C002",
                name="鑫盛机械有限公司",
                kind=ClientKind.CORPORATE,
                officer_id=e1.id,
                industry="机械加工",
            ),
            Client(code="C003", name="李氏餐饮店", kind=ClientKind.INDIVIDUAL, officer_id=e2.id),
            Client(
                code="C004", name="新人名下商行", kind=ClientKind.INDIVIDUAL, officer_id=seat.id
            ),
            Client(code="C009", name="别组客户公司", kind=ClientKind.CORPORATE, officer_id=e9.id),
        ]
        s.add_all(clients)
        await s.flush()
        loan = Loan(
            contract_no="HT-001",
            client_id=clients[0].id,
            product=LoanProduct.PERSONAL_BUSINESS,
            amount=Decimal("300000"),
            agreed_purpose="进货周转",
            disbursed_on=today - timedelta(days=12),
            matures_on=today + timedelta(days=353),
            payment_method=PaymentMethod.SELF,
        )
        s.add(loan)
        await s.flush()
        s.add_all(
            [
                Guarantor(
                    loan_id=loan.id,
                    name="张父",
                    kind=ClientKind.INDIVIDUAL,
                    relationship_to_borrower="父子",
                ),
                Collateral(
                    loan_id=loan.id,
                    type="商铺",
                    location="城东建材市场 A12 号",
                    area_sqm=Decimal("45.5"),
                    appraised_value=Decimal("800000"),
                    registration_no="演示不动产权第0001号",
                ),
            ]
        )
    return people


@dataclass
class BotHarness:
    api: FakeBotApi
    application: Any
    services: Services

    def chat(
        self,
        user_id: int,
        first_name: str = "测试",
        language_code: str | None = "zh-hans",
    ) -> Chat:
        user = FakeUser(user_id, first_name, language_code=language_code)
        return Chat(self.api, user, settle_in_process(self.api, self.application))


@pytest.fixture
async def bot(settings: Settings, services: Services) -> AsyncIterator[BotHarness]:
    """The real Application, polling the in-process Bot API stand-in."""
    from bot import build_application

    api = FakeBotApi()
    application = build_application(settings, standin_builder(api), services=services)
    async with polling(application):
        yield BotHarness(api, application, services)


# --------------------------------------------------------------------------- a finished visit
DIVERSION_ANSWERS = {
    "flow.interview.business.interviewee": "borrower",
    "flow.interview.staff.headcount_total": 6.0,
    "flow.interview.staff.headcount_present": 5.0,
    "flow.interview.loan_use.actual_use": "一半进货，一半借给亲戚",
    "flow.interview.loan_use.used_as_agreed": "not_as_agreed",
    "flow.interview.loan_use.diverted_to": "借给亲戚交了购房首付",
    "flow.interview.loan_use.diverted_amount": 50000.0,
}


async def record_finished_visit(
    services: Services,
    client_code: str = "C001",
    answers: dict[str, object] | None = None,
    *,
    days_ago: int = 0,
) -> int:
    """A visit to ``client_code`` finished ``days_ago`` days ago, with ``answers`` (by default
    a diversion of the loan), written straight to the database. Returns its id."""
    from sqlalchemy import select

    from assistant.db.models import AnswerStatus, Client, Visit, VisitAnswer, VisitStatus

    finished = services.clock.now() - timedelta(days=days_ago)
    async with services.database.session() as s:
        client = await s.scalar(select(Client).where(Client.code == client_code))
        assert client is not None
        visit = Visit(
            client_id=client.id,
            officer_id=client.officer_id,
            check_type="periodic",
            status=VisitStatus.FINISHED,
            current="finish",
            findings={"records.enforcement": "clear"},
            started_at=finished - timedelta(hours=1),
            finished_at=finished,
        )
        s.add(visit)
        await s.flush()
        for item_id, value in (DIVERSION_ANSWERS if answers is None else answers).items():
            s.add(
                VisitAnswer(
                    visit_id=visit.id,
                    item_id=item_id,
                    status=AnswerStatus.ANSWERED,
                    value={"v": value},
                    raw_text=None,
                )
            )
        return visit.id


async def add_photo(
    services: Services, visit_id: int, content: bytes, category: str | None = None
) -> int:
    """A photo of a finished visit, stored by the evidence service as if sent while the visit
    was open (the service takes files only then). Returns its evidence id."""
    from sqlalchemy import update

    from assistant.db.models import Visit, VisitStatus

    async def set_status(status: VisitStatus) -> int:
        async with services.database.session() as s:
            visit = await s.get(Visit, visit_id)
            assert visit is not None
            await s.execute(update(Visit).where(Visit.id == visit_id).values(status=status))
            return visit.officer_id

    officer_id = await set_status(VisitStatus.OPEN)
    async with services.database.session() as s:
        officer = await s.get(Officer, officer_id)
        assert officer is not None and officer.telegram_id is not None
    viewer = await services.access.viewer(officer.telegram_id)
    assert viewer is not None
    try:
        saved = await services.evidence.save(
            viewer, visit_id, content, kind="photo", category=category
        )
    finally:
        await set_status(VisitStatus.FINISHED)
    return saved.id


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (the tests that need several processes
    or connections on one server); skipped without TEST_DATABASE_URL."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"{PG_ENV} names no PostgreSQL test database")
    url, name = await _create_pg_database(admin_url)
    try:
        yield url
    finally:
        await _drop_pg_database(admin_url, name)


# --------------------------------------------------------------------------- speech to text
@dataclass
class SpeechServer:
    """A local OpenAI-compatible transcription endpoint: what it heard, what it answers."""

    base_url: str
    received: list[dict[str, Any]]
    reply: str = "大概五百万"
    fail: bool = False


@pytest.fixture
async def stt_server() -> AsyncIterator[SpeechServer]:
    import socket

    from tornado.httpserver import HTTPServer
    from tornado.web import Application as TornadoApplication
    from tornado.web import RequestHandler

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    server_state = SpeechServer(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", [])

    class Transcriptions(RequestHandler):
        def post(self) -> None:
            upload = self.request.files.get("file", [{}])[0]
            server_state.received.append(
                {
                    "model": self.get_body_argument("model", ""),
                    "language": self.get_body_argument("language", ""),
                    "file_name": upload.get("filename"),
                    "size": len(upload.get("body", b"")),
                }
            )
            if server_state.fail:
                self.set_status(500)
                self.finish({"error": {"message": "decoder crashed"}})
                return
            self.finish({"text": server_state.reply})

    server = HTTPServer(TornadoApplication([(r"/v1/audio/transcriptions", Transcriptions)]))
    server.add_sockets([sock])
    yield server_state
    server.stop()


async def submit_visit(chat) -> None:
    """Press ✅ 确认提交 at the visit summary, and ✅ 仍然提交 when the bot lists what is still
    missing and asks again."""
    await chat.press("✅ 确认提交")
    if "✅ 仍然提交" in chat.last.button_labels:
        await chat.press("✅ 仍然提交")


async def submit_report(chat, assessment: str = "经营正常，还款来源稳定，按计划跟进。") -> None:
    """Press 📤 提交审批 and write the overall assessment when the bot asks for it first."""
    await chat.press("📤 提交审批")
    if "综合评价" in chat.last_text:
        await chat.send(assessment)


class DemoBank:
    """The demo bank on a database of its own, restartable: each ``application()`` is a fresh
    process on the same database and the same stand-in Bot API."""

    def __init__(self, settings: Settings, knowledge: KnowledgeBase, database_url: str) -> None:
        self.settings, self.knowledge, self.database_url = settings, knowledge, database_url
        self.api = FakeBotApi()

    def application(self) -> Any:
        from bot import build_application

        services = build_services(
            self.settings, database=Database(self.database_url), knowledge=self.knowledge
        )
        return build_application(self.settings, standin_builder(self.api), services=services)


@pytest.fixture
async def demo_bank(settings: Settings, knowledge: KnowledgeBase, tmp_path: Path) -> DemoBank:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    database = Database(url)
    services = build_services(settings, database=database, knowledge=knowledge)
    await services.start()
    from assistant.demo import seed_demo

    await seed_demo(services)
    await database.dispose()
    return DemoBank(settings, knowledge, url)


class LoopTicks:
    """Counts 10 ms ticks of the event loop while in use: about 100 a second when nothing
    blocks the loop, none while something does."""

    def __init__(self) -> None:
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.count += 1

    async def __aenter__(self) -> LoopTicks:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
