"""Write the demo portfolio: ``portfolio_sample.xlsx`` and ``csv/*.csv`` from one definition.

All names, addresses, contract and registration numbers are fictional; every client name ends
in "（演示）" so the data cannot be mistaken for real customers. The credit codes have correct
check characters, so they import, but carry the made-up division code 319900 and the letters
"DEMC" so they cannot belong to a real business. The workbook uses the Chinese
sheet names, headers and values a bank would; the CSV files use the English headers and codes,
so that both spellings of the template are exercised.

Run from the repository root after changing the data, and commit the regenerated files::

    .venv/bin/python samples/make_samples.py
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
# The day the dates below are written for: console mode's demo moves them all by the days
# between this day and the day its database is made (assistant/demo.py, SAMPLE_AS_OF).
AS_OF = date(2026, 11, 29)
D = Decimal


@dataclass(frozen=True)
class Column:
    """One column: the key in the data rows, its English and Chinese headers, its cell format."""

    key: str
    en: str
    zh: str
    number_format: str | None = None
    width: int = 14


TEXT, DATE, MONEY, AREA, COORD = "@", "yyyy-mm-dd", "#,##0.00", "#,##0.00", "0.0000"

# (English table name, Chinese sheet name, columns)
TABLES: list[tuple[str, str, list[Column]]] = [
    (
        "officers",
        "客户经理",
        [
            Column("staff_no", "staff_no", "工号", TEXT, 10),
            Column("name", "name", "姓名", None, 10),
            Column("role", "role", "角色", None, 10),
            Column("supervisor_staff_no", "supervisor_staff_no", "主管工号", TEXT, 10),
        ],
    ),
    (
        "clients",
        "客户",
        [
            Column("client_code", "client_code", "客户编号", TEXT, 10),
            Column("client_name", "client_name", "客户名称", None, 32),
            Column("kind", "kind", "客户类型", None, 12),
            Column("industry", "industry", "行业", None, 14),
            Column("registered_address", "registered_address", "注册地址", None, 36),
            Column("latitude", "latitude", "纬度", COORD, 10),
            Column("longitude", "longitude", "经度", COORD, 10),
            Column("business_district", "business_district", "商圈", None, 14),
            Column("officer_staff_no", "officer_staff_no", "客户经理工号", TEXT, 12),
            Column("handed_over_on", "handed_over_on", "交接日期", DATE, 12),
            Column("credit_code", "credit_code", "统一社会信用代码", TEXT, 22),
            Column("legal_representative", "legal_representative", "法定代表人", None, 10),
        ],
    ),
    (
        "loans",
        "贷款",
        [
            Column("contract_no", "contract_no", "合同编号", TEXT, 14),
            Column("client_code", "client_code", "客户编号", TEXT, 10),
            Column("product", "product", "贷款品种", None, 14),
            Column("amount", "amount", "贷款金额", MONEY, 16),
            Column("agreed_purpose", "agreed_purpose", "约定用途", None, 28),
            Column("disbursed_on", "disbursed_on", "放款日期", DATE, 12),
            Column("matures_on", "matures_on", "到期日期", DATE, 12),
            Column("payment_method", "payment_method", "支付方式", None, 10),
            Column("risk_class", "risk_class", "五级分类", None, 10),
            Column("days_overdue", "days_overdue", "逾期天数", "0", 10),
        ],
    ),
    (
        "guarantors",
        "担保人",
        [
            Column("contract_no", "contract_no", "合同编号", TEXT, 14),
            Column("guarantor_name", "guarantor_name", "担保人名称", None, 32),
            Column("guarantor_kind", "guarantor_kind", "担保人类型", None, 12),
            Column("relationship", "relationship", "与借款人关系", None, 14),
            Column("guaranteed_amount", "guaranteed_amount", "担保金额", MONEY, 16),
        ],
    ),
    (
        "collateral",
        "抵押物",
        [
            Column("contract_no", "contract_no", "合同编号", TEXT, 14),
            Column("collateral_type", "collateral_type", "抵押物类型", None, 12),
            Column("location", "location", "坐落位置", None, 40),
            Column("area_sqm", "area_sqm", "面积（平方米）", AREA, 14),
            Column("appraised_value", "appraised_value", "评估价值", MONEY, 16),
            Column("appraised_on", "appraised_on", "评估日期", DATE, 12),
            Column("registration_no", "registration_no", "登记证号", TEXT, 34),
        ],
    ),
]

# How the workbook spells the codes, as a bank's own ledger would.
ZH_VALUES: dict[str, dict[str, str]] = {
    "role": {"officer": "客户经理", "supervisor": "主管"},
    "kind": {"corporate": "企业", "individual": "个体工商户"},
    "guarantor_kind": {"corporate": "企业", "individual": "自然人"},
    "product": {
        "working_capital": "流动资金贷款",
        "fixed_asset": "固定资产贷款",
        "personal_business": "个人经营贷款",
        "personal_consumption": "个人消费贷款",
    },
    "payment_method": {"entrusted": "受托支付", "self": "自主支付"},
    "risk_class": {
        "normal": "正常",
        "special_mention": "关注",
        "substandard": "次级",
        "doubtful": "可疑",
        "loss": "损失",
    },
}

# ---- The demo portfolio. Dates are chosen relative to 2026-11-29: three loans were disbursed
# in the 30 days before it (first follow-up visit due), HT2025-0003 matures within 90 days, and
# HT2025-0005 is 15 days overdue and classified special mention.

OFFICERS: list[dict[str, Any]] = [
    {"staff_no": "S2001", "name": "王强", "role": "supervisor", "supervisor_staff_no": None},
    {"staff_no": "E1001", "name": "张伟", "role": "officer", "supervisor_staff_no": "S2001"},
    {"staff_no": "E1002", "name": "李娜", "role": "officer", "supervisor_staff_no": "S2001"},
    {"staff_no": "E1003", "name": "刘洋", "role": "officer", "supervisor_staff_no": "S2001"},
    {"staff_no": "S3001", "name": "赵磊", "role": "supervisor", "supervisor_staff_no": None},
    {"staff_no": "E3001", "name": "陈静", "role": "officer", "supervisor_staff_no": "S3001"},
]


def _client(
    code: str,
    name: str,
    kind: str,
    industry: str,
    address: str,
    coords: tuple[str, str] | None,
    district: str,
    officer: str,
    credit_code: str,
    legal_representative: str,
    handed_over_on: date | None = None,
) -> dict[str, Any]:
    return {
        "client_code": code,
        "client_name": f"{name}（演示）",
        "kind": kind,
        "industry": industry,
        "registered_address": address,
        "latitude": D(coords[0]) if coords else None,
        "longitude": D(coords[1]) if coords else None,
        "business_district": district,
        "officer_staff_no": officer,
        "handed_over_on": handed_over_on,
        "credit_code": credit_code,
        "legal_representative": legal_representative,
    }


# fmt: off
CLIENTS: list[dict[str, Any]] = [
    _client(
        "C1001", "张记五金店", "individual", "五金零售", "城东区建材市场路18号A区12号",
        ("31.2412", "121.4936"), "城东建材市场", "E1001",
        "92319900DEMC100101", "张国富",
    ),
    _client(
        "C1002", "恒信建材贸易有限公司", "corporate", "建材批发", "城东区建材市场路26号",
        ("31.2398", "121.4951"), "城东建材市场", "E1001",
        "91319900DEMC100205", "李志刚",
    ),
    _client(
        "C1003", "鑫源装饰工程有限公司", "corporate", "建筑装饰", "城东区兴业路105号3楼",
        None, "城东建材市场", "E1001",
        "91319900DEMC100306", "孙立新", date(2025, 8, 1),
    ),
    _client(
        "C1004", "绿禾农产品配送有限公司", "corporate", "农产品批发", "高新区科创大道200号2幢",
        ("31.2055", "121.4012"), "高新区", "E1002",
        "91319900DEMC100407", "赵晓梅",
    ),
    _client(
        "C1005", "王姐川菜馆", "individual", "餐饮", "老城区商业街47号",
        ("31.2303", "121.4737"), "老城商业街", "E1002",
        "92319900DEMC100505", "王秀英",
    ),
    _client(
        "C1006", "启航电子科技有限公司", "corporate", "电子元器件制造", "高新区创业路66号",
        ("31.1987", "121.3925"), "高新区", "E1003",
        "91319900DEMC100609", "吴海峰",
    ),
    _client(
        "C1007", "周氏汽车维修部", "individual", "汽车维修", "城西区汽配城B区8号",
        None, "城西汽配城", "E1003",
        "92319900DEMC100707", "周海波", date(2026, 3, 16),
    ),
    _client(
        "C1008", "明达包装材料有限公司", "corporate", "包装材料制造", "滨江工业园纬二路9号",
        ("31.1702", "121.4488"), "滨江工业园", "E3001",
        "91319900DEMC10080B", "郑明达",
    ),
    _client(
        "C1009", "陈记水果批发行", "individual", "水果批发", "城南农产品批发市场D区15号",
        ("31.1889", "121.4603"), "城南农批市场", "E3001",
        "92319900DEMC100909", "陈永福",
    ),
    _client(
        "C1010", "佳禾母婴用品店", "individual", "母婴用品零售", "老城区商业街112号",
        ("31.2317", "121.4751"), "老城商业街", "S2001",
        "92319900DEMC10100M", "林佳",
    ),
]


def _loan(
    contract_no: str,
    client_code: str,
    product: str,
    amount: str,
    purpose: str,
    disbursed_on: date,
    matures_on: date,
    payment_method: str,
    risk_class: str = "normal",
    days_overdue: int = 0,
) -> dict[str, Any]:
    return {
        "contract_no": contract_no,
        "client_code": client_code,
        "product": product,
        "amount": D(amount),
        "agreed_purpose": purpose,
        "disbursed_on": disbursed_on,
        "matures_on": matures_on,
        "payment_method": payment_method,
        "risk_class": risk_class,
        "days_overdue": days_overdue,
    }


LOANS: list[dict[str, Any]] = [
    _loan(
        "HT2025-0001", "C1001", "personal_business", "300000.00", "采购五金及水暖配件存货",
        date(2025, 4, 15), date(2027, 4, 14), "self",
    ),
    _loan(
        "HT2025-0002", "C1002", "working_capital", "2000000.00", "采购钢材、水泥等建材",
        date(2025, 6, 20), date(2027, 6, 19), "entrusted",
    ),
    _loan(
        "HT2025-0003", "C1003", "working_capital", "1500000.00", "支付装饰材料采购款",
        date(2025, 1, 21), date(2027, 1, 20), "entrusted",
    ),
    _loan(
        "HT2025-0004", "C1006", "fixed_asset", "5000000.00", "购置SMT贴片生产线设备",
        date(2025, 5, 15), date(2030, 5, 14), "entrusted",
    ),
    _loan(
        "HT2025-0005", "C1005", "personal_business", "200000.00", "店面装修及购置厨房设备",
        date(2025, 9, 1), date(2027, 8, 31), "self", "special_mention", 15,
    ),
    _loan(
        "HT2025-0006", "C1008", "working_capital", "3000000.00", "采购瓦楞纸板原材料",
        date(2025, 11, 20), date(2027, 11, 19), "entrusted",
    ),
    _loan(
        "HT2026-0001", "C1009", "personal_business", "400000.00", "支付水果采购货款",
        date(2026, 3, 2), date(2027, 9, 1), "entrusted",
    ),
    _loan(
        "HT2026-0002", "C1010", "personal_business", "150000.00", "采购母婴用品存货",
        date(2026, 6, 12), date(2028, 6, 11), "self",
    ),
    _loan(
        "HT2026-0003", "C1004", "working_capital", "800000.00", "采购蔬菜及支付冷链运输费",
        date(2026, 11, 5), date(2027, 11, 4), "entrusted",
    ),
    _loan(
        "HT2026-0004", "C1007", "personal_business", "500000.00", "购置四轮定位仪等维修设备",
        date(2026, 11, 18), date(2028, 11, 17), "entrusted",
    ),
    _loan(
        "HT2026-0005", "C1002", "working_capital", "1000000.00", "支付工程项目建材采购款",
        date(2026, 11, 24), date(2027, 11, 23), "entrusted",
    ),
]

GUARANTORS: list[dict[str, Any]] = [
    {
        "contract_no": contract_no,
        "guarantor_name": name,
        "guarantor_kind": kind,
        "relationship": relationship,
        "guaranteed_amount": D(amount),
    }
    for contract_no, name, kind, relationship, amount in [
        ("HT2025-0001", "刘美兰", "individual", "配偶", "300000.00"),
        ("HT2025-0002", "李志刚", "individual", "法定代表人", "2000000.00"),
        (
            "HT2025-0002", "城东融信融资担保有限公司（演示）", "corporate", "专业担保公司",
            "1000000.00",
        ),
        ("HT2025-0005", "王建军", "individual", "配偶", "200000.00"),
        ("HT2025-0006", "明达控股集团有限公司（演示）", "corporate", "控股股东", "3000000.00"),
        ("HT2026-0003", "赵德明", "individual", "实际控制人", "800000.00"),
        ("HT2026-0004", "周海涛", "individual", "兄弟", "500000.00"),
    ]
]

COLLATERAL: list[dict[str, Any]] = [
    {
        "contract_no": contract_no,
        "collateral_type": kind,
        "location": location,
        "area_sqm": D(area) if area else None,
        "appraised_value": D(value),
        "appraised_on": appraised_on,
        "registration_no": registration_no,
    }
    for contract_no, kind, location, area, value, appraised_on, registration_no in [
        (
            "HT2025-0001", "房产", "城东区建材市场路18号A区12号商铺", "45.00", "620000.00",
            date(2025, 4, 8), "沪(2025)演示区不动产权第003456号",
        ),
        (
            "HT2025-0003", "房产", "老城区人民路88号3幢1201室", "128.50", "2600000.00",
            date(2025, 1, 10), "沪(2024)演示区不动产权第012345号",
        ),
        (
            "HT2025-0004", "机器设备", "高新区创业路66号启航厂房一层（SMT贴片生产线）", None,
            "6200000.00", date(2025, 5, 8), "动产抵押登记（演示）第2025-0123号",
        ),
        (
            "HT2025-0006", "机器设备", "滨江工业园纬二路9号（全自动瓦楞纸板生产线）", None,
            "4000000.00", date(2025, 11, 12), "动产抵押登记（演示）第2025-0456号",
        ),
        (
            "HT2026-0001", "房产", "城南区望江花园5栋302室", "96.80", "1150000.00",
            date(2026, 2, 20), "沪(2026)演示区不动产权第000789号",
        ),
    ]
]
# fmt: on

DATA: dict[str, list[dict[str, Any]]] = {
    "officers": OFFICERS,
    "clients": CLIENTS,
    "loans": LOANS,
    "guarantors": GUARANTORS,
    "collateral": COLLATERAL,
}


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.key in ZH_VALUES:
        return ZH_VALUES[column.key][value]
    if isinstance(value, Decimal):
        return int(value) if column.number_format == "0" else float(value)
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_xlsx(path: Path) -> None:
    """The workbook: Chinese sheet names, headers and values; real Excel dates and numbers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for table, sheet_name, columns in TABLES:
        sheet = workbook.create_sheet(sheet_name)
        sheet.append([c.zh for c in columns])
        for row in DATA[table]:
            sheet.append([_xlsx_value(c, row[c.key]) for c in columns])
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = column.width
            header = sheet[f"{letter}1"]
            header.font = header_font
            header.fill = header_fill
            header.alignment = Alignment(horizontal="center")
            if column.number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = column.number_format
        sheet.freeze_panes = "A2"
    workbook.save(path)


def write_csvs(directory: Path) -> None:
    """One CSV per table, English headers and codes, UTF-8 with BOM so Excel shows the Chinese."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, _sheet_name, columns in TABLES:
        with (directory / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow([c.en for c in columns])
            for row in DATA[table]:
                writer.writerow([_csv_value(row[c.key]) for c in columns])


def main(target: Path = HERE) -> None:
    """Write every sample file under ``target`` (the samples directory by default)."""
    write_xlsx(target / "portfolio_sample.xlsx")
    write_csvs(target / "csv")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
