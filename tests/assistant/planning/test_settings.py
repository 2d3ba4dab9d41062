from datetime import time

import pytest
from pydantic import ValidationError

from assistant.config import Settings
from assistant.planning.plan import PlanRules, PlanService
from assistant.planning.reminders import ReminderPolicy
from assistant.services import Services

from ...conftest import Team


def test_planning_settings_have_the_documented_defaults():
    settings = Settings(_env_file=None)
    rules = PlanRules.from_settings(settings)
    assert (rules.periodic_days_watch, rules.periodic_days_normal, rules.periodic_days_best) == (
        30,
        90,
        180,
    )
    assert rules.first_check_days == settings.first_check_days == 30
    assert "房地产" in rules.high_risk_industries
    policy = ReminderPolicy.from_settings(settings)
    assert (policy.reminder_time, policy.quiet_start, policy.quiet_end) == (
        time(9, 0),
        time(21, 0),
        time(8, 0),
    )
    assert policy.escalation_grace_days == 0 and policy.due_soon_days == 3


def test_lists_and_times_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("PLAN_HIGH_RISK_INDUSTRIES", "房地产、 煤炭,光伏")
    monkeypatch.setenv("REMINDER_TIME", "08:30")
    monkeypatch.setenv("QUIET_HOURS", "")
    settings = Settings(_env_file=None)
    assert settings.plan_high_risk_industries == frozenset({"房地产", "煤炭", "光伏"})
    policy = ReminderPolicy.from_settings(settings)
    assert policy.reminder_time == time(8, 30)
    assert not policy.quiet(time(23, 0)), "an empty QUIET_HOURS means none"


@pytest.mark.parametrize(("name", "value"), [("REMINDER_TIME", "9:00"), ("QUIET_HOURS", "21-8")])
def test_malformed_times_are_refused_at_start(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings(_env_file=None)


async def test_built_from_the_services_settings_on_the_shared_team(services: Services, team: Team):
    planner = PlanService(services.database, PlanRules.from_settings(services.settings))
    today = services.today()
    supervisor = await services.access.viewer(team.supervisor)
    assert supervisor is not None

    progress = await planner.team_progress(supervisor, today.year, today.month, today=today)
    everyone = await planner.plans_for_all(today.year, today.month, today=today)

    assert {row.name for row in progress.officers} == {"张伟", "李娜", "刘洋"}
    assert {row.name: row.attended for row in progress.officers}["刘洋"] is False
    assert [(u.client_code, u.why) for u in everyone.unattended] == [("C004", "not_joined")]
