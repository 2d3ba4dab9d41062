"""How a finding quotes a value, in both languages: "35人"/"35 people", "25万元"/"CNY 250,000".

Stored answers are typed (see :class:`assistant.risk.model.RiskFacts`); these helpers turn them into
the short texts a finding's evidence and detail show.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from assistant.data.checklist import AnswerType, Item
from assistant.data.vocabulary import Bilingual

# Chinese readers count money in 万 (10,000); English readers in plain figures.
WAN = 10_000
NOT_GIVEN = Bilingual("—", "—")
YES = Bilingual("是", "yes")
NO = Bilingual("否", "no")
# unit → (English plural, English singular); % is written without a space in both languages.
UNITS_EN: dict[str, tuple[str, str]] = {
    "人": ("people", "person"),
    "平方米": ("m²", "m²"),
    "天": ("days", "day"),
    "月": ("months", "month"),
}
TEXT_LIMIT = 200


def figure(value: float, digits: int = 2) -> str:
    """``1234567.5`` → ``1,234,567.5``; ``25.0`` → ``25``: no trailing zeros."""
    text = f"{value:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(yuan: float) -> Bilingual:
    """An amount stored in yuan: 万元 in Chinese from 10,000 up, CNY in English."""
    # Chinese writes a figure and its unit together (30万元), as the bank's forms do.
    zh = f"{figure(yuan / WAN)}万元" if abs(yuan) >= WAN else f"{figure(yuan)}元"
    return Bilingual(zh, f"CNY {figure(yuan)}")


def percent(value: float) -> Bilingual:
    """A percentage written 0–100; an infinite one (a share of nothing) cannot be shown."""
    if not math.isfinite(value):
        return Bilingual("无法计算（基数为 0）", "n/a (zero base)")
    text = f"{figure(value, 1)}%"
    return Bilingual(text, text)


def quantity(value: float, unit: str) -> Bilingual:
    """A number with its checklist unit (人, 平方米, %, 天, 月)."""
    if unit == "%":
        return percent(value)
    plural, singular = UNITS_EN.get(unit, (unit, unit))
    number = figure(value)
    return Bilingual(f"{number}{unit}", f"{number} {singular if value == 1 else plural}")


def days(value: float) -> Bilingual:
    return quantity(value, "天")


def text(value: str) -> Bilingual:
    """Free text as typed, cut short: a finding quotes it, the report shows it in full."""
    cleaned = " ".join(value.split())
    if len(cleaned) > TEXT_LIMIT:
        cleaned = cleaned[: TEXT_LIMIT - 1] + "…"
    return Bilingual(cleaned, cleaned)


def number_of(value: Any) -> float | None:
    """A stored numeric answer as a float; ``None`` for anything else (``True`` is not 1 here)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def nothing(item: Item, value: Any) -> Bilingual | None:
    """A zero answer in words ("自有场地，不交租"), as the question's own quick reply says it;
    ``None`` for any other value, or when the question has no such reply."""
    number = number_of(value)
    if number != 0 or item.type not in (AnswerType.MONEY, AnswerType.NUMBER):
        return None
    return next((q.label for q in item.quick if q.value == 0), None)


def answer(item: Item, value: Any) -> Bilingual | None:
    """The display value of a stored answer, or ``None`` when it does not fit the question
    (an answer stored before the bank changed the question's type)."""
    match item.type:
        case AnswerType.YES_NO:
            return (YES if value else NO) if isinstance(value, bool) else None
        case AnswerType.CHOICE:
            if not isinstance(value, str):
                return None
            try:
                return item.option(value).label
            except KeyError:  # an option the bank has since removed: show its id
                return Bilingual(value, value)
        case AnswerType.MONEY | AnswerType.NUMBER:
            number = number_of(value)
            if number is None:
                return None
            said = nothing(item, number)
            if said is not None:
                return said
            if item.type is AnswerType.MONEY:
                return money(number)
            return quantity(number, item.unit or "")
        case AnswerType.DATE:
            if isinstance(value, date):
                value = value.isoformat()
            return Bilingual(value, value) if isinstance(value, str) else None
        case _:
            return text(value) if isinstance(value, str) and value.strip() else None
