"""The demo portfolio for console mode: a small bank team and the sample clients.

Everything here is fictional and labelled as demo data; it lives in its own database file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from assistant.db.models import Client, Officer, Role, utcnow
from assistant.services import REPO_ROOT, Services

SAMPLE_PORTFOLIO = REPO_ROOT / "samples" / "portfolio_sample.xlsx"


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
    """Load the sample portfolio and register the demo team; ``False`` if already seeded."""
    async with services.database.session() as session:
        if await session.scalar(select(func.count()).select_from(Client)):
            return False
    report = await services.importer.apply(sample, actor_officer_id=None, filename=sample.name)
    if not report.ok:
        raise RuntimeError(f"the demo sample does not import cleanly: {report.issues[:3]}")
    async with services.database.session() as session:
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
                officer.joined_at = utcnow()
    return True
