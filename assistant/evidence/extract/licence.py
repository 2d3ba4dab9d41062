"""The business licence: credit code, name, legal representative, address, capital, date."""

from __future__ import annotations

import re
from itertools import product

from assistant.evidence.creditcode import CREDIT_CODE_ALPHABET, is_valid_credit_code
from assistant.evidence.extract.lexicon import (
    BAD_CHECK,
    CODE_AS_DIGIT,
    CODE_FORCED,
    FIXED_CHECK,
    UNITLESS,
)
from assistant.evidence.extract.numbers import _FOREIGN_CURRENCY, Money, find_money, parse_date
from assistant.evidence.extract.page import _field, _float, _Page, _text_value, _Value
from assistant.evidence.model import Field


def read(page: _Page) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    code = _credit_code(page)
    if code is not None:
        fields["credit_code"] = code
    for name in ("name", "address"):
        found = page.first(name, _text_value)
        if found is not None:
            read = page.continued(found[1])
            fields[name] = _field(name, _text_value(read.text) or found[0], read)
    found = page.first("legal_representative", _text_value, ranked=True)
    if found is not None:
        fields["legal_representative"] = _field("legal_representative", *found)
    capital = page.first("registered_capital", _capital)
    if capital is not None:
        money, read = capital
        factor = 1.0 if money.has_unit else UNITLESS
        fields["registered_capital"] = _field(
            "registered_capital", _float(money.value), read, factor
        )
    day = page.first("established_on", parse_date)
    if day is not None:
        fields["established_on"] = _field("established_on", day[0].isoformat(), day[1])
    return fields


def _capital(text: str) -> Money | None:
    """A registered capital in yuan; None for one in another currency, which has no value in
    yuan without a rate."""
    if _FOREIGN_CURRENCY.search(text):
        return None
    found = [money for money in find_money(text) if money.value > 0]
    return found[0] if found else None


_CODE_RUN = re.compile(r"[0-9A-Za-z]{15,20}")


def _code_in(text: str) -> str | None:
    runs = _CODE_RUN.findall(re.sub(r"\s", "", text))
    return min(runs, key=lambda run: abs(len(run) - 18)).upper() if runs else None


def _credit_code(page: _Page) -> Field | None:
    """The code after its label, or else the likeliest 18-character run on the page."""
    found = page.first("credit_code", _code_in)
    if found is None:
        runs = [
            (code, _Value(piece.text, (piece,), piece.left))
            for row in page.rows
            for piece in row
            if (code := _code_in(piece.text)) is not None
            and len(code) == 18
            and sum(ch.isdigit() for ch in code) >= 8
        ]
        if not runs:
            return None
        found = max(runs, key=lambda run: is_valid_credit_code(fix_credit_code(run[0])))
    code, read = found
    fixed = fix_credit_code(code)
    if not is_valid_credit_code(fixed):
        return _field("credit_code", code, read, BAD_CHECK)
    return _field("credit_code", fixed, read, 1.0 if fixed == code else FIXED_CHECK)


def fix_credit_code(code: str) -> str:
    """``code`` with OCR confusions (O→0, I→1, Z→2, S→5…) undone where that makes its check
    character right; else ``code`` as it was read.

    Only characters that cannot stand where they are change, and only when exactly one way of
    changing them passes the check, so that a guess is never passed off as a reading.
    """
    code = code.upper()
    if len(code) != 18 or is_valid_credit_code(code):
        return code
    choices: dict[int, str] = {}
    for position, ch in enumerate(code):
        if 2 <= position <= 7 and not ch.isdigit():
            choices[position] = CODE_AS_DIGIT.get(ch, "")
        elif ch not in CREDIT_CODE_ALPHABET:
            choices[position] = CODE_FORCED.get(ch, "")
    if not choices or not all(choices.values()):
        return code
    valid = set()
    for letters in product(*choices.values()):
        candidate = list(code)
        for position, letter in zip(choices, letters, strict=True):
            candidate[position] = letter
        if is_valid_credit_code(joined := "".join(candidate)):
            valid.add(joined)
    return valid.pop() if len(valid) == 1 else code
