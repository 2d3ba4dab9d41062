"""Working days in mainland China: statutory holidays and make-up workdays (调休).

The schedule for a year is announced by the State Council each November and reaches the
``chinese-calendar`` package in a release soon after. For a year the installed package does not
know, the calendar falls back to Monday–Friday and logs that once per year, so that a missing
upgrade shows in the log instead of silently sending the monthly plan on a holiday.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

# A month always has a working day within this many days of any date, even around 春节 (the
# longest run of holidays is nine days); the bound only stops a broken data file looping forever.
_MAX_SEARCH_DAYS = 60


class WorkCalendar:
    """Which days are working days, by the official schedule where it is known."""

    def __init__(self) -> None:
        self._covered: dict[int, bool] = {}

    def covers(self, year: int) -> bool:
        """Whether the official schedule of ``year`` is known (else Monday–Friday is assumed)."""
        known = self._covered.get(year)
        if known is None:
            try:
                chinese_calendar.is_workday(date(year, 6, 1))
                known = True
            except NotImplementedError:
                known = False
                log.warning(
                    "chinese-calendar has no holiday schedule for %d: treating Monday to Friday "
                    "as working days; upgrade the chinese-calendar package",
                    year,
                )
            self._covered[year] = known
        return known

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day: a weekday that is not a holiday, or a 调休 weekend."""
        if self.covers(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_workday(self, day: date, *, inclusive: bool = False) -> date:
        """The first working day after ``day``; with ``inclusive``, ``day`` itself if it is one."""
        candidate = day if inclusive else day + timedelta(days=1)
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_workday(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {day}")

    def first_workday_of_month(self, year: int, month: int) -> date:
        """The month's first working day (after 国庆 for October, after 元旦 for January ...)."""
        return self.next_workday(date(year, month, 1), inclusive=True)
