"""Visit benchmark: simulated officers doing full visits through the real Application.

    python benchmarks/visits.py [--officers 100] [--steps 40] [--postgres URL]

Each officer opens a visit, records the look-ups, checks in, answers questions (typed numbers in
Chinese numerals, yes/no, choices), sends two photos and submits — all through the in-process Bot
API stand-in, concurrently. It prints the handler latency per update (p50/p95/p99), the updates per
second, and the same throughput for a bare PTB echo bot in the same run, as a ratio; what an
update costs by kind (CPU of the process while it was handled, SQL statements and transactions),
and one line to compare runs by:

    visits vs echo: sqlite A% postgres B%; cpu C ms/update; D statements per step
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import io
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image
from sqlalchemy import event
from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from assistant.clock import local_date
from assistant.config import Settings
from assistant.db.database import Database
from assistant.db.models import (
    Client,
    ClientKind,
    Loan,
    LoanProduct,
    Officer,
    PaymentMethod,
    Role,
)
from assistant.services import build_knowledge, build_services
from benchmarks.pg import create_pg, drop_pg
from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import FakeBotApi, FakeUser
from handlers.gate import STEP_BUTTON

# The demo bank's TIMEZONE: the days of its seeded loans are days in Shanghai.
SHANGHAI = ZoneInfo("Asia/Shanghai")

SPOKEN = {
    "人": "三十五个人",
    "万元": "二十五万",
    "元": "两千五百元",
    "%": "百分之十五",
    "天": "三十天",
    "月": "三个月",
    "平方米": "一百二十平",
}
NAVIGATION = {"⏭ 跳过", "🚫 不适用", "⬅ 返回", "📑 跳转", "⏸ 暂停", "继续 ▶", "✅ 确认提交"}
LATENCIES: list[float] = []


@dataclass
class Cost:
    """What one update cost: CPU of the whole process (every thread) while it was handled,
    and the SQL statements and transactions it ran. Meaningful when updates are handled one
    at a time, as the latency run does."""

    kind: str
    latency: float = 0.0
    cpu: float = 0.0
    statements: int = 0
    transactions: int = 0


COSTS: list[Cost] = []
CURRENT: contextvars.ContextVar[Cost | None] = contextvars.ContextVar("cost", default=None)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        # A visit step's answer, ⏭ or 🚫 (v:<visit>:<stop>:<c|s|n>:…) is a step; the rest
        # (look-ups all clear, pause, submit …) are other buttons.
        data = update.callback_query.data or ""
        return "tap" if STEP_BUTTON.match(data) else "button"
    message = update.effective_message
    if message is None:
        return "other"
    if message.photo:
        return "photo"
    if message.location:
        return "location"
    if (message.text or "").startswith("/"):
        return "command"
    return "typed"


def count_statements(database: Database) -> None:
    """Counts each statement and each transaction against the update being handled."""

    def statement(*_: Any) -> None:
        cost = CURRENT.get()
        if cost is not None:
            cost.statements += 1

    def begin(*_: Any) -> None:
        cost = CURRENT.get()
        if cost is not None:
            cost.transactions += 1

    for engine in database.sync_engines:
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "begin", begin)


class TimedApplication(Application):  # type: ignore[type-arg]
    """Records how long the handlers take for each update, and what it cost."""

    async def process_update(self, update: object) -> None:
        cost = Cost(update_kind(update))
        token = CURRENT.set(cost)
        started, cpu = time.perf_counter(), time.process_time()
        try:
            await super().process_update(update)
        finally:
            cost.latency = time.perf_counter() - started
            LATENCIES.append(cost.latency)
            cost.cpu = time.process_time() - cpu
            COSTS.append(cost)
            CURRENT.reset(token)


def photo(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, (seed * 7) % 256, (seed * 13) % 256)).save(
        buffer, "JPEG"
    )
    return buffer.getvalue()


async def seed(database: Database, officers: int) -> None:
    today = local_date(database.now(), SHANGHAI)
    async with database.session() as session:
        for n in range(officers):
            officer = Officer(
                telegram_id=5_000_000 + n,
                staff_no=f"B{n:04d}",
                name=f"官{n}",
                role=Role.OFFICER,
                joined_at=database.now(),
            )
            session.add(officer)
            await session.flush()
            client = Client(
                code=f"B{n:04d}",
                name=f"基准客户{n}",
                kind=ClientKind.INDIVIDUAL,
                officer_id=officer.id,
            )
            session.add(client)
            await session.flush()
            session.add(
                Loan(
                    contract_no=f"BH{n:05d}",
                    client_id=client.id,
                    product=LoanProduct.PERSONAL_BUSINESS,
                    amount=Decimal(200000),
                    agreed_purpose="进货",
                    disbursed_on=today - timedelta(days=90),
                    matures_on=today + timedelta(days=270),
                    payment_method=PaymentMethod.SELF,
                )
            )


async def submit(chat: Chat) -> int:
    """Submit at the visit summary, confirming when the bot lists what is missing; the inputs."""
    await chat.press("✅ 确认提交")
    if "✅ 仍然提交" in chat.last.button_labels:
        await chat.press("✅ 仍然提交")
        return 2
    return 1


async def step(chat: Chat) -> int:
    """One officer action on the current stop; returns the number of updates sent."""
    last = chat.message_with_buttons()
    text, labels = last.text, last.button_labels
    if "实时位置" in text:
        await chat.send_location(31.23, 121.47)
        return 1
    if "请拍照留存" in text:
        await chat.send_photo(photo(chat.user.id))
        await chat.send_photo(photo(chat.user.id + 1))
        await chat.press("继续 ▶")
        return 3
    if "回访小结" in text:
        return await submit(chat)
    unit = re.search(r"（单位：(.+?)）", text)
    if unit and unit.group(1) in SPOKEN:
        await chat.send(SPOKEN[unit.group(1)])
        return 1
    if "是" in labels and "否" in labels:
        await chat.press("否")
        return 1
    options = [label for label in labels if label not in NAVIGATION]
    if options:
        await chat.press(options[0])
        return 1
    await chat.press(next(b for b in ("⏭ 跳过", "继续 ▶") if b in labels))
    return 1


async def officer_visit(chat: Chat, code: str, steps: int) -> int:
    await chat.send(f"/visit {code}")
    sent = 1
    for _ in range(steps):
        sent += await step(chat)
        if "回访已完成" in chat.last_text:
            return sent
    # Whatever is left is skipped quickly, then the visit is submitted.
    while "回访已完成" not in chat.last_text:
        last = chat.message_with_buttons()
        if "回访小结" in last.text:
            await chat.press("✅ 确认提交")
        elif "✅ 仍然提交" in last.button_labels:
            await chat.press("✅ 仍然提交")
        else:
            await chat.press(next(b for b in ("⏭ 跳过", "继续 ▶") if b in last.button_labels))
        sent += 1
    return sent


async def run_visits(
    database_url: str,
    data_dir: Path,
    officers: int,
    steps: int,
    knowledge: Any,
    concurrent_updates: int,
) -> tuple[int, float]:
    database = Database(database_url)
    count_statements(database)
    # Telegram's own flood limit (30 messages/s, enforced by the rate limiter in production) is
    # off here, as it is for the echo bot: both measure the bot's own work.
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=None,
        telegram_overall_rate=0,
        # Simulated officers tap without pausing to read; a person could not, so no flood guard.
        flood_rate=0,
        concurrent_updates=concurrent_updates,
    )
    services = build_services(settings, database=database, knowledge=knowledge)
    await services.start()
    await seed(database, officers)
    api = FakeBotApi()
    builder = standin_builder(api).application_class(TimedApplication)
    application = build_application(settings, builder, services=services)
    LATENCIES.clear()
    COSTS.clear()
    async with polling(application):
        chats = [
            Chat(api, FakeUser(5_000_000 + n, f"官{n}"), settle_in_process(api, application))
            for n in range(officers)
        ]
        started = time.perf_counter()
        sent = await asyncio.gather(
            *(officer_visit(chat, f"B{n:04d}", steps) for n, chat in enumerate(chats))
        )
        elapsed = time.perf_counter() - started
    return sum(sent), elapsed


async def run_echo(updates_per_user: int, users: int) -> float:
    """Updates per second of a bare PTB bot that echoes, on the same stand-in."""
    api = FakeBotApi()
    application = standin_builder(api).build()

    async def echo(update: Update, context: Any) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with polling(application):
        chats = [
            Chat(api, FakeUser(6_000_000 + n, f"u{n}"), settle_in_process(api, application))
            for n in range(users)
        ]

        async def talk(chat: Chat) -> None:
            for i in range(updates_per_user):
                await chat.send(f"消息 {i}")

        started = time.perf_counter()
        await asyncio.gather(*(talk(chat) for chat in chats))
        elapsed = time.perf_counter() - started
    return users * updates_per_user / elapsed


def mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=100)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument(
        "--postgres", help="admin URL, e.g. postgresql+asyncpg://postgres@127.0.0.1/test"
    )
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "benchmark")
    parser.add_argument(
        "--concurrency",
        default=f"1,{Settings.model_fields['concurrent_updates'].default}",
        help="comma-separated CONCURRENT_UPDATES values to measure throughput with",
    )
    args = parser.parse_args()

    knowledge = build_knowledge(Settings(_env_file=None, data_dir=args.data_dir))
    await knowledge.load()
    summary: dict[str, dict[str, float]] = {}
    backends = [("sqlite", None)] + ([("postgres", args.postgres)] if args.postgres else [])
    echo_rate = await run_echo(updates_per_user=20, users=args.officers)
    print(f"bare PTB echo bot: {echo_rate:.0f} updates/s")
    for name, admin_url in backends:
        # Latency is the time one update takes when it has the bot to itself (updates one at a
        # time); with every officer's updates in flight at once it would mostly measure the
        # queue. Throughput is measured the way the bot runs: officers' updates side by side.
        figures = {}
        levels = sorted({1, *(int(v) for v in args.concurrency.split(","))})
        for concurrency in levels:
            with tempfile.TemporaryDirectory() as tmp:
                if admin_url is None:
                    url, dropper = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", None
                else:
                    url, database_name = await create_pg(admin_url)
                    dropper = (admin_url, database_name)
                try:
                    sent, elapsed = await run_visits(
                        url, Path(tmp), args.officers, args.steps, knowledge, concurrency
                    )
                finally:
                    if dropper:
                        await drop_pg(*dropper)
            figures[concurrency] = (sent, elapsed, [v * 1000 for v in LATENCIES], list(COSTS))
        sent, elapsed, latencies_ms, costs = figures[1]
        print(f"\n{name}: {args.officers} officers, {sent} updates each run")
        print(
            f"  handler latency per update (one at a time): "
            f"p50 {statistics.median(latencies_ms):.1f} ms  "
            f"p95 {percentile(latencies_ms, 0.95):.1f} ms  "
            f"p99 {percentile(latencies_ms, 0.99):.1f} ms"
        )
        print("  cost per update (one at a time), by kind:")
        for kind in sorted({c.kind for c in costs}):
            mine = [c for c in costs if c.kind == kind]
            print(
                f"    {kind:<9} {len(mine):>5} updates"
                f"  p95 {percentile([c.latency * 1000 for c in mine], 0.95):5.1f} ms"
                f"  cpu {mean(c.cpu for c in mine) * 1000:5.2f} ms"
                f"  {mean(c.statements for c in mine):5.1f} statements"
                f"  in {mean(c.transactions for c in mine):4.1f} transactions"
            )
        steps = [c for c in costs if c.kind in ("typed", "tap")]
        summary[name] = {
            "cpu": mean(c.cpu for c in costs) * 1000,
            "statements": mean(c.statements for c in steps),
            "transactions": mean(c.transactions for c in steps),
        }
        print(
            f"  all updates: cpu {summary[name]['cpu']:.2f} ms; a step (typed or tapped): "
            f"p95 {percentile([c.latency * 1000 for c in steps], 0.95):.1f} ms, "
            f"cpu {mean(c.cpu for c in steps) * 1000:.2f} ms, "
            f"{summary[name]['statements']:.1f} statements in "
            f"{summary[name]['transactions']:.1f} transactions"
        )
        # The best of the concurrency levels: the bot as it is best run.
        summary[name]["share"] = max(s / e for s, e, _, _ in figures.values()) / echo_rate
        for concurrency, (sent, elapsed, _, _) in figures.items():
            rate = sent / elapsed
            print(
                f"  throughput, {concurrency:>2} concurrent: {rate:.0f} updates/s "
                f"= {rate / echo_rate:.1%} of the echo bot"
            )
    # The one line to compare runs by (#19): the best throughput of each database against the
    # echo bot, and the SQLite run's cost per update and statements per step.
    shares = " ".join(f"{name} {row['share']:.1%}" for name, row in summary.items())
    first = summary["sqlite"]
    print(
        f"\nvisits vs echo: {shares}; cpu {first['cpu']:.2f} ms/update; "
        f"{first['statements']:.1f} statements per step"
    )


if __name__ == "__main__":
    asyncio.run(main())
