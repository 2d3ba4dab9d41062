"""Values as findings quote them: units in both languages, money in 万元 for Chinese readers."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.data.vocabulary import Bilingual
from assistant.risk import display


@pytest.mark.parametrize(
    ("yuan", "zh", "en"),
    [
        (0, "0元", "CNY 0"),
        (8_000, "8,000元", "CNY 8,000"),
        (9_999.5, "9,999.5元", "CNY 9,999.5"),
        (10_000, "1万元", "CNY 10,000"),
        (250_000, "25万元", "CNY 250,000"),
        (1_234_567, "123.46万元", "CNY 1,234,567"),
        (120_000_000, "12,000万元", "CNY 120,000,000"),
    ],
)
def test_money_is_shown_in_wan_from_ten_thousand_yuan(yuan, zh, en):
    assert display.money(yuan) == Bilingual(zh, en)


@pytest.mark.parametrize(
    ("value", "unit", "zh", "en"),
    [
        (35, "人", "35人", "35 people"),
        (1, "人", "1人", "1 person"),
        (120.5, "平方米", "120.5平方米", "120.5 m²"),
        (30, "天", "30天", "30 days"),
        (1, "月", "1月", "1 month"),
        (37.5, "%", "37.5%", "37.5%"),
    ],
)
def test_numbers_carry_their_unit_in_both_languages(value, unit, zh, en):
    assert display.quantity(value, unit) == Bilingual(zh, en)


def test_an_infinite_share_is_not_shown_as_a_number():
    shown = display.percent(float("inf"))

    assert "无法计算" in shown.zh and "n/a" in shown.en


def test_answers_are_shown_by_type(checklist):
    item = checklist.item

    assert display.answer(item("flow.interview.debt.other_debts"), True) == Bilingual("是", "yes")
    assert display.answer(item("flow.interview.debt.other_debts"), False) == Bilingual("否", "no")
    assert display.answer(item("flow.interview.repayment.pressure"), "high") == Bilingual(
        "较大", "Heavy"
    )
    assert display.answer(item("flow.interview.liquidity.receivables"), 3_000_000.0) == Bilingual(
        "300万元", "CNY 3,000,000"
    )
    assert display.answer(
        item("check.corporate.periodic.project.expected_completion"), date(2025, 3, 1)
    ) == Bilingual("2025-03-01", "2025-03-01")


def test_long_text_is_cut_short_with_an_ellipsis(checklist):
    shown = display.answer(checklist.item("flow.interview.loan_use.actual_use"), "买货 " * 200)

    assert shown is not None
    assert len(shown.zh) == display.TEXT_LIMIT and shown.zh.endswith("…")


@pytest.mark.parametrize(
    ("item_id", "value"),
    [
        ("flow.interview.debt.other_debts", "yes"),
        ("flow.interview.staff.headcount_total", True),
        ("flow.interview.liquidity.receivables", "many"),
        ("flow.interview.repayment.pressure", 3),
        ("flow.interview.loan_use.actual_use", "   "),
    ],
)
def test_an_answer_of_the_wrong_type_has_no_display_value(checklist, item_id, value):
    assert display.answer(checklist.item(item_id), value) is None


def test_a_removed_option_is_shown_by_its_id(checklist):
    shown = display.answer(checklist.item("flow.interview.repayment.pressure"), "extreme")

    assert shown == Bilingual("extreme", "extreme")
