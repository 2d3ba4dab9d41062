"""Typed fields from the OCR lines of one photographed document.

:func:`classify` tells which kind of document a photo shows, and :func:`extract` reads the
fields that :data:`~assistant.evidence.model.FIELDS` names for it. Each field carries the OCR
score of the text it came from as its confidence, lowered when a check fails (a credit code's
check character, an amount in words that disagrees with the figures). A field that cannot be
read is left out rather than guessed: the officer fills a blank in, but may wave a wrong value
through.

Documents are read by their printed labels, not by fixed positions, because the same document
comes in many layouts: a licence prints its labels in two columns, so one OCR row holds two
label/value pairs; the OCR may cut a label from its value or run them together, drop the colon,
or read a label spaced out for justification ("名　　称") as it is. So a page is first cut into
rows (with its tilt taken out), each row is cut at every label of the document's lexicon, and a
label owns the text up to the next label; a label with nothing readable after it owns the text
just below it, as in a table header.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from assistant.evidence.extract import invoice, licence, signboard, statement, utility_bill
from assistant.evidence.extract.classify import classify
from assistant.evidence.extract.lexicon import OCR_MISREADINGS
from assistant.evidence.extract.licence import fix_credit_code
from assistant.evidence.extract.numbers import (
    find_money,
    parse_capital_amount,
    parse_chinese_integer,
    parse_date,
    parse_money,
    parse_period,
)
from assistant.evidence.extract.page import _LEXICONS, _Page
from assistant.evidence.model import FIELDS, DocumentType, Extraction, Field, OcrResult

__all__ = [
    "classify",
    "extract",
    "find_money",
    "fix_credit_code",
    "parse_capital_amount",
    "parse_chinese_integer",
    "parse_date",
    "parse_money",
    "parse_period",
]

# One reader per document type, each in its own module: what its labels are, which of its
# fields can be trusted and how its figures are checked differ from type to type.
Reader = Callable[..., dict[str, Field]]
READERS: MappingProxyType[DocumentType, Reader] = MappingProxyType(
    {
        DocumentType.LICENCE: licence.read,
        DocumentType.STATEMENT: statement.read,
        DocumentType.INVOICE: invoice.read,
        DocumentType.UTILITY_BILL: utility_bill.read,
        DocumentType.SIGNBOARD: signboard.read,
    }
)


def extract(
    doc_type: DocumentType, result: OcrResult, *, large_item_min: float = 50000
) -> Extraction:
    """The fields of a ``doc_type`` document that can be read from ``result``, in FIELDS order.

    ``large_item_min`` is the amount from which a statement's transaction is listed.
    """
    page = _Page(result, _LEXICONS[doc_type], OCR_MISREADINGS.get(doc_type, ()))
    options: dict[str, Any] = {}
    if doc_type is DocumentType.STATEMENT:
        options["large_item_min"] = Decimal(str(large_item_min))
    found = READERS[doc_type](page, **options)
    return Extraction(doc_type, {name: found[name] for name in FIELDS[doc_type] if name in found})
