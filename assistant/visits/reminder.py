"""The end-of-day reminder of visits left 待补充.

Once a day, at ``ADDITIONS_REMINDER_TIME`` in ``TIMEZONE`` (working days, outside the quiet
hours, as the other reminders), each officer with visits completed later (finished later, or
reopened after a return) gets one message: per visit the client and what it still lacks. The
key ``additions:<officer>:<yyyy-mm-dd>`` goes into the notification log when it is sent, so a
restart or a second replica sends nothing twice; an officer with nothing open gets nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select

from assistant.access import viewer_of
from assistant.clock import local
from assistant.db.database import Database
from assistant.db.models import COMPLETING_LATER, NotificationLog, Officer, Visit
from assistant.planning.calendar import WorkCalendar
from assistant.planning.reminders import ReminderPolicy, record_sent
from assistant.visits.model import Additions
from assistant.visits.service import VisitService

log = logging.getLogger(__name__)

KIND = "additions"


@dataclass(frozen=True)
class AdditionsNotice:
    """One officer's reminder: their visits completed later, each with what it lacks."""

    key: str
    at: datetime
    officer_id: int
    telegram_id: int
    language: str | None
    visits: tuple[Additions, ...]


class AdditionsReminder:
    """Works out the end-of-day reminders due at a moment, and records those sent."""

    def __init__(
        self,
        database: Database,
        visits: VisitService,
        calendar: WorkCalendar,
        policy: ReminderPolicy,
        at: time,
    ) -> None:
        self.database = database
        self.visits = visits
        self.calendar = calendar
        self.policy = policy
        self.at = at

    def may_send_at(self, now: datetime) -> bool:
        moment = local(now, self.policy.tz)
        return (
            self.calendar.is_workday(moment.date())
            and moment.time() >= self.at
            and not self.policy.quiet(moment.time())
        )

    async def due(self, now: datetime) -> list[AdditionsNotice]:
        """The reminders to send at ``now`` (timezone-aware), one per officer with visits left
        to complete and no reminder yet today."""
        if not self.may_send_at(now):
            return []
        today = local(now, self.policy.tz).date()
        async with self.database.session() as session:
            officers = list(
                await session.scalars(
                    select(Officer)
                    .where(
                        Officer.active,
                        Officer.telegram_id.is_not(None),
                        Officer.id.in_(
                            select(Visit.officer_id).where(Visit.status.in_(COMPLETING_LATER))
                        ),
                    )
                    .order_by(Officer.id)
                )
            )
            keys = {o.id: f"{KIND}:{o.id}:{today.isoformat()}" for o in officers}
            sent = set(
                await session.scalars(
                    select(NotificationLog.key).where(NotificationLog.key.in_(keys.values()))
                )
            )
        notices = []
        for officer in officers:
            if keys[officer.id] in sent:
                continue
            waiting = await self.visits.waiting_additions(viewer_of(officer), today=today)
            if not waiting:
                continue
            assert officer.telegram_id is not None
            notices.append(
                AdditionsNotice(
                    keys[officer.id],
                    now,
                    officer.id,
                    officer.telegram_id,
                    officer.language,
                    tuple(waiting),
                )
            )
        log.info("additions reminders: %d due", len(notices))
        return notices

    async def mark_sent(self, notice: AdditionsNotice) -> bool:
        """Record that ``notice`` went out; ``False`` if it was recorded before."""
        return await record_sent(
            self.database,
            key=notice.key,
            kind=KIND,
            recipient_officer_id=notice.officer_id,
            at=notice.at,
            payload={"visits": [a.summary.view.visit_id for a in notice.visits]},
        )
