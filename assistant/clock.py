"""Time, in one place: the clock the bot reads, and the one rule for showing a stored moment.

- **Reading the time.** Nothing else in the code asks the system for the time: services,
  handlers and tests get a :class:`Clock` through their constructors or fixtures (a test
  enforces it), so a test can start at any moment and every "today" in one run agrees.
- **Storing.** Moments are stored in UTC and are always timezone-aware (the database's
  ``UtcDateTime`` type makes SQLite's naive values aware on the way out).
- **Showing.** A moment is turned into the bank's ``TIMEZONE`` once, when it is shown, by
  :func:`local` and the functions built on it, which every message, report and export uses.
  A naive moment is a bug (a time of unknown zone), and is refused rather than guessed at.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    """Where the bot reads the current time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The host's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class TravelClock:
    """A clock that starts at a chosen moment and runs on from there, as libfaketime's
    ``@`` form does: for tests that need a given day and hour, and for demos.

    Without a start it reads the host's time, so a test run under libfaketime still moves.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self.travel_to(start)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def travel_to(self, moment: datetime) -> None:
        """From now on, the clock reads ``moment`` and runs on from there."""
        self._offset = as_utc(moment) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta`` (backward when negative)."""
        self._offset += delta


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC.

    Raises:
        ValueError: ``moment`` is naive: its zone is unknown, so no rule can place it.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no timezone: store and pass aware moments")
    return moment.astimezone(UTC)


def local(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` as the wall clock in ``tz`` shows it (the one conversion for display)."""
    return as_utc(moment).astimezone(tz)


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The calendar day in ``tz`` on which ``moment`` fell."""
    return local(moment, tz).date()


def local_iso(moment: datetime, tz: tzinfo) -> str:
    """ISO-8601 in ``tz``, with its offset and to the second: ``2026-12-06T23:53:08+08:00``."""
    return local(moment, tz).isoformat(timespec="seconds")


def local_format(value: date | datetime, pattern: str, tz: tzinfo) -> str:
    """``value`` formatted with ``strftime`` ``pattern``; a moment is shown in ``tz`` first.

    A plain date (a due date, a disbursement day) is a day of the bank's calendar already and
    is shown as it is.
    """
    if isinstance(value, datetime):
        return local(value, tz).strftime(pattern)
    return value.strftime(pattern)


def today(clock: Clock, tz: tzinfo) -> date:
    """The current day in ``tz``."""
    return local_date(clock.now(), tz)


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The UTC moment at which ``day`` begins in ``tz``."""
    return datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)
