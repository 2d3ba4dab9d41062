"""Risk alerts: a warning or critical finding goes to the officer's supervisor, once.

A critical finding is alerted the moment it can be seen, through one path,
:meth:`AlertService.alert_critical`: the visit service calls it after every recorded answer or
look-up, the reading service after every confirmed document field. Warnings are alerted when
the report is submitted. The (visit, rule) pair is unique in the database, so however often a
visit is evaluated, a supervisor hears of each finding one time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from assistant.access import Viewer, record_read
from assistant.db.database import Database
from assistant.db.models import Alert, AuditEntry, Client, Officer, Role, Visit
from assistant.errors import AccessDenied, AssistantError, NotFound
from assistant.portfolio import may_see_client
from assistant.risk.facts import finding_from_json, finding_to_json
from assistant.risk.model import Finding, RiskFacts
from assistant.risk.rules import RiskEngine


class AlreadyAcknowledged(AssistantError):
    key = "alerts.already_acknowledged"


@dataclass(frozen=True)
class Recipient:
    """Someone to message: their chat and the language they read."""

    telegram_id: int
    language: str | None


@dataclass(frozen=True)
class AlertView:
    alert_id: int
    visit_id: int
    client_code: str
    client_name: str
    officer_name: str
    finding: Finding
    created_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class AlertNotice:
    """A new alert and who must hear of it (``None``: the officer has no supervisor)."""

    alert: AlertView
    to: Recipient | None


class AlertService:
    """Stores alerts and says whom to tell.

    Args:
        engine: the risk rules (loaded on first use), for :meth:`alert_critical`.
    """

    def __init__(self, database: Database, engine: Callable[[], RiskEngine]) -> None:
        self.database = database
        self.engine = engine

    async def alert_critical(self, visit_id: int, facts: RiskFacts) -> tuple[AlertNotice, ...]:
        """Alert the critical findings in ``facts`` now, not when the report is submitted (a
        loan spent on something else should not wait); the new alerts."""
        critical = self.engine().critical(facts)
        if not critical:
            return ()
        return tuple(await self.raise_alerts(visit_id, critical))

    async def raise_alerts(self, visit_id: int, findings: Sequence[Finding]) -> list[AlertNotice]:
        """Record the alerting findings not alerted before for this visit; returns the new ones.

        Args:
            visit_id: the visit the findings come from.
            findings: any findings; those below warning are ignored.
        """
        alerting = [f for f in findings if f.severity.alerts]
        if not alerting:
            return []

        def record(session: Session) -> list[AlertNotice]:
            row = session.execute(
                select(Visit, Client, Officer)
                .join(Client, Client.id == Visit.client_id)
                .join(Officer, Officer.id == Visit.officer_id)
                .where(Visit.id == visit_id)
            ).one_or_none()
            if row is None:
                raise NotFound()
            visit, client, officer = row
            already = set(session.scalars(select(Alert.rule_id).where(Alert.visit_id == visit_id)))
            supervisor = (
                session.get(Officer, officer.supervisor_id) if officer.supervisor_id else None
            )
            created: list[Alert] = []
            for finding in alerting:
                if finding.rule_id in already:
                    continue
                already.add(finding.rule_id)
                created.append(
                    Alert(
                        visit_id=visit.id,
                        client_id=client.id,
                        officer_id=officer.id,
                        supervisor_id=officer.supervisor_id,
                        rule_id=finding.rule_id,
                        severity=finding.severity.value,
                        finding=finding_to_json(finding),
                    )
                )
            try:
                # A savepoint: the unit stays usable when the insert is refused.
                with session.begin_nested():
                    session.add_all(created)
            except IntegrityError:
                # Another replica raised the same alerts a moment earlier: they are sent once.
                return []
            for alert in created:
                session.add(
                    AuditEntry(
                        actor_officer_id=officer.id,
                        action="alert.raise",
                        target=str(alert.id),
                        detail={"visit": visit.id, "rule": alert.rule_id},
                    )
                )
            to = (
                Recipient(supervisor.telegram_id, supervisor.language)
                if supervisor is not None and supervisor.telegram_id and supervisor.active
                else None
            )
            return [AlertNotice(_view(alert, client, officer.name), to) for alert in created]

        return await self.database.run_orm(record)

    async def open_alerts(self, viewer: Viewer) -> list[AlertView]:
        """Unacknowledged alerts: a supervisor's team's, an officer's own, all for an admin."""
        author = aliased(Officer)
        query = (
            select(Alert, Client, author.name)
            .join(Client, Client.id == Alert.client_id)
            .join(author, author.id == Alert.officer_id)
            .where(Alert.acknowledged_at.is_(None))
            .order_by(Alert.created_at.desc(), Alert.id.desc())
        )
        if viewer.role is Role.SUPERVISOR:
            query = query.where(Alert.supervisor_id == viewer.officer_id)
        elif not viewer.is_admin:
            query = query.where(Alert.officer_id == viewer.officer_id)
        async with self.database.session() as session:
            rows = (await session.execute(query.limit(50))).all()
        await record_read(self.database, viewer, "alerts.list", count=len(rows))
        return [_view(alert, client, name) for alert, client, name in rows]

    async def acknowledge(self, viewer: Viewer, alert_id: int) -> AlertView:
        """The supervisor has seen the alert. Only they (or an admin) may, and only once.

        Raises:
            NotFound: no such alert, or one on a client the viewer may not see.
            AccessDenied: not this alert's supervisor.
            AlreadyAcknowledged: it was acknowledged before.
        """
        async with self.database.session() as session:
            row = (
                await session.execute(
                    select(Alert, Client, Officer.name)
                    .join(Client, Client.id == Alert.client_id)
                    .join(Officer, Officer.id == Alert.officer_id)
                    # An alert on a client the viewer may not see is "not found": a forged
                    # button must not confirm that it exists.
                    .where(Alert.id == alert_id, may_see_client(viewer))
                )
            ).one_or_none()
            if row is None:
                raise NotFound()
            alert, client, officer_name = row
            if alert.supervisor_id != viewer.officer_id and not viewer.is_admin:
                raise AccessDenied()
            if alert.acknowledged_at is not None:
                raise AlreadyAcknowledged()
            alert.acknowledged_at = self.database.now()
            alert.acknowledged_by_id = viewer.officer_id
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id,
                    action="alert.acknowledge",
                    target=str(alert.id),
                    detail={},
                )
            )
            return _view(alert, client, officer_name)


def _view(alert: Alert, client: Client, officer_name: str) -> AlertView:
    return AlertView(
        alert.id,
        alert.visit_id,
        client.code,
        client.name,
        officer_name,
        finding_from_json(alert.finding),
        alert.created_at,
        alert.acknowledged_at,
    )
