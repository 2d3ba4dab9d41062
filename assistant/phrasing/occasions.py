"""Occasions a visit can be hung on: festivals, the bank's anniversary, a loan nearing maturity,
a campaign, or simply passing by.

A small client should never feel inspected (domain facts §8), so the officer gives a natural reason
to drop in. This module only says which occasions exist on a given day and describes each one; it
does not rank them (that is the service's policy). Lunar festivals come from ``lunar-python``, so
春节, 元宵, 端午 and 中秋 are right for any year rather than a table that runs out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from lunar_python import Lunar

from assistant.data.vocabulary import Bilingual

FESTIVAL_KEYS = (
    "spring_festival",
    "lantern",
    "dragon_boat",
    "mid_autumn",
    "national_day",
    "new_year",
)
# Every occasion a phrase may name. Dated ones carry a day ({festival} can be used with them).
OCCASION_KEYS = (
    *FESTIVAL_KEYS,
    "bank_anniversary",
    "renewal_window",
    "passing_by",
    "new_product",
    "general",
)
DATED_KEYS = (*FESTIVAL_KEYS, "bank_anniversary")

DEFAULT_LOOKAHEAD_DAYS = 14
DEFAULT_RENEWAL_WINDOW_DAYS = 90
# New Year calls (拜年) go on until 元宵, so 春节 stays an occasion for two weeks after it.
SPRING_FESTIVAL_DAYS_AFTER = 14

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Festival:
    """A yearly festival on the lunar or the solar calendar."""

    key: str
    name: Bilingual
    lunar: bool
    month: int
    day: int
    days_after: int = 0

    def on(self, year: int) -> date:
        """The festival's solar date in ``year`` (lunar festivals: of the lunar year ``year``).

        Lunar months in this table are never leap months, and lunar year ``y`` month 1 to 8
        always falls in solar year ``y``.
        """
        if not self.lunar:
            return date(year, self.month, self.day)
        return _lunar_to_solar(year, self.month, self.day)


@functools.cache
def _lunar_to_solar(year: int, month: int, day: int) -> date:
    # lunar-python builds a full almanac day (solar terms, stems...) for each conversion, a few
    # milliseconds apiece; the answer never changes, so each date is converted once per process.
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


FESTIVALS: Mapping[str, Festival] = MappingProxyType(
    {
        "spring_festival": Festival(
            "spring_festival",
            Bilingual("春节", "the Spring Festival"),
            lunar=True,
            month=1,
            day=1,
            days_after=SPRING_FESTIVAL_DAYS_AFTER,
        ),
        "lantern": Festival(
            "lantern", Bilingual("元宵", "the Lantern Festival"), lunar=True, month=1, day=15
        ),
        "dragon_boat": Festival(
            "dragon_boat", Bilingual("端午", "the Dragon Boat Festival"), lunar=True, month=5, day=5
        ),
        "mid_autumn": Festival(
            "mid_autumn", Bilingual("中秋", "the Mid-Autumn Festival"), lunar=True, month=8, day=15
        ),
        "national_day": Festival(
            "national_day", Bilingual("国庆", "National Day"), lunar=False, month=10, day=1
        ),
        "new_year": Festival(
            "new_year", Bilingual("元旦", "New Year's Day"), lunar=False, month=1, day=1
        ),
    }
)
BANK_ANNIVERSARY_NAME = Bilingual("行庆", "the bank's anniversary")


@dataclass(frozen=True)
class Campaign:
    """A product or policy the bank is promoting, from ``knowledge/phrasing/campaigns.yaml``."""

    id: str
    name: Bilingual
    starts: date
    ends: date
    kinds: tuple[str, ...] = ("corporate", "individual")

    def running(self, today: date) -> bool:
        """Whether the campaign runs on ``today`` (both ends included)."""
        return self.starts <= today <= self.ends


@dataclass(frozen=True)
class Occasion:
    """One reason to drop in that is available today.

    Attributes:
        key: one of :data:`OCCASION_KEYS`.
        name: the festival's, the anniversary's or the campaign's name (for ``{festival}`` and
            ``{product}``); ``None`` for the others.
        on: the festival day, the maturity date or the campaign's last day.
        days: days from today to ``on`` (negative: ``on`` is past, e.g. 拜年 after 春节).
        folded: for ``passing_by``, whether the visit is folded into another trip.
        chosen: whether the officer picked this occasion.
    """

    key: str
    name: Bilingual | None = None
    on: date | None = None
    days: int | None = None
    folded: bool = False
    chosen: bool = field(default=False, compare=False)

    @property
    def dated(self) -> bool:
        """Whether this is a festival or the anniversary (phrases may use ``{festival}``)."""
        return self.key in DATED_KEYS

    @property
    def timing(self) -> str | None:
        """``before``, ``on`` or ``after`` the day, for a festival or the anniversary."""
        if not self.dated or self.days is None:
            return None
        return "before" if self.days > 0 else "on" if self.days == 0 else "after"

    def why(self, lang: str) -> str:
        """Why this occasion fits today, for the officer: "中秋将至（9月25日）"."""
        name = self.name.get(lang) if self.name is not None else ""
        days = self.days or 0
        return (
            _WHY[self._why_key()]
            .get(lang)
            .format(
                name=name,
                Name=name[:1].upper() + name[1:],
                days=days,
                ago=-days,
                when=_day(self.on, lang) if self.on is not None else "",
            )
        )

    def _why_key(self) -> str:
        if self.dated and self.on is not None:
            days = self.days or 0
            return "dated_" + ("ahead" if days > 1 else {1: "tomorrow", 0: "on"}.get(days, "after"))
        if self.key == "renewal_window":
            return "renewal_window" if self.days else "renewal_today"
        if self.key == "passing_by" and self.folded:
            return "passing_by_folded"
        if self.key == "new_product" and self.name is None:
            return "general"
        return self.key if self.key in _WHY else "general"


# Fixed wording, not locale-formatted dates: the host's locale must not change what officers read.
_WHY: Mapping[str, Bilingual] = MappingProxyType(
    {
        "dated_ahead": Bilingual("{name}将至（{when}）", "{Name} is {days} days away ({when})"),
        "dated_tomorrow": Bilingual("明天就是{name}（{when}）", "{Name} is tomorrow ({when})"),
        "dated_on": Bilingual("今天是{name}", "Today is {name}"),
        "dated_after": Bilingual(
            "{name}刚过{ago}天（{when}）", "{Name} was {ago} days ago ({when})"
        ),
        "renewal_window": Bilingual(
            "贷款{days}天后到期（{when}）", "The loan matures in {days} days ({when})"
        ),
        "renewal_today": Bilingual("贷款今天到期", "The loan matures today"),
        "new_product": Bilingual(
            "行里正在推{name}（到{when}为止）", "The bank is promoting {name} (until {when})"
        ),
        "passing_by_folded": Bilingual(
            "这次走访和别的行程顺路", "This visit is on the way to other business"
        ),
        "passing_by": Bilingual(
            "顺路来看看，什么时候都用得上", "Dropping in on the way works any day"
        ),
        "general": Bilingual("不挑时机，随时可用", "Works at any time"),
    }
)


def _day(on: date, lang: str) -> str:
    return f"{on.day} {_EN_MONTHS[on.month - 1]}" if lang == "en" else f"{on.month}月{on.day}日"


def festival_date(key: str, year: int) -> date:
    """The date of festival ``key`` in ``year``.

    Raises:
        KeyError: ``key`` is not one of :data:`FESTIVAL_KEYS`.
    """
    return FESTIVALS[key].on(year)


def festivals_near(today: date, lookahead_days: int = DEFAULT_LOOKAHEAD_DAYS) -> list[Occasion]:
    """The festivals from ``today`` to ``lookahead_days`` ahead (the day itself counts), plus
    春节 for :data:`SPRING_FESTIVAL_DAYS_AFTER` days after it; nearest first."""
    found: list[Occasion] = []
    for festival in FESTIVALS.values():
        # Last year's 春节 may still be in its after-days; next year's 元旦 may be in the window.
        for year in (today.year - 1, today.year, today.year + 1):
            on = festival.on(year)
            days = (on - today).days
            if -festival.days_after <= days <= lookahead_days:
                found.append(Occasion(festival.key, festival.name, on, days))
    return sorted(found, key=lambda o: (abs(o.days or 0), o.key))


def nearest_festival(key: str, today: date) -> Occasion:
    """Festival ``key`` at its nearest occurrence, past or coming, whatever the window.

    Used when the officer names the festival themselves.

    Raises:
        KeyError: ``key`` is not one of :data:`FESTIVAL_KEYS`.
    """
    festival = FESTIVALS[key]
    days_list = [
        (festival.on(y) - today).days for y in (today.year - 1, today.year, today.year + 1)
    ]
    # Prefer the coming one on a tie: greeting ahead of a festival is the usual custom.
    days = min(days_list, key=lambda d: (abs(d), d < 0))
    return Occasion(key, festival.name, today + timedelta(days=days), days)


def parse_month_day(value: str) -> tuple[int, int]:
    """``"06-18"`` as ``(6, 18)``; 02-29 is allowed.

    Raises:
        ValueError: not a month and day written MM-DD.
    """
    match = _MONTH_DAY.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a month and day written MM-DD")
    month, day = int(match[1]), int(match[2])
    date(2000, month, day)  # a leap year: raises ValueError for 02-30, 13-01 and the like
    return month, day


def anniversary_on(month_day: str, year: int) -> date:
    """The anniversary in ``year``; a 02-29 anniversary falls on 02-28 in other years."""
    month, day = parse_month_day(month_day)
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, 2, 28)


def anniversary_near(
    today: date, month_day: str | None, lookahead_days: int = DEFAULT_LOOKAHEAD_DAYS
) -> Occasion | None:
    """The bank's anniversary if it falls from ``today`` to ``lookahead_days`` ahead."""
    if not month_day:
        return None
    for year in (today.year, today.year + 1):
        on = anniversary_on(month_day, year)
        days = (on - today).days
        if 0 <= days <= lookahead_days:
            return Occasion("bank_anniversary", BANK_ANNIVERSARY_NAME, on, days)
    return None


def nearest_anniversary(today: date, month_day: str) -> Occasion:
    """The anniversary at its nearest occurrence, past or coming (the officer named it)."""
    days_list = [
        (anniversary_on(month_day, y) - today).days
        for y in (today.year - 1, today.year, today.year + 1)
    ]
    days = min(days_list, key=lambda d: (abs(d), d < 0))
    return Occasion("bank_anniversary", BANK_ANNIVERSARY_NAME, today + timedelta(days=days), days)


def renewal_occasion(
    today: date,
    days_to_maturity: int | None,
    window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
) -> Occasion | None:
    """The renewal window when the nearest maturity is 0 to ``window_days`` days away.

    An overdue loan (negative days) opens no renewal talk: that visit is about the arrears,
    and the officer should not dress it up.
    """
    if days_to_maturity is None or not 0 <= days_to_maturity <= window_days:
        return None
    return Occasion(
        "renewal_window", on=today + timedelta(days=days_to_maturity), days=days_to_maturity
    )


def campaign_occasions(
    campaigns: Iterable[Campaign], today: date, kind: str | None = None
) -> list[Occasion]:
    """One ``new_product`` occasion per campaign running today (for ``kind`` clients, if given),
    the one ending soonest first."""
    running = [c for c in campaigns if c.running(today) and (kind is None or kind in c.kinds)]
    return [
        Occasion("new_product", c.name, c.ends, (c.ends - today).days)
        for c in sorted(running, key=lambda c: (c.ends, c.id))
    ]
