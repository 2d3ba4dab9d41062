"""What the planner works from: the planning settings, the facts of each client and loan, the
visits finished before the month, and the month itself."""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from assistant.config import Settings
from assistant.db.models import ClientKind, LoanProduct, RiskClass
from assistant.errors import InvalidInput
from assistant.planning.model import OfficerInfo


@dataclass(frozen=True)
class PlanRules:
    """The planning settings (see :class:`~assistant.config.Settings` for their meaning)."""

    tz: ZoneInfo
    first_check_days: int = 30
    periodic_days_normal: int = 90
    periodic_days_best: int = 180
    periodic_days_watch: int = 30
    best_max_amount: Decimal = Decimal(300_000)
    short_loan_months: int = 12
    new_loan_days: int = 180
    renewal_window_days: int = 90
    renewal_lead_days: int = 30
    focused_overdue_days: int = 1
    handover_days: int = 180
    high_risk_industries: frozenset[str] = frozenset({"房地产", "建筑", "钢贸", "煤炭", "光伏"})

    @classmethod
    def from_settings(cls, settings: Settings) -> PlanRules:
        """The rules as configured."""
        return cls(
            tz=settings.tz,
            first_check_days=settings.first_check_days,
            periodic_days_normal=settings.plan_periodic_days_normal,
            periodic_days_best=settings.plan_periodic_days_best,
            periodic_days_watch=settings.plan_periodic_days_watch,
            best_max_amount=Decimal(settings.plan_best_max_amount),
            short_loan_months=settings.plan_short_loan_months,
            new_loan_days=settings.plan_new_loan_days,
            renewal_window_days=settings.plan_renewal_window_days,
            renewal_lead_days=settings.plan_renewal_lead_days,
            focused_overdue_days=settings.plan_focused_overdue_days,
            handover_days=settings.plan_handover_days,
            high_risk_industries=settings.plan_high_risk_industries,
        )


# ------------------------------------------------------------------------- the facts
@dataclass(frozen=True)
class ClientFacts:
    id: int
    code: str
    name: str
    kind: ClientKind
    district: str | None
    industry: str | None
    officer_id: int
    handed_over_on: date | None
    referral_promised: bool
    # The day the client came into the bot (its import): what was overdue before that is
    # history the bot could not have reminded anyone of.
    known_since: date | None = None


@dataclass(frozen=True)
class LoanFacts:
    contract_no: str
    product: LoanProduct
    amount: Decimal
    disbursed_on: date
    matures_on: date
    risk_class: RiskClass
    days_overdue: int


@dataclass
class Snapshot:
    """Everything one plan computation needs, read in a handful of queries."""

    officers: dict[int, OfficerInfo]
    clients: list[ClientFacts]
    loans: dict[int, list[LoanFacts]]
    last_visit: dict[int, tuple[date, dict[str, Any]]]
    visits_in_month: dict[int, list[date]]
    open_alerts: dict[int, list[str]]  # client id → severities
    open_alerts_by_officer: dict[int, int]
    reschedules: dict[int, date]
    snoozes: dict[int, date]
    trips: list[tuple[int, int, date, str, str | None]]  # id, officer, on, district, note


@dataclass(frozen=True)
class Period:
    """The month planned for, and the day it is judged on."""

    year: int
    month: int
    start: date
    end: date
    today: date

    @property
    def today_in_month(self) -> date:
        return min(max(self.today, self.start), self.end)

    @property
    def outstanding_from(self) -> date:
        # A loan past maturity and not overdue has been repaid; for a past month, what was
        # outstanding then still counts.
        return self.today if self.today <= self.end else self.start


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a month."""
    if not 1 <= month <= 12:
        raise InvalidInput("plan.bad_month", month=month)
    return date(year, month, 1), date(year, month, _calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))
