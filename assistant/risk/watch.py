"""Critical findings alerted the moment their answer is recorded, not only at submission."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from assistant.alerts import AlertNotice, AlertService
from assistant.portfolio import ClientCard
from assistant.risk.facts import facts_for
from assistant.risk.rules import RiskEngine
from assistant.visits.service import RecordedAnswer


class RiskWatch:
    """Given to the visit service, which calls it after every recorded answer or look-up."""

    def __init__(self, engine: Callable[[], RiskEngine], alerts: AlertService) -> None:
        self.engine = engine
        self.alerts = alerts

    async def __call__(
        self,
        visit_id: int,
        card: ClientCard,
        check_type: str,
        answers: Mapping[str, RecordedAnswer],
        findings: Mapping[str, str],
        visit_date: date,
    ) -> tuple[AlertNotice, ...]:
        facts = facts_for(card, check_type, answers, findings, visit_date=visit_date)
        critical = self.engine().critical(facts)
        if not critical:
            return ()
        return tuple(await self.alerts.raise_alerts(visit_id, critical))
