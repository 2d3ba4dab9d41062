"""The utility or phone bill: utility, period, amount and consumption."""

from __future__ import annotations

import re

from assistant.evidence.extract.lexicon import DEFAULT_UNITS, UNIT_WORDS, UTILITY_KEYWORDS
from assistant.evidence.extract.numbers import normalize, parse_money, parse_number, parse_period
from assistant.evidence.extract.page import _field, _float, _Page, _text_value
from assistant.evidence.model import Field


def _utility_kind(page: _Page) -> tuple[str, float] | None:
    """Electricity, water, gas or phone, by which words the bill uses most; and how clearly."""
    text = re.sub(r"\s", "", "".join(page.texts)).lower()
    counts = {
        kind: sum(text.count(word) for word in words) for kind, words in UTILITY_KEYWORDS.items()
    }
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    (kind, best), (_other, second) = ranked[0], ranked[1]
    return (kind, best / (best + second)) if best else None


def _quantity(text: str) -> tuple[float, str | None] | None:
    match = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*([a-zA-Z\u4e00-\u9fff³]*)", text)
    value = parse_number(match[1]) if match else None
    if match is None or value is None:
        return None
    return float(value), _unit_in(match[2], start=True)


def _unit_in(text: str, *, start: bool = False) -> str | None:
    text = normalize(text).lower().replace("³", "3")
    for word, unit in UNIT_WORDS:
        if text.startswith(word) if start else word in text:
            return unit
    return None


def read(page: _Page) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    kind = _utility_kind(page)
    if kind is not None:
        fields["utility"] = Field("utility", kind[0], round(page.score * kind[1], 4), kind[0])
    name = page.first("account_name", _text_value)
    if name is not None:
        fields["account_name"] = _field("account_name", *name)
    period = page.first("period", parse_period)
    if period is not None:
        (start, end), read = period
        fields["period_start"] = _field("period_start", start.isoformat(), read)
        fields["period_end"] = _field("period_end", end.isoformat(), read)
    amount = page.first("amount", parse_money, ranked=True)
    if amount is not None and amount[0] >= 0:
        fields["amount"] = _field("amount", _float(amount[0]), amount[1])
    quantity = page.first("consumption", _quantity, ranked=True)
    if quantity is not None:
        (value, unit), read = quantity
        fields["consumption"] = _field("consumption", value, read)
        # Else the unit printed by the label ("用电量(千瓦时)"), else the only one for the kind.
        if unit is None and read.hit is not None:
            hit = read.hit
            later = [h.start for h in page.hits[hit.row] if h.start >= hit.end]
            unit = _unit_in(page.texts[hit.row][hit.end : min(later, default=None)])
        if unit is None and kind is not None:
            unit = DEFAULT_UNITS.get(kind[0])
        if unit is not None:
            fields["consumption_unit"] = _field("consumption_unit", unit, read)
    return fields
