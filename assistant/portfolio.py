"""Read access to the loan portfolio, filtered by who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from assistant.access import Viewer
from assistant.db.database import Database
from assistant.db.models import (
    CLOSED_VISITS,
    AuditEntry,
    Client,
    ClientKind,
    Loan,
    Officer,
    Role,
    Visit,
)
from assistant.errors import NotFound


@dataclass(frozen=True)
class ClientRow:
    code: str
    name: str
    kind: ClientKind
    officer_name: str
    district: str | None
    loan_count: int
    total_amount: Decimal


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class GuarantorView:
    name: str
    kind: ClientKind
    relationship: str | None
    amount: Decimal | None


@dataclass(frozen=True)
class CollateralView:
    type: str
    location: str | None
    area_sqm: Decimal | None
    appraised_value: Decimal | None
    appraised_on: date | None
    registration_no: str


@dataclass(frozen=True)
class LoanView:
    contract_no: str
    product: str
    amount: Decimal
    agreed_purpose: str
    disbursed_on: date
    matures_on: date
    days_since_disbursement: int
    days_to_maturity: int
    payment_method: str
    risk_class: str
    days_overdue: int
    guarantors: list[GuarantorView]
    collateral: list[CollateralView]


@dataclass(frozen=True)
class ClientCard:
    code: str
    name: str
    kind: ClientKind
    industry: str | None
    address: str | None
    district: str | None
    has_coordinates: bool
    officer_name: str
    handed_over_on: date | None
    loans: list[LoanView]
    # Defaulted so that cards built without them (tests, benchmarks) still construct.
    credit_code: str | None = None
    legal_representative: str | None = None
    # The viewer's own visit to the client not finished yet, by its status (open, paused,
    # to_complete: 待补充, reopened), so the card says there is one to continue.
    visit_status: str | None = None
    # Where the client is on file (latitude, longitude), for the check-in's distance.
    position: tuple[float, float] | None = None


def may_see_client(viewer: Viewer) -> ColumnElement[bool]:
    """Clients this viewer may see: their own; a supervisor's team's; everything for an admin."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.SUPERVISOR:
        team = select(Officer.id).where(Officer.supervisor_id == viewer.officer_id)
        return or_(Client.officer_id == viewer.officer_id, Client.officer_id.in_(team))
    return Client.officer_id == viewer.officer_id


class PortfolioService:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def count_clients(self) -> int:
        """How many clients the portfolio holds (no access filter: for the operator's CLI)."""
        async with self.database.session() as session:
            return await session.scalar(select(func.count()).select_from(Client)) or 0

    async def list_clients(
        self, viewer: Viewer, *, page: int = 1, page_size: int = 10
    ) -> ClientPage:
        """One page of the clients this viewer may see; the look is in the audit log."""
        visible = may_see_client(viewer)
        async with self.database.session() as session:
            total = (
                await session.scalar(select(func.count()).select_from(Client).where(visible)) or 0
            )
            pages = max(1, -(-total // page_size))
            page = min(max(page, 1), pages)
            query = (
                select(
                    Client,
                    Officer.name,
                    func.count(Loan.id),
                    func.coalesce(func.sum(Loan.amount), 0),
                )
                .join(Officer, Officer.id == Client.officer_id)
                .outerjoin(Loan, Loan.client_id == Client.id)
                .where(visible)
                .group_by(Client.id, Officer.name)
                .order_by(Client.code)
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
            rows = [
                ClientRow(
                    c.code,
                    c.name,
                    c.kind,
                    officer_name,
                    c.business_district,
                    count,
                    Decimal(total_amount),
                )
                for c, officer_name, count, total_amount in (await session.execute(query)).all()
            ]
            # One entry per page shown: how many, never who.
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id or None,
                    action="clients.list",
                    target=None,
                    detail={"page": page, "count": len(rows), "total": total},
                )
            )
        return ClientPage(rows, page, pages, total)

    async def client_card(
        self, viewer: Viewer, code: str, *, today: date, audit: bool = True
    ) -> ClientCard:
        """One client with loans, guarantors and collateral.

        Raises:
            NotFound: no such client, or one this viewer may not see (indistinguishable on purpose).
        """
        query = (
            select(Client)
            .where(may_see_client(viewer), func.upper(Client.code) == code.strip().upper())
            .options(
                selectinload(Client.officer),
                selectinload(Client.loans).selectinload(Loan.guarantors),
                selectinload(Client.loans).selectinload(Loan.collateral),
            )
        )

        # One unit of work (the card is read at every visit's start and every half minute of a
        # visit): five reads and the audit row with one thread hop on SQLite. Unaudited, it
        # only reads, beside whatever is being written.
        def read(conn: Connection) -> ClientCard:
            with Session(bind=conn) as session:
                return self._card(session, viewer, code, query, today=today, audit=audit)

        return await (self.database.run if audit else self.database.read)(read)

    @staticmethod
    def _card(
        session: Session, viewer: Viewer, code: str, query: Any, *, today: date, audit: bool
    ) -> ClientCard:
        client = session.scalar(query)
        if client is None:
            raise NotFound("client.not_found", code=code.strip()[:32])
        if audit:
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id or None,
                    action="client.view",
                    target=client.code,
                    detail={},
                )
            )
        loans = [
            LoanView(
                loan.contract_no,
                loan.product.value,
                loan.amount,
                loan.agreed_purpose,
                loan.disbursed_on,
                loan.matures_on,
                (today - loan.disbursed_on).days,
                (loan.matures_on - today).days,
                loan.payment_method.value,
                loan.risk_class.value,
                loan.days_overdue,
                [
                    GuarantorView(g.name, g.kind, g.relationship_to_borrower, g.guaranteed_amount)
                    for g in loan.guarantors
                ],
                [
                    CollateralView(
                        c.type,
                        c.location,
                        c.area_sqm,
                        c.appraised_value,
                        c.appraised_on,
                        c.registration_no,
                    )
                    for c in loan.collateral
                ],
            )
            for loan in client.loans
        ]
        visit_status = session.scalar(
            select(Visit.status)
            .where(
                Visit.client_id == client.id,
                Visit.officer_id == viewer.officer_id,
                Visit.status.not_in(CLOSED_VISITS),
            )
            .order_by(Visit.id.desc())
            .limit(1)
        )
        session.flush()  # the audit row, committed with the unit
        return ClientCard(
            client.code,
            client.name,
            client.kind,
            client.industry,
            client.registered_address,
            client.business_district,
            client.latitude is not None,
            client.officer.name,
            client.handed_over_on,
            loans,
            credit_code=client.credit_code,
            legal_representative=client.legal_representative,
            visit_status=visit_status.value if visit_status is not None else None,
            position=(float(client.latitude), float(client.longitude))
            if client.latitude is not None and client.longitude is not None
            else None,
        )
