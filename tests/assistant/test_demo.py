"""The demo portfolio is dated as of the day its database is made: a console demo started a year
from now shows a loan paid out last week, not every visit a year overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.access import AccessService
from assistant.clock import TravelClock
from assistant.db.models import Officer
from assistant.demo import SAMPLE_AS_OF, seed_demo
from assistant.services import build_services
from samples.make_samples import AS_OF

SHANGHAI = ZoneInfo("Asia/Shanghai")
# In the sample, C1002's second loan was paid out five days before the day it was written for.
NEWEST_LOAN = date(2026, 11, 24)


@pytest.fixture(
    params=[
        pytest.param(datetime(2028, 2, 29, 23, 50, tzinfo=SHANGHAI), id="leap-day-late"),
        pytest.param(datetime(2027, 3, 15, 2, 30, tzinfo=SHANGHAI), id="a-year-on-early"),
    ]
)
def clock(request: pytest.FixtureRequest) -> TravelClock:
    return TravelClock(request.param)


def test_the_demo_knows_the_day_the_sample_was_written_for():
    assert SAMPLE_AS_OF == AS_OF


async def test_the_demo_portfolio_is_dated_as_of_the_day_it_is_made(settings, sqlite_db, knowledge):
    services = build_services(settings, database=sqlite_db, knowledge=knowledge)
    await services.start()
    assert await seed_demo(services)
    today = services.today()

    card = await services.portfolio.client_card(AccessService.system_actor(), "C1002", today=today)
    newest = max(card.loans, key=lambda loan: loan.disbursed_on)
    assert newest.disbursed_on == today - (AS_OF - NEWEST_LOAN)
    assert newest.days_since_disbursement == (AS_OF - NEWEST_LOAN).days
    assert newest.days_to_maturity > 300

    async with services.database.session() as session:
        officer = await session.scalar(select(Officer).where(Officer.staff_no == "E1001"))
    assert officer is not None
    plan = await services.plans.month_plan(officer.id, today.year, today.month, today=today)
    assert plan.visits, "the demo officer has visits to make this month"
    assert max(visit.days_overdue for visit in plan.visits) < 60, "not a year overdue"
    assert all(visit.due_on > today - timedelta(days=90) for visit in plan.visits)
