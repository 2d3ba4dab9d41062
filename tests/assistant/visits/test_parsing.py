"""Reading typed answers: Chinese numerals, units, ranges, approximations; never a crash."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assistant.visits.parsing import (
    ParseError,
    numeral_value,
    parse_date,
    parse_quantity,
    parse_yes_no,
)

DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """A reference spelling of ``n`` (< 10**12) in Chinese numerals, the formal way."""
    if n == 0:
        return "零"

    def section(x: int) -> str:
        out, pending_zero = "", False
        for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = x // value % 10
            if digit == 0:
                pending_zero = bool(out)
                continue
            if pending_zero:
                out += "零"
                pending_zero = False
            out += DIGITS[digit] + unit
        return out

    result, need_zero = "", False
    for value, unit in ((n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")):
        if value == 0:
            need_zero = bool(result)
            continue
        if result and (need_zero or value < 1000):
            result += "零"
        need_zero = False
        result += section(value) + unit
    return result


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_every_formal_chinese_numeral_reads_back(n):
    assert numeral_value(to_chinese(n)) == n


@given(st.integers(min_value=10, max_value=19))
def test_the_spoken_short_form_of_the_teens_reads_back(n):
    assert numeral_value(to_chinese(n).removeprefix("一")) == n


@given(st.integers(min_value=0, max_value=10**9))
def test_arabic_numbers_with_thousands_separators_read_back(n):
    assert parse_quantity(f"{n:,}", "人").value == n


@given(st.decimals(min_value=0, max_value=100000, places=2))
def test_wan_amounts_convert_between_yuan_and_wan(amount):
    yuan = parse_quantity(f"{amount}万", "元").value
    assert yuan == amount * 10000
    assert parse_quantity(f"{amount}万", "万元").value == amount


@given(st.text(max_size=60))
@example("10000000000000000000000000000")
def test_any_text_is_read_or_refused_cleanly(text):
    for unit in ("人", "平方米", "元", "万元", "%", "天", "月"):
        try:
            result = parse_quantity(text, unit, minimum=0, maximum=10**12)
        except ParseError as error:
            keys = {error.key}
        else:
            keys = set()
            assert 0 <= result.value <= 10**12
        assert keys <= {
            "visit.parse.not_a_number",
            "visit.parse.wrong_unit",
            "visit.parse.out_of_range",
        }


@pytest.mark.parametrize(
    ("text", "unit", "value", "approximate"),
    [
        ("三十五个人", "人", 35, False),
        ("2.5万", "元", 25000, False),
        ("one point two million", "万元", 120, False),
        ("half a million", "元", 500000, False),
        ("three point five", "%", 3.5, False),
        ("一百二十万元", "万元", 120, False),
        ("一百二十万元", "元", 1200000, False),
        ("百分之十五", "%", 15, False),
        ("约8成", "%", 80, True),
        ("120平", "平方米", 120, False),
        ("两百平米", "平方米", 200, False),
        ("两个月", "天", 60, False),
        ("半年", "月", 6, False),
        ("三万五", "元", 35000, False),
        ("一百二", "人", 120, False),
        ("三十多人", "人", 30, True),
        ("50左右", "人", 50, True),
        ("1,200,000元", "万元", 120, False),
        ("2.5k", "元", 2500, False),
        ("about 40 staff", "人", 40, True),
        ("七成五", "%", 75, False),
        ("两成五左右", "%", 25, True),
        ("3.4m", "万元", 340, False),
        ("2mn", "元", 2000000, False),
        ("about a quarter", "%", 25, True),
    ],
)
def test_what_officers_type_is_read_in_the_questions_unit(text, unit, value, approximate):
    quantity = parse_quantity(text, unit)
    assert quantity.value == Decimal(value)
    assert quantity.approximate is approximate


def test_a_range_is_kept_and_its_middle_used():
    quantity = parse_quantity("20到30人", "人")
    assert (quantity.low, quantity.high, quantity.value) == (20, 30, 25)
    assert quantity.approximate


@pytest.mark.parametrize(
    ("text", "unit", "key"),
    [
        ("三十平方米", "人", "visit.parse.wrong_unit"),
        ("不知道", "人", "visit.parse.not_a_number"),
        ("", "元", "visit.parse.not_a_number"),
        ("150%", "%", "visit.parse.out_of_range"),
    ],
)
def test_unreadable_answers_name_the_problem(text, unit, key):
    with pytest.raises(ParseError) as error:
        parse_quantity(text, unit, minimum=0, maximum=100)
    assert error.value.key == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("有的", True),
        ("嗯", True),
        ("Yes!", True),
        ("对", True),
        ("否", False),
        ("没有", False),
        ("无", False),
        ("没变化", False),
        ("no", False),
    ],
)
def test_yes_and_no_in_both_languages(text, expected):
    assert parse_yes_no(text) is expected


def test_an_unclear_yes_no_is_asked_again():
    with pytest.raises(ParseError) as error:
        parse_yes_no("看情况")
    assert error.value.key == "visit.parse.not_yes_no"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29", date(2026, 11, 29)),
        ("2026年3月1日", date(2026, 3, 1)),
        ("3月1日", date(2026, 3, 1)),
        ("昨天", date(2026, 11, 28)),
        ("明天", date(2026, 11, 30)),
        ("后天", date(2026, 12, 1)),
        ("tomorrow", date(2026, 11, 30)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text, today=date(2026, 11, 29)) == expected


def test_an_impossible_date_is_asked_again():
    with pytest.raises(ParseError):
        parse_date("2026-02-30", today=date(2026, 11, 29))


@pytest.mark.parametrize("text", ["一共35人", "员工一共35个"])
def test_words_written_with_numerals_are_not_numbers(text):
    assert parse_quantity(text, "人").value == 35
