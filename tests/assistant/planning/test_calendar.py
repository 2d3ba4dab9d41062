import logging
from datetime import date, timedelta

import pytest

from assistant.planning.calendar import WorkCalendar


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


def test_national_day_week_is_off_and_the_first_workday_of_october_2026_follows_it(calendar):
    assert not any(calendar.is_workday(date(2026, 10, day)) for day in range(1, 8))
    assert calendar.first_workday_of_month(2026, 10) == date(2026, 10, 8)
    assert calendar.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)


def test_a_make_up_saturday_is_a_workday_and_the_sunday_after_is_not(calendar):
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert calendar.is_workday(saturday)
    assert not calendar.is_workday(saturday + timedelta(days=1))
    assert calendar.next_workday(date(2026, 10, 9)) == saturday


def test_a_make_up_sunday_can_be_the_first_workday_of_a_month(calendar):
    # 元旦 2026 (1–3 January) is made up on Sunday 4 January.
    assert date(2026, 1, 4).weekday() == 6
    assert calendar.first_workday_of_month(2026, 1) == date(2026, 1, 4)


def test_next_workday_inclusive_keeps_a_workday(calendar):
    assert calendar.next_workday(date(2026, 10, 8), inclusive=True) == date(2026, 10, 8)
    assert calendar.next_workday(date(2026, 10, 8)) == date(2026, 10, 9)


def test_a_year_the_package_does_not_cover_falls_back_to_monday_to_friday(calendar, caplog):
    caplog.set_level(logging.WARNING, logger="assistant.planning.calendar")
    assert calendar.covers(2026)
    assert not calendar.covers(2100)
    assert calendar.is_workday(date(2100, 1, 1))  # a Friday; no 元旦 known for 2100
    assert not calendar.is_workday(date(2100, 1, 2))  # Saturday
    assert calendar.first_workday_of_month(2100, 5) == date(2100, 5, 3)  # 1 May is a Saturday
    warnings = [r for r in caplog.records if "2100" in r.getMessage()]
    assert len(warnings) == 1, "warned once, however often the year is asked about"
    assert "Monday to Friday" in warnings[0].getMessage()


def first_uncovered_year(calendar: WorkCalendar) -> int:
    """The first year from 2026 on that the installed chinese-calendar has no schedule for
    (2027 with today's release; a later one after an upgrade)."""
    return next(year for year in range(2026, 2200) if not calendar.covers(year))


def test_the_year_after_the_last_known_schedule_works_monday_to_friday(calendar):
    year = first_uncovered_year(calendar)
    # Crossing from the last known year into the unknown one.
    new_year = calendar.next_workday(date(year - 1, 12, 31))
    assert new_year.year == year and new_year.weekday() < 5
    for month in range(1, 13):
        first = calendar.first_workday_of_month(year, month)
        assert first.weekday() < 5 and first.day <= 3
        assert all(date(year, month, d).weekday() >= 5 for d in range(1, first.day))
