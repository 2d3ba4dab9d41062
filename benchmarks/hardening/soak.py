"""Soak run: many officers working through the real Application for minutes on end.

    .venv/bin/python -m benchmarks.hardening.soak [--officers 200] [--minutes 10]
        [--postgres URL] [--seed 1]

Every simulated officer is a registered officer with clients of their own; supervisors lead
teams of them. In a loop, with small think times (``--think``, 0.5–3 s), each officer opens a
client (sometimes), asks the knowledge base a question or two (free text ending in ？), does a
visit (look-ups, a location check-in, typed answers in spoken Chinese, taps, skips, a photo
filed under its category, now and then a question mid-visit, a step back, or a pause and
resume; half the visits answer every step, the others jump ahead to the interview's last
section), drafts the report, adds a remark (sometimes) and submits it; the supervisor approves
each submission and acknowledges the risk alerts. Everything goes through the in-process Bot
API stand-in as Telegram updates, into the real Application with every handler: the flood
guard, the access gate, the per-user update processor, persistence and the jobs. One warm-up
cycle runs before the clock starts.

At the end it prints markdown tables: latency per operation kind (from pushing the update to
the bot having handled it, every reply sent), the errors (exceptions reaching the error
handler, ERROR log records, timeouts, updates with no reply, stand-in refusals, apologies —
all must be zero), memory over time (RSS every ``--sample-seconds``, with the least-squares
trend over the second half of the run: "no growth trend" when the slope's 95 % CI includes 0
or RSS grew less than 5 % from the first sample to the last), and the database and evidence
sizes at start and end. The exit code is 1 when any error was counted.

The stand-in keeps a bounded window of each chat and forgets files once the bot has fetched
them, so what grows in the process is the bot, not the harness.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import math
import os
import random
import re
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy import func, select, text
from telegram import Update
from telegram.ext import Application

from assistant.clock import local_date
from assistant.config import Settings
from assistant.db.database import Database
from assistant.db.models import (
    Base,
    Client,
    ClientKind,
    Collateral,
    Guarantor,
    Loan,
    LoanProduct,
    Officer,
    PaymentMethod,
    Report,
    ReportStatus,
    Role,
)
from assistant.knowledge.base import KnowledgeBase
from assistant.services import build_knowledge, build_services
from benchmarks.pg import create_pg, drop_pg
from bot import build_application
from botapi.chat import polling
from botapi.console import standin_builder
from botapi.standin import BotApiError, BotMessage, FakeBotApi, FakeUser, StoredFile

# The demo bank's TIMEZONE: the days of its seeded loans are days in Shanghai.
SHANGHAI = ZoneInfo("Asia/Shanghai")

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CHROMA = REPO / "data" / "benchmark" / "chroma"

OFFICER_BASE_ID = 8_000_000
SUPERVISOR_BASE_ID = 8_900_000
OFFICERS_PER_SUPERVISOR = 25
CLIENTS_PER_OFFICER = 3
# Messages kept per chat by the stand-in; older ones are forgotten (their files with them).
CHAT_WINDOW = 20
MAX_SAMPLES = 240
MAX_EXAMPLES = 12

# What the bot says when something went wrong (handlers/errors.py, prompts/messages/zh), and
# when it drops updates sent too fast (handlers/flood.py): the simulated officers never flood.
APOLOGIES = {
    "抱歉，处理这条消息时出错了": "apology shown to the user",
    "数据库暂时连不上": "apology shown to the user",
    "您发送得太快了": "flood warning shown to the user",
}

QUESTIONS = (
    "首次用途检查要看哪些资料？",
    "贷款用途检查什么时候做？",
    "怎么核对银行流水？",
    "发现客户挪用贷款怎么办？",
    "担保人需要回访吗？",
    "抵押物要怎么检查？",
    "经营场所要拍哪些照片？",
    "客户说生意不好，要问些什么？",
    "应收账款太多有什么风险？",
    "贷后检查多久做一次？",
    "五级分类什么时候要下调？",
    "怎么判断客户有没有民间借贷？",
    "水电费单据能说明什么？",
    "裁判文书网查不到说明没有诉讼吗？",
    "对公贷款首检要在多少天内完成？",
    "What should I check on a first use-of-funds visit?",
)
# Typed answers, by the unit the question asks in, as officers type them.
SPOKEN = {
    "人": ("三十五个人", "12", "八个人"),
    "万元": ("二十五万", "2.5万", "一百二十万", "80万"),
    "元": ("两千五百元", "4500", "三千元"),
    "%": ("百分之十五", "30%", "百分之四十"),
    "天": ("三十天", "45天", "十五天"),
    "月": ("三个月", "6个月"),
    "平方米": ("一百二十平", "80平方米"),
}
TEXT_ANSWERS = (
    "主要从本地三家批发商进货，合作三年以上，银行转账结算。",
    "和去年差不多，旺季在下半年。",
    "按合同用于进货，已付给供货方，有发票。",
    "客户配合，现场情况和介绍一致。",
)
ASSESSMENTS = (
    "经营正常，还款来源稳定，维持正常跟进。",
    "库存和客流与所述相符，暂无风险，按计划复查。",
    "经营略有下滑，但还款能力尚可，下次重点看流水。",
)
REMARKS = (
    "客户配合良好，现场情况与介绍一致。",
    "建议下次回访时补充收集水电费单据。",
    "经营正常，暂未发现风险信号。",
)
NAVIGATION = {"⏭ 跳过", "🚫 不适用", "⬅ 返回", "📑 跳转", "⏸ 暂停", "继续 ▶", "✅ 确认提交"}
MAX_VISIT_STEPS = 200


# --------------------------------------------------------------------------- measuring
class Histogram:
    """Latencies in logarithmic buckets (3 % wide): fixed memory however long the run."""

    LOW = 1e-4
    RATIO = 1.03
    BUCKETS = 640  # up to ~ 2 h

    def __init__(self) -> None:
        self.counts = [0] * self.BUCKETS
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        index = 0
        if seconds > self.LOW:
            index = min(self.BUCKETS - 1, int(math.log(seconds / self.LOW, self.RATIO)) + 1)
        self.counts[index] += 1
        self.count += 1
        self.total += seconds
        self.max = max(self.max, seconds)

    def merge(self, other: Histogram) -> None:
        for i, n in enumerate(other.counts):
            self.counts[i] += n
        self.count += other.count
        self.total += other.total
        self.max = max(self.max, other.max)

    def percentile(self, share: float) -> float:
        """The upper edge of the bucket holding the ``share`` quantile (never above the max)."""
        if not self.count:
            return math.nan
        rank = max(1, math.ceil(share * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return min(self.max, self.LOW * self.RATIO**index)
        return self.max


@dataclass
class Sample:
    minute: float
    rss_mb: float
    traced_mb: float | None
    gc_objects: int
    db_mb: float
    operations: int
    ops_per_s: float
    p95_ms: float


@dataclass
class Trend:
    window_from: float
    samples: int
    slope_mb_per_min: float | None
    ci_low: float | None
    ci_high: float | None
    growth_mb: float
    growth_pct: float
    verdict: str


@dataclass
class StorageSnapshot:
    database_bytes: int
    wal_bytes: int
    evidence_bytes: int
    evidence_files: int
    rows: dict[str, int]


@dataclass
class SoakResult:
    officers: int
    supervisors: int
    minutes: float
    backend: str
    seed: int
    elapsed_s: float = 0.0
    latencies: dict[str, Histogram] = field(default_factory=dict)
    activities: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    samples: list[Sample] = field(default_factory=list)
    trend: Trend | None = None
    storage_start: StorageSnapshot | None = None
    storage_end: StorageSnapshot | None = None
    reports_by_status: dict[str, int] = field(default_factory=dict)
    submitted: int = 0
    approved: int = 0
    tracemalloc: bool = False
    warm_up_s: float = 0.0

    @property
    def operations(self) -> int:
        return sum(h.count for h in self.latencies.values())

    @property
    def error_total(self) -> int:
        """Every error counted, stand-in refusals included."""
        return sum(self.errors.values()) + sum(self.refusals.values())

    @property
    def ok(self) -> bool:
        return self.error_total == 0


def rss_bytes() -> int:
    """Resident set size of this process, now (not the peak)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        # Peak, not current, where /proc is missing (macOS reports bytes, Linux KiB).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


_T_975 = (12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
          2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
          2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


def t_critical(df: int) -> float:
    """Two-sided 95 % Student t quantile."""
    if df <= len(_T_975):
        return _T_975[df - 1]
    return 2.0 if df < 60 else 1.98 if df < 120 else 1.96


def memory_trend(samples: Sequence[Sample], run_minutes: float) -> Trend:
    """The least-squares RSS slope over the second half of the run, and its verdict."""
    start = run_minutes / 2
    window = [s for s in samples if s.minute >= start - 1e-9]
    first, last = samples[0], samples[-1]
    growth_mb = last.rss_mb - first.rss_mb
    growth_pct = 100 * growth_mb / first.rss_mb if first.rss_mb else 0.0
    if len(window) < 3:
        verdict = (
            "no growth trend (too few samples for a slope; growth over the run < 5 %)"
            if growth_pct < 5
            else "undetermined: too few samples after warm-up for a slope"
        )
        return Trend(start, len(window), None, None, None, growth_mb, growth_pct, verdict)
    xs = [s.minute for s in window]
    ys = [s.rss_mb for s in window]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    residual = sum((y - my - slope * (x - mx)) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(residual / (n - 2) / sxx) if n > 2 else math.inf
    half = t_critical(n - 2) * se
    low, high = slope - half, slope + half
    if low <= 0 <= high:
        verdict = "no growth trend (the slope's 95 % CI includes 0)"
    elif high < 0:
        verdict = "no growth trend (falling)"
    elif growth_pct < 5:
        verdict = "no growth trend (growth over the run < 5 %)"
    else:
        verdict = f"GROWING: {slope:+.2f} MB/min after warm-up, {growth_pct:+.1f} % over the run"
    return Trend(start, n, slope, low, high, growth_mb, growth_pct, verdict)


class ErrorLog(logging.Handler):
    """Counts WARNING and ERROR records from anywhere in the process."""

    def __init__(self, result: SoakResult) -> None:
        super().__init__(logging.WARNING)
        self.result = result

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.result.errors[f"ERROR log record · {record.name}"] += 1
            try:
                what = f"{record.name}: {record.getMessage()[:120]}"
            except Exception:  # noqa: BLE001 - a bad format string is still a record to count
                what = f"{record.name}: {str(record.msg)[:120]}"
            if record.exc_info and record.exc_info[1] is not None:
                what += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            _example(self.result, what)
        else:
            # Keyed by the unformatted message, so ids in it do not make new keys.
            self.result.warnings[f"{record.name}: {str(record.msg)[:80]}"] += 1


def _example(result: SoakResult, what: str) -> None:
    if len(result.error_examples) < MAX_EXAMPLES:
        result.error_examples.append(what[:300])


# --------------------------------------------------------------------------- the stand-in
@dataclass
class Received:
    seq: int
    message: BotMessage


class SoakBotApi(FakeBotApi):
    """The stand-in with bounded memory and refusals counted.

    Each chat keeps its newest :data:`CHAT_WINDOW` messages; files the user sent are forgotten
    once the bot has downloaded them, and the bot's documents once their message leaves the
    window. Its own bookkeeping lists are capped.
    """

    def __init__(self, refusals: Counter[str]) -> None:
        super().__init__()
        self.refusals = refusals
        self.events = deque(maxlen=64)  # type: ignore[assignment]
        self.calls = deque(maxlen=64)  # type: ignore[assignment]
        self.callback_answers = OrderedDict()  # type: ignore[assignment]
        self.sequence = 0
        self.received: dict[int, deque[Received]] = {}

    async def handle(self, token: str, method: str, params: Any, files: Any) -> Any:
        try:
            return await super().handle(token, method, params, files)
        except BotApiError as exc:
            self.refusals[f"{method}: {exc.description}"] += 1
            raise

    def _new_message(self, params: dict[str, Any]) -> BotMessage:
        message = super()._new_message(params)
        chat = self._by_chat[message.chat_id]
        while len(chat) > CHAT_WINDOW:
            oldest = chat.pop(next(iter(chat)))
            self.messages.pop((oldest.chat_id, oldest.message_id), None)
            for stored in (oldest.document, oldest.photo):
                if stored is not None:
                    self.files.pop(stored.file_id, None)
        return message

    def _finish(self, kind: str, message: BotMessage, params: dict[str, Any]) -> dict[str, Any]:
        raw = super()._finish(kind, message, params)
        if kind in ("send", "edit"):
            self.sequence += 1
            inbox = self.received.setdefault(message.chat_id, deque(maxlen=CHAT_WINDOW))
            inbox.append(Received(self.sequence, message))
        return raw

    async def _api_senddocument(self, params: dict[str, Any], files: Any) -> Any:
        raw = await super()._api_senddocument(params, files)
        # Nobody downloads the bot's documents here: keep the name and size, not the bytes.
        message = self.messages[(int(params["chat_id"]), raw["message_id"])]
        stored = message.document
        if stored is not None:
            self.files.pop(stored.file_id, None)
            message.document = StoredFile(
                stored.file_id, stored.file_unique_id, b"", stored.file_name, stored.mime_type
            )
            message.raw["document"]["file_size"] = len(stored.content)
        return raw

    async def _api_answercallbackquery(self, params: dict[str, Any], files: Any) -> Any:
        result = await super()._api_answercallbackquery(params, files)
        while len(self.callback_answers) > 256:
            self.callback_answers.popitem(last=False)  # type: ignore[call-arg]
        return result

    def file_content(self, token: str, path: str) -> bytes:
        content = super().file_content(token, path)
        # The bot has the bytes now; a user's upload is not fetched twice.
        self.files.pop(path.rsplit("/", 1)[-1], None)
        return content

    def since(self, chat_id: int, mark: int) -> list[Received]:
        """What the bot sent to or edited in ``chat_id`` after sequence number ``mark``."""
        touched: dict[int, Received] = {}
        for item in self.received.get(chat_id, ()):
            if item.seq > mark:
                touched.pop(id(item.message), None)
                touched[id(item.message)] = item
        return list(touched.values())


class UpdateTracker:
    """Tells a waiting user when the Application has finished handling their update."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.late = 0

    def expect(self, update_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[update_id] = future
        return future

    def forget(self, update_id: int) -> None:
        self.waiting.pop(update_id, None)

    def finished(self, update_id: int) -> None:
        future = self.waiting.pop(update_id, None)
        if future is None:
            # Nobody waits: its waiter gave up (a timeout), or it was no soak update.
            self.late += 1
        elif not future.done():
            future.set_result(time.perf_counter())


class SoakApplication(Application):  # type: ignore[type-arg]
    """The real Application; it only reports when each update has been handled."""

    def __init__(self, *, tracker: UpdateTracker, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.soak_tracker = tracker

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                self.soak_tracker.finished(update.update_id)


# --------------------------------------------------------------------------- people
class Surprise(Exception):
    """The bot did not answer the way the simulated person expected."""


@dataclass
class Context:
    api: SoakBotApi
    tracker: UpdateTracker
    result: SoakResult
    reply_timeout: float
    deadline: float
    think: tuple[float, float]
    finish_cycles: bool
    interval: Histogram = field(default_factory=Histogram)
    submitted: set[int] = field(default_factory=set)
    approved: set[int] = field(default_factory=set)

    def over(self) -> bool:
        return time.perf_counter() >= self.deadline


class Person:
    """One Telegram user: sends an update, waits until the bot has handled it, times it."""

    def __init__(self, ctx: Context, user: FakeUser, rng: random.Random) -> None:
        self.ctx = ctx
        self.api = ctx.api
        self.user = ctx.api.add_user(user)
        self.rng = rng
        self.replies: list[BotMessage] = []

    async def think(self, scale: float = 1.0) -> None:
        low, high = self.ctx.think
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high) * scale)

    async def _op(self, kind: str, push: Callable[[], Awaitable[int]]) -> list[BotMessage]:
        ctx = self.ctx
        mark = self.api.sequence
        started = time.perf_counter()
        update_id = await push()
        done = ctx.tracker.expect(update_id)
        try:
            async with asyncio.timeout(ctx.reply_timeout):
                finished = await done
        except TimeoutError:
            ctx.tracker.forget(update_id)
            ctx.result.errors[f"timeout waiting for a reply · {kind}"] += 1
            _example(ctx.result, f"no reply within {ctx.reply_timeout:.0f} s to {kind}")
            self.replies = [r.message for r in self.api.since(self.user.id, mark)]
            return self.replies
        latency = finished - started
        ctx.result.latencies.setdefault(kind, Histogram()).add(latency)
        ctx.interval.add(latency)
        self.replies = [r.message for r in self.api.since(self.user.id, mark)]
        if not self.replies:
            ctx.result.errors[f"update handled without a reply · {kind}"] += 1
        for message in self.replies:
            for phrase, what in APOLOGIES.items():
                if phrase in message.text:
                    ctx.result.errors[f"{what} · {kind}"] += 1
                    _example(ctx.result, f"{kind}: {message.text[:120]}")
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.replies)

    def surprise(self, what: str) -> None:
        self.ctx.result.errors[f"unexpected bot behaviour · {what}"] += 1
        _example(self.ctx.result, f"{what}: {self.text[-200:]!r}")

    async def send(self, kind: str, text: str) -> list[BotMessage]:
        return await self._op(kind, lambda: self.api.push_text(self.user, text))

    async def press(self, kind: str, message: BotMessage, data: str) -> list[BotMessage]:
        return await self._op(kind, lambda: self.api.push_callback(self.user, message, data))

    async def press_label(self, kind: str, message: BotMessage, label: str) -> list[BotMessage]:
        for row in message.buttons:
            for button in row:
                if button["text"] == label:
                    return await self.press(kind, message, button["callback_data"])
        raise Surprise(f"no button {label!r}")

    def newest(self, predicate: Callable[[str], bool]) -> tuple[BotMessage, str] | None:
        """The newest message in this chat with a button whose data matches, and that data."""
        for message in reversed(self.api.chat_messages(self.user.id)):
            for row in message.buttons:
                for button in row:
                    if predicate(button["callback_data"]):
                        return message, button["callback_data"]
        return None


def photo(rng: random.Random) -> bytes:
    """A small JPEG that differs every time (a repeated photo would be flagged as such)."""
    image = Image.new("RGB", (480, 360), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(440), rng.randrange(320)
        draw.rectangle(
            (x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 120)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class OfficerSim(Person):
    def __init__(
        self,
        ctx: Context,
        index: int,
        clients: Sequence[str],
        supervisor: SupervisorSim,
        rng: random.Random,
    ) -> None:
        super().__init__(ctx, FakeUser(OFFICER_BASE_ID + index, f"官{index}"), rng)
        self.clients = list(clients)
        self.supervisor = supervisor
        self.cycle = 0
        self.brisk_after: int | None = None
        self.interviewed = 0
        self.always_thorough = False

    async def run(self) -> None:
        # Officers do not all start on the same second.
        await asyncio.sleep(self.rng.uniform(0, max(self.ctx.think[1], 0.01) * 3))
        while not self.ctx.over():
            try:
                await self.one_cycle()
            except Surprise as exc:
                self.surprise(str(exc))
                await self.think()
            except Exception as exc:  # noqa: BLE001 - a harness bug is counted, the run goes on
                self.ctx.result.errors[f"simulated officer crashed · {type(exc).__name__}"] += 1
                _example(self.ctx.result, f"officer: {type(exc).__name__}: {exc}")
                await self.think()

    def stop_now(self) -> bool:
        return self.ctx.over() and not self.ctx.finish_cycles

    async def one_cycle(self) -> None:
        client = self.clients[self.cycle % len(self.clients)]
        self.cycle += 1
        if self.rng.random() < 0.5:
            await self.send("client.open", f"/client {client}")
            if "贷款" not in self.text and client not in self.text:
                raise Surprise("/client did not show the client")
            await self.think()
        for _ in range(self.rng.choice((1, 1, 2))):
            if self.stop_now():
                return
            await self.ask("kb.question")
            await self.think()
        if self.stop_now():
            return
        visit_id = await self.visit(client)
        if visit_id is None or self.stop_now():
            return
        await self.think()
        await self.report(visit_id)

    async def ask(self, kind: str) -> None:
        await self.send(kind, self.rng.choice(QUESTIONS))
        if not self.replies or not self.text.strip():
            raise Surprise("a question got no answer")
        self.ctx.result.activities["questions answered"] += 1

    def current_stop(self) -> tuple[BotMessage, str]:
        found = self.newest(lambda data: data.startswith("v:"))
        if found is None:
            raise Surprise("no visit step on screen")
        message, data = found
        return message, data.split(":")[2]

    async def visit(self, client: str) -> int | None:
        await self.send("visit.start", f"/visit {client}")
        if self.newest(lambda data: data.startswith("v:")) is None:
            raise Surprise("/visit showed no step")
        # Half the visits are thorough; in the others the officer answers a few questions of the
        # interview and then jumps to its last section (then the photos and the checkpoints).
        # Now and then a visit is paused and resumed.
        brisk = self.rng.random() >= 0.5 and not self.always_thorough
        self.brisk_after = self.rng.randint(4, 15) if brisk else None
        self.interviewed = 0
        pause_at = self.rng.randint(5, 40) if self.rng.random() < 0.1 else -1
        for number in range(MAX_VISIT_STEPS):
            if self.stop_now():
                return None
            await self.think()
            if number == pause_at:
                await self.pause_and_resume(client)
                continue
            done = await self.step()
            if done is not None:
                self.ctx.result.activities["visits completed"] += 1
                return done
        raise Surprise(f"visit not finished after {MAX_VISIT_STEPS} steps")

    async def pause_and_resume(self, client: str) -> None:
        message, token = self.current_stop()
        await self.press_label("visit.pause", message, "⏸ 暂停")
        await self.think(2)
        await self.send("visit.start", f"/visit {client}")
        if self.current_stop()[1] != token:
            raise Surprise("the paused visit did not resume where it was")
        self.ctx.result.activities["visits paused and resumed"] += 1

    async def jump_ahead(self, message: BotMessage) -> None:
        await self.press_label("visit.jump", message, "📑 跳转")
        found = self.newest(lambda data: data.startswith("v:") and ":g:" in data)
        if found is None:
            raise Surprise("no sections to jump to")
        sections = found[0]
        labels = sections.button_labels
        # The sections are the interview's groups, then the checkpoints: the use-of-funds check
        # (贷款用途检查) and the scheduled ones (检查要点), one or both.
        checkpoints = next((i for i, label in enumerate(labels) if "检查" in label), len(labels))
        await self.think(0.5)
        await self.press_label("visit.jump", sections, labels[max(0, checkpoints - 1)])
        self.brisk_after = None

    async def step(self) -> int | None:
        """One action on the visit's current step; the visit id once it is completed."""
        rng = self.rng
        message, token = self.current_stop()
        body, labels = message.text, message.button_labels
        if rng.random() < 0.03:
            await self.send("visit.question", rng.choice(QUESTIONS))
            if len(self.replies) < 2 or self.current_stop()[1] != token:
                raise Surprise("a question mid-visit was not answered with the step again")
            self.ctx.result.activities["questions answered"] += 1
            return None
        if "✓ 都对，继续" in labels:
            # A typed sentence filled more than its own question: the officer looks and agrees.
            await self.press_label("visit.button", message, "✓ 都对，继续")
            return None
        if "⬅ 返回" in labels and rng.random() < 0.02 and "第 1/" not in body:
            await self.press_label("visit.skip", message, "⬅ 返回")
            return None
        # The step's header; a "✓ 已记录" line may stand above it.
        header = next((line for line in body.splitlines() if not line.startswith("✓")), "")
        if header.startswith("现场问询"):
            self.interviewed += 1
            if self.brisk_after is not None and self.interviewed > self.brisk_after:
                await self.jump_ahead(message)
                return None
        if "请记录查询结果" in body:
            results = [b["callback_data"] for row in message.buttons for b in row]
            results = [data for data in results if data.split(":")[3] == "c"]
            # Mostly nothing found; sometimes not looked up; now and then an adverse record.
            pick = rng.random()
            choice = 0 if pick < 0.85 else -1 if pick < 0.95 else 1
            await self.press("visit.lookup", message, results[choice])
            return None
        if "实时位置" in body:
            if rng.random() < 0.9:
                lat, lon = 31.23 + rng.uniform(-0.01, 0.01), 121.47 + rng.uniform(-0.01, 0.01)
                await self._op("visit.checkin", lambda: self.api.push_location(self.user, lat, lon))
            else:
                await self.press_label("visit.skip", message, "⏭ 跳过")
            return None
        if "请收集以下资料" in body:
            await self.press_label("visit.skip", message, "继续 ▶")
            return None
        if "请拍照留存" in body:
            return await self.photos(message)
        if "回访小结" in body:
            await self.press_label("visit.complete", message, "✅ 确认提交")
            asked = self.api.chat_messages(self.user.id)[-1]
            if "相互矛盾" in asked.text and asked.buttons:
                # Answers picked at random can contradict each other (funds used as agreed,
                # yet diverted): the bot will not submit both, and the officer opens one of
                # them to answer again, then comes back to the summary.
                await self.press("visit.jump", asked, asked.buttons[0][0]["callback_data"])
                self.ctx.result.activities["contradictions put right"] += 1
                return None
            if any(b["text"] == "✅ 仍然提交" for row in asked.buttons for b in row):
                # Questions were skipped: the bot lists them and asks again.
                await self.press_label("visit.complete", asked, "✅ 仍然提交")
            if "回访已完成" not in self.text:
                raise Surprise("completing the visit was not confirmed")
            found = self.newest(lambda data: data.startswith("rp:"))
            if found is None:
                raise Surprise("no draft-report button after the visit")
            return int(found[1].removeprefix("rp:"))
        options = [label for label in labels if label not in NAVIGATION]
        unit = re.search(r"（单位：(.+?)）", body)
        if unit and unit.group(1) in SPOKEN and rng.random() < 0.75:
            await self.send("visit.typed", rng.choice(SPOKEN[unit.group(1)]))
        elif "是" in options and "否" in options:
            pick = rng.random()
            if pick < 0.05:
                await self.press_label("visit.skip", message, "⏭ 跳过")
            else:
                await self.press_label("visit.button", message, "是" if pick < 0.15 else "否")
        elif options:
            if rng.random() < 0.05:
                await self.press_label("visit.skip", message, "⏭ 跳过")
            else:
                label = options[0] if rng.random() < 0.8 else rng.choice(options)
                await self.press_label("visit.button", message, label)
        elif rng.random() < 0.6 and "⏭ 跳过" in labels:
            answer = "2027-06-30" if "什么时候" in body else rng.choice(TEXT_ANSWERS)
            await self.send("visit.typed", answer)
        else:
            await self.press_label("visit.skip", message, "⏭ 跳过")
        listed = self.current_stop()[0]
        if "✓ 都对，继续" in listed.button_labels:
            # The sentence filled other questions too: the officer agrees to the list.
            await self.press_label("visit.button", listed, "✓ 都对，继续")
        if self.current_stop()[1] == token and "⏭ 跳过" in labels:
            # The answer was not taken (an unreadable figure): the question is asked again.
            self.ctx.result.activities["typed answers asked again"] += 1
            await self.think(0.5)
            await self.press_label("visit.skip", self.current_stop()[0], "⏭ 跳过")
        return None

    async def photos(self, step: BotMessage) -> None:
        await self._op("visit.photo", lambda: self.api.push_photo(self.user, photo(self.rng)))
        if "已保存照片" not in self.text:
            raise Surprise("the photo was not saved")
        found = self.newest(lambda data: data.startswith("ve:"))
        if found is None:
            raise Surprise("no category buttons under the photo")
        message, _ = found
        # Filed as stock (a category that is not read by OCR), else the first one offered.
        labels = message.button_labels
        label = "库存和仓库" if "库存和仓库" in labels else labels[-1]
        await self.think(0.5)
        await self.press_label("visit.tag", message, label)
        if "已归类" not in self.text:
            raise Surprise("the photo was not filed")
        await self.think(0.5)
        step, _ = self.current_stop()
        await self.press_label("visit.skip", step, "继续 ▶")
        return None

    async def report(self, visit_id: int) -> None:
        result = self.ctx.result
        message, data = await self._draft(visit_id)
        report_id = int(data.split(":")[1])
        if self.rng.random() < 0.3 and not self.stop_now():
            await self.think()
            await self.press("report.remarks", message, f"r:{report_id}:m")
            await self.think()
            await self.send("report.remarks", self.rng.choice(REMARKS))
            if "备注已保存" not in self.text:
                raise Surprise("the remark was not saved")
            found = self.newest(lambda d: d == f"r:{report_id}:s")
            if found is None:
                raise Surprise("no submit button after the remark")
            message = found[0]
        if self.stop_now():
            return
        await self.think()
        await self.press("report.submit", message, f"r:{report_id}:s")
        if "综合评价" in self.text:
            await self.think()
            await self.send("report.assessment", self.rng.choice(ASSESSMENTS))
        if "已提交主管审批" not in self.text:
            raise Surprise("the report was not submitted")
        self.ctx.submitted.add(report_id)
        result.activities["reports submitted"] += 1
        decision = self.supervisor.newest(
            lambda d: d.startswith(f"rv:{report_id}:") and d.endswith(":a")
        )
        if decision is None:
            raise Surprise("the supervisor got no report to approve")
        self.supervisor.queue.put_nowait((decision[0], decision[1], report_id, self))

    async def _draft(self, visit_id: int) -> tuple[BotMessage, str]:
        found = self.newest(lambda data: data == f"rp:{visit_id}")
        if found is None:
            raise Surprise("the draft-report button is gone")
        await self.press("report.draft", found[0], found[1])
        status = self.newest(lambda data: data.startswith("r:") and data.endswith(":s"))
        if status is None or "报告状态：草稿" not in self.text:
            raise Surprise("no draft report")
        self.ctx.result.activities["reports drafted"] += 1
        return status


class SupervisorSim(Person):
    def __init__(self, ctx: Context, index: int, rng: random.Random) -> None:
        super().__init__(ctx, FakeUser(SUPERVISOR_BASE_ID + index, f"主管{index}"), rng)
        self.queue: asyncio.Queue[tuple[BotMessage, str, int, OfficerSim]] = asyncio.Queue()
        # Alert buttons already pressed, newest last; only the chat's window can show one again.
        self.acknowledged: OrderedDict[str, None] = OrderedDict()

    async def run(self, officers_done: asyncio.Event) -> None:
        while True:
            try:
                item = await asyncio.wait_for(self.queue.get(), timeout=2.0)
            except TimeoutError:
                if officers_done.is_set() and self.queue.empty():
                    return
                await self.acknowledge_alerts()
                continue
            try:
                await self.think()
                await self.approve(*item)
            except Surprise as exc:
                self.surprise(str(exc))
            finally:
                self.queue.task_done()
            if not officers_done.is_set():
                await self.acknowledge_alerts()

    async def approve(
        self, message: BotMessage, data: str, report_id: int, officer: OfficerSim
    ) -> None:
        officer_mark = self.api.sequence
        await self.press("report.approve", message, data)
        if "已批准" not in self.text:
            raise Surprise("the approval was not confirmed")
        self.ctx.approved.add(report_id)
        self.ctx.result.activities["reports approved"] += 1
        told = self.api.since(officer.user.id, officer_mark)
        if not any("已获批准" in r.message.text for r in told):
            raise Surprise("the officer was not told of the approval")

    async def acknowledge_alerts(self) -> None:
        found = self.newest(lambda d: d.startswith("al:") and d not in self.acknowledged)
        if found is None:
            return
        message, data = found
        self.acknowledged[data] = None
        while len(self.acknowledged) > 4 * CHAT_WINDOW:
            self.acknowledged.popitem(last=False)
        await self.think(0.5)
        await self.press("alert.acknowledge", message, data)
        if "知悉" not in self.text:
            raise Surprise("the alert was not acknowledged")
        self.ctx.result.activities["alerts acknowledged"] += 1


# --------------------------------------------------------------------------- the bank
async def seed_bank(
    database: Database, officers: int, supervisors: int, rng: random.Random
) -> dict[int, list[str]]:
    """Supervisors, their officers and each officer's clients, with loans; the client codes."""
    today = local_date(database.now(), SHANGHAI)
    portfolio: dict[int, list[str]] = {}
    async with database.session() as session:
        leads = [
            Officer(
                telegram_id=SUPERVISOR_BASE_ID + s,
                staff_no=f"SS{s:03d}",
                name=f"主管{s}",
                role=Role.SUPERVISOR,
                joined_at=database.now(),
            )
            for s in range(supervisors)
        ]
        session.add_all(leads)
        await session.flush()
        for n in range(officers):
            officer = Officer(
                telegram_id=OFFICER_BASE_ID + n,
                staff_no=f"SE{n:04d}",
                name=f"官{n}",
                role=Role.OFFICER,
                supervisor_id=leads[n % supervisors].id,
                joined_at=database.now(),
            )
            session.add(officer)
            await session.flush()
            codes = portfolio.setdefault(n, [])
            for c in range(CLIENTS_PER_OFFICER):
                corporate = c == 1
                code = f"K{n:04d}{c}"
                codes.append(code)
                client = Client(
                    code=code,
                    name=f"{'浸润机械有限公司' if corporate else '老街五金店'}{n}-{c}",
                    kind=ClientKind.CORPORATE if corporate else ClientKind.INDIVIDUAL,
                    officer_id=officer.id,
                    industry="机械加工" if corporate else "五金零售",
                    business_district=f"片区{n % 7}",
                    registered_address=f"城东建材市场 {n}-{c} 号",
                )
                session.add(client)
                await session.flush()
                loan = Loan(
                    contract_no=f"SK{n:04d}{c}",
                    client_id=client.id,
                    product=(
                        LoanProduct.WORKING_CAPITAL if corporate else LoanProduct.PERSONAL_BUSINESS
                    ),
                    amount=Decimal(rng.choice((200_000, 300_000, 500_000, 1_000_000))),
                    agreed_purpose="购买原材料" if corporate else "进货周转",
                    disbursed_on=today - timedelta(days=rng.choice((12, 45, 120, 200))),
                    matures_on=today + timedelta(days=rng.choice((90, 180, 300))),
                    payment_method=PaymentMethod.SELF,
                )
                session.add(loan)
                await session.flush()
                if c == 2:
                    session.add_all(
                        [
                            Guarantor(
                                loan_id=loan.id,
                                name=f"担保人{n}",
                                kind=ClientKind.INDIVIDUAL,
                                relationship_to_borrower="亲属",
                            ),
                            Collateral(
                                loan_id=loan.id,
                                type="商铺",
                                location=f"城东建材市场 {n}-{c} 号",
                                area_sqm=Decimal("45.5"),
                                appraised_value=Decimal("800000"),
                                registration_no=f"浸润不动产权第{n:04d}号",
                            ),
                        ]
                    )
    return portfolio


async def storage(database: Database, data_dir: Path, sqlite_file: Path | None) -> StorageSnapshot:
    rows: dict[str, int] = {}
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = int(await session.scalar(select(func.count()).select_from(table)))
        if sqlite_file is None:
            size = int(await session.scalar(text("SELECT pg_database_size(current_database())")))
    if sqlite_file is not None:
        size = _size(sqlite_file)
        wal = _size(Path(f"{sqlite_file}-wal"))
    else:
        wal = 0
    evidence = [p for p in (data_dir / "evidence").rglob("*") if p.is_file()]
    return StorageSnapshot(size, wal, sum(_size(p) for p in evidence), len(evidence), rows)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


async def database_mb(database: Database, sqlite_file: Path | None) -> float:
    if sqlite_file is not None:
        return (_size(sqlite_file) + _size(Path(f"{sqlite_file}-wal"))) / 2**20
    async with database.engine.connect() as conn:
        size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
    return int(size or 0) / 2**20


class Sampler:
    """RSS (and tracemalloc, and the GC's object count) every ``interval`` seconds.

    At most :data:`MAX_SAMPLES` are kept: past that, every other one is dropped and the interval
    doubles, so a run of any length stays within a fixed size.
    """

    def __init__(
        self,
        ctx: Context,
        interval: float,
        database: Database,
        sqlite_file: Path | None,
    ) -> None:
        self.ctx = ctx
        self.interval = interval
        self.database = database
        self.sqlite_file = sqlite_file
        self.started = time.perf_counter()
        self.last_ops = 0
        self.last_at = self.started

    async def sample(self) -> None:
        now = time.perf_counter()
        result = self.ctx.result
        ops = result.operations
        rate = (ops - self.last_ops) / (now - self.last_at) if now > self.last_at else 0.0
        self.last_ops, self.last_at = ops, now
        interval, self.ctx.interval = self.ctx.interval, Histogram()
        # Garbage is not a leak: collected first, so RSS and the object count show what lives.
        gc.collect()
        result.samples.append(
            Sample(
                minute=(now - self.started) / 60,
                rss_mb=rss_bytes() / 2**20,
                traced_mb=(
                    tracemalloc.get_traced_memory()[0] / 2**20 if tracemalloc.is_tracing() else None
                ),
                gc_objects=len(gc.get_objects()),
                db_mb=await database_mb(self.database, self.sqlite_file),
                operations=ops,
                ops_per_s=rate,
                p95_ms=interval.percentile(0.95) * 1000 if interval.count else math.nan,
            )
        )
        if len(result.samples) > MAX_SAMPLES:
            result.samples[:] = result.samples[::2] + (
                [result.samples[-1]] if len(result.samples) % 2 == 0 else []
            )
            self.interval *= 2

    async def run(self, stop: asyncio.Event) -> None:
        await self.sample()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                await self.sample()


# --------------------------------------------------------------------------- the run
@asynccontextmanager
async def _database(postgres: str | None, data_dir: Path) -> AsyncIterator[tuple[str, Path | None]]:
    if postgres is None:
        path = data_dir / "soak.db"
        yield f"sqlite+aiosqlite:///{path}", path
        return
    url, name = await create_pg(postgres)
    try:
        yield url, None
    finally:
        await drop_pg(postgres, name)


async def load_knowledge(chroma_path: Path = DEFAULT_CHROMA) -> KnowledgeBase:
    """The knowledge index, from the benchmarks' cache when it is there (built there if not)."""
    knowledge = build_knowledge(Settings(_env_file=None, chroma_path=chroma_path))
    await knowledge.load()
    return knowledge


async def run_soak(
    officers: int = 200,
    minutes: float = 10.0,
    *,
    postgres: str | None = None,
    seed: int = 1,
    knowledge: KnowledgeBase | None = None,
    data_dir: Path | None = None,
    think: tuple[float, float] = (0.5, 3.0),
    sample_seconds: float = 30.0,
    reply_timeout: float = 60.0,
    supervisors: int | None = None,
    concurrent_updates: int | None = None,
    telegram_rate: float = 0.0,
    flood_rate: float | None = None,
    trace_memory: bool = False,
    finish_cycles: bool = False,
    warm_up: bool = True,
) -> SoakResult:
    """Run the soak and return what it measured.

    Args:
        officers: simulated officers, each with :data:`CLIENTS_PER_OFFICER` clients.
        minutes: how long the officers keep working (they stop mid-visit at the end, unless
            ``finish_cycles``); the supervisors then approve what is still waiting.
        postgres: an admin URL; the run uses a new database on that server, dropped after.
        seed: the random seed of every choice the simulated people make.
        knowledge: an already loaded knowledge base (default: the cached benchmark index).
        data_dir: where the database file and the evidence go (default: a temporary folder).
        think: the range of the pause, in seconds, before each action.
        sample_seconds: how often memory is sampled.
        reply_timeout: how long to wait for the bot to handle one update.
        supervisors: default one per :data:`OFFICERS_PER_SUPERVISOR` officers, at least two.
        concurrent_updates: ``CONCURRENT_UPDATES`` (default: the setting's default).
        telegram_rate: Telegram's flood limit in messages/s (0, the default, turns the bot's
            limiter off, as in benchmarks/visits.py: the soak measures the bot's own work).
        flood_rate: ``FLOOD_RATE``, each user's update limit (default: the setting's default,
            so the per-user flood guard is on; the think times keep officers well below it).
        trace_memory: also record tracemalloc's current size (slows allocation-heavy code).
        finish_cycles: officers finish the visit and report they are in when time is up.
        warm_up: before the clock starts, one officer does a whole cycle (question, visit,
            report, approval), so that what loads on first use (the report templates, the
            Word writer, the risk rules) is loaded before the first memory sample. Its
            latencies are not counted; its errors are.
    """
    supervisors = supervisors or max(2, math.ceil(officers / OFFICERS_PER_SUPERVISOR))
    supervisors = max(1, min(supervisors, officers))
    result = SoakResult(
        officers, supervisors, minutes, "postgresql" if postgres else "sqlite", seed
    )
    knowledge = knowledge or await load_knowledge()
    counter = ErrorLog(result)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(counter)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    if trace_memory and not tracemalloc.is_tracing():
        tracemalloc.start()
        result.tracemalloc = True
    try:
        with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
            folder = data_dir or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            async with _database(postgres, folder) as (url, sqlite_file):
                await _run(
                    result,
                    url,
                    sqlite_file,
                    folder,
                    knowledge,
                    think=think,
                    sample_seconds=sample_seconds,
                    reply_timeout=reply_timeout,
                    concurrent_updates=concurrent_updates,
                    telegram_rate=telegram_rate,
                    flood_rate=flood_rate,
                    finish_cycles=finish_cycles,
                    warm_up=warm_up,
                )
    finally:
        root.removeHandler(counter)
        root.setLevel(previous_level)
        if result.tracemalloc:
            tracemalloc.stop()
    return result


async def _run(
    result: SoakResult,
    url: str,
    sqlite_file: Path | None,
    data_dir: Path,
    knowledge: KnowledgeBase,
    *,
    think: tuple[float, float],
    sample_seconds: float,
    reply_timeout: float,
    concurrent_updates: int | None,
    telegram_rate: float,
    flood_rate: float | None,
    finish_cycles: bool,
    warm_up: bool,
) -> None:
    rng = random.Random(result.seed)
    overrides: dict[str, Any] = {}
    if concurrent_updates is not None:
        overrides["concurrent_updates"] = concurrent_updates
    if flood_rate is not None:
        overrides["flood_rate"] = flood_rate
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=url,
        chroma_path=DEFAULT_CHROMA,
        telegram_overall_rate=telegram_rate,
        admin_ids=frozenset(),
        **overrides,
    )
    database = Database(url)
    services = build_services(settings, database=database, knowledge=knowledge)
    await services.start()
    portfolio = await seed_bank(database, result.officers, result.supervisors, rng)

    api = SoakBotApi(result.refusals)
    tracker = UpdateTracker()
    builder = standin_builder(api).application_class(SoakApplication, {"tracker": tracker})
    application = build_application(settings, builder, services=services)

    async def count_error(update: object, context: Any) -> None:
        error = context.error
        result.errors[f"exception in the error handler · {type(error).__name__}"] += 1
        _example(result, f"{type(error).__name__}: {error}")

    application.add_error_handler(count_error)
    async with polling(application):
        if warm_up:
            await _warm_up(api, tracker, result, reply_timeout, portfolio[0])
        result.storage_start = await storage(database, data_dir, sqlite_file)
        ctx = Context(
            api,
            tracker,
            result,
            reply_timeout,
            deadline=time.perf_counter() + result.minutes * 60,
            think=think,
            finish_cycles=finish_cycles,
        )
        bosses = [
            SupervisorSim(ctx, s, random.Random(f"{result.seed}:s{s}"))
            for s in range(result.supervisors)
        ]
        staff = [
            OfficerSim(
                ctx,
                n,
                portfolio[n],
                bosses[n % result.supervisors],
                random.Random(f"{result.seed}:o{n}"),
            )
            for n in range(result.officers)
        ]
        sampler = Sampler(ctx, sample_seconds, database, sqlite_file)
        stop_sampling, officers_done = asyncio.Event(), asyncio.Event()
        started = time.perf_counter()
        sampling = asyncio.create_task(sampler.run(stop_sampling))
        approving = [asyncio.create_task(boss.run(officers_done)) for boss in bosses]
        outcomes = await asyncio.gather(*(o.run() for o in staff), return_exceptions=True)
        officers_done.set()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                result.errors[f"simulated officer crashed · {type(outcome).__name__}"] += 1
                _example(result, f"officer: {type(outcome).__name__}: {outcome}")
        # The supervisors approve what is still waiting; then the last sample.
        for outcome in await asyncio.gather(*approving, return_exceptions=True):
            if isinstance(outcome, BaseException):
                result.errors[f"simulated supervisor crashed · {type(outcome).__name__}"] += 1
                _example(result, f"supervisor: {type(outcome).__name__}: {outcome}")
        result.elapsed_s = time.perf_counter() - started
        stop_sampling.set()
        await sampling
        await sampler.sample()
        if tracker.late:
            result.errors["updates handled after their waiter gave up"] += tracker.late
        result.submitted, result.approved = len(ctx.submitted), len(ctx.approved)
        result.storage_end = await storage(database, data_dir, sqlite_file)
        async with database.session() as session:
            rows = await session.execute(
                select(Report.status, func.count()).group_by(Report.status)
            )
            result.reports_by_status = {str(s.value): int(n) for s, n in rows.all()}
            statuses = {
                rid: status
                for rid, status in (await session.execute(select(Report.id, Report.status))).all()
            }
        pending = [rid for rid in ctx.submitted if statuses.get(rid) != ReportStatus.APPROVED]
        if pending:
            result.errors["submitted reports not approved at the end"] += len(pending)
    result.trend = memory_trend(result.samples, result.elapsed_s / 60)


async def _warm_up(
    api: SoakBotApi,
    tracker: UpdateTracker,
    result: SoakResult,
    reply_timeout: float,
    clients: Sequence[str],
) -> None:
    """One whole cycle of the first officer and their supervisor, before the clock starts."""
    started = time.perf_counter()
    scratch = SoakResult(1, 1, 0, result.backend, result.seed)
    # Already over, but finishing its cycle: exactly one cycle, at an officer's pace.
    ctx = Context(api, tracker, scratch, reply_timeout, started, (0.15, 0.3), True)
    boss = SupervisorSim(ctx, 0, random.Random(f"{result.seed}:warm-up"))
    officer = OfficerSim(ctx, 0, clients, boss, random.Random(f"{result.seed}:warm-up"))
    officer.always_thorough = True
    done = asyncio.Event()
    approving = asyncio.create_task(boss.run(done))
    try:
        await officer.one_cycle()
    except Surprise as exc:
        officer.surprise(str(exc))
    finally:
        done.set()
        await approving
    for key, n in scratch.errors.items():
        result.errors[f"{key} (warm-up)"] += n
    for example in scratch.error_examples:
        _example(result, f"warm-up: {example}")
    result.warm_up_s = time.perf_counter() - started


# --------------------------------------------------------------------------- the tables
def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    ms = seconds * 1000
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def _mb(size: int) -> str:
    return f"{size / 2**20:.2f} MB"


def render_tables(result: SoakResult) -> str:
    """The run as markdown: latency, errors, memory over time, storage."""
    lines: list[str] = []
    ops = result.operations
    rate = ops / result.elapsed_s if result.elapsed_s else 0.0
    lines += [
        f"## Soak: {result.officers} officers, {result.supervisors} supervisors, "
        f"{result.minutes:g} min on {result.backend} (seed {result.seed})",
        "",
        f"{ops} updates in {result.elapsed_s / 60:.1f} min ({rate:.1f} updates/s), "
        f"after a warm-up cycle of {result.warm_up_s:.0f} s. "
        + ", ".join(f"{what}: {n}" for what, n in sorted(result.activities.items()))
        + ".",
        "",
        "### Latency per operation (ms, from sending the update to the bot having handled it)",
        "",
        "| operation | count | p50 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    every = Histogram()
    for kind in sorted(result.latencies):
        h = result.latencies[kind]
        every.merge(h)
        lines.append(
            f"| {kind} | {h.count} | {_ms(h.percentile(0.5))} | {_ms(h.percentile(0.95))} | "
            f"{_ms(h.percentile(0.99))} | {_ms(h.max)} |"
        )
    lines.append(
        f"| **all** | {every.count} | {_ms(every.percentile(0.5))} | "
        f"{_ms(every.percentile(0.95))} | {_ms(every.percentile(0.99))} | {_ms(every.max)} |"
    )
    lines += ["", "### Errors (must all be zero)", "", "| kind | count |", "| --- | ---: |"]
    fixed = (
        "exception in the error handler",
        "ERROR log record",
        "timeout waiting for a reply",
        "update handled without a reply",
        "stand-in refusal",
        "apology shown to the user",
        "flood warning shown to the user",
        "unexpected bot behaviour",
        "submitted reports not approved at the end",
    )
    grouped: Counter[str] = Counter()
    for key, n in result.errors.items():
        grouped[key] += n
    for key, n in result.refusals.items():
        grouped[f"stand-in refusal · {key}"] += n
    for kind in fixed:
        if not any(key.startswith(kind) for key in grouped):
            lines.append(f"| {kind} | 0 |")
    for key, n in sorted(grouped.items()):
        lines.append(f"| {key} | {n} |")
    lines.append(f"| **total** | **{result.error_total}** |")
    if result.error_examples:
        lines += ["", "First errors:", ""] + [f"- `{e}`" for e in result.error_examples]
    if result.warnings:
        lines += ["", f"WARNING log records (not errors): {sum(result.warnings.values())}", ""]
        lines += [f"- {n} × `{what}`" for what, n in result.warnings.most_common(8)]
    lines += [
        "",
        "### Memory over time",
        "",
        "| minute | RSS MB | tracemalloc MB | GC objects | DB MB | updates | updates/s | p95 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in result.samples:
        traced = f"{s.traced_mb:.1f}" if s.traced_mb is not None else "—"
        p95 = "—" if math.isnan(s.p95_ms) else f"{s.p95_ms:.0f}"
        lines.append(
            f"| {s.minute:.1f} | {s.rss_mb:.1f} | {traced} | {s.gc_objects} | {s.db_mb:.2f} | "
            f"{s.operations} | {s.ops_per_s:.1f} | {p95} |"
        )
    trend = result.trend
    if trend is not None:
        lines.append("")
        if trend.slope_mb_per_min is not None:
            lines.append(
                f"RSS trend from minute {trend.window_from:.1f} ({trend.samples} samples): "
                f"{trend.slope_mb_per_min:+.2f} MB/min, 95 % CI "
                f"[{trend.ci_low:+.2f}, {trend.ci_high:+.2f}]; "
                f"growth over the run {trend.growth_mb:+.1f} MB ({trend.growth_pct:+.1f} %)."
            )
        else:
            lines.append(
                f"RSS growth over the run {trend.growth_mb:+.1f} MB ({trend.growth_pct:+.1f} %); "
                f"{trend.samples} samples after minute {trend.window_from:.1f}."
            )
        lines.append(f"**Verdict: {trend.verdict}.**")
    start, end = result.storage_start, result.storage_end
    if start is not None and end is not None:
        database_label = "SQLite file" if result.backend == "sqlite" else "pg_database_size"
        lines += [
            "",
            "### Database and evidence",
            "",
            "| | start | end |",
            "| --- | ---: | ---: |",
            f"| {database_label} | {_mb(start.database_bytes)} | {_mb(end.database_bytes)} |",
        ]
        if result.backend == "sqlite":
            lines.append(f"| SQLite WAL | {_mb(start.wal_bytes)} | {_mb(end.wal_bytes)} |")
        lines.append(
            f"| evidence files | {start.evidence_files} ({_mb(start.evidence_bytes)}) | "
            f"{end.evidence_files} ({_mb(end.evidence_bytes)}) |"
        )
        for table in sorted(end.rows):
            if start.rows.get(table) or end.rows[table]:
                lines.append(f"| rows: {table} | {start.rows.get(table, 0)} | {end.rows[table]} |")
        lines += [
            "",
            "Reports by status at the end: "
            + ", ".join(f"{k} {v}" for k, v in sorted(result.reports_by_status.items()))
            + f"; submitted in the run {result.submitted}, approved {result.approved}.",
        ]
    lines += ["", f"**Result: {'PASS' if result.ok else 'FAIL'}**"]
    return "\n".join(lines)


def _think(value: str) -> tuple[float, float]:
    low, _, high = value.partition(",")
    return float(low), float(high or low)


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--postgres", help="admin URL, e.g. postgresql+asyncpg://postgres@127.0.0.1/test"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think", type=_think, default=(0.5, 3.0), help="MIN,MAX seconds")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument("--supervisors", type=int)
    parser.add_argument("--concurrent-updates", type=int)
    parser.add_argument(
        "--telegram-rate", type=float, default=0.0, help="the bot's flood limit, 0 = off"
    )
    parser.add_argument("--flood-rate", type=float, help="FLOOD_RATE (default: the setting's)")
    parser.add_argument("--tracemalloc", action="store_true", help="also sample tracemalloc")
    parser.add_argument("--data-dir", type=Path, help="keep the database and evidence here")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    result = await run_soak(
        args.officers,
        args.minutes,
        postgres=args.postgres,
        seed=args.seed,
        data_dir=args.data_dir,
        think=args.think,
        sample_seconds=args.sample_seconds,
        reply_timeout=args.reply_timeout,
        supervisors=args.supervisors,
        concurrent_updates=args.concurrent_updates,
        telegram_rate=args.telegram_rate,
        flood_rate=args.flood_rate,
        trace_memory=args.tracemalloc,
    )
    print(render_tables(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
