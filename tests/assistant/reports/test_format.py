"""Display values: 万元 in Chinese, CNY in English, units, 约/approx., yes/no, options, dates."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.data.checklist import Checklist
from assistant.reports.format import (
    bare,
    display_value,
    format_datetime,
    format_money,
    format_number,
    lcfirst,
)
from assistant.reports.labels import DEFAULT_TEMPLATES, load_labels

ZH = load_labels(DEFAULT_TEMPLATES, "zh")
EN = load_labels(DEFAULT_TEMPLATES, "en")


@pytest.mark.parametrize(
    ("yuan", "zh", "en"),
    [
        (250_000, "25万元", "CNY 250,000"),
        (255_000, "25.5万元", "CNY 255,000"),
        (12_345, "1.2345万元", "CNY 12,345"),
        (12_345.67, "12,345.67元", "CNY 12,345.67"),
        (9_999, "9,999元", "CNY 9,999"),
        (0, "0元", "CNY 0"),
        (52_000_000, "5,200万元", "CNY 52,000,000"),
    ],
)
def test_money_reads_as_wan_in_chinese_and_cny_in_english(yuan: float, zh: str, en: str):
    assert format_money(yuan, ZH) == zh
    assert format_money(yuan, EN) == en


def test_numbers_drop_needless_decimals():
    assert format_number(35.0) == "35"
    assert format_number(18.50) == "18.5"
    assert format_number(1 / 3) == "0.33"
    assert format_number(-0.001) == "0"


def test_answers_are_shown_with_units_labels_and_approximation(checklist: Checklist):
    staff = checklist.item("flow.interview.staff.headcount_total")
    assert display_value(staff, 35.0, ZH, approximate=True) == "约35人"
    assert display_value(staff, 35.0, EN, approximate=True) == "approx. 35 people"
    assert display_value(staff, 1.0, EN, approximate=False) == "1 person"
    share = checklist.item("flow.interview.liquidity.receivables_share")
    assert display_value(share, 15.0, EN, approximate=False) == "15%"
    wage = checklist.item("flow.interview.staff.avg_monthly_wage")
    assert display_value(wage, 4500.0, ZH, approximate=False) == "4,500元"
    funds = checklist.item("flow.interview.liquidity.emergency_funds")
    assert display_value(funds, 250_000.0, ZH, approximate=True) == "约25万元"


def test_nothing_is_written_as_the_questions_own_words(checklist: Checklist):
    """「月租金0元」 for an owned shop reads as a figure: the report says what was tapped."""
    rent = checklist.item("flow.interview.staff.monthly_rent")
    assert display_value(rent, 0.0, ZH, approximate=False) == "自有场地，不交租"
    assert display_value(rent, 0.0, EN, approximate=True) == "Owned, no rent"
    terms = checklist.item("flow.interview.liquidity.receivables_terms")
    assert display_value(terms, 0.0, ZH, approximate=False) == "现款现结"
    assert display_value(rent, 8000.0, ZH, approximate=False) == "8,000元"
    spent = checklist.item("flow.interview.loan_use.amount_used")
    assert display_value(spent, 0.0, ZH, approximate=False) == "0元", "no words of its own"


def test_yes_no_choices_dates_and_text(checklist: Checklist):
    yes_no = checklist.item("flow.interview.debt.other_debts")
    assert [display_value(yes_no, v, ZH, False) for v in (True, False)] == ["是", "否"]
    assert [display_value(yes_no, v, EN, False) for v in (True, False)] == ["Yes", "No"]
    choice = checklist.item("flow.interview.loan_use.used_as_agreed")
    assert display_value(choice, "partly", ZH, False) == "部分不一致"
    assert display_value(choice, "partly", EN, False) == "Partly different"
    # An option the bank removed later still shows what was stored.
    assert display_value(choice, "retired_option", EN, False) == "retired_option"
    when = checklist.item("check.corporate.periodic.project.expected_completion")
    assert display_value(when, "2026-09-30", ZH, False) == "2026年9月30日"
    assert display_value(when, "2026-09-30", EN, False) == "2026-09-30"
    assert display_value(when, "next spring", EN, False) == "next spring"
    text = checklist.item("flow.interview.loan_use.actual_use")
    assert display_value(text, "  进货  ", ZH, True) == "进货"
    assert display_value(text, None, ZH, False) == "—"


def test_times_are_shown_in_the_banks_time_zone():
    moment = datetime(2026, 3, 2, 1, 5, tzinfo=UTC)
    assert format_datetime(moment, ZH, ZoneInfo("Asia/Shanghai")) == "2026年3月2日 09:05"
    assert format_datetime(moment, EN, ZoneInfo("Asia/Shanghai")) == "2026-03-02 09:05"
    assert ZH["date"].format(y=2026, m=3, d=2) == "2026年3月2日"
    assert date(2026, 3, 2).isoformat() == EN["date"].format(y=2026, m=3, d=2)


def test_text_helpers_for_sentences():
    assert bare("进货。") == "进货"
    assert bare("Ask for the money back.") == "Ask for the money back"
    assert lcfirst("As agreed") == "as agreed"
    assert lcfirst("一致") == "一致"
