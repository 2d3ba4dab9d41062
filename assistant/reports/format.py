"""Display values: a stored answer as the report shows it, in the report's language.

Every figure in a report passes through here, so one rule holds everywhere: amounts are stored in
yuan; in Chinese, whole amounts of 10,000 yuan and more read as 万元 ("25万元"), smaller ones or
amounts with fen as 元; in English every amount reads "CNY 250,000".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from assistant.clock import local
from assistant.data.checklist import AnswerType, Item
from assistant.data.vocabulary import CHECKS, checks_of
from assistant.risk.display import nothing

TRAILING_PUNCTUATION = "。．.；;，,：:！!？? \n\t"


def format_number(value: float | Decimal, decimals: int = 2) -> str:
    """``1234567.5`` → ``1,234,567.5``; whole numbers without decimals, at most ``decimals``."""
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    text = f"{number:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_money(value: float | Decimal, labels: Mapping[str, Any]) -> str:
    """An amount in yuan as the report's language writes it (see the module docstring)."""
    number = float(value)
    unit = int(labels["money_unit"])
    # Only whole yuan are scaled: 12,345.67 元 must not lose its fen as "1.23万元".
    if unit > 1 and abs(number) >= unit and number.is_integer():
        return labels["money_large"].format(n=format_number(number / unit, decimals=4))
    return labels["money_small"].format(n=format_number(number))


def format_date(value: date | str, labels: Mapping[str, Any]) -> str:
    """A date (or an ISO date string, as answers store it) in the report's style."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return labels["date"].format(y=day.year, m=day.month, d=day.day)


def format_datetime(moment: datetime, labels: Mapping[str, Any], tz: tzinfo) -> str:
    """A stored moment to the minute, as the clock in ``tz`` (the bank's ``TIMEZONE``) showed it."""
    shown = local(moment, tz)
    return labels["datetime"].format(
        date=format_date(shown.date(), labels), hh=shown.hour, mm=shown.minute
    )


def format_time(moment: datetime, tz: tzinfo) -> str:
    """``HH:MM`` of a stored moment, in ``tz``."""
    shown = local(moment, tz)
    return f"{shown.hour:02d}:{shown.minute:02d}"


def format_quantity(value: float, unit: str | None, labels: Mapping[str, Any]) -> str:
    """A number with its checklist unit: ``35 人`` / ``35 people``, ``1 person``, ``15%``."""
    number = format_number(value)
    if unit is None:
        return number
    table = labels["units_one"] if float(value) == 1 else labels["units"]
    pattern = table.get(unit)
    return pattern.format(n=number) if pattern else f"{number} {unit}"


def display_value(item: Item, value: Any, labels: Mapping[str, Any], approximate: bool) -> str:
    """A stored answer to ``item`` as shown in the report.

    Args:
        item: the question answered.
        value: as stored: bool for yes/no, an option id for a choice, a number for number and
            money (yuan; % as 0–100), an ISO date string, or text.
        labels: the report language's labels.
        approximate: the officer gave an estimate ("大概三十个人"); the value reads "约…".
    """
    # Nothing reads as words, not as a figure: 「自有场地，不交租」, not 「月租金0元」.
    said = nothing(item, value)
    if said is not None:
        return said.get(labels["lang"])
    shown = _plain_value(item, value, labels)
    if approximate and item.type in (AnswerType.NUMBER, AnswerType.MONEY):
        return labels["approx"].format(v=shown)
    return shown


def _plain_value(item: Item, value: Any, labels: Mapping[str, Any]) -> str:
    if value is None:
        return labels["empty"]
    match item.type:
        case AnswerType.YES_NO:
            return (
                labels["yes"] if value is True else labels["no"] if value is False else str(value)
            )
        case AnswerType.CHOICE:
            try:
                return item.option(str(value)).label.get(labels["lang"])
            except KeyError:
                # An option the bank has since removed from the checklist: show what was stored.
                return str(value)
        case AnswerType.MONEY if _is_number(value):
            return format_money(value, labels)
        case AnswerType.NUMBER if _is_number(value):
            return format_quantity(float(value), item.unit, labels)
        case AnswerType.DATE:
            try:
                return format_date(value, labels)
            except (TypeError, ValueError):
                return str(value)
        case _:
            return str(value).strip() or labels["empty"]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def bare(text: str) -> str:
    """Text without its closing punctuation, to be placed inside a sentence."""
    return str(text).rstrip(TRAILING_PUNCTUATION)


def lcfirst(text: str) -> str:
    """``"As agreed"`` → ``"as agreed"`` inside an English sentence; Chinese is unchanged."""
    text = str(text)
    return text[:1].lower() + text[1:]


def format_checks(check_type: str, labels: Mapping[str, Any]) -> str:
    """A visit's checks by name, ``首次用途检查＋定期检查`` when it made two."""
    names = labels["check_type"]
    made = checks_of(check_type)
    return names.get("joiner", " + ").join(names.get(c, c) for c in CHECKS if c in made)
