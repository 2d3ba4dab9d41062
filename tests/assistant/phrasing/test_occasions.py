"""Occasions from the calendar: festival dates, the look-ahead window, 拜年 after 春节, the bank's
anniversary, the renewal window and campaigns."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lunar_python import Lunar

from assistant.data.vocabulary import Bilingual
from assistant.phrasing.occasions import (
    FESTIVAL_KEYS,
    SPRING_FESTIVAL_DAYS_AFTER,
    Campaign,
    Occasion,
    anniversary_near,
    anniversary_on,
    campaign_occasions,
    festival_date,
    festivals_near,
    nearest_festival,
    parse_month_day,
    renewal_occasion,
)


@pytest.mark.parametrize(
    ("key", "year", "expected"),
    [
        ("spring_festival", 2026, date(2026, 2, 17)),
        ("lantern", 2026, date(2026, 3, 3)),
        ("dragon_boat", 2026, date(2026, 6, 19)),
        ("mid_autumn", 2026, date(2026, 9, 25)),
        ("spring_festival", 2025, date(2025, 1, 29)),
        ("mid_autumn", 2025, date(2025, 10, 6)),
        ("dragon_boat", 2025, date(2025, 5, 31)),
        ("spring_festival", 2027, date(2027, 2, 6)),
        ("mid_autumn", 2027, date(2027, 9, 15)),
        ("spring_festival", 2024, date(2024, 2, 10)),
        ("mid_autumn", 2024, date(2024, 9, 17)),
        ("national_day", 2026, date(2026, 10, 1)),
        ("new_year", 2027, date(2027, 1, 1)),
    ],
)
def test_festival_dates_for_known_years(key: str, year: int, expected: date):
    assert festival_date(key, year) == expected


@pytest.mark.parametrize("year", [2001, 2023, 2033, 2050])
def test_lunar_festivals_convert_back_to_their_lunar_day(year: int):
    for key, (month, day) in {
        "spring_festival": (1, 1),
        "lantern": (1, 15),
        "dragon_boat": (5, 5),
        "mid_autumn": (8, 15),
    }.items():
        solar = festival_date(key, year)
        lunar = Lunar.fromYmd(year, month, day)
        assert (lunar.getMonth(), lunar.getDay()) == (month, day)
        back = lunar.getSolar()
        assert (back.getYear(), back.getMonth(), back.getDay()) == (
            solar.year,
            solar.month,
            solar.day,
        )


def keys(occasions: list[Occasion]) -> list[str]:
    return [o.key for o in occasions]


def test_the_window_counts_the_day_itself_and_fourteen_days_before():
    mid_autumn = date(2026, 9, 25)
    assert "mid_autumn" in keys(festivals_near(mid_autumn - timedelta(days=14)))
    assert "mid_autumn" not in keys(festivals_near(mid_autumn - timedelta(days=15)))
    (today,) = [o for o in festivals_near(mid_autumn) if o.key == "mid_autumn"]
    assert today.days == 0 and today.timing == "on"
    # No after-days for 中秋: the day after, it is no longer an occasion.
    assert "mid_autumn" not in keys(festivals_near(mid_autumn + timedelta(days=1)))


def test_the_window_is_configurable():
    assert "mid_autumn" in keys(festivals_near(date(2026, 9, 5), lookahead_days=20))
    assert "mid_autumn" not in keys(festivals_near(date(2026, 9, 20), lookahead_days=3))


def test_spring_festival_stays_an_occasion_for_new_year_calls_after_it():
    spring = date(2026, 2, 17)
    after = [o for o in festivals_near(spring + timedelta(days=8)) if o.key == "spring_festival"]
    assert len(after) == 1
    assert after[0].days == -8 and after[0].timing == "after"
    last = spring + timedelta(days=SPRING_FESTIVAL_DAYS_AFTER)
    assert "spring_festival" in keys(festivals_near(last))
    assert "spring_festival" not in keys(festivals_near(last + timedelta(days=1)))


def test_the_window_crosses_the_year_end():
    found = festivals_near(date(2026, 12, 25))
    assert keys(found) == ["new_year"]
    assert found[0].on == date(2027, 1, 1) and found[0].days == 7


def test_festivals_come_nearest_first():
    # 2025: 国庆 on 10-01 and 中秋 on 10-06 are both within the window from 09-28.
    found = festivals_near(date(2025, 9, 28))
    assert keys(found) == ["national_day", "mid_autumn"]
    assert [o.days for o in found] == [3, 8]


def test_nearest_festival_reaches_past_the_window_for_the_officer():
    ahead = nearest_festival("dragon_boat", date(2026, 5, 1))
    assert (ahead.on, ahead.days) == (date(2026, 6, 19), 49)
    behind = nearest_festival("mid_autumn", date(2026, 10, 3))
    assert (behind.on, behind.days, behind.timing) == (date(2026, 9, 25), -8, "after")
    assert set(FESTIVAL_KEYS) == {
        "spring_festival",
        "lantern",
        "dragon_boat",
        "mid_autumn",
        "national_day",
        "new_year",
    }


def test_the_bank_anniversary():
    assert parse_month_day("06-18") == (6, 18)
    for bad in ("6-18", "13-01", "02-30", "06/18", ""):
        with pytest.raises(ValueError, match=r"."):
            parse_month_day(bad)
    near = anniversary_near(date(2026, 6, 10), "06-18")
    assert near is not None and (near.key, near.days) == ("bank_anniversary", 8)
    assert anniversary_near(date(2026, 6, 19), "06-18") is None
    assert anniversary_near(date(2026, 6, 10), None) is None
    assert anniversary_near(date(2026, 12, 28), "01-05") is not None
    # A 02-29 anniversary falls on 02-28 in the other years.
    assert anniversary_on("02-29", 2026) == date(2026, 2, 28)
    assert anniversary_on("02-29", 2028) == date(2028, 2, 29)


def test_the_renewal_window():
    today = date(2026, 9, 20)
    occasion = renewal_occasion(today, 40, 90)
    assert occasion is not None
    assert (occasion.key, occasion.days, occasion.on) == ("renewal_window", 40, date(2026, 10, 30))
    assert renewal_occasion(today, 90, 90) is not None
    assert renewal_occasion(today, 91, 90) is None
    assert renewal_occasion(today, None, 90) is None
    # An overdue loan is not a renewal conversation.
    assert renewal_occasion(today, -3, 90) is None


def test_campaigns_run_between_their_dates_for_their_kinds():
    spring = Campaign(
        "spring", Bilingual("春季贷", "the spring loan"), date(2026, 3, 1), date(2026, 4, 30)
    )
    shops = Campaign(
        "shops",
        Bilingual("商户贷", "the shop loan"),
        date(2026, 1, 1),
        date(2026, 3, 31),
        kinds=("individual",),
    )
    assert campaign_occasions([spring, shops], date(2026, 2, 28), "corporate") == []
    running = campaign_occasions([spring, shops], date(2026, 3, 15), "individual")
    # The one ending soonest comes first.
    assert [o.name.zh for o in running if o.name] == ["商户贷", "春季贷"]
    assert [o.name.zh for o in campaign_occasions([spring, shops], date(2026, 3, 15), "corporate")
            if o.name] == ["春季贷"]  # fmt: skip
    assert campaign_occasions([spring], date(2026, 4, 30)) != []
    assert campaign_occasions([spring], date(2026, 5, 1)) == []


@pytest.mark.parametrize(
    ("occasion", "zh", "en"),
    [
        (
            Occasion(
                "mid_autumn", Bilingual("中秋", "the Mid-Autumn Festival"), date(2026, 9, 25), 5
            ),
            "中秋将至（9月25日）",
            "The Mid-Autumn Festival is 5 days away (25 Sep)",
        ),
        (
            Occasion("national_day", Bilingual("国庆", "National Day"), date(2026, 10, 1), 0),
            "今天是国庆",
            "Today is National Day",
        ),
        (
            Occasion(
                "spring_festival", Bilingual("春节", "the Spring Festival"), date(2026, 2, 17), -3
            ),
            "春节刚过3天（2月17日）",
            "The Spring Festival was 3 days ago (17 Feb)",
        ),
        (
            Occasion("renewal_window", on=date(2026, 11, 19), days=60),
            "贷款60天后到期（11月19日）",
            "The loan matures in 60 days (19 Nov)",
        ),
        (Occasion("passing_by", folded=True), "这次走访和别的行程顺路", "This visit is on the way"),
        (Occasion("general"), "不挑时机", "Works at any time"),
    ],
)
def test_why_says_what_the_occasion_is_and_when(occasion: Occasion, zh: str, en: str):
    assert occasion.why("zh").startswith(zh)
    assert occasion.why("en").startswith(en)
