"""What an officer types to correct a field read from a document, in the field's type: money,
a consumption with its unit, a date, a choice (in either language), a credit code, or text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from assistant.errors import InvalidInput
from assistant.evidence.creditcode import is_valid_credit_code
from assistant.visits.parsing import ParseError, parse_date, parse_quantity

MONEY_FIELDS = frozenset({"registered_capital", "credits_total", "debits_total", "amount"})
DATE_FIELDS = frozenset({"established_on", "period_start", "period_end", "issued_on"})
NUMBER_FIELDS = frozenset({"consumption"})
CHOICES: Mapping[str, tuple[str, ...]] = {
    "utility": ("electricity", "water", "gas", "phone"),
    "consumption_unit": ("kWh", "m3", "t", "min"),
}
# Words an officer may type for a choice field, in either language.
CHOICE_WORDS: Mapping[str, str] = {
    "电": "electricity",
    "电费": "electricity",
    "水": "water",
    "水费": "water",
    "燃气": "gas",
    "气": "gas",
    "电话": "phone",
    "话费": "phone",
    "度": "kWh",
    "千瓦时": "kWh",
    "kwh": "kWh",
    "立方米": "m3",
    "方": "m3",
    "m3": "m3",
    "吨": "t",
    "t": "t",
    "分钟": "min",
    "min": "min",
}
CONSUMPTION_UNIT = re.compile(r"\s*(千瓦时|kwh|kw·h|度|吨|立方米|立方|m3|m³|分钟|min)\s*$", re.I)
MAX_TEXT = 200


def parse_field(field: str, text: str, *, today: date) -> Any:
    """A value the officer typed for ``field``, in the field's type.

    Raises:
        InvalidInput: with a message key that says what was expected.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise InvalidInput("ocr.correct.empty")
    try:
        if field in MONEY_FIELDS:
            return float(parse_quantity(cleaned, "元", minimum=0).value)
        if field in NUMBER_FIELDS:
            # The unit goes first: 千 in 千瓦时 is not "thousand".
            bare = CONSUMPTION_UNIT.sub("", cleaned)
            return float(parse_quantity(bare, "人", minimum=0).value)
        if field in DATE_FIELDS:
            return parse_date(cleaned, today=today).isoformat()
    except ParseError as exc:
        raise InvalidInput(f"ocr.correct.{_kind(field)}") from exc
    if field in CHOICES:
        by_case = {choice.lower(): choice for choice in CHOICES[field]}
        word = CHOICE_WORDS.get(cleaned.lower()) or by_case.get(cleaned.lower(), cleaned)
        if word not in CHOICES[field]:
            raise InvalidInput("ocr.correct.choice", choices=" / ".join(CHOICES[field]))
        return word
    if field == "credit_code":
        code = re.sub(r"\s", "", cleaned).upper()
        if not is_valid_credit_code(code):
            raise InvalidInput("ocr.correct.credit_code")
        return code
    if field == "large_items":
        raise InvalidInput("ocr.correct.not_editable")
    return cleaned[:MAX_TEXT]


def _kind(field: str) -> str:
    if field in MONEY_FIELDS:
        return "money"
    if field in NUMBER_FIELDS:
        return "number"
    return "date"
