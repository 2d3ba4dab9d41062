"""Month plans and team progress, read from the database in one pass; snoozes, reschedules and
survey trips, written with access checks. The rules themselves are in :mod:`.rules`."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select

from assistant.access import Viewer, record_read
from assistant.clock import local_date, start_of_day
from assistant.data.vocabulary import Bilingual
from assistant.db.database import Database
from assistant.db.models import (
    MADE_VISITS,
    Alert,
    AuditEntry,
    Client,
    Loan,
    LoanProduct,
    Officer,
    RiskClass,
    Role,
    ScheduleChange,
    SurveyTrip,
    Visit,
)
from assistant.errors import AccessDenied, InvalidInput, NotFound
from assistant.planning.inputs import (
    ClientFacts,
    LoanFacts,
    Period,
    PlanRules,
    Snapshot,
    month_bounds,
)
from assistant.planning.model import (
    AllPlans,
    MonthPlan,
    OfficerInfo,
    OfficerProgress,
    ScheduleChangeView,
    TeamProgress,
    TripView,
    UnattendedClient,
)
from assistant.planning.rules import Planner
from assistant.portfolio import ClientCard, may_see_client

# Keeps IN (...) lists well below the bind-parameter limits of SQLite and asyncpg.
_CHUNK = 500

__all__ = ["PlanRules", "PlanService", "month_bounds"]


class PlanService:
    """Builds month plans and team progress from the portfolio. Every method takes ``today``
    or ``now`` from the caller: nothing here reads the clock, so tests can move time."""

    def __init__(self, database: Database, rules: PlanRules) -> None:
        self.database = database
        self.rules = rules
        self.planner = Planner(rules)

    def next_check(
        self, card: ClientCard, checked_on: date, *, closer: bool
    ) -> tuple[date, Bilingual] | None:
        """When the client of ``card``, checked on ``checked_on``, is next due a check (see
        :meth:`Planner.next_check`); the same rules as the month plan, so the two agree."""
        loans = [
            LoanFacts(
                loan.contract_no,
                LoanProduct(loan.product),
                loan.amount,
                loan.disbursed_on,
                loan.matures_on,
                RiskClass(loan.risk_class),
                loan.days_overdue,
            )
            for loan in card.loans
        ]
        return self.planner.next_check(loans, checked_on, closer=closer)

    # ------------------------------------------------------------------------- plans
    async def month_plan(
        self,
        viewer_or_officer_id: Viewer | int,
        year: int,
        month: int,
        *,
        today: date,
        of: int | None = None,
    ) -> MonthPlan:
        """One officer's plan for a month.

        Args:
            viewer_or_officer_id: the person asking (their own plan), or an officer id for
                internal callers such as the reminders (no access check).
            year: the plan's year.
            month: the plan's month, 1–12.
            today: the date to judge due and overdue by.
            of: another officer's id: a supervisor may see their team's plans, an admin anyone's.

        Raises:
            AccessDenied: ``of`` names someone outside the viewer's team.
            NotFound: no such officer.
        """
        if isinstance(viewer_or_officer_id, Viewer):
            officer_id = await self._plan_owner(viewer_or_officer_id, of)
        else:
            officer_id = viewer_or_officer_id
        period = self._period(year, month, today)
        portfolio = await self._load(period, officer_ids=[officer_id])
        if officer_id not in portfolio.officers:
            raise NotFound()
        plans = await self._plans(portfolio, period)
        plan = plans.get(officer_id) or self._empty_plan(portfolio.officers[officer_id], period)
        if isinstance(viewer_or_officer_id, Viewer):
            await record_read(
                self.database,
                viewer_or_officer_id,
                "plan.view",
                f"{year}-{month:02d}",
                officer=officer_id,
                visits=len(plan.visits),
            )
        return plan

    async def due_checks(self, officer_id: int, client_code: str, *, today: date) -> set[str]:
        """The checks this month's plan has due for the client (``purpose``, ``periodic``,
        ``focused``), as a visit opened today should make them; empty when none is due. A
        renewal-intent reason is made as a periodic check (the checklist has no renewal variant).
        """
        period = self._period(today.year, today.month, today)
        # A client's due reasons depend on that client's loans, visits, alerts and changes
        # alone: only its rows are read, and planning one client is too little work for a
        # thread (this runs at every /visit that opens a visit).
        portfolio = await self._load(period, officer_ids=[officer_id], client_code=client_code)
        plan = self.planner.plans(portfolio, period).get(officer_id)
        visits = plan.visits if plan is not None else ()
        planned = next((v for v in visits if v.client_code == client_code), None)
        if planned is None:
            return set()
        return {reason.check_type.visit_check_type for reason in planned.reasons}

    async def plans_for_all(self, year: int, month: int, *, today: date) -> AllPlans:
        """Every attended officer's plan in one pass over the portfolio, and the clients of
        officers who are inactive or have never joined (for the admin).

        An attended officer (active, joined) gets a plan, empty if nothing is due, when they
        are a loan officer or hold clients; supervisors and admins without clients get none.
        """
        period = self._period(year, month, today)
        portfolio = await self._load(period, officer_ids=None)
        plans = await self._plans(portfolio, period)
        holders = {c.officer_id for c in portfolio.clients}
        attended: dict[int, MonthPlan] = {}
        for officer in portfolio.officers.values():
            if not officer.attended:
                continue
            if officer.role is Role.OFFICER or officer.id in holders:
                attended[officer.id] = plans.get(officer.id) or self._empty_plan(officer, period)
        unattended: list[UnattendedClient] = []
        for client in portfolio.clients:
            officer = portfolio.officers[client.officer_id]
            if officer.attended:
                continue
            plan = plans.get(officer.id)
            unattended.append(
                UnattendedClient(
                    client.code,
                    client.name,
                    officer.id,
                    officer.name,
                    "inactive" if not officer.active else "not_joined",
                    plan.visit_for(client.code) if plan else None,
                )
            )
        unattended.sort(key=lambda u: u.client_code)
        return AllPlans(attended, tuple(unattended), portfolio.officers)

    async def team_progress(
        self, viewer: Viewer, year: int, month: int, *, today: date
    ) -> TeamProgress:
        """Plan completion, overdue visits and open alerts per officer of the viewer's team,
        with the team's loans per five-tier class.

        A supervisor sees the officers they supervise (and themselves if they hold clients);
        an admin sees everyone who holds clients.

        Raises:
            AccessDenied: the viewer is a plain officer.
        """
        if viewer.role is Role.OFFICER:
            raise AccessDenied()
        period = self._period(year, month, today)

        def read(conn: Connection) -> tuple[dict[int, OfficerInfo], set[int]]:
            holders = set(conn.scalars(select(Client.officer_id).distinct()))
            return self._officers(conn), holders

        everyone, holders = await self.database.read(read)
        if viewer.is_admin:
            team = [o for o in everyone.values() if o.id in holders or o.role is Role.OFFICER]
        else:
            team = [
                o
                for o in everyone.values()
                if o.supervisor_id == viewer.officer_id
                or (o.id == viewer.officer_id and o.id in holders)
            ]
        ids = [o.id for o in team]
        portfolio = await self._load(period, officer_ids=ids)
        plans = await self._plans(portfolio, period)
        rows = []
        for officer in sorted(team, key=lambda o: (o.name, o.id)):
            plan = plans.get(officer.id)
            rows.append(
                OfficerProgress(
                    officer.id,
                    officer.name,
                    officer.staff_no,
                    officer.attended,
                    plan.planned if plan else 0,
                    plan.done if plan else 0,
                    plan.overdue if plan else 0,
                    portfolio.open_alerts_by_officer.get(officer.id, 0),
                )
            )
        distribution = dict.fromkeys(RiskClass, 0)
        for loans in portfolio.loans.values():
            for loan in loans:
                if self.planner.outstanding(loan, period):
                    distribution[loan.risk_class] += 1
        return TeamProgress(year, month, today, tuple(rows), distribution)

    # ------------------------------------------------------------------------- changes
    async def add_trip(
        self,
        viewer: Viewer,
        on: date,
        district: str,
        note: str | None = None,
        *,
        now: datetime,
    ) -> TripView:
        """Record a pre-loan survey trip, so planned visits in that district are suggested.

        Raises:
            InvalidInput: an empty or overlong district or note, or a date in the past.
        """
        district = " ".join(district.split())
        note = note.strip() if note else None
        if not district or len(district) > 100:
            raise InvalidInput("plan.bad_district")
        if note is not None and len(note) > 300:
            raise InvalidInput("plan.bad_note")
        if on < self._today(now):
            raise InvalidInput("plan.date_in_past", on=on.isoformat())
        async with self.database.session() as session:
            trip = SurveyTrip(
                officer_id=viewer.officer_id,
                on=on,
                district=district,
                note=note,
                created_at=now,
            )
            session.add(trip)
            await session.flush()
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id,
                    action="plan.trip",
                    target=str(trip.id),
                    detail={"on": on.isoformat()},
                    at=now,
                )
            )
            return TripView(trip.id, trip.on, trip.district, trip.note)

    async def snooze(
        self,
        viewer: Viewer,
        client_code: str,
        until: date,
        *,
        now: datetime,
        reason: str | None = None,
    ) -> ScheduleChangeView:
        """Hide a client's planned visit from reminders until ``until`` (it stays in the plan).
        Escalations are not silenced: a first purpose check past its deadline still goes up.

        Raises:
            NotFound: no such client among those the viewer may see.
            InvalidInput: ``until`` is not after today.
        """
        if until <= self._today(now):
            raise InvalidInput("plan.date_in_past", on=until.isoformat())
        return await self._change(viewer, client_code, now, reason, snoozed_until=until)

    async def reschedule(
        self,
        viewer: Viewer,
        client_code: str,
        due_on: date,
        *,
        now: datetime,
        reason: str | None = None,
    ) -> ScheduleChangeView:
        """Move a client's planned visit to ``due_on``, until the next visit is finished.

        Raises:
            NotFound: no such client among those the viewer may see.
            InvalidInput: ``due_on`` is before today.
        """
        if due_on < self._today(now):
            raise InvalidInput("plan.date_in_past", on=due_on.isoformat())
        return await self._change(viewer, client_code, now, reason, due_on=due_on)

    async def _change(
        self,
        viewer: Viewer,
        client_code: str,
        now: datetime,
        reason: str | None,
        *,
        due_on: date | None = None,
        snoozed_until: date | None = None,
    ) -> ScheduleChangeView:
        code = client_code.strip().upper()
        async with self.database.session() as session:
            client = await session.scalar(
                select(Client).where(may_see_client(viewer), func.upper(Client.code) == code)
            )
            if client is None:
                raise NotFound("client.not_found", code=client_code.strip()[:32])
            session.add(
                ScheduleChange(
                    client_id=client.id,
                    # The system actor (CLI) has no officer record: the change is the client's
                    # officer's.
                    officer_id=viewer.officer_id or client.officer_id,
                    due_on=due_on,
                    snoozed_until=snoozed_until,
                    reason=(reason or "").strip()[:200] or None,
                    created_at=now,
                )
            )
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id or None,
                    action="plan.snooze" if snoozed_until else "plan.reschedule",
                    target=client.code,
                    detail={"date": (snoozed_until or due_on or self._today(now)).isoformat()},
                    at=now,
                )
            )
            return ScheduleChangeView(client.code, client.name, due_on, snoozed_until)

    # ------------------------------------------------------------------------- helpers
    def _today(self, now: datetime) -> date:
        return local_date(now, self.rules.tz)

    def _period(self, year: int, month: int, today: date) -> Period:
        start, end = month_bounds(year, month)
        return Period(year, month, start, end, today)

    async def _plan_owner(self, viewer: Viewer, of: int | None) -> int:
        if of is None or of == viewer.officer_id:
            return viewer.officer_id
        if viewer.is_admin:
            return of
        async with self.database.session() as session:
            officer = await session.get(Officer, of)
        if officer is None:
            raise NotFound()
        if viewer.is_supervisor and officer.supervisor_id == viewer.officer_id:
            return of
        raise AccessDenied()

    async def _plans(self, portfolio: Snapshot, period: Period) -> dict[int, MonthPlan]:
        # Applying the rules to ten thousand clients takes a few hundred milliseconds of pure
        # Python: in a thread, so that the bot keeps answering meanwhile.
        return await asyncio.to_thread(self.planner.plans, portfolio, period)

    def _empty_plan(self, officer: OfficerInfo, period: Period) -> MonthPlan:
        return MonthPlan(
            officer.id, officer.name, period.year, period.month, period.today, (), (), ()
        )

    def _local_midnight(self, day: date) -> datetime:
        return start_of_day(day, self.rules.tz)

    def _local_date(self, moment: datetime) -> date:
        return local_date(moment, self.rules.tz)

    # ------------------------------------------------------------------------- loading
    def _officers(self, conn: Connection, scope: _Scope | None = None) -> dict[int, OfficerInfo]:
        query = select(
            Officer.id,
            Officer.name,
            Officer.role,
            Officer.active,
            Officer.telegram_id,
            Officer.supervisor_id,
            Officer.language,
            Officer.staff_no,
        )
        if scope is not None and scope.code is not None and scope.ids is not None:
            # One client's due check: its officer is all the plan names, not the whole bank.
            query = query.where(Officer.id.in_(scope.ids))
        return {row[0]: OfficerInfo(*row) for row in conn.execute(query)}

    async def _load(
        self,
        period: Period,
        *,
        officer_ids: Collection[int] | None,
        client_code: str | None = None,
    ) -> Snapshot:
        """Read the portfolio of ``officer_ids`` (everyone's for ``None``), or only their client
        ``client_code``, as plain tuples: ORM objects for ten thousand clients would cost more
        than the planning itself."""
        scope = _Scope(list(officer_ids) if officer_ids is not None else None, client_code)
        month = (
            self._local_midnight(period.start),
            self._local_midnight(period.end + timedelta(days=1)),
        )

        def read(conn: Connection) -> Snapshot:
            return Snapshot(
                self._officers(conn, scope),
                self._clients(conn, scope),
                self._loans(conn, scope),
                self._last_visits(conn, scope, before=month[0]),
                self._visits_between(conn, scope, *month),
                *self._open_alerts(conn, scope),
                *self._changes(conn, scope.in_scope),
                self._trips(conn, scope, period),
            )

        # One unit of work: eight reads with one thread hop on SQLite, not one per statement.
        return await self.database.read(read)

    def _clients(self, conn: Connection, scope: _Scope) -> list[ClientFacts]:
        query = select(
            Client.id,
            Client.code,
            Client.name,
            Client.kind,
            Client.business_district,
            Client.industry,
            Client.officer_id,
            Client.handed_over_on,
            Client.referral_promised,
            Client.created_at,
        )
        rows = conn.execute(scope.clients(query).order_by(Client.code))
        return [ClientFacts(*row[:-1], known_since=self._local_date(row[-1])) for row in rows]

    def _loans(self, conn: Connection, scope: _Scope) -> dict[int, list[LoanFacts]]:
        query = select(
            Loan.client_id,
            Loan.contract_no,
            Loan.product,
            Loan.amount,
            Loan.disbursed_on,
            Loan.matures_on,
            Loan.risk_class,
            Loan.days_overdue,
        ).order_by(Loan.disbursed_on, Loan.id)
        loans: dict[int, list[LoanFacts]] = defaultdict(list)
        for client_id, *rest in conn.execute(scope.of_clients(query, Loan.client_id)):
            loans[client_id].append(LoanFacts(*rest))
        return loans

    def _last_visits(
        self, conn: Connection, scope: _Scope, *, before: datetime
    ) -> dict[int, tuple[date, dict[str, Any]]]:
        """Each client's last finished visit before the month: its day and its findings."""
        ranked = select(
            Visit.client_id,
            Visit.finished_at,
            Visit.findings,
            func.row_number()
            .over(
                partition_by=Visit.client_id,
                order_by=(Visit.finished_at.desc(), Visit.id.desc()),
            )
            .label("rank"),
        ).where(Visit.status.in_(MADE_VISITS), Visit.finished_at < before)
        last = scope.of_clients(ranked, Visit.client_id).subquery()
        rows = conn.execute(
            select(last.c.client_id, last.c.finished_at, last.c.findings).where(last.c.rank == 1)
        )
        return {
            client_id: (self._local_date(at), findings or {}) for client_id, at, findings in rows
        }

    def _visits_between(
        self, conn: Connection, scope: _Scope, start: datetime, end: datetime
    ) -> dict[int, list[date]]:
        query = select(Visit.client_id, Visit.finished_at).where(
            Visit.status.in_(MADE_VISITS),
            Visit.finished_at >= start,
            Visit.finished_at < end,
        )
        visits: dict[int, list[date]] = defaultdict(list)
        for client_id, at in conn.execute(scope.of_clients(query, Visit.client_id)):
            visits[client_id].append(self._local_date(at))
        return visits

    def _open_alerts(
        self, conn: Connection, scope: _Scope
    ) -> tuple[dict[int, list[str]], dict[int, int]]:
        """Open alerts by client for the focus rules, and counted by officer for the team view:
        an alert stays with the officer who raised it when the client is handed over."""
        query = select(Alert.client_id, Alert.officer_id, Alert.severity)
        if scope.ids is not None:
            query = query.where(
                or_(Alert.officer_id.in_(scope.ids), Alert.client_id.in_(scope.in_scope))
            )
        open_alerts: dict[int, list[str]] = defaultdict(list)
        by_officer: dict[int, int] = defaultdict(int)
        for client_id, officer_id, severity in conn.execute(
            query.where(Alert.acknowledged_at.is_(None))
        ):
            open_alerts[client_id].append(severity)
            by_officer[officer_id] += 1
        return open_alerts, by_officer

    def _trips(
        self, conn: Connection, scope: _Scope, period: Period
    ) -> list[tuple[int, int, date, str, str | None]]:
        query = select(
            SurveyTrip.id,
            SurveyTrip.officer_id,
            SurveyTrip.on,
            SurveyTrip.district,
            SurveyTrip.note,
        ).where(SurveyTrip.on >= period.start, SurveyTrip.on <= period.end)
        rows = conn.execute(
            scope.of(query, SurveyTrip.officer_id).order_by(SurveyTrip.on, SurveyTrip.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def _changes(
        self, conn: Connection, in_scope: Any | None
    ) -> tuple[dict[int, date], dict[int, date]]:
        """The reschedules and snoozes in force: the newest of each kind per client, made
        after the client's last finished visit (a finished visit ends them)."""
        query = select(
            ScheduleChange.client_id,
            ScheduleChange.due_on,
            ScheduleChange.snoozed_until,
            ScheduleChange.created_at,
        ).order_by(ScheduleChange.created_at, ScheduleChange.id)
        if in_scope is not None:
            query = query.where(ScheduleChange.client_id.in_(in_scope))
        changes = conn.execute(query).all()
        if not changes:
            return {}, {}
        client_ids = sorted({row[0] for row in changes})
        last_finished: dict[int, datetime] = {}
        for chunk in _chunks(client_ids):
            for client_id, at in conn.execute(
                select(Visit.client_id, func.max(Visit.finished_at))
                .where(Visit.status.in_(MADE_VISITS), Visit.client_id.in_(chunk))
                .group_by(Visit.client_id)
            ):
                if at is not None:
                    last_finished[client_id] = at
        reschedules: dict[int, date] = {}
        snoozes: dict[int, date] = {}
        for client_id, due_on, snoozed_until, created_at in changes:
            visited = last_finished.get(client_id)
            if visited is not None and visited >= created_at:
                continue
            if due_on is not None:
                reschedules[client_id] = due_on
            if snoozed_until is not None:
                snoozes[client_id] = snoozed_until
        return reschedules, snoozes


@dataclass(frozen=True)
class _Scope:
    """Whose portfolio is read: some officers' (``ids``), or everyone's (``None``)."""

    ids: list[int] | None
    # One client of theirs, by code (a visit's due check), or all of them.
    code: str | None = None

    @property
    def in_scope(self) -> Any | None:
        """The ids of the clients in scope, as a subquery; ``None`` for everyone's."""
        if self.ids is None:
            return None
        clients = select(Client.id).where(Client.officer_id.in_(self.ids))
        return clients if self.code is None else clients.where(Client.code == self.code)

    def clients(self, query: Any) -> Any:
        """A query of clients limited to those in scope."""
        query = self.of(query, Client.officer_id)
        return query if self.code is None else query.where(Client.code == self.code)

    def of(self, query: Any, officer_column: Any) -> Any:
        """``query`` limited to the officers in scope, by its officer column."""
        return query if self.ids is None else query.where(officer_column.in_(self.ids))

    def of_clients(self, query: Any, client_column: Any) -> Any:
        """``query`` limited to the clients in scope, by its client column."""
        return query if self.ids is None else query.where(client_column.in_(self.in_scope))


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
