"""The demo portfolio for console mode: a small bank team and the sample clients.

Everything here is fictional and labelled as demo data; it lives in its own database file.

The sample's dates (disbursement, maturity, appraisal, hand-over) were written as seen on
:data:`SAMPLE_AS_OF`. The demo moves them all by the days between that day and the day its
database is made, and adds a short history of past visits (:data:`DEMO_HISTORY`) on the same
footing, so a demo started any day shows what a real portfolio does: loans paid out last week
due their first check, a few periodic checks due this month and one or two a few days late,
instead of every check overdue since the loan was paid out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.clock import start_of_day
from assistant.db.models import Client, Collateral, Loan, Officer, Role, Visit, VisitStatus
from assistant.services import REPO_ROOT, Services

SAMPLE_PORTFOLIO = REPO_ROOT / "samples" / "portfolio_sample.xlsx"
# The day samples/make_samples.py wrote the sample's dates for (its AS_OF).
SAMPLE_AS_OF = date(2026, 11, 29)
# The demo's past visits: (client code, days before SAMPLE_AS_OF, check type). Periodic checks
# are due every 90 days for a normal loan, 180 for a small one and 30 for 关注, so C1003 and
# C1005 come out a few days late and the rest due within the month or later.
DEMO_HISTORY: tuple[tuple[str, int, str], ...] = (
    ("C1001", 170, "periodic"),
    ("C1002", 80, "periodic"),
    ("C1003", 95, "periodic"),
    ("C1005", 35, "periodic"),
    ("C1006", 60, "periodic"),
    ("C1008", 88, "periodic"),
    ("C1009", 40, "periodic"),
    ("C1010", 160, "purpose"),
)
# Past visits began at 10:00 and took three quarters of an hour, local time.
_VISIT_HOUR = timedelta(hours=10)
_VISIT_LENGTH = timedelta(minutes=45)


@dataclass(frozen=True)
class DemoPerson:
    alias: str
    telegram_id: int
    first_name: str
    staff_no: str | None
    note_zh: str
    note_en: str


# The staff numbers match samples/portfolio_sample.xlsx. E1003 is on the roster but has not joined,
# so a newcomer can be invited into that seat and see its clients at once.
DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("admin", 1000001, "演示管理员", None, "管理员", "administrator"),
    DemoPerson(
        "supervisor", 1000002, "王强", "S2001", "主管（团队 S2001）", "supervisor of team S2001"
    ),
    DemoPerson(
        "officer", 1000003, "张伟", "E1001", "客户经理，属 S2001 团队", "officer in team S2001"
    ),
    DemoPerson(
        "officer2", 1000004, "李娜", "E1002", "客户经理，属 S2001 团队", "officer in team S2001"
    ),
    DemoPerson(
        "supervisor2", 1000006, "赵磊", "S3001", "主管（团队 S3001）", "supervisor of team S3001"
    ),
    DemoPerson(
        "other", 1000005, "陈静", "E3001", "客户经理，属 S3001 团队", "officer in team S3001"
    ),
    DemoPerson(
        "newcomer",
        1000010,
        "刘洋",
        None,
        "尚未登记（名单工号 E1003）",
        "not registered yet (roster seat E1003)",
    ),
    DemoPerson("stranger", 1000099, "陌生人", None, "非本行人员", "not bank staff"),
)
DEMO_ADMIN_IDS = frozenset({p.telegram_id for p in DEMO_PEOPLE if p.alias == "admin"})


async def seed_demo(services: Services, sample: Path = SAMPLE_PORTFOLIO) -> bool:
    """Load the sample portfolio, dated as of today, and register the demo team; ``False`` if
    already seeded."""
    async with services.database.session() as session:
        if await session.scalar(select(func.count()).select_from(Client)):
            return False
    report = await services.importer.apply(sample, actor_officer_id=None, filename=sample.name)
    if not report.ok:
        raise RuntimeError(f"the demo sample does not import cleanly: {report.issues[:3]}")
    shift = services.today() - SAMPLE_AS_OF
    async with services.database.session() as session:
        await _move_dates(session, shift)
        await _add_history(session, services.today(), services.settings.tz)
        for person in DEMO_PEOPLE:
            if person.alias == "admin":
                officer = await session.scalar(
                    select(Officer).where(Officer.telegram_id == person.telegram_id)
                )
                if officer is not None:
                    officer.name = person.first_name
                    officer.role = Role.ADMIN
                continue
            if person.staff_no is None or person.alias == "newcomer":
                continue
            officer = await session.scalar(
                select(Officer).where(Officer.staff_no == person.staff_no)
            )
            if officer is not None:
                officer.telegram_id = person.telegram_id
                officer.joined_at = services.database.now()
    return True


async def _move_dates(session: AsyncSession, shift: timedelta) -> None:
    """Every date of the portfolio, ``shift`` later (earlier when negative)."""
    for loan in await session.scalars(select(Loan)):
        loan.disbursed_on += shift
        loan.matures_on += shift
    for collateral in await session.scalars(select(Collateral)):
        if collateral.appraised_on is not None:
            collateral.appraised_on += shift
    for client in await session.scalars(select(Client)):
        if client.handed_over_on is not None:
            client.handed_over_on += shift


async def _add_history(session: AsyncSession, today: date, tz: tzinfo) -> None:
    """The past visits of :data:`DEMO_HISTORY`, finished, counted back from ``today``."""
    clients = {c.code: c for c in await session.scalars(select(Client))}
    for code, days_before, check_type in DEMO_HISTORY:
        client = clients.get(code)
        if client is None:
            continue
        started = start_of_day(today - timedelta(days=days_before), tz) + _VISIT_HOUR
        session.add(
            Visit(
                client_id=client.id,
                officer_id=client.officer_id,
                check_type=check_type,
                status=VisitStatus.FINISHED,
                current="finish",
                findings={},
                started_at=started,
                updated_at=started + _VISIT_LENGTH,
                finished_at=started + _VISIT_LENGTH,
            )
        )
