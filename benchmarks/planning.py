"""Planning benchmark: every officer's month plan for a large portfolio, in one pass.

    python benchmarks/planning.py [--clients 10000] [--officers 500] [--postgres URL]

Seeds a fresh database (SQLite in a temporary directory; with ``--postgres``, a new PostgreSQL
database that is dropped afterwards) with officers in teams of twenty, clients in forty business
districts, one or two loans each of every product and five-tier class, finished visits (some
with adverse pre-visit results), alerts, survey trips and schedule changes. Then it times
``PlanService.plans_for_all`` for October 2026 as of 15 October (targets: ≤ 5 s) and one
``ReminderService.due_notifications`` run, and prints memory two ways:

- peak RSS above the baseline taken before seeding, from ``resource.getrusage`` (ru_maxrss: the
  whole process, seeding included, so it bounds the planning from above; target ≤ 300 MB);
- the peak of Python allocations during one ``plans_for_all`` call, from ``tracemalloc``
  (measured in a separate, untimed call: tracing slows Python down several times).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import insert

from assistant.db.database import Database
from assistant.db.models import (
    Alert,
    Client,
    ClientKind,
    Loan,
    LoanProduct,
    Officer,
    PaymentMethod,
    RiskClass,
    Role,
    ScheduleChange,
    SurveyTrip,
    Visit,
    VisitStatus,
)
from assistant.planning.calendar import WorkCalendar
from assistant.planning.plan import PlanRules, PlanService
from assistant.planning.reminders import ReminderPolicy, ReminderService
from benchmarks.pg import create_pg, drop_pg

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 10, 15)
TEAM_SIZE = 20
DISTRICTS = [f"商圈{n:02d}" for n in range(40)]
INDUSTRIES = [
    "五金零售",
    "餐饮",
    "机械加工",
    "服装批发",
    "物流运输",
    "农产品",
    "电子配件",
    "家居建材",
    "房地产开发",
    "建筑施工",
    "钢贸",
    "煤炭销售",
    "光伏组件",
    "汽车维修",
    "教育培训",
    "医药零售",
    "印刷包装",
    "食品加工",
    "纺织",
    "化工",
]
CLASSES = list(RiskClass)
CLASS_WEIGHTS = [85, 8, 4, 2, 1]
BATCH = 2000


def rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_rows(clients: int, officers: int, rng: random.Random) -> dict[type, list[dict[str, Any]]]:
    supervisors = max(1, officers // TEAM_SIZE)
    rows: dict[type, list[dict[str, Any]]] = {
        Officer: [],
        Client: [],
        Loan: [],
        Visit: [],
        Alert: [],
        SurveyTrip: [],
        ScheduleChange: [],
    }
    for n in range(1, supervisors + 1):
        rows[Officer].append(
            {"id": n, "telegram_id": 8_000_000 + n, "name": f"主管{n}", "role": Role.SUPERVISOR}
        )
    officer_ids = list(range(supervisors + 1, supervisors + officers + 1))
    for index, officer_id in enumerate(officer_ids):
        absent = rng.random()
        rows[Officer].append(
            {
                "id": officer_id,
                "telegram_id": None if absent < 0.02 else 9_000_000 + officer_id,
                "name": f"客户经理{officer_id}",
                "role": Role.OFFICER,
                "supervisor_id": 1 + index % supervisors,
                "active": not 0.02 <= absent < 0.04,
            }
        )
    loan_id = visit_id = 0
    for client_id in range(1, clients + 1):
        officer_id = officer_ids[client_id % len(officer_ids)]
        rows[Client].append(
            {
                "id": client_id,
                "code": f"K{client_id:06d}",
                "name": f"基准客户{client_id}",
                "kind": rng.choice(list(ClientKind)),
                "officer_id": officer_id,
                "business_district": rng.choice(DISTRICTS) if rng.random() < 0.9 else None,
                "industry": rng.choice(INDUSTRIES),
                "handed_over_on": TODAY - timedelta(days=rng.randint(1, 400))
                if rng.random() < 0.05
                else None,
                "referral_promised": rng.random() < 0.03,
            }
        )
        first_disbursed = TODAY
        for _ in range(1 if rng.random() < 0.5 else 2):
            loan_id += 1
            disbursed = TODAY - timedelta(days=rng.randint(0, 1000))
            first_disbursed = min(first_disbursed, disbursed)
            risk_class = rng.choices(CLASSES, CLASS_WEIGHTS)[0]
            rows[Loan].append(
                {
                    "id": loan_id,
                    "contract_no": f"BHT{loan_id:07d}",
                    "client_id": client_id,
                    "product": rng.choice(list(LoanProduct)),
                    "amount": Decimal(rng.randrange(50_000, 5_000_000, 10_000)),
                    "agreed_purpose": "经营周转",
                    "disbursed_on": disbursed,
                    "matures_on": disbursed + timedelta(days=30 * rng.choice((6, 12, 24, 36))),
                    "payment_method": rng.choice(list(PaymentMethod)),
                    "risk_class": risk_class,
                    "days_overdue": 0
                    if risk_class is RiskClass.NORMAL and rng.random() < 0.97
                    else rng.randint(1, 400),
                }
            )
        # Most clients had their first check in time and a recent periodic one; some were
        # never visited (a portfolio just imported) and some visits fall in this month.
        visit_days: list[date] = []
        if rng.random() < 0.85:
            first_check = first_disbursed + timedelta(days=rng.randint(3, 35))
            if first_check < TODAY:
                visit_days.append(first_check)
            recent = TODAY - timedelta(days=rng.randint(0, 150))
            if recent > first_check:
                visit_days.append(recent)
        for day in visit_days:
            visit_id += 1
            finished = datetime.combine(day, datetime.min.time(), TZ).astimezone(UTC)
            finished += timedelta(hours=rng.randint(1, 10))
            rows[Visit].append(
                {
                    "id": visit_id,
                    "client_id": client_id,
                    "officer_id": officer_id,
                    "check_type": "periodic",
                    "status": VisitStatus.FINISHED,
                    "current": "finish",
                    "findings": {
                        "records.enforcement": "adverse" if rng.random() < 0.05 else "clear",
                        "records.business_status": "clear",
                    },
                    "started_at": finished - timedelta(hours=1),
                    "finished_at": finished,
                }
            )
    for n, visit in enumerate(rng.sample(rows[Visit], min(300, len(rows[Visit])))):
        rows[Alert].append(
            {
                "visit_id": visit["id"],
                "client_id": visit["client_id"],
                "officer_id": visit["officer_id"],
                "supervisor_id": 1,
                "rule_id": f"bench.rule.{n}",
                "severity": "critical" if n % 2 else "warning",
                "finding": {},
                "acknowledged_at": None if n % 3 else visit["finished_at"],
            }
        )
    for _ in range(officers * 2):
        rows[SurveyTrip].append(
            {
                "officer_id": rng.choice(officer_ids),
                "on": date(2026, 10, rng.randint(1, 31)),
                "district": rng.choice(DISTRICTS),
                "note": None,
            }
        )
    created = datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
    for client in rng.sample(rows[Client], min(200, len(rows[Client]))):
        moved = rng.random() < 0.5
        rows[ScheduleChange].append(
            {
                "client_id": client["id"],
                "officer_id": client["officer_id"],
                "due_on": TODAY + timedelta(days=rng.randint(1, 30)) if moved else None,
                "snoozed_until": None if moved else TODAY + timedelta(days=rng.randint(1, 10)),
                "created_at": created,
            }
        )
    return rows


async def seed(database: Database, rows: dict[type, list[dict[str, Any]]]) -> None:
    async with database.session() as session:
        for model, values in rows.items():
            for start in range(0, len(values), BATCH):
                await session.execute(insert(model), values[start : start + BATCH])


async def run(url: str, clients: int, officers: int, repeats: int) -> None:
    baseline = rss_mb()
    database = Database(url)
    await database.start()
    started = time.perf_counter()
    rows = build_rows(clients, officers, random.Random(7))
    counts = {model.__tablename__: len(values) for model, values in rows.items()}  # type: ignore[attr-defined]
    await seed(database, rows)
    del rows
    gc.collect()
    print(f"  seeded in {time.perf_counter() - started:.1f} s: {counts}")

    planner = PlanService(database, PlanRules(tz=TZ))
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        plans = await planner.plans_for_all(TODAY.year, TODAY.month, today=TODAY)
        timings.append(time.perf_counter() - started)
    visits = sum(plan.planned for plan in plans.values())
    overdue = sum(plan.overdue for plan in plans.values())
    print(
        f"  plans_for_all: {len(plans)} officer plans, {visits} planned visits "
        f"({overdue} overdue), {len(plans.unattended)} unattended clients"
    )
    print(
        f"  plans_for_all time: first {timings[0]:.2f} s, best {min(timings):.2f} s, "
        f"median {statistics.median(timings):.2f} s over {repeats} runs (target ≤ 5 s)"
    )

    reminders = ReminderService(database, planner, WorkCalendar(), ReminderPolicy(tz=TZ))
    now = datetime(2026, 10, 15, 9, 30, tzinfo=TZ)
    started = time.perf_counter()
    notes = await reminders.due_notifications(now)
    elapsed = time.perf_counter() - started
    by_kind: dict[str, int] = {}
    for note in notes:
        by_kind[note.kind] = by_kind.get(note.kind, 0) + 1
    print(f"  due_notifications: {elapsed:.2f} s, {by_kind}")

    gc.collect()
    tracemalloc.start()
    await planner.plans_for_all(TODAY.year, TODAY.month, today=TODAY)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  memory: peak RSS {rss_mb() - baseline:.0f} MB above the baseline before seeding "
        f"(resource.getrusage ru_maxrss, seeding included; target ≤ 300 MB); "
        f"Python allocations peak during one plans_for_all {traced_peak / 2**20:.0f} MB "
        f"(tracemalloc)"
    )
    await database.dispose()


async def measure(backend: str, args: argparse.Namespace) -> None:
    print(f"{backend}:", flush=True)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await run(url, args.clients, args.officers, args.repeats)
        return
    url, name = await create_pg(args.postgres)
    try:
        await run(url, args.clients, args.officers, args.repeats)
    finally:
        await drop_pg(args.postgres, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--postgres", help="admin URL, e.g. postgresql+asyncpg://postgres@127.0.0.1/test"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend is not None:
        asyncio.run(measure(args.backend, args))
        return
    print(f"{args.clients} clients, {args.officers} officers; the plan for {TODAY:%Y-%m}")
    # One process per backend: ru_maxrss only ever grows, so a second backend measured in the
    # same process would start from the first one's peak.
    for backend in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
        command = [sys.executable, __file__, *sys.argv[1:], "--backend", backend]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
