"""Planning fixtures: a small bank written straight to the database, and the services built on
it with the default rules in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.access import Viewer
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
    Visit,
    VisitStatus,
)
from assistant.planning.calendar import WorkCalendar
from assistant.planning.plan import PlanRules, PlanService
from assistant.planning.reminders import ReminderPolicy, ReminderService

IMPORTED_AT = datetime(2024, 1, 1, tzinfo=UTC)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, clock: str = "10:00") -> datetime:
    """A moment in Shanghai."""
    hours, minutes = clock.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), SHANGHAI)


class Bank:
    """Writes people, clients, loans, visits and alerts; ids come back for the assertions."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._contracts = 0

    async def officer(
        self,
        name: str,
        telegram_id: int | None,
        *,
        role: Role = Role.OFFICER,
        supervisor_id: int | None = None,
        active: bool = True,
        language: str | None = None,
    ) -> int:
        async with self.database.session() as s:
            officer = Officer(
                name=name,
                telegram_id=telegram_id,
                role=role,
                supervisor_id=supervisor_id,
                active=active,
                language=language,
            )
            s.add(officer)
            await s.flush()
            return officer.id

    async def client(
        self,
        code: str,
        officer_id: int,
        *,
        district: str | None = None,
        industry: str | None = None,
        kind: ClientKind = ClientKind.CORPORATE,
        handed_over_on: date | None = None,
        referral_promised: bool = False,
    ) -> int:
        async with self.database.session() as s:
            client = Client(
                code=code,
                name=f"客户{code}",
                kind=kind,
                officer_id=officer_id,
                business_district=district,
                industry=industry,
                handed_over_on=handed_over_on,
                referral_promised=referral_promised,
                # In the bank's books long before any date these tests travel to.
                created_at=IMPORTED_AT,
            )
            s.add(client)
            await s.flush()
            return client.id

    async def loan(
        self,
        client_id: int,
        disbursed_on: date,
        *,
        matures_on: date | None = None,
        amount: int = 1_000_000,
        product: LoanProduct = LoanProduct.WORKING_CAPITAL,
        risk_class: RiskClass = RiskClass.NORMAL,
        days_overdue: int = 0,
    ) -> str:
        """A loan; by default large, normal and running four years (a quarterly client)."""
        self._contracts += 1
        contract = f"HT-{self._contracts:04d}"
        async with self.database.session() as s:
            s.add(
                Loan(
                    contract_no=contract,
                    client_id=client_id,
                    product=product,
                    amount=Decimal(amount),
                    agreed_purpose="周转",
                    disbursed_on=disbursed_on,
                    matures_on=matures_on or disbursed_on + timedelta(days=4 * 365),
                    payment_method=PaymentMethod.ENTRUSTED,
                    risk_class=risk_class,
                    days_overdue=days_overdue,
                )
            )
        return contract

    async def visit(
        self,
        client_id: int,
        finished_on: date,
        *,
        findings: dict[str, Any] | None = None,
        status: VisitStatus = VisitStatus.FINISHED,
    ) -> int:
        """A visit finished at 10:00 Shanghai time on ``finished_on``."""
        finished = at(finished_on).astimezone(UTC)
        async with self.database.session() as s:
            client = await s.get_one(Client, client_id)
            visit = Visit(
                client_id=client_id,
                officer_id=client.officer_id,
                check_type="periodic",
                status=status,
                current="finish",
                findings=findings or {},
                started_at=finished - timedelta(hours=1),
                finished_at=finished if status is VisitStatus.FINISHED else None,
            )
            s.add(visit)
            await s.flush()
            return visit.id

    async def alert(
        self, client_id: int, *, severity: str = "critical", acknowledged: bool = False
    ) -> None:
        visit_id = await self.visit(client_id, date(2026, 9, 1), status=VisitStatus.OPEN)
        async with self.database.session() as s:
            client = await s.get_one(Client, client_id)
            officer = await s.get_one(Officer, client.officer_id)
            s.add(
                Alert(
                    visit_id=visit_id,
                    client_id=client_id,
                    officer_id=officer.id,
                    supervisor_id=officer.supervisor_id,
                    rule_id=f"rule.{client_id}.{severity}",
                    severity=severity,
                    finding={},
                    acknowledged_at=datetime(2026, 9, 2, tzinfo=UTC) if acknowledged else None,
                )
            )


@dataclass
class People:
    """Two teams: 王主管 supervises 张伟 and 李娜, 赵主管 supervises 陈静."""

    supervisor: int
    officer: int
    teammate: int
    other_supervisor: int
    other_officer: int
    admin: int

    def viewer(self, officer_id: int, role: Role = Role.OFFICER) -> Viewer:
        return Viewer(officer_id, 10_000 + officer_id, f"o{officer_id}", role, None, None)


@pytest.fixture
def rules() -> PlanRules:
    return PlanRules(tz=SHANGHAI)


@pytest.fixture
def bank(database: Database) -> Bank:
    return Bank(database)


@pytest.fixture
async def people(bank: Bank) -> People:
    supervisor = await bank.officer("王主管", 2001, role=Role.SUPERVISOR)
    other_supervisor = await bank.officer("赵主管", 2009, role=Role.SUPERVISOR)
    return People(
        supervisor=supervisor,
        officer=await bank.officer("张伟", 3001, supervisor_id=supervisor),
        teammate=await bank.officer("李娜", 3002, supervisor_id=supervisor, language="en"),
        other_supervisor=other_supervisor,
        other_officer=await bank.officer("陈静", 3009, supervisor_id=other_supervisor),
        admin=await bank.officer("管理员", 9001, role=Role.ADMIN),
    )


@pytest.fixture
def planner(database: Database, rules: PlanRules) -> PlanService:
    return PlanService(database, rules)


def make_reminders(database: Database, **policy: Any) -> ReminderService:
    """A fresh service stack, as after a restart."""
    return ReminderService(
        database,
        PlanService(database, PlanRules(tz=SHANGHAI)),
        WorkCalendar(),
        ReminderPolicy(tz=SHANGHAI, **policy),
    )


@pytest.fixture
def reminders(database: Database) -> ReminderService:
    return make_reminders(database)
