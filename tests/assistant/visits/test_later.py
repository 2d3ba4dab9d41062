"""Finishing later and 补充 in the visit service, on SQLite and PostgreSQL: the 待补充 status
survives a pause and a resume, the resume lands on the first gap, a visit reopens only while its
report is returned, and the end-of-day reminder lists only what is open."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from assistant.db.models import Report, ReportStatus, Visit, VisitStatus
from assistant.errors import NotFound
from assistant.planning.calendar import WorkCalendar
from assistant.planning.reminders import ReminderPolicy
from assistant.visits.model import DOCUMENTS, StaleAction
from assistant.visits.reminder import AdditionsReminder
from tests.assistant.visits.test_service import TODAY, setup  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_visit_left_for_later_resumes_at_its_first_gap(setup):  # noqa: F811
    service, officer, other = setup
    view = await service.start(officer, "C1", today=TODAY)
    summary = await service.finish_later(officer, view.visit_id, today=TODAY)
    assert summary.view.status is VisitStatus.TO_COMPLETE
    assert summary.required_gaps

    paused = await service.pause(officer, view.visit_id, today=TODAY)
    assert paused.status is VisitStatus.TO_COMPLETE, "a pause keeps it 待补充"
    resumed = await service.start(officer, "C1", today=TODAY)
    assert resumed.visit_id == view.visit_id and resumed.status is VisitStatus.TO_COMPLETE
    # The first gap is the documents step: required documents, and none received.
    assert resumed.stop.id == DOCUMENTS
    # Moving on goes to the next gap, a required question, past everything already answered.
    following = await service.skip(officer, view.visit_id, DOCUMENTS, today=TODAY)
    assert following.stop.item is not None and following.stop.item.required

    waiting = await service.waiting_additions(officer, today=TODAY)
    assert [a.summary.view.visit_id for a in waiting] == [view.visit_id]
    assert await service.waiting_additions(other, today=TODAY) == []
    with pytest.raises(NotFound):
        await service.finish_later(other, view.visit_id, today=TODAY)


async def test_only_a_returned_report_reopens_its_visit(setup):  # noqa: F811
    service, officer, other = setup
    view = await service.start(officer, "C1", today=TODAY)
    await service.complete(officer, view.visit_id, today=TODAY)
    with pytest.raises(StaleAction) as refused:
        await service.reopen(officer, view.visit_id, today=TODAY)
    assert refused.value.key == "visit.not_reopened"
    async with service.database.session() as session:
        visit = await session.get(Visit, view.visit_id)
        assert visit is not None
        session.add(
            Report(
                visit_id=visit.id,
                client_id=visit.client_id,
                officer_id=visit.officer_id,
                status=ReportStatus.RETURNED,
                version=1,
                review_comment="请补充流水",
            )
        )
    with pytest.raises(NotFound):
        await service.reopen(other, view.visit_id, today=TODAY)
    additions = await service.reopen(officer, view.visit_id, today=TODAY)
    assert additions.reopened and additions.comment == "请补充流水"
    assert additions.report_version == 1
    # /visit C1 resumes the same reopened visit; a discard is refused (its report is on record).
    again = await service.start(officer, "C1", today=TODAY)
    assert again.visit_id == view.visit_id and again.status is VisitStatus.REOPENED
    with pytest.raises(StaleAction):
        await service.discard(officer, view.visit_id, today=TODAY)
    fresh = await service.start(officer, "C1", today=TODAY, fresh=True)
    assert fresh.visit_id == view.visit_id, "an unfinished visit is resumed, never doubled"


async def test_the_evening_reminder_goes_to_officers_with_visits_left(setup):  # noqa: F811
    service, officer, _ = setup
    reminder = AdditionsReminder(
        service.database,
        service,
        WorkCalendar(),
        ReminderPolicy(tz=SHANGHAI),
        time(18, 0),
    )
    evening = datetime(2026, 11, 30, 18, 1, tzinfo=SHANGHAI)  # a Monday
    assert await reminder.due(evening) == []
    view = await service.start(officer, "C1", today=TODAY)
    await service.finish_later(officer, view.visit_id, today=TODAY)
    assert await reminder.due(datetime(2026, 11, 30, 17, 59, tzinfo=SHANGHAI)) == []
    (notice,) = await reminder.due(evening)
    assert notice.telegram_id == officer.telegram_id
    assert [a.summary.view.client.code for a in notice.visits] == ["C1"]
    assert await reminder.mark_sent(notice)
    assert await reminder.due(evening) == [], "once a day"
