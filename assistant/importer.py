"""Portfolio import: officers, clients, loans, guarantors and collateral from XLSX or CSV.

The import is all-or-nothing. :meth:`PortfolioImporter.preview` parses and validates a file
against itself and the current database and reports what would change; :meth:`apply` does the
same and, only when no problem was found, upserts everything in one transaction. Records are
matched by their business keys (staff number, client code, contract number, ...), so importing
the same file twice changes nothing the second time, and nothing is ever deleted.

Problems are returned as :class:`ImportIssue` values (a message key plus parameters, never an
exception) so that the user can be told in their own language exactly which sheet, row and
column to fix. The template is documented in ``docs/import-template.md``.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import difflib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

from markupsafe import Markup
from sqlalchemy import Numeric, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.db.database import Database
from assistant.db.models import (
    AuditEntry,
    Base,
    Client,
    ClientKind,
    Collateral,
    Guarantor,
    Loan,
    LoanProduct,
    Officer,
    PaymentMethod,
    RiskClass,
    Role,
)
from assistant.evidence.creditcode import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_LENGTH,
    is_valid_credit_code,
)
from assistant.i18n import Lang, Texts

TABLES: tuple[str, ...] = ("officers", "clients", "loans", "guarantors", "collateral")
AUDIT_ACTION = "portfolio.import"

# A real portfolio workbook unpacks to a few MB; these bounds stop decompression bombs before
# openpyxl inflates anything.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# The widest table has 13 columns; reading a bounded width keeps a sheet with a stray cell in
# column XFD from allocating 16k-wide rows.
MAX_COLUMNS = 100
# Every cell of a large file can be wrong; past this many issues the rest are counted only.
MAX_ISSUES = 1000
SHOWN_VALUE_CHARS = 40
# Keeps IN (...) lists well below the bind-parameter limits of SQLite and asyncpg.
QUERY_CHUNK = 500
FLUSH_BATCH = 1000

# Everything openpyxl and zipfile are known to raise on a damaged or hostile workbook (openpyxl's
# own InvalidFileException is added where openpyxl is imported: it is slow to import, and only
# workbook imports need it).
_WORKBOOK_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    ExpatError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    EOFError,
    OSError,
    NotImplementedError,
    RecursionError,
    RuntimeError,  # zipfile: a member marked encrypted (a password-protected zip)
)


# --------------------------------------------------------------------------------------------
# Public result types


@dataclass(frozen=True)
class ImportIssue:
    """One problem found in the file, addressed the way the user sees it in Excel.

    Attributes:
        sheet: Canonical table name (``"officers"`` ... ``"collateral"``), or ``""`` for a
            problem with the file as a whole.
        row: 1-based row number as shown by Excel (the header is row 1), if the problem is in
            one row.
        column: The column header as written in the file, if the problem is in one column.
        code: Message key suffix; the text is ``import.issue.<code>``.
        params: Template parameters for that message.
    """

    sheet: str
    row: int | None
    column: str | None
    code: str
    params: dict[str, Any]


@dataclass
class TableCounts:
    """How many rows of one table would be / were created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """The outcome of a preview or an apply.

    ``counts`` holds the tables present in the file, in import order; when there are issues it
    counts only the rows that had none.
    """

    issues: list[ImportIssue]
    counts: dict[str, TableCounts]
    applied: bool

    @property
    def ok(self) -> bool:
        """True when the file has no problem at all."""
        return not self.issues


# --------------------------------------------------------------------------------------------
# Cell parsers. Each takes the raw cell value (already known not to be blank) and returns the
# typed value or raises _CellError.


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


# --------------------------------------------------------------------------------------------
# The template


@dataclass(frozen=True)
class _Column:
    """One column of the template.

    ``name`` is the English header and the key of the parsed value; ``attr`` the model attribute
    it is stored in (None for references, which are resolved to foreign keys separately).
    """

    name: str
    zh: str
    parse: Parser
    attr: str | None
    required: bool = False
    aliases: tuple[str, ...] = ()
    default: Any = None


@dataclass(frozen=True)
class _Table:
    name: str
    zh: str
    columns: tuple[_Column, ...]
    key: tuple[str, ...]  # duplicate detection inside the file
    signature: tuple[str, ...]  # the columns that identify this table in a CSV header

    def column(self, name: str) -> _Column:
        return next(c for c in self.columns if c.name == name)


_OFFICERS = _Table(
    "officers",
    "客户经理",
    (
        _Column("staff_no", "工号", _text(_length(Officer, "staff_no")), "staff_no", True),
        _Column("name", "姓名", _text(_length(Officer, "name")), "name", True),
        _Column("role", "角色", _ROLE, "role", True),
        _Column("supervisor_staff_no", "主管工号", _text(_length(Officer, "staff_no")), None),
    ),
    key=("staff_no",),
    signature=("staff_no",),
)
_CLIENTS = _Table(
    "clients",
    "客户",
    (
        _Column("client_code", "客户编号", _text(_length(Client, "code")), "code", True),
        _Column("client_name", "客户名称", _text(_length(Client, "name")), "name", True),
        _Column("kind", "客户类型", _KIND, "kind", True),
        _Column("industry", "行业", _text(_length(Client, "industry")), "industry"),
        _Column(
            "registered_address",
            "注册地址",
            _text(_length(Client, "registered_address")),
            "registered_address",
        ),
        _Column("latitude", "纬度", _coordinate(90), "latitude"),
        _Column("longitude", "经度", _coordinate(180), "longitude"),
        _Column(
            "business_district",
            "商圈",
            _text(_length(Client, "business_district")),
            "business_district",
        ),
        _Column(
            "officer_staff_no", "客户经理工号", _text(_length(Officer, "staff_no")), None, True
        ),
        _Column("handed_over_on", "交接日期", _parse_date, "handed_over_on"),
        _Column("referral_promised", "答应介绍客户", _parse_flag, "referral_promised"),
        _Column(
            "credit_code",
            "统一社会信用代码",
            _parse_credit_code,
            "credit_code",
            aliases=("unified_social_credit_code", "社会信用代码", "信用代码"),
        ),
        _Column(
            "legal_representative",
            "法定代表人",
            _text(_length(Client, "legal_representative")),
            "legal_representative",
            # An individual business's licence names its 经营者 rather than a 法定代表人.
            aliases=("法人代表", "经营者"),
        ),
    ),
    key=("client_code",),
    signature=("client_code", "client_name"),
)
_LOANS = _Table(
    "loans",
    "贷款",
    (
        _Column(
            "contract_no", "合同编号", _text(_length(Loan, "contract_no")), "contract_no", True
        ),
        _Column("client_code", "客户编号", _text(_length(Client, "code")), None, True),
        _Column("product", "贷款品种", _PRODUCT, "product", True),
        _Column("amount", "贷款金额", _money(Loan, "amount"), "amount", True),
        _Column(
            "agreed_purpose",
            "约定用途",
            _text(_length(Loan, "agreed_purpose")),
            "agreed_purpose",
            True,
        ),
        _Column("disbursed_on", "放款日期", _parse_date, "disbursed_on", True),
        _Column("matures_on", "到期日期", _parse_date, "matures_on", True),
        _Column("payment_method", "支付方式", _PAYMENT, "payment_method", True),
        _Column("risk_class", "五级分类", _RISK, "risk_class", default=RiskClass.NORMAL),
        _Column("days_overdue", "逾期天数", _integer(0, 9999), "days_overdue", default=0),
    ),
    key=("contract_no",),
    signature=("contract_no", "client_code"),
)
_GUARANTORS = _Table(
    "guarantors",
    "担保人",
    (
        _Column("contract_no", "合同编号", _text(_length(Loan, "contract_no")), None, True),
        _Column("guarantor_name", "担保人名称", _text(_length(Guarantor, "name")), "name", True),
        _Column("guarantor_kind", "担保人类型", _KIND, "kind", True),
        _Column(
            "relationship",
            "与借款人关系",
            _text(_length(Guarantor, "relationship_to_borrower")),
            "relationship_to_borrower",
        ),
        _Column(
            "guaranteed_amount",
            "担保金额",
            _money(Guarantor, "guaranteed_amount"),
            "guaranteed_amount",
        ),
    ),
    key=("contract_no", "guarantor_name"),
    signature=("contract_no", "guarantor_name"),
)
_COLLATERAL = _Table(
    "collateral",
    "抵押物",
    (
        _Column("contract_no", "合同编号", _text(_length(Loan, "contract_no")), None, True),
        _Column("collateral_type", "抵押物类型", _text(_length(Collateral, "type")), "type", True),
        _Column("location", "坐落位置", _text(_length(Collateral, "location")), "location"),
        _Column(
            "area_sqm",
            "面积（平方米）",
            _positive(Collateral, "area_sqm", "decimal"),
            "area_sqm",
            aliases=("面积", "面积（㎡）"),
        ),
        _Column(
            "appraised_value",
            "评估价值",
            _money(Collateral, "appraised_value"),
            "appraised_value",
        ),
        _Column("appraised_on", "评估日期", _parse_date, "appraised_on"),
        _Column(
            "registration_no",
            "登记证号",
            _text(_length(Collateral, "registration_no")),
            "registration_no",
            True,
        ),
    ),
    key=("contract_no", "registration_no"),
    signature=("contract_no", "registration_no"),
)
_TABLES: dict[str, _Table] = {
    t.name: t for t in (_OFFICERS, _CLIENTS, _LOANS, _GUARANTORS, _COLLATERAL)
}
_MODELS: dict[str, type[Base]] = {
    "officers": Officer,
    "clients": Client,
    "loans": Loan,
    "guarantors": Guarantor,
    "collateral": Collateral,
}


def _norm_header(text: str) -> str:
    # NFKC folds full-width letters and brackets; "*" is how many bank templates mark required.
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-*]+", "", text)


# Normalised sheet name -> table; per table, normalised header spelling -> column name.
_SHEET_NAMES: dict[str, str] = {
    _norm_header(spelling): t.name for t in _TABLES.values() for spelling in (t.name, t.zh)
}
_HEADERS: dict[str, dict[str, str]] = {
    t.name: {
        _norm_header(spelling): c.name for c in t.columns for spelling in (c.name, c.zh, *c.aliases)
    }
    for t in _TABLES.values()
}


def _accepted_sheets() -> dict[str, list[str]]:
    return {
        "accepted": list(_TABLES),
        "accepted_zh": [t.zh for t in _TABLES.values()],
    }


# --------------------------------------------------------------------------------------------
# Reading the file into raw rows (runs in a worker thread)


class _Issues:
    """Collects issues, keeping at most MAX_ISSUES so a hostile file cannot exhaust memory."""

    def __init__(self) -> None:
        self.items: list[ImportIssue] = []
        self.dropped = 0

    def add(
        self, sheet: str, row: int | None, column: str | None, code: str, **params: Any
    ) -> None:
        if len(self.items) >= MAX_ISSUES:
            self.dropped += 1
            return
        self.items.append(ImportIssue(sheet, row, column, code, params))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_ISSUES

    def result(self) -> list[ImportIssue]:
        order = {name: i + 1 for i, name in enumerate(TABLES)}
        issues = sorted(self.items, key=lambda i: (order.get(i.sheet, 0), i.row or 0))
        if self.dropped:
            note = ImportIssue("", None, None, "too_many_issues", {"shown": len(self.items)})
            issues.insert(0, note)
        return issues


@dataclass
class _RawSheet:
    table: _Table
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number, cells); blank rows already dropped


class _Stop(Exception):
    """A file-level problem was recorded; nothing more can be read."""


class _RowBudget:
    def __init__(self, max_rows: int, issues: _Issues) -> None:
        self.left = max_rows
        self.max_rows = max_rows
        self.issues = issues

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            self.issues.add("", None, None, "too_many_rows", limit=self.max_rows)
            raise _Stop


def _blank_row(cells: Sequence[Any]) -> bool:
    return all(_is_blank(c) for c in cells)


def _check_zip(path: Path, issues: _Issues) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except _WORKBOOK_ERRORS as exc:
        issues.add("", None, None, "not_a_workbook")
        raise _Stop from exc
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            issues.add(
                "",
                None,
                None,
                "too_large",
                what="ratio",
                size=_size(member.file_size),
                limit=MAX_COMPRESSION_RATIO,
            )
            raise _Stop
    if total > MAX_UNPACKED_BYTES:
        issues.add(
            "",
            None,
            None,
            "too_large",
            what="unpacked",
            size=_size(total),
            limit=_size(MAX_UNPACKED_BYTES),
        )
        raise _Stop


def _read_xlsx(path: Path, budget: _RowBudget, issues: _Issues) -> list[_RawSheet]:
    _check_zip(path, issues)
    # A file object, not the path: openpyxl refuses paths without an .xlsx suffix, and uploads
    # are stored under random names.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    errors = (*_WORKBOOK_ERRORS, InvalidFileException)
    with path.open("rb") as source:
        try:
            workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except errors as exc:
            issues.add("", None, None, "not_a_workbook")
            raise _Stop from exc
        try:
            return _read_worksheets(workbook, budget, issues)
        except errors as exc:
            issues.add("", None, None, "not_a_workbook")
            raise _Stop from exc
        finally:
            workbook.close()


def _read_worksheets(workbook: Any, budget: _RowBudget, issues: _Issues) -> list[_RawSheet]:
    found: dict[str, tuple[str, _RawSheet]] = {}
    unknown: list[str] = []
    for sheet in workbook.worksheets:
        # Some writers record a wrong <dimension>; without this, read-only mode would trust it.
        sheet.reset_dimensions()
        rows = _nonblank_rows(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1))
        table_name = _SHEET_NAMES.get(_norm_header(str(sheet.title)))
        if table_name is None:
            # Leftover empty "Sheet1"s are harmless; a sheet with data under an unknown name is
            # probably data the user expects to be imported.
            if next(rows, None) is not None:
                unknown.append(str(sheet.title))
            continue
        raw = _RawSheet(_TABLES[table_name], [])
        for number, cells in rows:
            if raw.rows:  # the first non-blank row is the header
                budget.take()
            raw.rows.append((number, cells))
        if not raw.rows:
            continue
        if table_name in found:
            issues.add(
                table_name,
                None,
                None,
                "duplicate_sheet",
                name=str(sheet.title),
                other=found[table_name][0],
            )
            continue
        found[table_name] = (str(sheet.title), raw)
    if not found:
        issues.add("", None, None, "no_known_sheet", found=unknown, **_accepted_sheets())
        raise _Stop
    for name in unknown:
        issues.add("", None, None, "unknown_sheet", name=name, **_accepted_sheets())
    return [found[name][1] for name in TABLES if name in found]


def _nonblank_rows(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in enumerate(rows, start=1):
        if cells and not _blank_row(cells):
            yield number, tuple(cells)


def _clip(cells: Sequence[Any]) -> tuple[Any, ...]:
    """At most MAX_COLUMNS + 1 cells, the last one non-blank if anything lay beyond the limit."""
    if len(cells) <= MAX_COLUMNS:
        return tuple(cells)
    beyond = next((c for c in cells[MAX_COLUMNS:] if not _is_blank(c)), None)
    return (*cells[:MAX_COLUMNS], beyond)


def _decode(data: bytes, issues: _Issues) -> str:
    # Excel on Chinese Windows saves "CSV" in the ANSI code page, i.e. GBK (a GB18030 subset).
    bom = data.startswith(codecs.BOM_UTF8)
    candidates = ("utf-8-sig",) if bom else ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    issues.add("", None, None, "bad_encoding")
    raise _Stop


def _read_csv(path: Path, budget: _RowBudget, issues: _Issues) -> list[_RawSheet]:
    text = _decode(path.read_bytes(), issues)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, tuple[Any, ...]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if _blank_row(cells):
                continue
            if rows:
                budget.take()
            rows.append((number, _clip(cells)))
    except csv.Error as exc:
        issues.add("", number + 1, None, "bad_csv")
        raise _Stop from exc
    if not rows:
        issues.add("", None, None, "no_data")
        raise _Stop
    header = rows[0][1]
    names = {_norm_header(_cell_text(h)) for h in header if not _is_blank(h)}
    matches = [
        t
        for t in _TABLES.values()
        if all(any(_HEADERS[t.name].get(n) == col for n in names) for col in t.signature)
    ]
    if len(matches) != 1:
        found = [_show(h) for h in header if not _is_blank(h)][:20]
        issues.add("", rows[0][0], None, "unknown_table", found=found)
        raise _Stop
    return [_RawSheet(matches[0], rows)]


# --------------------------------------------------------------------------------------------
# Turning raw rows into typed rows (runs in the worker thread too)


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # column name -> typed value, for the columns present in the file
    bad: set[str]  # columns whose cell could not be used


@dataclass
class _Sheet:
    table: _Table
    headers: dict[str, str]  # column name -> header as written
    rows: list[_Row]

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def _validate(raw: _RawSheet, issues: _Issues) -> _Sheet:
    table = raw.table
    (header_row, header_cells), *data = raw.rows
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    unnamed: list[int] = []
    for index, cell in enumerate(header_cells):
        if index >= MAX_COLUMNS:
            if not _is_blank(cell):
                issues.add(table.name, header_row, None, "too_many_columns", limit=MAX_COLUMNS)
            continue
        if _is_blank(cell):
            unnamed.append(index)
            continue
        written = _cell_text(cell)
        name = _HEADERS[table.name].get(_norm_header(written))
        if name is None:
            issues.add(
                table.name,
                header_row,
                _show(written),
                "unknown_column",
                suggestion=_suggest(table, written),
                accepted=[c.name for c in table.columns],
                accepted_zh=[c.zh for c in table.columns],
            )
            continue
        if name in headers:
            issues.add(
                table.name, header_row, _show(written), "duplicate_column", other=headers[name]
            )
            continue
        positions[name] = index
        headers[name] = _show(written)
    for column in table.columns:
        if column.required and column.name not in headers:
            issues.add(table.name, None, None, "missing_column", name=column.name, zh=column.zh)

    sheet = _Sheet(table, headers, [])
    present = [(table.column(name), index) for name, index in positions.items()]
    key_columns = set(table.key)
    reported_unnamed: set[int] = set()
    too_wide = False
    first_seen: dict[tuple[Any, ...], int] = {}
    for number, cells in data:
        for index in unnamed:
            filled = index < len(cells) and not _is_blank(cells[index])
            if filled and index not in reported_unnamed:
                reported_unnamed.add(index)
                issues.add(
                    table.name,
                    number,
                    None,
                    "unnamed_column",
                    position=_column_letter(index + 1),
                )
        beyond = len(cells) > MAX_COLUMNS and not _is_blank(cells[MAX_COLUMNS])
        if beyond and not too_wide:
            too_wide = True
            issues.add(table.name, number, None, "too_many_columns", limit=MAX_COLUMNS)
        row = _Row(number, {}, set())
        for column, index in present:
            value = cells[index] if index < len(cells) else None
            if _is_blank(value):
                if column.required:
                    issues.add(table.name, number, headers[column.name], "required")
                    row.bad.add(column.name)
                else:
                    row.values[column.name] = column.default
                continue
            try:
                row.values[column.name] = column.parse(value)
            except _CellError as err:
                issues.add(table.name, number, headers[column.name], err.code, **err.params)
                row.bad.add(column.name)
        _check_row(sheet, row, issues)
        key_parts = [row.values.get(k) for k in table.key]
        if all(part is not None for part in key_parts) and not (row.bad & key_columns):
            key = tuple(key_parts)
            if key in first_seen:
                issues.add(
                    table.name,
                    number,
                    headers[table.key[-1]],
                    "duplicate",
                    value=_show(" / ".join(str(p) for p in key)),
                    first_row=first_seen[key],
                )
                row.bad.add(table.key[-1])
            else:
                first_seen[key] = number
        sheet.rows.append(row)
    return sheet


def _suggest(table: _Table, written: str) -> str | None:
    spellings = {a: c for c in table.columns for a in (c.name, c.zh, *c.aliases)}
    close = difflib.get_close_matches(written.strip(), list(spellings), n=1, cutoff=0.6)
    return close[0] if close else None


def _check_row(sheet: _Sheet, row: _Row, issues: _Issues) -> None:
    """Rules that involve more than one cell of the same row."""
    name = sheet.table.name
    values = row.values
    if name == "clients" and not {"latitude", "longitude"} & row.bad:
        lat, lon = values.get("latitude"), values.get("longitude")
        if (lat is None) != (lon is None):
            missing = "latitude" if lat is None else "longitude"
            header = sheet.header(missing)
            issues.add(name, row.number, header, "coordinates_pair")
            row.bad.add(missing)
    if name == "loans" and not {"disbursed_on", "matures_on"} & row.bad:
        start, end = values.get("disbursed_on"), values.get("matures_on")
        if start is not None and end is not None and end < start:
            issues.add(
                name,
                row.number,
                sheet.header("matures_on"),
                "date_order",
                disbursed=start.isoformat(),
                matures=end.isoformat(),
            )
            row.bad.add("matures_on")


@dataclass
class _Parsed:
    sheets: dict[str, _Sheet]
    issues: _Issues
    readable: bool  # False after a file-level problem: nothing to check against the database


def _parse(path: Path, filename: str, max_bytes: int, max_rows: int) -> _Parsed:
    issues = _Issues()
    sheets: dict[str, _Sheet] = {}
    suffix = Path(filename).suffix.lower()
    try:
        if suffix not in (".xlsx", ".csv"):
            issues.add("", None, None, "unsupported_type", filename=_show(filename))
            raise _Stop
        size = path.stat().st_size
        if size > max_bytes:
            issues.add(
                "", None, None, "too_large", what="file", size=_size(size), limit=_size(max_bytes)
            )
            raise _Stop
        budget = _RowBudget(max_rows, issues)
        reader = _read_xlsx if suffix == ".xlsx" else _read_csv
        raws = reader(path, budget, issues)
        for raw in raws:
            sheets[raw.table.name] = _validate(raw, issues)
        if not any(s.rows for s in sheets.values()):
            issues.add("", None, None, "no_data")
            raise _Stop
    except _Stop:
        return _Parsed({}, issues, readable=False)
    return _Parsed(sheets, issues, readable=True)


def _size(size: int) -> str:
    """``5242880`` -> ``5 MB``; small limits (allowed by the settings) in KB."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


# --------------------------------------------------------------------------------------------
# Checking against the database and planning the writes


@dataclass(frozen=True)
class _Ref:
    """A foreign key given by business key, resolved to an id only when writing."""

    table: str
    key: str


@dataclass
class _Plan:
    row: _Row
    status: str  # "created" | "updated" | "unchanged"
    obj: Base | None  # the existing record, None when it is to be created
    changes: dict[str, Any]  # attribute -> value or _Ref


async def _fetch_in(
    session: AsyncSession, model: type[Base], column: Any, values: Iterable[Any]
) -> list[Any]:
    wanted = sorted(set(values))
    found: list[Any] = []
    for start in range(0, len(wanted), QUERY_CHUNK):
        chunk = wanted[start : start + QUERY_CHUNK]
        found.extend((await session.scalars(select(model).where(column.in_(chunk)))).all())
    return found


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return Decimal(str(old)) == Decimal(str(new))
    if isinstance(old, float) or isinstance(new, float):
        return float(old) == float(new)
    return bool(old == new)


def _valid(row: _Row) -> bool:
    return not row.bad


class _Reconciler:
    """Checks references against file + database, and plans the upserts table by table."""

    def __init__(self, session: AsyncSession, parsed: _Parsed) -> None:
        self.session = session
        self.sheets = parsed.sheets
        self.issues = parsed.issues
        self.plans: dict[str, list[_Plan]] = {}
        self.officers: dict[str, Officer] = {}
        self.officers_by_id: dict[int, Officer] = {}
        self.clients: dict[str, Client] = {}
        self.client_codes: dict[int, str] = {}
        self.loans: dict[str, Loan] = {}
        self.guarantors: dict[tuple[int, str], Guarantor] = {}
        self.collateral: dict[tuple[int, str], Collateral] = {}

    def _rows(self, table: str) -> list[_Row]:
        sheet = self.sheets.get(table)
        return sheet.rows if sheet else []

    def _keys(self, table: str, column: str) -> set[str]:
        """The values of a key column in the file, from rows where that cell itself is usable."""
        return {
            r.values[column]
            for r in self._rows(table)
            if column not in r.bad and r.values.get(column) is not None
        }

    def _flag(self, table: str, row: _Row, column: str, code: str, **params: Any) -> None:
        self.issues.add(table, row.number, self.sheets[table].header(column), code, **params)
        row.bad.add(column)

    async def load(self) -> None:
        session = self.session
        for officer in (await session.scalars(select(Officer))).all():
            self.officers_by_id[officer.id] = officer
            if officer.staff_no:
                self.officers[officer.staff_no] = officer
        contracts = (
            self._keys("loans", "contract_no")
            | self._keys("guarantors", "contract_no")
            | self._keys("collateral", "contract_no")
        )
        for loan in await _fetch_in(session, Loan, Loan.contract_no, contracts):
            self.loans[loan.contract_no] = loan
        codes = self._keys("clients", "client_code") | self._keys("loans", "client_code")
        for client in await _fetch_in(session, Client, Client.code, codes):
            self.clients[client.code] = client
        # To tell whether an existing loan moves to another client, its current client's code.
        loan_client_ids = {loan.client_id for loan in self.loans.values()}
        known_ids = {c.id for c in self.clients.values()}
        for client in await _fetch_in(session, Client, Client.id, loan_client_ids - known_ids):
            self.clients[client.code] = client
        self.client_codes = {c.id: c.code for c in self.clients.values()}
        guarantor_loans = {
            self.loans[c].id for c in self._keys("guarantors", "contract_no") if c in self.loans
        }
        for guarantor in await _fetch_in(session, Guarantor, Guarantor.loan_id, guarantor_loans):
            self.guarantors[(guarantor.loan_id, guarantor.name)] = guarantor
        collateral_loans = {
            self.loans[c].id for c in self._keys("collateral", "contract_no") if c in self.loans
        }
        for item in await _fetch_in(session, Collateral, Collateral.loan_id, collateral_loans):
            self.collateral[(item.loan_id, item.registration_no)] = item

    # ---- reference checks

    def check(self) -> None:
        self._check_officers()
        self._check_clients()
        self._check_parent("loans", "client_code", set(self.clients), "unknown_client")
        contracts = set(self.loans) | self._keys("loans", "contract_no")
        self._check_parent("guarantors", "contract_no", contracts, "unknown_contract")
        self._check_parent("collateral", "contract_no", contracts, "unknown_contract")

    def _node(self, officer: Officer) -> str:
        # Officers without a staff number get a name no cell can hold (cells have no controls).
        return officer.staff_no or f"\x00{officer.id}"

    def _final_officers(self) -> tuple[dict[str, Role | None], dict[str, str | None]]:
        """Every officer's role and supervisor as they will be after the import.

        Officers are identified by staff number, or by id for those that have none.
        """
        roles: dict[str, Role | None] = {}
        supervisors: dict[str, str | None] = {}
        for officer in self.officers_by_id.values():
            node = self._node(officer)
            roles[node] = officer.role
            boss = self.officers_by_id.get(officer.supervisor_id or 0)
            supervisors[node] = self._node(boss) if boss else None
        for row in self._rows("officers"):
            staff_no = row.values.get("staff_no")
            if staff_no is None or "staff_no" in row.bad:
                continue
            # A role that could not be read is unknown: checks depending on it are skipped.
            roles[staff_no] = None if "role" in row.bad else row.values.get("role")
            if "supervisor_staff_no" in row.values and "supervisor_staff_no" not in row.bad:
                supervisors[staff_no] = row.values["supervisor_staff_no"]
            elif staff_no not in self.officers:
                supervisors[staff_no] = None
        return roles, supervisors

    def _check_officers(self) -> None:
        roles, supervisors = self._final_officers()
        in_file: dict[str, _Row] = {}
        for row in self._rows("officers"):
            staff_no = row.values.get("staff_no")
            if staff_no is None or "staff_no" in row.bad:
                continue
            in_file[staff_no] = row
            existing = self.officers.get(staff_no)
            if existing is not None and existing.role == Role.ADMIN:
                self._flag("officers", row, "staff_no", "is_admin", staff_no=staff_no)
                continue
            boss = row.values.get("supervisor_staff_no")
            if boss is None or "supervisor_staff_no" in row.bad:
                continue
            if boss == staff_no:
                self._flag("officers", row, "supervisor_staff_no", "self_supervisor", staff_no=boss)
            elif boss not in roles:
                self._flag("officers", row, "supervisor_staff_no", "unknown_officer", staff_no=boss)
            elif roles[boss] is not None and roles[boss] != Role.SUPERVISOR:
                self._flag(
                    "officers",
                    row,
                    "supervisor_staff_no",
                    "not_a_supervisor",
                    staff_no=boss,
                    role=str(roles[boss]),
                )
            elif _in_cycle(staff_no, supervisors):
                self._flag(
                    "officers", row, "supervisor_staff_no", "supervisor_cycle", staff_no=boss
                )
        # Demoting a supervisor in the file must not leave officers kept in the database
        # reporting to someone who is no longer a supervisor.
        orphans: dict[str, int] = {}
        for node, boss in supervisors.items():
            if node in in_file or boss is None or boss not in in_file:
                continue
            if roles.get(boss) not in (None, Role.SUPERVISOR):
                orphans[boss] = orphans.get(boss, 0) + 1
        for boss, count in orphans.items():
            row = in_file[boss]
            if "role" not in row.bad:
                self._flag("officers", row, "role", "still_supervises", staff_no=boss, count=count)

    def _check_clients(self) -> None:
        roles, _ = self._final_officers()
        for row in self._rows("clients"):
            staff_no = row.values.get("officer_staff_no")
            if staff_no is None or "officer_staff_no" in row.bad:
                continue
            if staff_no not in roles:
                self._flag("clients", row, "officer_staff_no", "unknown_officer", staff_no=staff_no)
            elif roles[staff_no] == Role.ADMIN:
                self._flag(
                    "clients", row, "officer_staff_no", "bad_officer_role", staff_no=staff_no
                )

    def _check_parent(self, table: str, column: str, known_db: set[str], code: str) -> None:
        parent_table = "clients" if column == "client_code" else "loans"
        known = known_db | self._keys(parent_table, column)
        for row in self._rows(table):
            value = row.values.get(column)
            if value is None or column in row.bad:
                continue
            if value not in known:
                self._flag(table, row, column, code, **{column: value})

    # ---- planning

    def plan(self) -> dict[str, TableCounts]:
        counts: dict[str, TableCounts] = {}
        for table in TABLES:
            sheet = self.sheets.get(table)
            if sheet is None:
                continue
            planner = getattr(self, f"_plan_{table}")
            plans = [planner(sheet, row) for row in sheet.rows if _valid(row)]
            self.plans[table] = plans
            tally = TableCounts()
            for plan in plans:
                setattr(tally, plan.status, getattr(tally, plan.status) + 1)
            counts[table] = tally
        return counts

    def _diff(
        self,
        sheet: _Sheet,
        row: _Row,
        obj: Base | None,
        refs: Mapping[str, tuple[Any, _Ref | None]],
    ) -> _Plan:
        """Compare a file row with its record. ``refs``: attribute -> (current key, new ref)."""
        changes: dict[str, Any] = {}
        for column in sheet.table.columns:
            if column.attr is None:
                continue
            if column.name in row.values:
                value = row.values[column.name]
            elif obj is None and column.default is not None:
                value = column.default
            else:
                # A column left out of the file leaves the stored value alone.
                continue
            if obj is None or not _same(getattr(obj, column.attr), value):
                changes[column.attr] = value
        for attr, (current, ref) in refs.items():
            new_key = ref.key if ref is not None else None
            if obj is None or current != new_key:
                changes[attr] = ref
        if obj is None:
            return _Plan(row, "created", None, changes)
        return _Plan(row, "updated" if changes else "unchanged", obj, changes)

    def _officer_key(self, officer_id: int | None) -> str | None:
        officer = self.officers_by_id.get(officer_id or 0)
        return self._node(officer) if officer else None

    def _plan_officers(self, sheet: _Sheet, row: _Row) -> _Plan:
        existing = self.officers.get(row.values["staff_no"])
        refs: dict[str, tuple[Any, _Ref | None]] = {}
        if "supervisor_staff_no" in row.values:
            boss = row.values["supervisor_staff_no"]
            current = self._officer_key(existing.supervisor_id) if existing else None
            refs["supervisor_id"] = (current, _Ref("officers", boss) if boss else None)
        return self._diff(sheet, row, existing, refs)

    def _plan_clients(self, sheet: _Sheet, row: _Row) -> _Plan:
        existing = self.clients.get(row.values["client_code"])
        current = self._officer_key(existing.officer_id) if existing else None
        ref = _Ref("officers", row.values["officer_staff_no"])
        return self._diff(sheet, row, existing, {"officer_id": (current, ref)})

    def _plan_loans(self, sheet: _Sheet, row: _Row) -> _Plan:
        existing = self.loans.get(row.values["contract_no"])
        current = self.client_codes.get(existing.client_id) if existing else None
        ref = _Ref("clients", row.values["client_code"])
        return self._diff(sheet, row, existing, {"client_id": (current, ref)})

    def _plan_guarantors(self, sheet: _Sheet, row: _Row) -> _Plan:
        contract = row.values["contract_no"]
        loan = self.loans.get(contract)
        existing = self.guarantors.get((loan.id, row.values["guarantor_name"])) if loan else None
        refs = {} if existing else {"loan_id": (None, _Ref("loans", contract))}
        return self._diff(sheet, row, existing, refs)

    def _plan_collateral(self, sheet: _Sheet, row: _Row) -> _Plan:
        contract = row.values["contract_no"]
        loan = self.loans.get(contract)
        key = (loan.id, row.values["registration_no"]) if loan else None
        existing = self.collateral.get(key) if key else None
        refs = {} if existing else {"loan_id": (None, _Ref("loans", contract))}
        return self._diff(sheet, row, existing, refs)

    # ---- writing

    async def write(self) -> None:
        registry: dict[str, dict[str, Any]] = {
            "officers": self.officers,
            "clients": self.clients,
            "loans": self.loans,
        }
        keys = {"officers": "staff_no", "clients": "code", "loans": "contract_no"}
        for table in TABLES:
            plans = [p for p in self.plans.get(table, []) if p.status != "unchanged"]
            # Officers may report to officers created in this same import: their ids exist only
            # after the first flush, so supervisor links are set in a second pass.
            deferred = {"supervisor_id"} if table == "officers" else set()
            touched: list[tuple[Base, _Plan]] = []
            for count, plan in enumerate(plans, start=1):
                obj = plan.obj if plan.obj is not None else _MODELS[table]()
                for attr, value in plan.changes.items():
                    if attr not in deferred:
                        setattr(obj, attr, self._resolve(value, registry))
                if plan.obj is None:
                    self.session.add(obj)
                    if table in keys:
                        registry[table][getattr(obj, keys[table])] = obj
                touched.append((obj, plan))
                if count % FLUSH_BATCH == 0:
                    # Flushing in batches hands the event loop back between chunks of ORM work.
                    await self.session.flush()
            await self.session.flush()
            if deferred:
                for obj, plan in touched:
                    for attr in deferred & plan.changes.keys():
                        setattr(obj, attr, self._resolve(plan.changes[attr], registry))
                await self.session.flush()

    @staticmethod
    def _resolve(value: Any, registry: Mapping[str, Mapping[str, Any]]) -> Any:
        if isinstance(value, _Ref):
            return registry[value.table][value.key].id
        return value


def _in_cycle(start: str, supervisors: Mapping[str, str | None]) -> bool:
    seen = {start}
    node = supervisors.get(start)
    while node is not None:
        if node in seen:
            return node == start
        seen.add(node)
        node = supervisors.get(node)
    return False


# --------------------------------------------------------------------------------------------
# The importer


class PortfolioImporter:
    """Imports a bank's loan portfolio from an XLSX workbook or one CSV file per table.

    Args:
        database: Where the portfolio lives.
        max_bytes: Larger files are refused before being read.
        max_rows: The most data rows (all tables together) one file may hold.
    """

    def __init__(self, database: Database, *, max_bytes: int, max_rows: int) -> None:
        self.database = database
        self.max_bytes = max_bytes
        self.max_rows = max_rows

    async def _parse(self, path: Path, filename: str | None) -> _Parsed:
        name = filename or path.name
        return await asyncio.to_thread(_parse, path, name, self.max_bytes, self.max_rows)

    async def preview(self, path: Path, *, filename: str | None = None) -> ImportReport:
        """Check a file and tell what importing it would change, writing nothing.

        Args:
            path: The file on disk (its name may be random).
            filename: The name the user gave the file; its extension decides XLSX or CSV.

        Returns:
            The issues found, and per table how many rows would be created, updated or left
            unchanged.
        """
        parsed = await self._parse(path, filename)
        if not parsed.readable or parsed.issues.full:
            return ImportReport(parsed.issues.result(), {}, applied=False)
        async with self.database.session() as session:
            reconciler = _Reconciler(session, parsed)
            await reconciler.load()
            reconciler.check()
            counts = reconciler.plan()
        return ImportReport(parsed.issues.result(), counts, applied=False)

    async def apply(
        self, path: Path, *, actor_officer_id: int | None, filename: str | None = None
    ) -> ImportReport:
        """Check a file and, if it has no problem at all, import it in one transaction.

        Args:
            path: The file on disk (its name may be random).
            actor_officer_id: Who imports, for the audit log.
            filename: The name the user gave the file; its extension decides XLSX or CSV.

        Returns:
            The report; ``applied`` is True only when everything was written, together with one
            ``portfolio.import`` audit entry holding the counts.
        """
        parsed = await self._parse(path, filename)
        if not parsed.readable or parsed.issues.full:
            return ImportReport(parsed.issues.result(), {}, applied=False)
        target = (filename or path.name)[: _length(AuditEntry, "target")]
        try:
            async with self.database.session() as session:
                reconciler = _Reconciler(session, parsed)
                await reconciler.load()
                reconciler.check()
                counts = reconciler.plan()
                if parsed.issues:
                    return ImportReport(parsed.issues.result(), counts, applied=False)
                await reconciler.write()
                detail = {
                    table: {
                        "created": c.created,
                        "updated": c.updated,
                        "unchanged": c.unchanged,
                    }
                    for table, c in counts.items()
                }
                session.add(
                    AuditEntry(
                        actor_officer_id=actor_officer_id,
                        action=AUDIT_ACTION,
                        target=target,
                        detail=detail,
                    )
                )
        except IntegrityError:
            # Someone else changed the same records meanwhile; the transaction was rolled back.
            conflict = ImportIssue("", None, None, "conflict", {})
            return ImportReport([conflict], {}, applied=False)
        return ImportReport([], counts, applied=True)


# --------------------------------------------------------------------------------------------
# Rendering


def render_report(
    report: ImportReport, texts: Texts, lang: Lang, *, html: bool, max_issues: int = 20
) -> str:
    """Summarise a report for the user.

    Args:
        report: What :meth:`PortfolioImporter.preview` or :meth:`~PortfolioImporter.apply`
            returned.
        texts: The message templates.
        lang: The user's language.
        html: True for Telegram's HTML parse mode (values are escaped), False for plain text.
        max_issues: At most this many issues are listed; the rest are counted.

    Returns:
        The counts per table if the file is fine, otherwise one line per issue.
    """
    say = texts.render if html else texts.plain
    if report.issues:
        # The note that issues were capped is not itself a problem in the file.
        count = sum(1 for i in report.issues if i.code != "too_many_issues")
        lines = [say(lang, "import.report.issues_title", count=count)]
        for issue in report.issues[:max_issues]:
            lines.append(_render_issue(issue, texts, lang, html=html))
        hidden = len(report.issues) - max_issues
        if hidden > 0:
            lines.append(say(lang, "import.report.more", count=hidden))
        return "\n".join(lines)
    title = "import.report.applied_title" if report.applied else "import.report.preview_title"
    line = "import.report.applied_line" if report.applied else "import.report.preview_line"
    lines = [say(lang, title)]
    for table, counts in report.counts.items():
        lines.append(
            say(
                lang,
                line,
                table=texts.plain(lang, f"import.table.{table}"),
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
        )
    if not any(c.created or c.updated for c in report.counts.values()):
        lines.append(say(lang, "import.report.nothing_to_change"))
    return "\n".join(lines)


def _render_issue(issue: ImportIssue, texts: Texts, lang: Lang, *, html: bool) -> str:
    say = texts.render if html else texts.plain
    message = say(lang, f"import.issue.{issue.code}", **issue.params)
    if not (issue.sheet or issue.row or issue.column is not None):
        return say(lang, "import.report.file_issue", message=_safe(message, html))
    where = say(
        lang,
        "import.report.where",
        table=texts.plain(lang, f"import.table.{issue.sheet}") if issue.sheet else "",
        row=issue.row,
        column=issue.column,
    )
    return say(lang, "import.report.issue", where=_safe(where, html), message=_safe(message, html))


def _safe(text: str, html: bool) -> str:
    # Already rendered (and escaped once) pieces must not be escaped a second time.
    return Markup(text) if html else text
