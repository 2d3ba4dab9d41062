"""The import template: the tables, their columns in both spellings, and the sheet names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from assistant.db.models import (
    Base,
    Client,
    Collateral,
    Guarantor,
    Loan,
    Officer,
    RiskClass,
)

# --------------------------------------------------------------------------------------------
# The template
from assistant.importer.cells import (
    _KIND,
    _PAYMENT,
    _PRODUCT,
    _RISK,
    _ROLE,
    Parser,
    _coordinate,
    _integer,
    _length,
    _money,
    _parse_credit_code,
    _parse_date,
    _parse_flag,
    _positive,
    _text,
)


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
