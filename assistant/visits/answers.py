"""An officer's words as the typed answer of one checklist question.

What each answer type accepts lives here, in one ``match``: a new answer type is one more case.
The text-level readers (numbers with units, yes/no, dates) are in :mod:`assistant.visits.parsing`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from assistant.data.checklist import AnswerType, Item
from assistant.visits.parsing import ParseError, parse_date, parse_quantity, parse_yes_no

# A figure as said aloud: digits or Chinese numerals, with an optional unit after it.
SPOKEN_FIGURE = re.compile(
    r"(?:大概|大约|差不多|约)?[0-9０-９零〇一二两三四五六七八九十百千万亿点.,，]+"
    r"(?:万元|元|块|万|人|个|平方米|平米|平|%|百分之[零一二三四五六七八九十百]+|天|个月|月)?"
)


def parse_answer(item: Item, text: str, today: date) -> tuple[Any, bool]:
    """The typed value of ``text`` for ``item`` and whether it is approximate.

    Raises:
        ParseError: the text cannot be read as this item's answer.
    """
    match item.type:
        case AnswerType.NUMBER | AnswerType.MONEY:
            low, high = item.typed_range()
            unit = item.unit or "人"
            quantity = parse_quantity(text, unit, minimum=low, maximum=high)
            value = quantity.value * Decimal(item.scale)
            return float(value), quantity.approximate
        case AnswerType.YES_NO:
            return parse_yes_no(text), False
        case AnswerType.DATE:
            return parse_date(text, today=today).isoformat(), False
        case AnswerType.CHOICE:
            return _choice(item, text), False
        case _:
            cleaned = text.strip()
            if not cleaned:
                raise ParseError("visit.parse.empty")
            return cleaned[:2000], False


def parse_spoken(item: Item, text: str, today: date) -> tuple[Any, str]:
    """Like :func:`parse_answer`, for a transcript: people say whole sentences ("去年大概五百万"),
    so a number question also takes the one figure said in it. Returns the value and the words it
    was read from, which are what to record.

    Raises:
        ParseError: as :func:`parse_answer`, when no single figure reads either.
    """
    try:
        return parse_answer(item, text, today)[0], text
    except ParseError:
        if item.type not in (AnswerType.NUMBER, AnswerType.MONEY):
            raise
        readings = []
        for fragment in SPOKEN_FIGURE.findall(text):
            try:
                readings.append((parse_answer(item, fragment, today)[0], fragment))
            except ParseError:
                continue
        if len(readings) != 1:
            raise
        return readings[0]


def _choice(item: Item, text: str) -> str:
    cleaned = text.strip().lower()
    for option in item.options:
        if cleaned in (option.id.lower(), option.label.zh.lower(), option.label.en.lower()):
            return option.id
    raise ParseError(
        "visit.parse.not_a_choice", choices=" / ".join(o.label.zh for o in item.options)
    )
