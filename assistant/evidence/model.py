"""What the OCR reads and what the extractors make of it.

The OCR engine gives text lines with their boxes; an extractor turns the lines of one document
into typed fields, each with a confidence, for the officer to confirm or correct. Nothing here
knows about the database or the chat.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

Point = tuple[float, float]


class DocumentType(enum.StrEnum):
    LICENCE = "licence"  # 营业执照
    STATEMENT = "statement"  # 银行对账单 / 流水
    INVOICE = "invoice"  # 增值税发票
    UTILITY_BILL = "utility_bill"  # 水、电、燃气、电话费单据
    SIGNBOARD = "signboard"  # 门头招牌


# The fields each extractor produces, in the order the officer is shown them.
# Values: str for text, ISO "YYYY-MM-DD" str for dates, float yuan for money, float for
# quantities; ``large_items`` is a list of {"date", "amount", "direction", "text"} dicts.
FIELDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.LICENCE: (
        "credit_code",
        "name",
        "legal_representative",
        "address",
        "registered_capital",
        "established_on",
    ),
    DocumentType.STATEMENT: (
        "account_name",
        "period_start",
        "period_end",
        "credits_total",
        "debits_total",
        "large_items",
    ),
    DocumentType.INVOICE: ("seller_name", "buyer_name", "amount", "issued_on", "goods"),
    DocumentType.UTILITY_BILL: (
        "utility",  # electricity | water | gas | phone
        "account_name",
        "period_start",
        "period_end",
        "amount",
        "consumption",
        "consumption_unit",  # kWh | m3 | t | min
    ),
    DocumentType.SIGNBOARD: ("name",),
}


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[Point, Point, Point, Point]  # top-left, top-right, bottom-right, bottom-left
    score: float

    @property
    def top(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def bottom(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def left(self) -> float:
        return min(p[0] for p in self.box)

    @property
    def right(self) -> float:
        return max(p[0] for p in self.box)

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "box": [list(p) for p in self.box], "score": self.score}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OcrLine:
        box = tuple((float(p[0]), float(p[1])) for p in data["box"])
        return cls(str(data["text"]), box, float(data["score"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class OcrResult:
    """Lines in reading order (top to bottom, left to right, after any page rotation)."""

    lines: tuple[OcrLine, ...]
    width: int
    height: int
    elapsed_s: float
    # A page photographed upside down: the engine read it turned round.
    upside_down: bool = False
    # "blank" (nothing to read), "blurred" (too soft to trust), or None.
    quality: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Field:
    name: str
    value: Any
    confidence: float  # 0–1: the OCR score, lowered when a check (a check digit, a sum) fails
    source: str = ""  # the OCR text the value was read from


@dataclass(frozen=True)
class Extraction:
    doc_type: DocumentType
    fields: dict[str, Field] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        found = self.fields.get(name)
        return None if found is None else found.value
