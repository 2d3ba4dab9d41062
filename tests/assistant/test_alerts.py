"""Alerts reach the right supervisor once, and only they may acknowledge them."""

import pytest
from sqlalchemy import update

from assistant.alerts import AlreadyAcknowledged
from assistant.data.vocabulary import Bilingual
from assistant.db.models import Officer
from assistant.errors import AccessDenied, NotFound
from assistant.risk.model import Finding, Severity
from tests.conftest import Team, record_finished_visit


def finding(rule_id: str, severity: Severity) -> Finding:
    text = Bilingual(zh=f"{rule_id} 中文", en=f"{rule_id} english")
    return Finding(rule_id, severity, text, text, (), (text,))


async def test_warning_and_critical_findings_are_alerted_once(services, team: Team):
    visit_id = await record_finished_visit(services)
    findings = [
        finding("use.not_as_agreed", Severity.CRITICAL),
        finding("staff.low_presence", Severity.WARNING),
        finding("market.worse", Severity.ATTENTION),
    ]
    first = await services.alerts.raise_alerts(visit_id, findings)
    assert [n.alert.finding.rule_id for n in first] == ["use.not_as_agreed", "staff.low_presence"]
    assert {n.to.telegram_id for n in first if n.to} == {team.supervisor}
    assert await services.alerts.raise_alerts(visit_id, findings) == []


async def test_each_sees_the_alerts_that_are_theirs(services, team: Team):
    visit_id = await record_finished_visit(services)
    critical = finding("use.misappropriation", Severity.CRITICAL)
    await services.alerts.raise_alerts(visit_id, [critical])
    viewer = services.access.viewer
    assert len(await services.alerts.open_alerts(await viewer(team.supervisor))) == 1
    assert len(await services.alerts.open_alerts(await viewer(team.officer))) == 1
    assert await services.alerts.open_alerts(await viewer(team.other_supervisor)) == []
    assert await services.alerts.open_alerts(await viewer(team.teammate)) == []


async def test_only_the_supervisor_acknowledges_and_only_once(services, team: Team):
    visit_id = await record_finished_visit(services)
    (notice,) = await services.alerts.raise_alerts(
        visit_id, [finding("use.real_estate", Severity.CRITICAL)]
    )
    alert_id = notice.alert.alert_id
    viewer = services.access.viewer
    # The officer sees the alert but may not acknowledge it; another team's supervisor is
    # not told it exists.
    with pytest.raises(AccessDenied):
        await services.alerts.acknowledge(await viewer(team.officer), alert_id)
    with pytest.raises(NotFound):
        await services.alerts.acknowledge(await viewer(team.other_supervisor), alert_id)
    done = await services.alerts.acknowledge(await viewer(team.supervisor), alert_id)
    assert done.acknowledged_at is not None
    with pytest.raises(AlreadyAcknowledged):
        await services.alerts.acknowledge(await viewer(team.supervisor), alert_id)
    assert await services.alerts.open_alerts(await viewer(team.supervisor)) == []


async def test_an_officer_without_a_supervisor_still_has_the_alert_recorded(services, team):
    async with services.database.session() as s:
        await s.execute(update(Officer).values(supervisor_id=None))
    visit_id = await record_finished_visit(services)
    (notice,) = await services.alerts.raise_alerts(
        visit_id, [finding("loan.overdue", Severity.CRITICAL)]
    )
    assert notice.to is None
    assert len(await services.alerts.open_alerts(await services.access.viewer(team.officer))) == 1
