"""Reminders: what should be sent at a given moment, and a record of what was.

The transport calls :meth:`ReminderService.due_notifications` from a repeating job with the
current time, sends each notification and then calls :meth:`ReminderService.mark_sent`. Every
notification has a key that names what it is about; the key is stored when it is sent and never
produced again, so a restart, a second run the same day or a clock that jumps back sends nothing
twice:

=================  =====================================================  =====================
kind               key                                                    at most
=================  =====================================================  =====================
``monthly_plan``   ``plan:<officer>:<yyyy-mm>``                           once a month
``due_soon``       ``due:<officer>:<client>:<due date>``                  once per due date
``overdue``        ``overdue:<officer>:<client>:<due date>:<yyyy-mm-dd>``  once a day
``escalation``     ``escalate:<supervisor>:<client>:<due date>``          once per due date
=================  =====================================================  =====================

When: only on working days (statutory holidays excluded, 调休 Saturdays included), at or after
``REMINDER_TIME`` and outside ``QUIET_HOURS``. Escalations follow the same rule: a supervisor
is not paged on a holiday for a check nobody can make that day; they hear of it on the next
working day. The monthly plan goes out on the month's first working day, or the first time the
job runs after it in the same month (the bot was down): a month that has passed is not sent.

Delivery: with "send, then :meth:`mark_sent`" a crash between the two sends that notification
again after the restart (at least once). Two replicas running the job together may both send
before either records it; a replica that wants at most once calls :meth:`mark_sent` first and
sends only when it returns ``True`` (a crash after it then loses that one notification).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assistant.clock import local
from assistant.config import Settings
from assistant.db.database import Database
from assistant.db.models import NotificationLog, Role
from assistant.planning.calendar import WorkCalendar
from assistant.planning.model import (
    AllPlans,
    CheckType,
    MonthPlan,
    OfficerInfo,
    PlannedVisit,
    UnattendedClient,
)
from assistant.planning.plan import PlanService, month_bounds

log = logging.getLogger(__name__)

NotificationKind = Literal[
    "monthly_plan", "due_soon", "overdue", "escalation", "unattended", "additions"
]
_CHUNK = 500


def parse_clock(value: str) -> time:
    """``"HH:MM"`` as a time of day."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


async def record_sent(
    database: Database,
    *,
    key: str,
    kind: str,
    recipient_officer_id: int,
    at: datetime,
    payload: dict[str, Any],
) -> bool:
    """Record a notification under its key; ``False`` if that key was recorded before."""
    values = {
        "key": key,
        "kind": kind,
        "recipient_officer_id": recipient_officer_id,
        "sent_at": at,
        "payload": payload,
    }
    insert = sqlite_insert if database.is_sqlite else pg_insert
    statement = insert(NotificationLog).values(**values).on_conflict_do_nothing()
    async with database.session() as session:
        result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders may go out (see ``REMINDER_TIME``, ``QUIET_HOURS`` ... in Settings)."""

    tz: ZoneInfo
    reminder_time: time = time(9, 0)
    due_soon_days: int = 3
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(8, 0)
    escalation_grace_days: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        """The policy as configured."""
        quiet_start = quiet_end = None
        if settings.quiet_hours:
            start, end = settings.quiet_hours.split("-")
            quiet_start, quiet_end = parse_clock(start), parse_clock(end)
        return cls(
            tz=settings.tz,
            reminder_time=parse_clock(settings.reminder_time),
            due_soon_days=settings.reminder_due_soon_days,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            escalation_grace_days=settings.escalation_grace_days,
        )

    def quiet(self, moment: time) -> bool:
        """Whether ``moment`` (local time) falls in the quiet hours, which may span midnight."""
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return False
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end


@dataclass(frozen=True)
class Notification:
    """One message to send: plain data the transport renders in ``language``.

    ``plan`` is set for the monthly plan, ``visit`` for the others. For an escalation the
    recipient is the supervisor (or, without one, an admin); ``officer_id`` and
    ``officer_name`` name the officer whose check slipped, and ``due_on`` is the first purpose
    check's own deadline.
    """

    key: str
    kind: NotificationKind
    at: datetime
    recipient_officer_id: int
    recipient_telegram_id: int
    language: str | None
    officer_id: int
    officer_name: str
    plan: MonthPlan | None = None
    visit: PlannedVisit | None = None
    due_on: date | None = None
    days_overdue: int = 0
    # For "unattended": the clients whose officer is absent, told to each admin once a month.
    unattended: tuple[UnattendedClient, ...] = ()

    def payload(self) -> dict[str, Any]:
        """What the log keeps: codes and dates, no names."""
        if self.plan is not None:
            return {"visits": self.plan.planned, "overdue": self.plan.overdue}
        if self.visit is not None:
            return {
                "client": self.visit.client_code,
                "due": (self.due_on or self.visit.due_on).isoformat(),
            }
        if self.unattended:
            return {"clients": [c.client_code for c in self.unattended]}
        return {}


class ReminderService:
    """Works out which reminders are due at a moment, from the plans and the sending log."""

    def __init__(
        self,
        database: Database,
        plans: PlanService,
        calendar: WorkCalendar,
        policy: ReminderPolicy,
    ) -> None:
        self.database = database
        self.plans = plans
        self.calendar = calendar
        self.policy = policy

    def may_send_at(self, now: datetime) -> bool:
        """Whether anything may be sent at ``now``: a working day, at or after the reminder
        time, outside the quiet hours."""
        local = self._local(now)
        return (
            self.calendar.is_workday(local.date())
            and local.time() >= self.policy.reminder_time
            and not self.policy.quiet(local.time())
        )

    async def due_notifications(self, now: datetime) -> list[Notification]:
        """Everything that should go out at ``now`` and has not been sent before.

        Args:
            now: the current moment, timezone-aware (any zone; judged in ``TIMEZONE``).

        Returns:
            Monthly plans first, then due-soon and overdue reminders, then escalations.
        """
        if not self.may_send_at(now):
            return []
        today = self._local(now).date()
        plans = await self.plans.plans_for_all(today.year, today.month, today=today)
        candidates: list[Notification] = []
        if today >= self.calendar.first_workday_of_month(today.year, today.month):
            candidates += self._monthly(plans, now)
            candidates += self._unattended(plans, now)
        candidates += self._visit_reminders(plans, plans.plans.values(), now, today)
        _, month_end = month_bounds(today.year, today.month)
        if today + timedelta(days=self.policy.due_soon_days) > month_end:
            # Visits due early next month are due soon now; next month's plan knows them.
            following = month_end + timedelta(days=1)
            later = await self.plans.plans_for_all(following.year, following.month, today=today)
            candidates += [
                n
                for n in self._visit_reminders(later, later.plans.values(), now, today)
                if n.kind == "due_soon"
            ]
        candidates += self._escalations(plans, now, today)
        unique = list({n.key: n for n in candidates}.values())
        sent = await self._already_sent([n.key for n in unique])
        due = [n for n in unique if n.key not in sent]
        log.info("reminders: %d due, %d already sent", len(due), len(unique) - len(due))
        return due

    async def mark_sent(self, notification: Notification) -> bool:
        """Record that ``notification`` went out (at its ``at``).

        Returns:
            ``True`` if this call recorded it, ``False`` if it was recorded before (by an
            earlier run or another replica); the duplicate is ignored.
        """
        return await record_sent(
            self.database,
            key=notification.key,
            kind=notification.kind,
            recipient_officer_id=notification.recipient_officer_id,
            at=notification.at,
            payload=notification.payload(),
        )

    # ------------------------------------------------------------------------- helpers
    def _local(self, now: datetime) -> datetime:
        return local(now, self.policy.tz)

    def _monthly(self, plans: AllPlans, now: datetime) -> list[Notification]:
        found = []
        for officer_id, plan in plans.items():
            officer = plans.officers[officer_id]
            assert officer.telegram_id is not None  # AllPlans holds attended officers only
            found.append(
                Notification(
                    key=f"plan:{officer_id}:{plan.year:04d}-{plan.month:02d}",
                    kind="monthly_plan",
                    at=now,
                    recipient_officer_id=officer_id,
                    recipient_telegram_id=officer.telegram_id,
                    language=officer.language,
                    officer_id=officer_id,
                    officer_name=officer.name,
                    plan=plan,
                )
            )
        return found

    def _unattended(self, plans: AllPlans, now: datetime) -> list[Notification]:
        """Clients nobody receives reminders for, told to every admin once a month, so that
        they can be handed to someone."""
        if not plans.unattended:
            return []
        local = self._local(now)
        return [
            Notification(
                key=f"unattended:{admin.id}:{local.year:04d}-{local.month:02d}",
                kind="unattended",
                at=now,
                recipient_officer_id=admin.id,
                recipient_telegram_id=admin.telegram_id,
                language=admin.language,
                officer_id=admin.id,
                officer_name=admin.name,
                unattended=plans.unattended,
            )
            for admin in plans.officers.values()
            if admin.role is Role.ADMIN and admin.attended and admin.telegram_id is not None
        ]

    def _visit_reminders(
        self, plans: AllPlans, month_plans: Iterable[MonthPlan], now: datetime, today: date
    ) -> list[Notification]:
        found = []
        for plan in month_plans:
            officer = plans.officers[plan.officer_id]
            if officer.telegram_id is None:
                continue
            for visit in plan.visits:
                if visit.done or visit.snoozed(today):
                    continue
                days_left = (visit.due_on - today).days
                if 0 <= days_left <= self.policy.due_soon_days:
                    kind: NotificationKind = "due_soon"
                    key = f"due:{officer.id}:{visit.client_id}:{visit.due_on.isoformat()}"
                elif days_left < 0:
                    kind = "overdue"
                    key = (
                        f"overdue:{officer.id}:{visit.client_id}:{visit.due_on.isoformat()}:"
                        f"{today.isoformat()}"
                    )
                else:
                    continue
                found.append(
                    Notification(
                        key=key,
                        kind=kind,
                        at=now,
                        recipient_officer_id=officer.id,
                        recipient_telegram_id=officer.telegram_id,
                        language=officer.language,
                        officer_id=officer.id,
                        officer_name=officer.name,
                        visit=visit,
                        due_on=visit.due_on,
                        days_overdue=max(0, -days_left),
                    )
                )
        return found

    def _escalations(self, plans: AllPlans, now: datetime, today: date) -> list[Notification]:
        """First purpose checks past their deadline (plus the grace days), for the supervisor.

        Snoozes and reschedules do not stop an escalation: the deadline is the bank's rule.
        Clients of absent officers are included: that is when a supervisor most needs to know.
        """
        visits: list[PlannedVisit] = [v for plan in plans.values() for v in plan.visits]
        visits += [u.visit for u in plans.unattended if u.visit is not None]
        admins = [o for o in plans.officers.values() if o.role is Role.ADMIN and o.attended]
        found = []
        for visit in visits:
            if visit.done:
                continue
            purpose = next((r for r in visit.reasons if r.check_type is CheckType.PURPOSE), None)
            if purpose is None:
                continue
            late = (today - purpose.due_on).days
            if late <= self.policy.escalation_grace_days:
                continue
            if visit.known_since is not None and purpose.due_on < visit.known_since:
                # The deadline passed before the portfolio was imported: escalating it would
                # flood supervisors on the first day with what nobody could have been reminded
                # of. The officer's plan still shows the check as overdue.
                continue
            officer = plans.officers[visit.officer_id]
            for recipient in self._escalation_recipients(officer, plans.officers, admins):
                assert recipient.telegram_id is not None
                found.append(
                    Notification(
                        key=(
                            f"escalate:{recipient.id}:{visit.client_id}:"
                            f"{purpose.due_on.isoformat()}"
                        ),
                        kind="escalation",
                        at=now,
                        recipient_officer_id=recipient.id,
                        recipient_telegram_id=recipient.telegram_id,
                        language=recipient.language,
                        officer_id=officer.id,
                        officer_name=officer.name,
                        visit=visit,
                        due_on=purpose.due_on,
                        days_overdue=late,
                    )
                )
        return found

    @staticmethod
    def _escalation_recipients(
        officer: OfficerInfo, officers: dict[int, OfficerInfo], admins: Sequence[OfficerInfo]
    ) -> Sequence[OfficerInfo]:
        supervisor = officers.get(officer.supervisor_id) if officer.supervisor_id else None
        if supervisor is not None and supervisor.attended:
            return [supervisor]
        # Nobody reads the supervisor's messages (or there is none): the admins must know.
        return admins

    async def _already_sent(self, keys: Sequence[str]) -> set[str]:
        sent: set[str] = set()
        async with self.database.session() as session:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                sent.update(
                    await session.scalars(
                        select(NotificationLog.key).where(NotificationLog.key.in_(chunk))
                    )
                )
        return sent
