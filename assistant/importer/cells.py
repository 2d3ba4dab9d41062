"""Cell parsers: each takes a raw cell value (known not to be blank) and returns the typed
value, or raises a cell error naming the message key."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy import Numeric, String

from assistant.db.models import (
    Base,
    ClientKind,
    LoanProduct,
    PaymentMethod,
    RiskClass,
    Role,
)
from assistant.evidence.creditcode import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_LENGTH,
    is_valid_credit_code,
)

# --------------------------------------------------------------------------------------------
# Cell parsers. Each takes the raw cell value (already known not to be blank) and returns the
# typed value or raises _CellError.
from assistant.importer.model import SHOWN_VALUE_CHARS


class _CellError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


Parser = Callable[[Any], Any]

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS


def _show(value: Any) -> str:
    """The value as it can safely be quoted back to the user: escaped controls, truncated."""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    text = "".join(f"\\x{ord(ch):02x}" if _is_control(ch) else ch for ch in text)
    if len(text) > SHOWN_VALUE_CHARS:
        text = text[: SHOWN_VALUE_CHARS - 1] + "…"
    return text


def _cell_text(value: Any) -> str:
    """A cell as text, the way Excel displays it (1001.0 -> "1001", a date -> "2025-03-01")."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(max_len: int) -> Parser:
    def parse(value: Any) -> str:
        text = _cell_text(value)
        if any(_is_control(ch) for ch in text):
            raise _CellError("bad_text", value=_show(text))
        if len(text) > max_len:
            raise _CellError("too_long", value=_show(text), length=len(text), limit=max_len)
        return text

    return parse


def _norm_choice(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass(frozen=True)
class _Choice:
    """An enumerated column: accepted spellings, and those that are refused on purpose."""

    values: Mapping[str, Enum]
    accepted: tuple[str, ...]
    accepted_zh: tuple[str, ...]
    refused: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, value: Any) -> Enum:
        text = _cell_text(value)
        key = _norm_choice(text)
        if key in self.refused:
            raise _CellError(self.refused[key], value=_show(text))
        found = self.values.get(key)
        if found is None:
            raise _CellError(
                "bad_choice",
                value=_show(text),
                accepted=list(self.accepted),
                accepted_zh=list(self.accepted_zh),
            )
        return found


def _choice(
    members: Mapping[Enum, Sequence[str]], refused: Mapping[str, str] | None = None
) -> _Choice:
    values: dict[str, Enum] = {}
    accepted_zh: list[str] = []
    for member, chinese in members.items():
        values[_norm_choice(str(member.value))] = member
        for word in chinese:
            values[_norm_choice(word)] = member
        accepted_zh.extend(chinese)
    return _Choice(
        values=values,
        accepted=tuple(str(m.value) for m in members),
        accepted_zh=tuple(accepted_zh),
        refused={_norm_choice(k): v for k, v in (refused or {}).items()},
    )


_ROLE = _choice(
    {Role.OFFICER: ["客户经理"], Role.SUPERVISOR: ["主管"]},
    refused={"admin": "role_not_importable", "管理员": "role_not_importable"},
)
_KIND = _choice(
    {
        ClientKind.CORPORATE: ["法人", "企业", "公司"],
        ClientKind.INDIVIDUAL: ["自然人", "个人", "个体工商户", "个体户", "个体"],
    }
)
_PRODUCT = _choice(
    {
        LoanProduct.WORKING_CAPITAL: ["流动资金贷款"],
        LoanProduct.FIXED_ASSET: ["固定资产贷款", "项目贷款"],
        LoanProduct.PERSONAL_BUSINESS: ["个人经营贷款"],
        LoanProduct.PERSONAL_CONSUMPTION: ["个人消费贷款"],
    }
)
_PAYMENT = _choice(
    {PaymentMethod.ENTRUSTED: ["受托支付", "受托"], PaymentMethod.SELF: ["自主支付", "自主"]}
)
_RISK = _choice(
    {
        RiskClass.NORMAL: ["正常", "正常类"],
        RiskClass.SPECIAL_MENTION: ["关注", "关注类"],
        RiskClass.SUBSTANDARD: ["次级", "次级类"],
        RiskClass.DOUBTFUL: ["可疑", "可疑类"],
        RiskClass.LOSS: ["损失", "损失类"],
    }
)

_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
# Excel serial numbers of 1990-01-01 and 2100-12-31: a plain number outside this window is far
# more likely a typo (a year, an amount) than a date.
_SERIAL_MIN, _SERIAL_MAX = 32874, 73415
_YEAR_MIN, _YEAR_MAX = 1900, 2199


# Excel's day 0 is 1899-12-30 for every serial after its 1900 leap-year bug (serial 60).
_EXCEL_EPOCH = date(1899, 12, 30)


def _column_letter(number: int) -> str:
    """1 → A, 27 → AA, as Excel names columns."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 10_000_000 <= value <= 99_999_999:
            return _ymd(str(int(value)), value)
        if _SERIAL_MIN <= value <= _SERIAL_MAX:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise _CellError("bad_date", value=_show(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE_TEXT.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if match is None:
        raise _CellError("bad_date", value=_show(value))
    return _ymd("".join(g.zfill(2) for g in match.groups()), value)


_YES = {"1", "y", "yes", "true", "是", "有", "√", "✓"}
_NO = {"0", "n", "no", "false", "否", "无", "没有", "×"}


def _parse_credit_code(value: Any) -> str:
    """A 统一社会信用代码, normalised the way it is printed on the licence.

    Officers copy the code by hand or paste it from scans, so spaces, full-width characters and
    lowercase letters are forgiven; a wrong check character is not, since it means some
    character was mistyped and the code would no longer match the licence photographed on a
    visit.
    """
    text = "".join(unicodedata.normalize("NFKC", _cell_text(value)).split()).upper()
    if len(text) != CREDIT_CODE_LENGTH or any(ch not in CREDIT_CODE_ALPHABET for ch in text):
        raise _CellError("bad_credit_code", value=_show(value), length=len(text))
    if not is_valid_credit_code(text):
        raise _CellError("credit_code_check", value=_show(text))
    return text


def _parse_flag(value: Any) -> bool:
    """A yes/no cell: 是/否, yes/no, true/false, 1/0 (Excel may hand over a real bool)."""
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _CellError("bad_flag", value=_show(value))


def _ymd(digits: str, original: Any) -> date:
    try:
        parsed = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as exc:
        raise _CellError("bad_date", value=_show(original)) from exc
    if not _YEAR_MIN <= parsed.year <= _YEAR_MAX:
        raise _CellError("bad_date", value=_show(original))
    return parsed


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_FLOAT_NOISE = Decimal("0.000001")


def _to_decimal(value: Any, expected: str) -> Decimal:
    """A Decimal from a number cell or from text such as ``1,200,000`` or ``¥1200000.00元``."""
    if isinstance(value, bool):
        raise _CellError("bad_number", value=_show(value), expected=expected)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest exact spelling, so 0.1 stays 0.1 rather than 0.1000000000000000055
        try:
            number = Decimal(repr(value))
        except InvalidOperation as exc:
            raise _CellError("bad_number", value=_show(value), expected=expected) from exc
        if not number.is_finite():
            raise _CellError("bad_number", value=_show(value), expected=expected)
        # Excel formulas leave binary noise (1100000.0000000002); a cent is the real precision.
        rounded = number.quantize(Decimal("0.01"))
        return rounded if abs(number - rounded) < _FLOAT_NOISE else number
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text.removeprefix("¥").removeprefix("RMB").removesuffix("元").strip()
    text = text.replace(" ", "").replace("\u2009", "")
    if not (_PLAIN_NUMBER.fullmatch(text) or _GROUPED.fullmatch(text)):
        raise _CellError("bad_number", value=_show(value), expected=expected)
    return Decimal(text.replace(",", ""))


def _max_for(precision: int, scale: int) -> Decimal:
    return Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)


def _decimal(
    low: Decimal, high: Decimal, *, scale: int, low_exclusive: bool, expected: str
) -> Parser:
    def parse(value: Any) -> Decimal:
        number = _to_decimal(value, expected)
        too_low = number <= low if low_exclusive else number < low
        if too_low or number > high:
            raise _CellError(
                "out_of_range",
                value=_show(value),
                min=str(low),
                max=str(high),
                min_exclusive=low_exclusive,
            )
        # Checked after the range: quantize() fails on numbers longer than the context precision.
        if number != number.quantize(Decimal(1).scaleb(-scale)):
            raise _CellError("bad_number", value=_show(value), expected=expected)
        return number

    return parse


def _integer(low: int, high: int) -> Parser:
    def parse(value: Any) -> int:
        number = _to_decimal(value, "integer")
        if number != number.to_integral_value():
            raise _CellError("bad_number", value=_show(value), expected="integer")
        if not low <= number <= high:
            raise _CellError(
                "out_of_range", value=_show(value), min=str(low), max=str(high), min_exclusive=False
            )
        return int(number)

    return parse


def _coordinate(limit: int) -> Parser:
    def parse(value: Any) -> float:
        number = _to_decimal(value, "decimal")
        if not -limit <= number <= limit:
            raise _CellError(
                "out_of_range",
                value=_show(value),
                min=str(-limit),
                max=str(limit),
                min_exclusive=False,
            )
        return float(number)

    return parse


def _length(model: type[Base], attr: str) -> int:
    """The model's length limit of a string column, so the file is held to the schema."""
    column_type = model.__table__.c[attr].type
    if not isinstance(column_type, String) or not column_type.length:
        raise TypeError(f"{model.__name__}.{attr} is not a bounded string column")
    return column_type.length


def _positive(model: type[Base], attr: str, expected: str) -> Parser:
    """A positive number within the model's NUMERIC(precision, scale)."""
    column_type = model.__table__.c[attr].type
    if not isinstance(column_type, Numeric) or not column_type.precision or not column_type.scale:
        raise TypeError(f"{model.__name__}.{attr} is not a NUMERIC(p, s) column")
    # SQLite keeps NUMERIC as a double: beyond 15 significant digits a re-import would no longer
    # compare equal, so the bound is the smaller of the column's and what a double holds exactly.
    digits = min(column_type.precision, 15)
    high = _max_for(digits, column_type.scale)
    return _decimal(
        Decimal(0), high, scale=column_type.scale, low_exclusive=True, expected=expected
    )


def _money(model: type[Base], attr: str) -> Parser:
    return _positive(model, attr, "money")
