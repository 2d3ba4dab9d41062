"""What the borrower said, as a report says it: reported speech, not a pasted chat message.

An officer types "大部分进了水暖配件，付给了永兴五金批发，还有十万左右拿去给儿子买车了"; the
report reads "主要用于进货水暖配件，付给永兴五金批发，另有约10万元用于其子购车". The rules are
plain rewrites the bank can read and change (``[[reported.rewrite]]`` in
``prompts/reports/<lang>/labels.toml``): first person to third, fillers and sentence-final
particles out. Amounts are read with the visit's own numeral parser and written the way every
other amount in the report is (:func:`~assistant.reports.format.format_money`), keeping 约 where
the officer estimated. Nothing is summarised away: a clause the rules do not know is kept as
typed, so no fact is lost, and an LLM, where one is configured, may still polish the paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from assistant.reports.format import TRAILING_PUNCTUATION, format_money
from assistant.visits.parsing import numeral_value

_NUMERAL = r"[零〇一二两三四五六七八九十百千万\d.]+"
# "十万左右", "大概五万块", "两万多", "八千来块": a figure with its unit and the words that make
# it an estimate.
_AMOUNT = re.compile(
    rf"(?P<before>大概|大约|差不多|约莫|约)?(?P<n>{_NUMERAL}?)(?P<more>来|多)?"
    rf"(?P<unit>万|千)(?:块钱|块|元)?(?P<after>左右|上下|出头)?"
)


def reported(text: str, labels: Mapping[str, Any]) -> str:
    """``text`` (what the officer typed of what the borrower said) as reported speech in the
    report's language, without its closing punctuation so that it can sit in a sentence."""
    rules = labels.get("reported", {})
    result = str(text).strip()
    if labels["lang"] == "zh":
        result = _AMOUNT.sub(lambda m: _amount(m, labels), result)
    for rule in rules.get("rewrite", ()):
        result = re.sub(rule["from"], rule["to"], result)
    return result.strip().rstrip(TRAILING_PUNCTUATION)


def _amount(match: re.Match[str], labels: Mapping[str, Any]) -> str:
    digits = match["n"]
    if not digits or digits in ("万", "千"):
        return match[0]
    try:
        value = numeral_value(digits)
    except ValueError:
        return match[0]
    value *= Decimal(10_000 if match["unit"] == "万" else 1_000)
    estimate = bool(match["before"] or match["more"] or match["after"])
    shown = format_money(value, labels)
    return labels["approx"].format(v=shown) if estimate else shown
