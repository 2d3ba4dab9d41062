"""Fault injection: what the bot does when Telegram, the process or the disk fails under it.

    python -m benchmarks.hardening.faults [--only WORD] [--log FILE]

Each scenario runs the real Application on its own SQLite database and ``DATA_DIR`` (a temporary
directory), against the Bot API stand-in, and breaks one thing:

- **Telegram** (in process, through ``api.faults``): 5xx answers, read timeouts and dropped
  connections on ``sendMessage``, ``getUpdates`` and file downloads, and 429 with
  ``retry_after``. Requests go through :class:`handlers.retrying.RetryingRequest`, as in
  production.
- **The process** (a real ``SIGKILL``): the bot runs as a child process (``bot.py``'s own
  ``main``, polling the stand-in over HTTP) with a kill point installed — during a photo upload,
  a report draft or build, a reminder run — and dies there. A fresh Application then starts on
  the same database and files, as after a restart.
- **The disk**: the evidence write fails with ``ENOSPC``.

Each scenario checks the state afterwards and returns a :class:`Row`; ``render_table`` prints
them as markdown: fault | injected | retried | recovered | duplicates | lost | crashes | note.

- *injected*: faults produced (failed calls, or the kill);
- *retried*: calls Telegram saw again, parameter for parameter, after one failed;
- *recovered*: the end state is right (every answer once, files consistent, the visit at its
  step, the report buildable, the reminders all out);
- *duplicates*: messages or records that exist twice;
- *lost*: messages or records that never arrived (the note says whether the officer was told);
- *crashes*: the bot stopped answering, or failed to start again.

``tests/test_faults.py`` runs the same scenarios and asserts on them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import logging
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import func, select
from telegram.ext import Application, ApplicationBuilder

from assistant.clock import Clock, SystemClock, TravelClock, local, local_date
from assistant.config import Settings
from assistant.db.models import (
    AnswerStatus,
    Client,
    ClientKind,
    EvidenceFile,
    Loan,
    LoanProduct,
    NotificationLog,
    Officer,
    PaymentMethod,
    Report,
    Role,
    Visit,
    VisitAnswer,
    VisitStatus,
)
from assistant.services import Services, build_services
from botapi.chat import Chat, polling, settle_in_process
from botapi.http import BotApiHttpServer
from botapi.standin import (
    STANDIN_API_URL,
    STANDIN_FILE_URL,
    BotMessage,
    FakeBotApi,
    FakeUser,
    InProcessRequest,
)
from handlers.retrying import RetryingRequest

log = logging.getLogger("faults")

TZ = ZoneInfo("Asia/Shanghai")
# A Chroma server nobody runs: the knowledge base is reported down at once and the bot starts
# without answers, which none of these scenarios need (and no index has to be built).
OFFLINE_CHROMA = "http://127.0.0.1:9"
ADMIN, SUPERVISOR, OFFICER, TEAMMATE = 900001, 2001, 3001, 3002
PEOPLE = {ADMIN: "管理员", SUPERVISOR: "王主管", OFFICER: "张伟", TEAMMATE: "李娜"}
# Quick retries, so a scenario takes seconds; the policy is the production one.
FAST_RETRY: dict[str, float] = {
    "max_attempts": 4,
    "base_delay": 0.05,
    "max_delay": 0.4,
    "max_total": 5.0,
}
# The first working day after 国庆 2026: the monthly plan, an overdue first check and its
# escalation are all due (tests/handlers/test_planning.py walks the same day).
REMINDER_DAY = datetime(2026, 10, 8, 9, 30, tzinfo=TZ)

# What the officer sees, as the scenarios look for it.
HEADCOUNT_TOTAL = "现在一共有多少员工"
HEADCOUNT_PRESENT = "实际在岗"
PHOTO_STEP = "请拍照留存"
PHOTO_SAVED = "已保存照片"
SAME_FILE = "完全相同"
NETWORK_NOTICE = "网络不稳"
DISK_FULL = "存储空间不足，照片未保存"
DISK_FULL_EN = "storage is full, so the photo was not saved"
MOVE_ON = ("⏭ 跳过", "继续 ▶", "⏭ Skip", "Continue ▶")


def quiet_clock() -> Clock:
    """Today at 23:30 in Shanghai: the quiet hours, so no reminder interrupts a scenario."""
    return TravelClock(local(SystemClock().now(), TZ).replace(hour=23, minute=30))


def fixed_clock(moment: datetime) -> Clock:
    return TravelClock(moment)


@dataclass
class Row:
    """One scenario's outcome; ``facts`` holds what the tests check beyond the table."""

    fault: str
    injected: int = 0
    retried: int = 0
    recovered: bool = False
    duplicates: int = 0
    lost: int = 0
    crashes: int = 0
    note: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


class ScenarioError(AssertionError):
    pass


# --------------------------------------------------------------------------- the shared setup
class Rig:
    """One bank, one Bot API stand-in, and the bot started on them as often as a scenario needs:
    in process (:meth:`running`), or as a child process killed at a point (:meth:`kill_during`).
    """

    def __init__(
        self,
        root: Path,
        *,
        clock: Clock | None = None,
        clock_name: str = "quiet",
        reminder_seconds: float = 60.0,
    ) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.api = FakeBotApi()
        self.clock = clock or quiet_clock()
        self.clock_name = clock_name
        self.settings = Settings(
            _env_file=None,
            data_dir=self.data_dir,
            admin_ids=frozenset({ADMIN}),
            bot_token=None,
            database_url=None,
            timezone="Asia/Shanghai",
            chroma_url=OFFLINE_CHROMA,
            ocr_engine="none",
            reminder_check_seconds=reminder_seconds,
            # The scenarios walk the whole interview (the head count, then who is present).
            visit_depth_individual="full",
            # A scripted officer taps faster than a person: no flood protection in the way.
            **({"flood_rate": 0} if "flood_rate" in Settings.model_fields else {}),
        )
        self.users = {uid: self.api.add_user(FakeUser(uid, name)) for uid, name in PEOPLE.items()}
        self.requests: list[RetryingRequest] = []
        self.restarts = 0

    # ---------------------------------------------------------------- the bank
    def services(self) -> Services:
        return build_services(self.settings, clock=self.clock)

    @contextlib.asynccontextmanager
    async def database(self) -> AsyncIterator[Services]:
        """The services, started, for reading and writing the bank's data outside the bot."""
        services = self.services()
        await services.database.start()
        try:
            yield services
        finally:
            await services.close()

    async def seed(self, *, overdue_first_check: bool = False) -> None:
        """A supervisor, two officers and the officer's client C001 with a loan; with
        ``overdue_first_check``, also N100, whose first purpose check slipped before
        :data:`REMINDER_DAY`."""
        async with self.database() as services:
            await services.access.ensure_admins(self.settings.admin_ids)
            today = local_date(self.clock.now(), TZ)
            async with services.database.session() as s:
                supervisor = Officer(
                    telegram_id=SUPERVISOR,
                    staff_no="S1",
                    name=PEOPLE[SUPERVISOR],
                    role=Role.SUPERVISOR,
                    joined_at=self.clock.now(),
                )
                s.add(supervisor)
                await s.flush()
                officer = Officer(
                    telegram_id=OFFICER,
                    staff_no="E1",
                    name=PEOPLE[OFFICER],
                    role=Role.OFFICER,
                    supervisor_id=supervisor.id,
                    joined_at=self.clock.now(),
                )
                teammate = Officer(
                    telegram_id=TEAMMATE,
                    staff_no="E2",
                    name=PEOPLE[TEAMMATE],
                    role=Role.OFFICER,
                    supervisor_id=supervisor.id,
                    joined_at=self.clock.now(),
                )
                s.add_all([officer, teammate])
                await s.flush()
                client = Client(
                    code="C001",
                    name="张记五金店",
                    kind=ClientKind.INDIVIDUAL,
                    officer_id=officer.id,
                    industry="五金零售",
                    business_district="城东建材市场",
                    registered_address="城东建材市场 A12 号",
                )
                s.add(client)
                await s.flush()
                s.add(
                    Loan(
                        contract_no="HT-001",
                        client_id=client.id,
                        product=LoanProduct.PERSONAL_BUSINESS,
                        amount=Decimal("300000"),
                        agreed_purpose="进货周转",
                        disbursed_on=today - timedelta(days=12),
                        matures_on=today + timedelta(days=353),
                        payment_method=PaymentMethod.SELF,
                    )
                )
                if overdue_first_check:
                    late = Client(
                        code="N100",
                        name="新放款商行",
                        kind=ClientKind.INDIVIDUAL,
                        officer_id=officer.id,
                        business_district="城西市场",
                        created_at=datetime(2026, 9, 1, tzinfo=TZ),
                    )
                    s.add(late)
                    await s.flush()
                    s.add(
                        Loan(
                            contract_no="HT-N100",
                            client_id=late.id,
                            product=LoanProduct.PERSONAL_BUSINESS,
                            amount=Decimal("500000"),
                            agreed_purpose="进货",
                            disbursed_on=date(2026, 9, 7),
                            matures_on=date(2028, 9, 6),
                            payment_method=PaymentMethod.SELF,
                        )
                    )

    async def finished_visit(self) -> int:
        """A visit to C001 finished an hour ago, with a few answers: one a report can be drafted
        from. Returns its id."""
        async with self.database() as services, services.database.session() as s:
            client = await s.scalar(select(Client).where(Client.code == "C001"))
            assert client is not None
            finished = self.clock.now()
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
            for item_id, value in {
                "flow.interview.business.interviewee": "borrower",
                "flow.interview.staff.headcount_total": 6.0,
                "flow.interview.staff.headcount_present": 5.0,
                "flow.interview.loan_use.actual_use": "进货",
                "flow.interview.loan_use.used_as_agreed": "as_agreed",
            }.items():
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

    # ---------------------------------------------------------------- the bot, in process
    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RunningBot]:
        """The real Application in this process, requests through the retry policy."""
        from bot import build_application

        services = self.services()
        request = RetryingRequest(InProcessRequest(self.api), **FAST_RETRY)  # type: ignore[arg-type]
        updates = RetryingRequest(InProcessRequest(self.api), **FAST_RETRY)  # type: ignore[arg-type]
        self.requests += [request, updates]
        builder = (
            ApplicationBuilder()
            .token(self.api.token)
            .base_url(STANDIN_API_URL)
            .base_file_url(STANDIN_FILE_URL)
            .request(request)
            .get_updates_request(updates)
        )
        application = build_application(self.settings, builder, services=services)
        async with polling(application):
            yield RunningBot(self, application, services)
        # Nothing armed outlives the run that armed it.
        self.api.faults.clear()

    # ---------------------------------------------------------------- the bot, killed
    async def kill_during(
        self, point: str, act: Callable[[FakeBotApi], Awaitable[Any]] | None = None
    ) -> int:
        """Run ``bot.py`` as a child process with the kill point ``point`` installed, let
        ``act`` drive it there (a reminder run gets there by itself), and wait for the SIGKILL.

        Returns:
            The child's return code (``-SIGKILL`` when the point was reached).
        """
        server = BotApiHttpServer(self.api)
        await server.start()
        log_path = self.root / f"child-{point}.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if key.lower() not in Settings.model_fields and not key.startswith("FAULTS_")
        }
        env.update(
            PYTHONPATH=str(REPO),
            BOT_TOKEN=self.api.token,
            TELEGRAM_API_URL=server.api_url,
            TELEGRAM_FILE_URL=server.file_url,
            DATA_DIR=str(self.data_dir),
            ADMIN_IDS=str(ADMIN),
            TIMEZONE="Asia/Shanghai",
            CHROMA_URL=OFFLINE_CHROMA,
            OCR_ENGINE="none",
            LOG_LEVEL="WARNING",
            REMINDER_CHECK_SECONDS=str(self.settings.reminder_check_seconds),
            FLOOD_RATE="0",
            FAULTS_KILL_AT=point,
            FAULTS_CLOCK=self.clock_name,
        )
        with log_path.open("wb") as child_log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.hardening.faults",
                "--child",
                cwd=self.root,
                env=env,
                stdout=child_log,
                stderr=child_log,
            )
            try:
                if act is not None:
                    await act(self.api)
                code = await asyncio.wait_for(process.wait(), 180)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
                await server.stop()
        if code != -signal.SIGKILL:
            raise ScenarioError(
                f"the child was not killed at {point} (exit {code}): "
                + log_path.read_text(errors="replace")[-2000:]
            )
        self.restarts += 1
        return code

    # ---------------------------------------------------------------- what is there now
    async def answer_counts(self) -> Counter[str]:
        async with self.database() as services, services.database.session() as s:
            rows = await s.execute(
                select(VisitAnswer.item_id, func.count()).group_by(VisitAnswer.item_id)
            )
            return Counter({item: n for item, n in rows.all()})

    async def answer_value(self, item_id: str) -> Any:
        async with self.database() as services, services.database.session() as s:
            value = await s.scalar(select(VisitAnswer.value).where(VisitAnswer.item_id == item_id))
            return (value or {}).get("v")

    async def evidence_rows(self) -> list[str]:
        async with self.database() as services, services.database.session() as s:
            return list(await s.scalars(select(EvidenceFile.sha256).order_by(EvidenceFile.id)))

    async def report_count(self) -> int:
        async with self.database() as services, services.database.session() as s:
            return int(await s.scalar(select(func.count()).select_from(Report)) or 0)

    async def notification_log(self) -> list[tuple[str, int | None]]:
        async with self.database() as services, services.database.session() as s:
            rows = await s.execute(
                select(NotificationLog.key, Officer.telegram_id).join(
                    Officer, Officer.id == NotificationLog.recipient_officer_id
                )
            )
            return [(key, telegram_id) for key, telegram_id in rows.all()]

    def evidence_files(self) -> EvidenceOnDisk:
        root = self.data_dir / "evidence"
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        named = [p for p in files if not p.name.startswith(".")]
        return EvidenceOnDisk(
            named={p.name for p in named},
            corrupt=[p.name for p in named if hashlib.sha256(p.read_bytes()).hexdigest() != p.name],
            temporary=[p.name for p in files if p.name.startswith(".")],
        )

    def sends(self, chat_id: int, since: int = 0) -> list[BotMessage]:
        """Messages the bot sent to ``chat_id`` after event ``since`` (edits not counted)."""
        return [m for kind, m in self.api.events[since:] if kind == "send" and m.chat_id == chat_id]

    @property
    def retried(self) -> int:
        return self.api.faults.retried

    @property
    def injected(self) -> int:
        return len(self.api.faults.injected)


@dataclass
class EvidenceOnDisk:
    named: set[str]
    corrupt: list[str]
    temporary: list[str]


@dataclass
class RunningBot:
    rig: Rig
    application: Application[Any, Any, Any, Any, Any, Any]
    services: Services

    def chat(self, user_id: int = OFFICER, language_code: str = "zh-hans") -> Chat:
        user = FakeUser(user_id, PEOPLE.get(user_id, "测试"), language_code=language_code)
        return Chat(self.rig.api, user, settle_in_process(self.rig.api, self.application))

    async def settle_update(self, update_id: int) -> None:
        """Wait for an update pushed outside a :class:`Chat` to be fetched and handled."""
        await self.rig.api.wait_fetched(update_id, 30)
        await self.application.update_queue.join()

    @property
    def serving(self) -> bool:
        updater = self.application.updater
        return self.application.running and updater is not None and updater.running


async def walk_to(chat: Chat, text: str, answers: dict[str, str] | None = None) -> None:
    """Move on through the visit (skip, continue, the first result of a look-up) until the bot
    shows ``text``; a question named in ``answers`` is answered with the text given."""
    answers = dict(answers or {})
    for _ in range(120):
        if text in chat.text:
            return
        prompt = next((p for p in answers if p in chat.last_text), None)
        if prompt is not None:
            await chat.send(answers.pop(prompt))
            continue
        labels = chat.last.button_labels
        move_on = next((b for b in MOVE_ON if b in labels), 1)
        await chat.press(move_on)
    raise ScenarioError(f"never reached {text!r}; last: {chat.last_text[:200]}")


async def move_on(chat: Chat) -> None:
    """Tap Continue (or Skip) on the newest message that has it."""
    for message in reversed(chat.api.chat_messages(chat.user.id)):
        for row in message.buttons:
            for button in row:
                if button["text"] in MOVE_ON:
                    await chat.press_data(button["callback_data"], message)
                    return
    raise ScenarioError("no Continue or Skip button in the chat")


def jpeg(shade: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 255 - shade, (shade * 7) % 256)).save(buffer, "JPEG")
    return buffer.getvalue()


async def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise ScenarioError("timed out waiting")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------- 1. Telegram fails
async def _typed_answer_under(
    root: Path, fault: str, arm: Callable[[FakeBotApi], None], note: str
) -> Row:
    """The officer types the staff headcount while Telegram fails as ``arm`` says, then answers
    the next question. The answer must be recorded once, the next question sent once (or the
    officer told it may be missing, and ``/visit`` must show it), and the visit must go on."""
    rig = Rig(root)
    await rig.seed()
    async with rig.running() as bot:
        officer = bot.chat()
        await officer.send("/visit C001")
        await walk_to(officer, HEADCOUNT_TOTAL)
        mark = len(rig.api.events)
        arm(rig.api)
        started = time.monotonic()
        await officer.send("三十五个人")
        elapsed = time.monotonic() - started
        replies = rig.sends(OFFICER, mark)
        asked = sum(HEADCOUNT_PRESENT in m.text for m in replies)
        told = any(NETWORK_NOTICE in m.text for m in replies)
        resumed = None
        if asked == 0:
            # The question never arrived; the officer was told to look before typing again.
            await officer.send("/visit C001")
            resumed = HEADCOUNT_PRESENT in officer.text
        await officer.send("二十个")
        went_on = bool(officer.replies) and HEADCOUNT_PRESENT not in officer.last_text
        serving = bot.serving
    counts = await rig.answer_counts()
    total = counts["flow.interview.staff.headcount_total"]
    present = counts["flow.interview.staff.headcount_present"]
    values = (
        await rig.answer_value("flow.interview.staff.headcount_total"),
        await rig.answer_value("flow.interview.staff.headcount_present"),
    )
    duplicates = max(0, asked - 1) + max(0, total - 1) + max(0, present - 1)
    lost = int(asked == 0) + int(total == 0) + int(present == 0)
    recovered = (
        total == 1
        and present == 1
        and values == (35.0, 20.0)
        and went_on
        and (asked == 1 or (told and bool(resumed)))
    )
    return Row(
        fault,
        injected=rig.injected,
        retried=rig.retried,
        recovered=recovered,
        duplicates=duplicates,
        lost=lost,
        crashes=int(not serving or not went_on),
        note=note,
        facts={
            "asked": asked,
            "told": told,
            "resumed": resumed,
            "answers": (total, present),
            "values": values,
            "elapsed": elapsed,
            "retry_stats": sum((r.stats for r in rig.requests), Counter()),
        },
    )


async def send_5xx(root: Path) -> Row:
    def arm(api: FakeBotApi) -> None:
        api.faults.fail_next("sendMessage", "5xx", 1, status=502, chat_id=OFFICER)
        api.faults.fail_next("sendMessage", "5xx", 1, status=503, chat_id=OFFICER)

    return await _typed_answer_under(
        root,
        "sendMessage: 502, then 503",
        arm,
        "Telegram said it failed: sent again with backoff, delivered once",
    )


async def send_connect_refused(root: Path) -> Row:
    return await _typed_answer_under(
        root,
        "sendMessage: connection refused ×2",
        lambda api: api.faults.fail_next("sendMessage", "drop", 2, chat_id=OFFICER),
        "never reached Telegram: sent again, delivered once",
    )


async def send_timeout_after_delivery(root: Path) -> Row:
    return await _typed_answer_under(
        root,
        "sendMessage: read timeout, Telegram had sent it",
        lambda api: api.faults.fail_next("sendMessage", "timeout", 1, acted=True, chat_id=OFFICER),
        "outcome unknown: not sent again (no duplicate); officer told the reply may be missing",
    )


async def send_dropped_after_delivery(root: Path) -> Row:
    return await _typed_answer_under(
        root,
        "sendMessage: connection dropped, Telegram had sent it",
        lambda api: api.faults.fail_next("sendMessage", "drop", 1, acted=True, chat_id=OFFICER),
        "outcome unknown: not sent again (no duplicate); officer told the reply may be missing",
    )


async def send_timeout_before_delivery(root: Path) -> Row:
    return await _typed_answer_under(
        root,
        "sendMessage: read timeout, Telegram had not sent it",
        lambda api: api.faults.fail_next("sendMessage", "timeout", 1, acted=False, chat_id=OFFICER),
        "the next question is lost (not repeated blindly); officer told, /visit shows it, "
        "answer recorded once",
    )


async def polling_fails(root: Path) -> Row:
    """``getUpdates`` answers 502 three times, drops the connection, then times out after
    Telegram had answered: the retry policy and PTB's polling loop carry on, and the officer's
    message sent meanwhile is handled exactly once."""
    rig = Rig(root)
    await rig.seed()
    async with rig.running() as bot:
        officer = bot.chat()
        await officer.send("/visit C001")
        await walk_to(officer, HEADCOUNT_TOTAL)
        faults = rig.api.faults
        faults.fail_next("getUpdates", "5xx", 3)
        faults.fail_next("getUpdates", "drop", 1)
        faults.fail_next("getUpdates", "timeout", 1, acted=True)
        # The poll already waiting returns first; the officer types while polling is failing.
        await wait_until(lambda: rig.injected >= 1)
        mark = len(rig.api.events)
        await officer.send("三十五个人")
        asked = sum(HEADCOUNT_PRESENT in m.text for m in rig.sends(OFFICER, mark))
        await officer.send("二十个")
        went_on = bool(officer.replies)
        serving = bot.serving
    counts = await rig.answer_counts()
    total = counts["flow.interview.staff.headcount_total"]
    present = counts["flow.interview.staff.headcount_present"]
    return Row(
        "getUpdates: 502 ×3, connection refused, read timeout",
        injected=rig.injected,
        retried=rig.retried,
        recovered=asked == 1 and total == 1 and present == 1 and went_on,
        duplicates=max(0, asked - 1) + max(0, total - 1),
        lost=int(asked == 0) + int(total == 0),
        crashes=int(not serving or not went_on),
        note="polling survives; the update typed meanwhile is handled once",
        facts={"asked": asked, "answers": (total, present)},
    )


async def download_fails(root: Path) -> Row:
    """A photo while ``getFile`` answers 502 and the download times out, then drops: both are
    safe to repeat, so the photo arrives and is stored once."""
    rig = Rig(root)
    await rig.seed()
    async with rig.running() as bot:
        officer = bot.chat()
        await officer.send("/visit C001")
        await walk_to(officer, PHOTO_STEP)
        faults = rig.api.faults
        faults.fail_next("getFile", "5xx", 1)
        faults.fail_next("download", "timeout", 1)
        faults.fail_next("download", "drop", 1, acted=True)
        await officer.send_photo(jpeg(40))
        saved = sum(PHOTO_SAVED in m.text for m in officer.replies)
        serving = bot.serving
    rows = await rig.evidence_rows()
    disk = rig.evidence_files()
    return Row(
        "photo download: getFile 502, read timeout, dropped",
        injected=rig.injected,
        retried=rig.retried,
        recovered=saved == 1 and len(rows) == 1 and disk.named == set(rows) and not disk.corrupt,
        duplicates=max(0, len(rows) - 1) + max(0, saved - 1),
        lost=int(not rows),
        crashes=int(not serving),
        note="reads are safe to repeat: retried, stored once",
        facts={"saved": saved, "rows": rows},
    )


# --------------------------------------------------------------------------- 2. 429
async def rate_limited(root: Path) -> Row:
    """Telegram answers 429 with ``retry_after=1`` to the reply: the rate limiter waits the
    second and sends it again; the officer gets it once."""
    row = await _typed_answer_under(
        root,
        "sendMessage: 429 retry_after=1",
        lambda api: api.faults.fail_next("sendMessage", "429", 1, retry_after=1, chat_id=OFFICER),
        "AIORateLimiter waited retry_after and sent again",
    )
    row.note += f" ({row.facts['elapsed']:.1f} s)"
    return row


async def rate_limited_burst(root: Path) -> Row:
    """Three people write at once while Telegram answers 429 twice: every chat gets exactly the
    replies it gets without the faults, none twice, none missing."""
    rig = Rig(root)
    await rig.seed()
    people = (OFFICER, TEAMMATE, SUPERVISOR)
    async with rig.running() as bot:
        chats = {uid: bot.chat(uid) for uid in people}
        mark = len(rig.api.events)
        await chats[OFFICER].send("/help")
        expected = len(rig.sends(OFFICER, mark))
        mark = len(rig.api.events)
        rig.api.faults.fail_next("sendMessage", "429", 2, retry_after=1)
        await asyncio.gather(*(chat.send("/help") for chat in chats.values()))
        got = {uid: len(rig.sends(uid, mark)) for uid in people}
        serving = bot.serving
    duplicates = sum(max(0, n - expected) for n in got.values())
    lost = sum(max(0, expected - n) for n in got.values())
    return Row(
        "sendMessage: 429 ×2 during a burst of 3 chats",
        injected=rig.injected,
        retried=rig.retried,
        recovered=duplicates == 0 and lost == 0 and expected > 0,
        duplicates=duplicates,
        lost=lost,
        crashes=int(not serving),
        note=f"sends per chat {sorted(got.values())}, expected {expected} each",
        facts={"expected": expected, "got": got},
    )


async def rate_limited_beyond_retries(root: Path) -> Row:
    """429 four times in a row: more than the rate limiter's three retries. The reply is given
    up, the officer is told, and the visit goes on from where it is."""
    return await _typed_answer_under(
        root,
        "sendMessage: 429 ×4 (beyond max_retries=3)",
        lambda api: api.faults.fail_next("sendMessage", "429", 4, retry_after=1, chat_id=OFFICER),
        "reply given up after 3 waits; officer told, /visit shows the step",
    )


# --------------------------------------------------------------------------- 3. killed
async def _photo_killed(root: Path, point: str, fault: str) -> Row:
    """The officer is at the photo step with answers given; the bot is killed at ``point`` while
    the photo is being stored. After the restart: no half file under a real name, no row
    without its file, every answer still there, the visit at the photo step, and the photo,
    sent again, stored once."""
    rig = Rig(root)
    await rig.seed()
    photo = jpeg(90)
    sha = hashlib.sha256(photo).hexdigest()
    async with rig.running() as bot:
        officer = bot.chat()
        await officer.send("/visit C001")
        await walk_to(officer, PHOTO_STEP, {HEADCOUNT_TOTAL: "三十五个人"})
    answers_before = await rig.answer_counts()
    update_ids: list[int] = []

    async def upload(api: FakeBotApi) -> None:
        update_ids.append(await api.push_photo(rig.users[OFFICER], photo))

    await rig.kill_during(point, upload)
    disk_after_kill = rig.evidence_files()
    rows_after_kill = await rig.evidence_rows()
    async with rig.running() as bot:
        # Telegram hands the update out again only if the killed bot had not confirmed it.
        await bot.settle_update(update_ids[0])
        officer = bot.chat()
        await officer.send("/visit C001")
        resumed = PHOTO_STEP in officer.text
        resent = sha not in await rig.evidence_rows()
        if resent:
            await officer.send_photo(photo)
        saved_again = (not resent) or (
            PHOTO_SAVED in officer.text and SAME_FILE not in officer.text
        )
        serving = bot.serving
    answers_after = await rig.answer_counts()
    headcount = await rig.answer_value("flow.interview.staff.headcount_total")
    rows = await rig.evidence_rows()
    disk = rig.evidence_files()
    orphans = [r for r in rows if r not in disk.named]
    lost_answers = sum(max(0, n - answers_after[k]) for k, n in answers_before.items())
    recovered = (
        resumed
        and saved_again
        and rows.count(sha) == 1
        and not orphans
        and not disk.corrupt
        and not disk_after_kill.corrupt
        and lost_answers == 0
        and headcount == 35.0
    )
    leftovers = (
        f"; {len(disk_after_kill.temporary)} stray temp file left (never read)"
        if disk_after_kill.temporary
        else ""
    )
    return Row(
        fault,
        injected=1,
        retried=0,
        recovered=recovered,
        duplicates=max(0, rows.count(sha) - 1),
        lost=lost_answers + int(sha not in rows),
        crashes=int(not serving),
        note=(
            f"after the kill: {len(rows_after_kill)} row, "
            f"{len(disk_after_kill.named)} file under its name{leftovers}; "
            "resumed at the photo step, photo stored once"
        ),
        facts={
            "resumed": resumed,
            "resent": resent,
            "rows_after_kill": rows_after_kill,
            "named_after_kill": disk_after_kill.named,
            "temporary_after_kill": disk_after_kill.temporary,
            "corrupt": disk_after_kill.corrupt + disk.corrupt,
            "orphans": orphans,
            "answers": (answers_before, answers_after),
            "headcount": headcount,
            "rows": rows,
        },
    )


async def killed_before_photo_write(root: Path) -> Row:
    return await _photo_killed(root, "photo.before_write", "SIGKILL: photo, before the write")


async def killed_mid_photo_write(root: Path) -> Row:
    return await _photo_killed(
        root, "photo.before_rename", "SIGKILL: photo written to temp, not yet renamed"
    )


async def killed_after_photo_write(root: Path) -> Row:
    return await _photo_killed(
        root, "photo.after_write", "SIGKILL: photo file written, DB row not committed"
    )


async def _report_killed(root: Path, point: str, fault: str) -> Row:
    """The bot is killed while drafting the report (inside the transaction) or while building
    the Word file. After the restart the report opens (drafted once) and the Word file builds."""
    rig = Rig(root)
    await rig.seed()
    await rig.finished_visit()
    preview: list[BotMessage] = []
    if point == "report.build":
        async with rig.running() as bot:
            officer = bot.chat()
            await officer.send("/report C001")
            preview.append(officer.message_with_buttons())

    async def ask(api: FakeBotApi) -> None:
        user = rig.users[OFFICER]
        if preview:
            word = next(
                b["callback_data"]
                for row in preview[0].buttons
                for b in row
                if b["callback_data"].endswith(":w")
            )
            await api.push_callback(user, preview[0], word)
        else:
            await api.push_text(user, "/report C001")

    await rig.kill_during(point, ask)
    reports_after_kill = await rig.report_count()
    async with rig.running() as bot:
        officer = bot.chat()
        await officer.send("/report C001")
        opened = any(m.buttons for m in officer.replies)
        mark = len(rig.api.events)
        await officer.press("📄 Word")
        documents = [m for m in rig.sends(OFFICER, mark) if m.document is not None]
        valid = bool(documents) and documents[-1].document.content[:2] == b"PK"  # type: ignore[union-attr]
        serving = bot.serving
    reports = await rig.report_count()
    return Row(
        fault,
        injected=1,
        retried=0,
        recovered=opened and valid and reports == 1,
        duplicates=max(0, reports - 1),
        lost=int(reports == 0),
        crashes=int(not serving),
        note=(
            f"{reports_after_kill} report row after the kill; "
            "opened and built after the restart, drafted once"
        ),
        facts={"reports_after_kill": reports_after_kill, "reports": reports, "valid": valid},
    )


async def killed_drafting_report(root: Path) -> Row:
    return await _report_killed(root, "report.draft", "SIGKILL: report draft, before commit")


async def killed_building_report(root: Path) -> Row:
    return await _report_killed(root, "report.build", "SIGKILL: building the Word file")


async def _reminders_killed(root: Path, point: str, fault: str, note: str) -> Row:
    """The reminder run of :data:`REMINDER_DAY` (the plan and the overdue first check for the
    officer, the escalation for the supervisor) is killed at ``point``; a restart finishes it.
    Each reminder must be delivered, and repeated at most once if the kill fell between its
    sending and its logging."""
    rig = Rig(
        root,
        clock=fixed_clock(REMINDER_DAY),
        clock_name=REMINDER_DAY.isoformat(),
        reminder_seconds=0.2,
    )
    await rig.seed(overdue_first_check=True)
    await rig.kill_during(point)
    delivered_before_restart = len(rig.api.events)
    logged_before_restart = len(await rig.notification_log())
    async with rig.running() as bot:
        deadline = time.monotonic() + 30
        while await bot.services.reminders.due_notifications(bot.services.now()):
            if time.monotonic() > deadline:
                raise ScenarioError("the restarted bot did not finish the reminders")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # a run in flight finishes
        serving = bot.serving
    logged = await rig.notification_log()
    expected = Counter(recipient for _, recipient in logged)
    duplicates = lost = 0
    per_chat: dict[int, int] = {}
    for chat_id in {recipient for _, recipient in logged if recipient is not None}:
        texts = Counter(m.text for m in rig.sends(chat_id))
        per_chat[chat_id] = sum(texts.values())
        duplicates += sum(n - 1 for n in texts.values())
        lost += max(0, expected[chat_id] - len(texts))
    return Row(
        fault,
        injected=1,
        retried=0,
        recovered=lost == 0 and duplicates <= 1 and len(logged) == sum(expected.values()),
        duplicates=duplicates,
        lost=lost,
        crashes=int(not serving),
        note=note,
        facts={
            "delivered_before_restart": delivered_before_restart,
            "logged_before_restart": logged_before_restart,
            "logged": len(logged),
            "per_chat": per_chat,
        },
    )


async def killed_between_send_and_log(root: Path) -> Row:
    return await _reminders_killed(
        root,
        "reminder.sent_not_logged",
        "SIGKILL: reminder sent, not yet logged",
        "errs towards at-least-once: the reminder in flight is sent again, the rest once",
    )


async def killed_between_log_and_next_send(root: Path) -> Row:
    return await _reminders_killed(
        root,
        "reminder.logged_not_sent",
        "SIGKILL: reminder logged, next not yet sent",
        "logging follows sending, so nothing is logged unsent: each reminder once",
    )


# --------------------------------------------------------------------------- 4. the disk
async def disk_full(root: Path, language_code: str = "zh-hans") -> Row:
    """The disk fills up as a photo is written: the officer is told in their language, the
    answers stay, no partial file remains, the visit goes on, and once there is space again the
    same photo is stored."""
    rig = Rig(root)
    await rig.seed()
    original = Path.write_bytes
    evidence_root = rig.data_dir / "evidence"
    full = {"on": True, "hits": 0}

    def write_bytes(self: Path, data: Any) -> int:
        if full["on"] and evidence_root in self.parents:
            full["hits"] += 1
            # Half the photo reaches the disk, then there is no more space.
            original(self, bytes(data)[: len(data) // 2])
            raise OSError(28, "No space left on device", str(self))
        return original(self, data)

    async with rig.running() as bot:
        officer = bot.chat(language_code=language_code)
        zh = language_code.startswith("zh")
        await officer.send("/visit C001")
        await walk_to(
            officer,
            PHOTO_STEP if zh else "Take these photos",
            {HEADCOUNT_TOTAL: "三十五个人"} if zh else {"employ in total": "35"},
        )
        answers_before = await rig.answer_counts()
        Path.write_bytes = write_bytes  # type: ignore[method-assign]
        try:
            await officer.send_photo(jpeg(150))
            told = officer.text
        finally:
            Path.write_bytes = original  # type: ignore[method-assign]
        disk_while_full = rig.evidence_files()
        rows_while_full = await rig.evidence_rows()
        full["on"] = False
        await officer.send_photo(jpeg(150))
        stored_later = PHOTO_SAVED in officer.text or "Photo saved" in officer.text
        await move_on(officer)
        went_on = bool(officer.replies)
        serving = bot.serving
    answers_after = await rig.answer_counts()
    headcount = await rig.answer_value("flow.interview.staff.headcount_total")
    disk = rig.evidence_files()
    rows = await rig.evidence_rows()
    clear = DISK_FULL in told or DISK_FULL_EN in told
    no_partial = not disk_while_full.named and not disk_while_full.temporary
    lost = sum(max(0, n - answers_after[k]) for k, n in answers_before.items())
    return Row(
        "disk full (ENOSPC) writing a photo",
        injected=full["hits"],
        retried=0,
        recovered=clear
        and no_partial
        and not rows_while_full
        and lost == 0
        and headcount == 35.0
        and stored_later
        and len(rows) == 1
        and not disk.corrupt
        and went_on,
        duplicates=max(0, len(rows) - 1),
        lost=lost,
        crashes=int(not serving or not went_on),
        note="officer told, no partial file, answers kept, photo stored once space is back",
        facts={
            "told": told,
            "clear": clear,
            "disk_while_full": disk_while_full,
            "rows_while_full": rows_while_full,
            "answers": (answers_before, answers_after),
            "headcount": headcount,
            "went_on": went_on,
        },
    )


# --------------------------------------------------------------------------- the child process
def _kill_now(*_args: Any, **_kwargs: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install_kill_point(point: str) -> None:
    """Patch the bot so that this process dies with SIGKILL at ``point``."""
    import pathlib

    from assistant.planning.reminders import ReminderService
    from assistant.reports import drafting as report_drafting
    from assistant.reports.files import ReportFiles
    from assistant.visits.evidence import EvidenceService

    if point == "photo.before_write":
        EvidenceService._store = _kill_now  # type: ignore[method-assign]
    elif point == "photo.before_rename":
        replace = pathlib.Path.replace

        def dying_replace(self: pathlib.Path, target: Any) -> Any:
            if self.name.endswith(".tmp") and "evidence" in self.parts:
                _kill_now()
            return replace(self, target)

        pathlib.Path.replace = dying_replace  # type: ignore[method-assign]
    elif point == "photo.after_write":
        store = EvidenceService._store

        def store_then_die(self: EvidenceService, sha256: str, content: bytes) -> None:
            store(self, sha256, content)
            _kill_now()

        EvidenceService._store = store_then_die  # type: ignore[method-assign]
    elif point == "report.draft":
        report_drafting._audit = _kill_now  # type: ignore[assignment]
    elif point == "report.build":
        content = ReportFiles._content

        async def die_while_building(self: ReportFiles, data: Any, fmt: str) -> bytes:
            if fmt == "docx":
                # The Word file is being built (by the worker, or the thread) when the bot dies.
                building = asyncio.ensure_future(content(self, data, fmt))  # type: ignore[arg-type]
                await asyncio.sleep(0.5)
                _kill_now(building)
            return await content(self, data, fmt)  # type: ignore[arg-type]

        ReportFiles._content = die_while_building  # type: ignore[method-assign]
    elif point == "reminder.sent_not_logged":
        ReminderService.mark_sent = _kill_now  # type: ignore[assignment,method-assign]
    elif point == "reminder.logged_not_sent":
        mark_sent = ReminderService.mark_sent

        async def log_then_die(self: ReminderService, notification: Any) -> bool:
            await mark_sent(self, notification)
            _kill_now()
            return True

        ReminderService.mark_sent = log_then_die  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def child_main() -> int:
    """``bot.py``'s own ``main``, with a kill point and the scenario's clock."""
    import bot

    install_kill_point(os.environ["FAULTS_KILL_AT"])
    clock_name = os.environ.get("FAULTS_CLOCK", "quiet")
    clock = (
        quiet_clock() if clock_name == "quiet" else fixed_clock(datetime.fromisoformat(clock_name))
    )
    build = bot.build_services

    def build_with_clock(*args: Any, **kwargs: Any) -> Services:
        return build(*args, clock=clock, **kwargs)

    bot.build_services = build_with_clock  # type: ignore[assignment]
    return bot.main(["run"])


# --------------------------------------------------------------------------- running them all
Scenario = Callable[[Path], Awaitable[Row]]
SCENARIOS: list[tuple[str, Scenario]] = [
    ("5xx", send_5xx),
    ("connect", send_connect_refused),
    ("timeout-after", send_timeout_after_delivery),
    ("drop-after", send_dropped_after_delivery),
    ("timeout-before", send_timeout_before_delivery),
    ("getupdates", polling_fails),
    ("download", download_fails),
    ("429", rate_limited),
    ("429-burst", rate_limited_burst),
    ("429-beyond", rate_limited_beyond_retries),
    ("kill-photo-before", killed_before_photo_write),
    ("kill-photo-mid", killed_mid_photo_write),
    ("kill-photo-after", killed_after_photo_write),
    ("kill-report-draft", killed_drafting_report),
    ("kill-report-build", killed_building_report),
    ("kill-reminder-sent", killed_between_send_and_log),
    ("kill-reminder-logged", killed_between_log_and_next_send),
    ("disk-full", disk_full),
]


async def run_faults(only: str | None = None) -> list[Row]:
    """Run every scenario (or those whose name contains ``only``), each in a fresh temporary
    directory; a scenario that raises is a row that did not recover."""
    rows: list[Row] = []
    for name, scenario in SCENARIOS:
        if only and only not in name:
            continue
        with tempfile.TemporaryDirectory(prefix=f"faults-{name}-") as tmp:
            try:
                rows.append(await scenario(Path(tmp)))
            except Exception as exc:  # noqa: BLE001 - the table reports it
                log.error("scenario %s failed:\n%s", name, traceback.format_exc())
                rows.append(Row(name, recovered=False, crashes=1, note=f"{type(exc).__name__}"))
    return rows


COLUMNS = ("fault", "injected", "retried", "recovered", "duplicates", "lost", "crashes", "note")


def render_table(rows: list[Row]) -> str:
    """The rows as a markdown table."""

    def cell(row: Row, column: str) -> str:
        value = getattr(row, column)
        if isinstance(value, bool):
            return "yes" if value else "**no**"
        return str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" if c in ("fault", "note") else "---:" for c in COLUMNS) + " |",
    ]
    lines += ["| " + " | ".join(cell(row, c) for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    parser.add_argument("--log", help="write the bot's log to this file (default: silent)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main()
    if args.log:
        logging.basicConfig(filename=args.log, level=logging.INFO)
    else:
        # The scenarios make the bot log errors on purpose; the table says what happened.
        logging.disable(logging.CRITICAL)
    rows = asyncio.run(run_faults(args.only))
    print(render_table(rows))
    return 0 if all(row.recovered for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
