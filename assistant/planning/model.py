"""What the planner hands out: planned visits, month plans, team progress. Plain, frozen data
that the transport renders; nothing here touches the database."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from assistant.data.vocabulary import Bilingual
from assistant.db.models import ClientKind, RiskClass, Role


class CheckType(enum.StrEnum):
    """Why a visit is due. The first three match :attr:`Visit.check_type`; a renewal-intent
    visit is recorded as a periodic check (the checklist has no renewal variant)."""

    PURPOSE = "purpose"  # 首次检查: use of funds after disbursement
    PERIODIC = "periodic"  # 定期检查
    FOCUSED = "focused"  # 重点检查
    RENEWAL = "renewal"  # 续贷意向: before maturity

    @property
    def visit_check_type(self) -> str:
        """The ``check_type`` to open the visit with."""
        return "periodic" if self is CheckType.RENEWAL else self.value

    @property
    def urgency(self) -> int:
        """Tie-break between reasons due the same day: lower is more urgent."""
        return _URGENCY[self]


_URGENCY = {
    CheckType.FOCUSED: 0,
    CheckType.PURPOSE: 1,
    CheckType.RENEWAL: 2,
    CheckType.PERIODIC: 3,
}


class FocusCategory(enum.StrEnum):
    """The article's four kinds of visit focus (把客户贷后回访的重点分为几大类)."""

    RISK_CONTROL = "risk_control"  # 客户风险控制
    FAMILIARITY = "familiarity"  # 增强客户熟悉度
    REFERRAL = "referral"  # 让客户介绍客户
    SIDE_INSIGHT = "side_insight"  # 侧面了解其他客户

    @property
    def label(self) -> Bilingual:
        return _FOCUS_LABELS[self]


_FOCUS_LABELS = {
    FocusCategory.RISK_CONTROL: Bilingual("风险控制", "Risk control"),
    FocusCategory.FAMILIARITY: Bilingual("增强熟悉度", "Get to know the client"),
    FocusCategory.REFERRAL: Bilingual("客户介绍客户", "Referral"),
    FocusCategory.SIDE_INSIGHT: Bilingual("侧面了解", "Side insight"),
}


@dataclass(frozen=True)
class Focus:
    category: FocusCategory
    reason: Bilingual


@dataclass(frozen=True)
class DueReason:
    """One rule that makes a visit due, with the date that rule sets."""

    check_type: CheckType
    due_on: date
    reason: Bilingual


@dataclass(frozen=True)
class PlannedVisit:
    """One client to visit this month, once, whatever the number of reasons.

    ``due_on`` is the earliest date any reason sets, or the officer's reschedule. ``reasons[0]``
    decides ``check_type``: the most demanding reason due by then (focused, purpose, renewal,
    periodic); the other reasons follow by date, each with the date its rule sets.
    """

    client_id: int
    client_code: str
    client_name: str
    client_kind: ClientKind
    district: str | None
    industry: str | None
    officer_id: int
    check_type: CheckType
    due_on: date
    overdue: bool
    days_overdue: int
    reasons: tuple[DueReason, ...]
    focus: Focus
    other_focus: tuple[Focus, ...] = ()
    rescheduled_from: date | None = None
    snoozed_until: date | None = None
    done_on: date | None = None
    known_since: date | None = None  # when the client came into the bot

    @property
    def reason(self) -> Bilingual:
        """Why this visit is due (the winning rule)."""
        return self.reasons[0].reason

    @property
    def extra_reasons(self) -> tuple[DueReason, ...]:
        return self.reasons[1:]

    @property
    def done(self) -> bool:
        """A visit to the client was finished this month."""
        return self.done_on is not None

    def snoozed(self, today: date) -> bool:
        """Hidden from reminders on ``today`` (the plan still lists it)."""
        return self.snoozed_until is not None and today < self.snoozed_until


@dataclass(frozen=True)
class DistrictGroup:
    """Visits in one business district, so one trip covers them; ``district`` ``None`` holds
    the clients without a recorded district."""

    district: str | None
    visits: tuple[PlannedVisit, ...]

    @property
    def earliest_due(self) -> date:
        return min(v.due_on for v in self.visits)


@dataclass(frozen=True)
class TripSuggestion:
    """A pre-loan survey trip and the open planned visits in the same district."""

    trip_id: int
    on: date
    district: str
    note: str | None
    visits: tuple[PlannedVisit, ...]


@dataclass(frozen=True)
class MonthPlan:
    """One officer's visits for a month, as of ``today``. Empty when nothing is due."""

    officer_id: int
    officer_name: str
    year: int
    month: int
    today: date
    visits: tuple[PlannedVisit, ...]
    groups: tuple[DistrictGroup, ...]
    trip_suggestions: tuple[TripSuggestion, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.visits

    @property
    def planned(self) -> int:
        return len(self.visits)

    @property
    def done(self) -> int:
        return sum(1 for v in self.visits if v.done)

    @property
    def overdue(self) -> int:
        return sum(1 for v in self.visits if v.overdue)

    def visit_for(self, client_code: str) -> PlannedVisit | None:
        return next((v for v in self.visits if v.client_code == client_code), None)


@dataclass(frozen=True)
class OfficerInfo:
    id: int
    name: str
    role: Role
    active: bool
    telegram_id: int | None
    supervisor_id: int | None
    language: str | None
    staff_no: str | None = None

    @property
    def attended(self) -> bool:
        """Someone reads this officer's messages: active and joined."""
        return self.active and self.telegram_id is not None


@dataclass(frozen=True)
class UnattendedClient:
    """A client whose officer is inactive or has never joined: the admin must reassign it.
    ``visit`` is what is due for it this month, if anything."""

    client_code: str
    client_name: str
    officer_id: int
    officer_name: str
    why: str  # "inactive" | "not_joined"
    visit: PlannedVisit | None


@dataclass(frozen=True)
class AllPlans(Mapping[int, MonthPlan]):
    """Every attended officer's plan (officer id → plan), plus the clients nobody attends."""

    plans: dict[int, MonthPlan]
    unattended: tuple[UnattendedClient, ...]
    officers: dict[int, OfficerInfo] = field(default_factory=dict)

    def __getitem__(self, officer_id: int) -> MonthPlan:
        return self.plans[officer_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self.plans)

    def __len__(self) -> int:
        return len(self.plans)


@dataclass(frozen=True)
class OfficerProgress:
    officer_id: int
    name: str
    staff_no: str | None
    attended: bool
    planned: int
    done: int
    overdue: int
    open_alerts: int

    @property
    def completion(self) -> float:
        """Done over planned (1.0 when nothing was planned)."""
        return self.done / self.planned if self.planned else 1.0


@dataclass(frozen=True)
class TeamProgress:
    """A supervisor's team this month; ``risk_distribution`` counts the team's outstanding
    loans per five-tier class, every class present (zero included), in order."""

    year: int
    month: int
    today: date
    officers: tuple[OfficerProgress, ...]
    risk_distribution: dict[RiskClass, int]

    @property
    def planned(self) -> int:
        return sum(o.planned for o in self.officers)

    @property
    def done(self) -> int:
        return sum(o.done for o in self.officers)

    @property
    def overdue(self) -> int:
        return sum(o.overdue for o in self.officers)

    @property
    def open_alerts(self) -> int:
        return sum(o.open_alerts for o in self.officers)


@dataclass(frozen=True)
class ScheduleChangeView:
    """What a snooze or reschedule recorded, to confirm to the officer."""

    client_code: str
    client_name: str
    due_on: date | None
    snoozed_until: date | None


@dataclass(frozen=True)
class TripView:
    trip_id: int
    on: date
    district: str
    note: str | None
