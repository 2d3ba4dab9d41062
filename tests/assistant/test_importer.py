"""Portfolio import: the sample files, validation with exact locations, limits, idempotency."""

from __future__ import annotations

import ast
import re
import runpy
import shutil
import threading
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select

from assistant import importer as importer_module
from assistant.db.database import Database
from assistant.db.models import (
    AuditEntry,
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
from assistant.i18n import LANGUAGES, Texts
from assistant.importer import (
    ImportIssue,
    ImportReport,
    PortfolioImporter,
    TableCounts,
    render_report,
)
from assistant.importer import cells as importer_cells
from assistant.importer import model as importer_model
from assistant.importer import reading as importer_reading

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
SAMPLE_XLSX = SAMPLES / "portfolio_sample.xlsx"
SAMPLE_CSV = SAMPLES / "csv"
CSV_ORDER = ("officers", "clients", "loans", "guarantors", "collateral")
MODELS = (Officer, Client, Loan, Guarantor, Collateral, AuditEntry)
SAMPLE_COUNTS = {"officers": 6, "clients": 10, "loans": 11, "guarantors": 7, "collateral": 5}


# ---- helpers


@pytest.fixture
def importer(database: Database) -> PortfolioImporter:
    return PortfolioImporter(database, max_bytes=5 * 1024 * 1024, max_rows=20_000)


@pytest.fixture
def texts(tmp_path: Path) -> Texts:
    # Only this feature's files, so that texts being edited elsewhere cannot break these tests.
    root = tmp_path / "messages"
    for lang in LANGUAGES:
        (root / lang).mkdir(parents=True)
        shutil.copy(REPO / "prompts" / "messages" / lang / "import.toml", root / lang)
    return Texts(root, ZoneInfo("Asia/Shanghai"))


def _sample_sheets() -> dict[str, list[list[Any]]]:
    """The sample workbook as plain lists, to be altered and saved again by a test."""
    workbook = openpyxl.load_workbook(SAMPLE_XLSX)
    sheets = {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in workbook}
    workbook.close()
    return sheets


def _save_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def _save_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _find(rows: list[list[Any]], first_cell: str) -> int:
    """The index of the row starting with ``first_cell``."""
    return next(i for i, row in enumerate(rows) if row[0] == first_cell)


def _where(report: ImportReport) -> set[tuple[str, int | None, str | None, str]]:
    return {(i.sheet, i.row, i.column, i.code) for i in report.issues}


def _codes(report: ImportReport) -> list[str]:
    return [i.code for i in report.issues]


async def _row_counts(database: Database) -> dict[str, int]:
    async with database.session() as session:
        return {
            model.__tablename__: (await session.scalar(select(func.count()).select_from(model)))
            or 0
            for model in MODELS
        }


async def _snapshot(database: Database) -> dict[str, set[tuple[Any, ...]]]:
    """Everything the import writes, by business keys rather than ids, so two databases compare."""
    async with database.session() as session:
        officers = {o.id: o for o in (await session.scalars(select(Officer))).all()}
        clients = {c.id: c for c in (await session.scalars(select(Client))).all()}
        loans = {loan.id: loan for loan in (await session.scalars(select(Loan))).all()}
        guarantors = (await session.scalars(select(Guarantor))).all()
        collateral = (await session.scalars(select(Collateral))).all()

    def staff(officer_id: int | None) -> str | None:
        return officers[officer_id].staff_no if officer_id else None

    return {
        "officers": {
            (o.staff_no, o.name, o.role, staff(o.supervisor_id)) for o in officers.values()
        },
        "clients": {
            (
                c.code, c.name, c.kind, c.industry, c.registered_address, c.latitude,
                c.longitude, c.business_district, staff(c.officer_id), c.handed_over_on,
                c.credit_code, c.legal_representative,
            )
            for c in clients.values()
        },
        "loans": {
            (
                loan.contract_no, clients[loan.client_id].code, loan.product, loan.amount,
                loan.agreed_purpose, loan.disbursed_on, loan.matures_on, loan.payment_method,
                loan.risk_class, loan.days_overdue,
            )
            for loan in loans.values()
        },
        "guarantors": {
            (
                loans[g.loan_id].contract_no, g.name, g.kind, g.relationship_to_borrower,
                g.guaranteed_amount,
            )
            for g in guarantors
        },
        "collateral": {
            (
                loans[c.loan_id].contract_no, c.type, c.location, c.area_sqm,
                c.appraised_value, c.appraised_on, c.registration_no,
            )
            for c in collateral
        },
    }  # fmt: skip


def _created(**tables: int) -> dict[str, TableCounts]:
    return {name: TableCounts(created=n) for name, n in tables.items()}


def _unchanged(**tables: int) -> dict[str, TableCounts]:
    return {name: TableCounts(unchanged=n) for name, n in tables.items()}


def _assert_renders(report: ImportReport, texts: Texts) -> None:
    """Every issue has a message in both languages, with all its parameters supplied."""
    for lang in LANGUAGES:
        for html in (True, False):
            text = render_report(report, texts, lang, html=html, max_issues=len(report.issues))
            assert "{{" not in text
            assert len(text.splitlines()) == len(report.issues) + 1


async def _import_sample(importer: PortfolioImporter) -> None:
    report = await importer.apply(SAMPLE_XLSX, actor_officer_id=None)
    assert report.applied, report.issues


# ---- the sample files


async def test_sample_workbook_previews_applies_and_reapplies_unchanged(
    database: Database, importer: PortfolioImporter
) -> None:
    preview = await importer.preview(SAMPLE_XLSX)
    assert preview.ok
    assert not preview.applied
    assert preview.counts == _created(**SAMPLE_COUNTS)
    assert list(preview.counts) == list(CSV_ORDER)
    assert set((await _row_counts(database)).values()) == {0}, "preview must write nothing"

    applied = await importer.apply(
        SAMPLE_XLSX, actor_officer_id=None, filename="2026年11月台账.xlsx"
    )
    assert applied.ok
    assert applied.applied
    assert applied.counts == _created(**SAMPLE_COUNTS)
    rows = await _row_counts(database)
    assert rows == {**SAMPLE_COUNTS, "audit_log": 1}

    again = await importer.apply(SAMPLE_XLSX, actor_officer_id=None)
    assert again.applied
    assert again.counts == _unchanged(**SAMPLE_COUNTS)
    assert await _row_counts(database) == {**SAMPLE_COUNTS, "audit_log": 2}

    async with database.session() as session:
        audits = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [a.action for a in audits] == ["portfolio.import", "portfolio.import"]
    assert audits[0].target == "2026年11月台账.xlsx"
    assert audits[1].target == SAMPLE_XLSX.name
    assert audits[0].detail == {
        table: {"created": n, "updated": 0, "unchanged": 0} for table, n in SAMPLE_COUNTS.items()
    }
    assert audits[1].detail["loans"] == {"created": 0, "updated": 0, "unchanged": 11}


async def test_sample_content_matches_the_demo_definition(
    database: Database, importer: PortfolioImporter
) -> None:
    await _import_sample(importer)
    async with database.session() as session:
        officers = {o.staff_no: o for o in (await session.scalars(select(Officer))).all()}
        clients = {c.code: c for c in (await session.scalars(select(Client))).all()}
        loans = {x.contract_no: x for x in (await session.scalars(select(Loan))).all()}
        collateral = (await session.scalars(select(Collateral))).all()

    by_id = {o.id: o for o in officers.values()}
    expected = {
        "S2001": ("王强", Role.SUPERVISOR, None),
        "E1001": ("张伟", Role.OFFICER, "S2001"),
        "E1002": ("李娜", Role.OFFICER, "S2001"),
        "E1003": ("刘洋", Role.OFFICER, "S2001"),
        "S3001": ("赵磊", Role.SUPERVISOR, None),
        "E3001": ("陈静", Role.OFFICER, "S3001"),
    }
    actual = {
        s: (o.name, o.role, by_id[o.supervisor_id].staff_no if o.supervisor_id else None)
        for s, o in officers.items()
    }
    assert actual == expected
    assert all(o.telegram_id is None and o.active for o in officers.values())

    assert all(c.name.endswith("（演示）") for c in clients.values())
    per_officer: dict[str, int] = {}
    for client in clients.values():
        staff_no = by_id[client.officer_id].staff_no or ""
        per_officer[staff_no] = per_officer.get(staff_no, 0) + 1
    assert per_officer == {"E1001": 3, "E1002": 2, "E1003": 2, "E3001": 2, "S2001": 1}
    kinds = [c.kind for c in clients.values()]
    assert kinds.count(ClientKind.CORPORATE) >= 3
    assert kinds.count(ClientKind.INDIVIDUAL) >= 3

    c1001, c1002 = clients["C1001"], clients["C1002"]
    assert c1001.name == "张记五金店（演示）"
    assert c1001.kind == ClientKind.INDIVIDUAL
    assert isinstance(c1001.latitude, float)
    assert c1001.latitude == pytest.approx(31.2412)
    assert c1002.kind == ClientKind.CORPORATE
    clients_by_id = {c.id: c.code for c in clients.values()}
    products: dict[str, set[LoanProduct]] = {}
    for loan in loans.values():
        products.setdefault(clients_by_id[loan.client_id], set()).add(loan.product)
    assert LoanProduct.PERSONAL_BUSINESS in products["C1001"]
    assert LoanProduct.WORKING_CAPITAL in products["C1002"]

    today = date(2026, 11, 29)
    assert any(0 <= (today - x.disbursed_on).days <= 30 for x in loans.values())
    assert any((today - x.disbursed_on).days > 30 for x in loans.values())
    assert [x.contract_no for x in loans.values() if 0 <= (x.matures_on - today).days <= 90] == [
        "HT2025-0003"
    ]
    overdue = loans["HT2025-0005"]
    assert (overdue.days_overdue, overdue.risk_class) == (15, RiskClass.SPECIAL_MENTION)
    assert overdue.payment_method == PaymentMethod.SELF
    assert loans["HT2025-0002"].amount == Decimal("2000000.00")

    house = next(c for c in collateral if c.registration_no.endswith("第012345号"))
    assert (house.type, house.area_sqm, house.appraised_value) == (
        "房产",
        Decimal("128.50"),
        Decimal("2600000.00"),
    )
    assert {c.type for c in collateral} == {"房产", "机器设备"}


async def test_csv_set_imports_in_order_and_equals_the_workbook(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    for table in CSV_ORDER:
        # The on-disk name says nothing: the table is recognised from the header alone.
        upload = tmp_path / f"upload_{table}"
        shutil.copy(SAMPLE_CSV / f"{table}.csv", upload)
        report = await importer.apply(upload, actor_officer_id=None, filename=f"{table}.csv")
        assert report.applied, report.issues
        assert report.counts == _created(**{table: SAMPLE_COUNTS[table]})

    reference = Database(f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
    await reference.start()
    try:
        ref_importer = PortfolioImporter(reference, max_bytes=5 * 1024 * 1024, max_rows=20_000)
        await _import_sample(ref_importer)
        assert await _snapshot(database) == await _snapshot(reference)
    finally:
        await reference.dispose()

    report = await importer.preview(SAMPLE_XLSX)
    assert report.counts == _unchanged(**SAMPLE_COUNTS)


async def test_csv_in_the_wrong_order_names_the_missing_references(
    importer: PortfolioImporter,
) -> None:
    report = await importer.preview(SAMPLE_CSV / "clients.csv")
    assert {i.code for i in report.issues} == {"unknown_officer"}
    assert {(i.row, i.column, i.params["staff_no"]) for i in report.issues} >= {
        (2, "officer_staff_no", "E1001"),
        (11, "officer_staff_no", "S2001"),
    }
    assert len(report.issues) == 10


def test_generated_samples_are_up_to_date(tmp_path: Path) -> None:
    generator = runpy.run_path(str(SAMPLES / "make_samples.py"), run_name="make_samples")
    generator["main"](tmp_path)
    for table in CSV_ORDER:
        fresh = (tmp_path / "csv" / f"{table}.csv").read_bytes()
        assert fresh == (SAMPLE_CSV / f"{table}.csv").read_bytes(), table
    fresh_book = openpyxl.load_workbook(tmp_path / "portfolio_sample.xlsx")
    committed = openpyxl.load_workbook(SAMPLE_XLSX)
    assert (
        fresh_book.sheetnames
        == committed.sheetnames
        == ["客户经理", "客户", "贷款", "担保人", "抵押物"]
    )
    for name in committed.sheetnames:
        assert list(fresh_book[name].values) == list(committed[name].values), name


# ---- errors: exact locations, and nothing written


async def test_several_errors_are_all_reported_and_nothing_is_written(
    database: Database, importer: PortfolioImporter, tmp_path: Path, texts: Texts
) -> None:
    sheets = _sample_sheets()
    officers, clients, loans = sheets["客户经理"], sheets["客户"], sheets["贷款"]
    guarantors = sheets["担保人"]
    officers[_find(officers, "E3001")][3] = "S9999"  # row 7
    clients[_find(clients, "C1003")][2] = "合伙企业"  # row 4
    loans[_find(loans, "HT2025-0002")][3] = "两百万"  # row 3
    loans[_find(loans, "HT2025-0004")][5] = "2025-02-30"  # row 5
    guarantors[_find(guarantors, "HT2025-0005")][0] = "HT2099-0001"  # row 5
    path = _save_xlsx(tmp_path / "broken.xlsx", sheets)

    report = await importer.apply(path, actor_officer_id=None)

    assert not report.applied
    assert not report.ok
    assert _where(report) == {
        ("officers", 7, "主管工号", "unknown_officer"),
        ("clients", 4, "客户类型", "bad_choice"),
        ("loans", 3, "贷款金额", "bad_number"),
        ("loans", 5, "放款日期", "bad_date"),
        ("guarantors", 5, "合同编号", "unknown_contract"),
    }
    # Issues come in table order, then row order.
    assert [i.sheet for i in report.issues] == [
        "officers", "clients", "loans", "loans", "guarantors"
    ]  # fmt: skip
    by_code = {i.code: i for i in report.issues}
    assert by_code["bad_choice"].params["value"] == "合伙企业"
    assert "个体工商户" in by_code["bad_choice"].params["accepted_zh"]
    assert by_code["bad_number"].params == {"value": "两百万", "expected": "money"}
    assert by_code["unknown_contract"].params == {"contract_no": "HT2099-0001"}
    assert set((await _row_counts(database)).values()) == {0}
    _assert_renders(report, texts)


async def test_a_bad_file_leaves_existing_data_untouched(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    before = await _snapshot(database)
    sheets = _sample_sheets()
    loans = sheets["贷款"]
    loans[_find(loans, "HT2025-0001")][3] = 999_999  # a valid change...
    loans[_find(loans, "HT2025-0002")][9] = -1  # ...and an invalid one
    report = await importer.apply(_save_xlsx(tmp_path / "half.xlsx", sheets), actor_officer_id=1)
    assert _where(report) == {("loans", 3, "逾期天数", "out_of_range")}
    assert report.issues[0].params == {
        "value": "-1", "min": "0", "max": "9999", "min_exclusive": False
    }  # fmt: skip
    assert await _snapshot(database) == before
    assert (await _row_counts(database))["audit_log"] == 1


async def test_unknown_and_empty_sheets(importer: PortfolioImporter, tmp_path: Path) -> None:
    sheets = _sample_sheets()
    sheets["说明"] = [["请按模板填写"]]
    sheets["Sheet2"] = []  # Excel's leftover empty sheet is harmless
    report = await importer.preview(_save_xlsx(tmp_path / "extra.xlsx", sheets))
    assert _where(report) == {("", None, None, "unknown_sheet")}
    issue = report.issues[0]
    assert issue.params["name"] == "说明"
    assert issue.params["accepted_zh"] == ["客户经理", "客户", "贷款", "担保人", "抵押物"]
    assert report.counts == _created(**SAMPLE_COUNTS), "the rest of the file is still checked"

    only_unknown = _save_xlsx(tmp_path / "wrong.xlsx", {"Sheet1": [["a", "b"], [1, 2]]})
    report = await importer.preview(only_unknown)
    assert _codes(report) == ["no_known_sheet"]
    assert report.issues[0].params["found"] == ["Sheet1"]
    assert report.counts == {}


async def test_english_sheet_names_and_headers_are_accepted(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    rows = [
        ["Staff No", " NAME ", "Role", "supervisor_staff_no"],
        ["S2001", "王强", "主管", None],
        [None, None, None, None],  # blank rows are skipped
        ["E1001", "张伟", "Officer", "S2001"],
    ]
    report = await importer.apply(
        _save_xlsx(tmp_path / "en.xlsx", {" Officers ": rows}), actor_officer_id=None
    )
    assert report.applied, report.issues
    assert report.counts == _created(officers=2)


async def test_unknown_column_suggests_the_right_header(
    importer: PortfolioImporter, tmp_path: Path, texts: Texts
) -> None:
    sheets = _sample_sheets()
    sheets["贷款"][0][3] = "贷款金颔"  # a one-character typo of 贷款金额
    report = await importer.preview(_save_xlsx(tmp_path / "typo.xlsx", sheets))
    assert _where(report) == {
        ("loans", 1, "贷款金颔", "unknown_column"),
        ("loans", None, None, "missing_column"),
    }
    unknown = next(i for i in report.issues if i.code == "unknown_column")
    assert unknown.params["suggestion"] == "贷款金额"
    missing = next(i for i in report.issues if i.code == "missing_column")
    assert missing.params == {"name": "amount", "zh": "贷款金额"}
    zh = render_report(report, texts, "zh", html=False)
    assert "「贷款」表第 1 行，「贷款金颔」列：" in zh
    assert "是否应为「贷款金额」" in zh
    _assert_renders(report, texts)


async def test_duplicates_name_both_rows(importer: PortfolioImporter, tmp_path: Path) -> None:
    sheets = _sample_sheets()
    clients, guarantors = sheets["客户"], sheets["担保人"]
    copy = list(clients[_find(clients, "C1002")])
    copy[1] = "另一家公司（演示）"
    clients.append(copy)  # row 12 repeats C1002 of row 3
    guarantors.append(list(guarantors[2]))  # row 9 repeats row 3 (HT2025-0002 / 李志刚)
    report = await importer.preview(_save_xlsx(tmp_path / "dup.xlsx", sheets))
    assert _where(report) == {
        ("clients", 12, "客户编号", "duplicate"),
        ("guarantors", 9, "担保人名称", "duplicate"),
    }
    client_dup, guarantor_dup = report.issues
    assert client_dup.params == {"value": "C1002", "first_row": 3}
    assert guarantor_dup.params == {"value": "HT2025-0002 / 李志刚", "first_row": 3}


async def test_date_and_number_spellings(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    header = "contract_no,client_code,product,amount,agreed_purpose,disbursed_on,matures_on,"
    header += "payment_method,risk_class,days_overdue\n"
    lines = [
        'N-1,C1001,个人经营贷款,"1,200,000",进货,2025-03-01,2026/3/1,受托支付,关注类,3',
        "N-2,C1001,个人经营贷款,1200000.00,进货,2025/3/1,2026.03.01,自主,正常,",
        "N-3,C1001,个人经营贷款,¥1200000,进货,2025.03.01,20260301,self,normal,0",
        "N-4,C1001,个人经营贷款,１２０００００,进货,20250301,2026年3月1日,受托,,0",
        "N-5,C1001,个人经营贷款,1200000,进货,2025年3月1日,2026-03-01 00:00:00,受托,正常,0",
    ]
    path = _save_csv(tmp_path / "spellings.csv", header + "\n".join(lines) + "\n")
    report = await importer.apply(path, actor_officer_id=None, filename="loans.csv")
    assert report.applied, report.issues
    assert report.counts == _created(loans=5)
    async with database.session() as session:
        new = (await session.scalars(select(Loan).where(Loan.contract_no.like("N-%")))).all()
    assert len(new) == 5
    assert {(x.disbursed_on, x.matures_on) for x in new} == {(date(2025, 3, 1), date(2026, 3, 1))}
    assert {x.amount for x in new} == {Decimal("1200000")}
    assert {x.contract_no: x.risk_class for x in new}["N-1"] == RiskClass.SPECIAL_MENTION
    assert {x.contract_no: x.days_overdue for x in new}["N-2"] == 0  # blank: the default

    bad = [
        "B-1,C1001,个人经营贷款,1200000,进货,2025-02-30,2026-03-01,受托,正常,0",
        'B-2,C1001,个人经营贷款,"1,2000",进货,2025-03-01,2026-03-01,受托,正常,0',
        "B-3,C1001,个人经营贷款,0,进货,2025-03-01,2026-03-01,受托,正常,0",
        "B-4,C1001,个人经营贷款,100.555,进货,2025-03-01,2026-03-01,受托,正常,1.5",
        "B-5,C1001,个人经营贷款,100,进货,2025-03-01,2024-03-01,受托,正常,0",
        "B-6,C1001,个人经营贷款,100,进货,2025-03-01,2026-03-01,现金,正常,0",
        "B-7,C1001,个人经营贷款,100,,03/01/2025,2026-03-01,受托,正常,0",
    ]
    path = _save_csv(tmp_path / "bad.csv", header + "\n".join(bad) + "\n")
    report = await importer.apply(path, actor_officer_id=None, filename="loans.csv")
    assert _where(report) == {
        ("loans", 2, "disbursed_on", "bad_date"),
        ("loans", 3, "amount", "bad_number"),
        ("loans", 4, "amount", "out_of_range"),
        ("loans", 5, "amount", "bad_number"),
        ("loans", 5, "days_overdue", "bad_number"),
        ("loans", 6, "matures_on", "date_order"),
        ("loans", 7, "payment_method", "bad_choice"),
        ("loans", 8, "agreed_purpose", "required"),
        ("loans", 8, "disbursed_on", "bad_date"),
    }
    out_of_range = next(i for i in report.issues if i.code == "out_of_range")
    assert out_of_range.params["min_exclusive"] is True
    assert (await _row_counts(database))["loans"] == 11 + 5


async def test_text_cells_are_checked(importer: PortfolioImporter, tmp_path: Path) -> None:
    long_name = "很" * 101  # officers.name is String(100)
    text = (
        "staff_no,name,role\n"
        f"E1,{long_name},officer\n"
        'E2,"张\x07伟",officer\n'
        "E3,  王五  ,officer\n"
        "E4,赵六,admin\n"
    )
    report = await importer.preview(_save_csv(tmp_path / "o.csv", text))
    assert _where(report) == {
        ("officers", 2, "name", "too_long"),
        ("officers", 3, "name", "bad_text"),
        ("officers", 5, "role", "role_not_importable"),
    }
    too_long = report.issues[0]
    assert too_long.params["limit"] == 100
    assert too_long.params["length"] == 101
    assert len(too_long.params["value"]) <= 40, "values are quoted back truncated"
    assert report.issues[1].params["value"] == "张\\x07伟"
    assert report.counts == _created(officers=1), "only E3 is valid (its name is trimmed)"


async def test_references_to_unknown_officers_clients_and_contracts(
    importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    clients = "client_code,client_name,kind,officer_staff_no\nC2001,新客户（演示）,个体户,E9999\n"
    loans = (
        "contract_no,client_code,product,amount,agreed_purpose,disbursed_on,matures_on,"
        "payment_method\nHT2026-0099,C9999,流动资金贷款,100,进货,2026-01-01,2027-01-01,受托\n"
    )
    guarantors = "contract_no,guarantor_name,guarantor_kind\nHT2026-0099,张三,自然人\n"
    collateral = "合同编号,抵押物类型,登记证号\nHT2026-0098,房产,沪(2026)演示区不动产权第1号\n"
    cases = [
        (clients, ("clients", 2, "officer_staff_no", "unknown_officer"), {"staff_no": "E9999"}),
        (loans, ("loans", 2, "client_code", "unknown_client"), {"client_code": "C9999"}),
        (
            guarantors,
            ("guarantors", 2, "contract_no", "unknown_contract"),
            {"contract_no": "HT2026-0099"},
        ),
        (
            collateral,
            ("collateral", 2, "合同编号", "unknown_contract"),
            {"contract_no": "HT2026-0098"},
        ),
    ]
    for index, (text, where, params) in enumerate(cases):
        report = await importer.preview(_save_csv(tmp_path / f"{index}.csv", text))
        assert _where(report) == {where}
        assert report.issues[0].params == params


async def test_supervisor_rules(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    text = (
        "staff_no,name,role,supervisor_staff_no\n"
        "E5001,甲,officer,E1001\n"  # E1001 is an officer, not a supervisor
        "E5002,乙,officer,E5002\n"  # themselves
        "S3001,赵磊,officer,\n"  # demoted while E3001 (in the database) still reports to them
    )
    report = await importer.preview(_save_csv(tmp_path / "sup.csv", text))
    assert _where(report) == {
        ("officers", 2, "supervisor_staff_no", "not_a_supervisor"),
        ("officers", 3, "supervisor_staff_no", "self_supervisor"),
        ("officers", 4, "role", "still_supervises"),
    }
    assert report.issues[0].params == {"staff_no": "E1001", "role": "officer"}
    assert report.issues[2].params == {"staff_no": "S3001", "count": 1}

    async with database.session() as session:
        session.add(Officer(staff_no="A0001", name="管理员", role=Role.ADMIN))
    report = await importer.preview(
        _save_csv(tmp_path / "admin.csv", "staff_no,name,role\nA0001,管理员,supervisor\n")
    )
    assert _where(report) == {("officers", 2, "staff_no", "is_admin")}


async def test_header_and_row_shape_problems(
    importer: PortfolioImporter, tmp_path: Path, texts: Texts
) -> None:
    await _import_sample(importer)
    text = (
        "client_code,client_name,kind,officer_staff_no,纬度,经度,客户名称,\n"
        "C3001,甲（演示）,企业,E1001,31.2,,,\n"
        "C3002,乙（演示）,企业,E1001,95,121.4,,备注\n"
        "C3003,丙（演示）,企业,E1001,31.2,121.4,,\n"
    )
    report = await importer.preview(_save_csv(tmp_path / "c.csv", text))
    assert _where(report) == {
        ("clients", 1, "客户名称", "duplicate_column"),
        ("clients", 2, "经度", "coordinates_pair"),
        ("clients", 3, None, "unnamed_column"),
        ("clients", 3, "纬度", "out_of_range"),
    }
    by_code = {i.code: i.params for i in report.issues}
    assert by_code["duplicate_column"] == {"other": "client_name"}
    assert by_code["unnamed_column"] == {"position": "H"}
    assert by_code["out_of_range"] == {
        "value": "95", "min": "-90", "max": "90", "min_exclusive": False
    }  # fmt: skip
    assert report.counts == _created(clients=1)
    _assert_renders(report, texts)

    empty = await importer.preview(_save_csv(tmp_path / "e.csv", "staff_no,name,role\n,,\n"))
    assert _codes(empty) == ["no_data"]


async def test_issues_are_capped_for_hostile_files(
    importer: PortfolioImporter, tmp_path: Path, texts: Texts
) -> None:
    rows = "".join(f"E{n},{'x' * 101},boss\n" for n in range(600))  # two bad cells per row
    report = await importer.preview(_save_csv(tmp_path / "o.csv", "staff_no,name,role\n" + rows))
    assert report.issues[0].code == "too_many_issues"
    assert len(report.issues) == importer_model.MAX_ISSUES + 1
    assert report.counts == {}
    text = render_report(report, texts, "en", html=True)
    assert "only the first 1000 are listed" in text
    assert text.endswith(f"…and {len(report.issues) - 20} more.")


# ---- encodings and file types


async def test_gb18030_csv_as_saved_by_excel_in_china(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    text = (SAMPLE_CSV / "officers.csv").read_text(encoding="utf-8-sig")
    text = text.replace("staff_no,name,role,supervisor_staff_no", "工号,姓名,角色,主管工号")
    path = _save_csv(tmp_path / "gbk.csv", text, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = await importer.apply(path, actor_officer_id=None)
    assert report.applied, report.issues
    async with database.session() as session:
        names = set((await session.scalars(select(Officer.name))).all())
    assert names == {"王强", "张伟", "李娜", "刘洋", "赵磊", "陈静"}


async def test_undecodable_csv(importer: PortfolioImporter, tmp_path: Path) -> None:
    path = _save_csv(tmp_path / "utf16.csv", "staff_no,name,role\nE1,张伟,officer\n", "utf-16")
    report = await importer.preview(path)
    assert _where(report) == {("", None, None, "bad_encoding")}


async def test_csv_header_that_matches_no_table(
    importer: PortfolioImporter, tmp_path: Path
) -> None:
    path = _save_csv(tmp_path / "x.csv", "编号,名称\n1,甲\n")
    report = await importer.preview(path)
    assert _codes(report) == ["unknown_table"]
    assert report.issues[0].params == {"found": ["编号", "名称"]}
    ambiguous = "contract_no,guarantor_name,registration_no\nHT1,张三,X1\n"
    report = await importer.preview(_save_csv(tmp_path / "y.csv", ambiguous))
    assert _codes(report) == ["unknown_table"]


async def test_file_type_comes_from_the_users_file_name(
    importer: PortfolioImporter, tmp_path: Path
) -> None:
    upload = tmp_path / "file_8c1f0e"  # Telegram downloads get random names
    shutil.copy(SAMPLE_XLSX, upload)
    report = await importer.preview(upload, filename="台账.XLSX")
    assert report.ok
    report = await importer.preview(upload, filename="台账.xls")
    assert _where(report) == {("", None, None, "unsupported_type")}
    assert report.issues[0].params == {"filename": "台账.xls"}


# ---- limits and hostile files


async def test_too_large_is_refused_before_parsing(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_open(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    small = PortfolioImporter(database, max_bytes=1024, max_rows=20_000)
    report = await small.apply(SAMPLE_XLSX, actor_officer_id=None)
    assert not report.applied
    assert _where(report) == {("", None, None, "too_large")}
    params = report.issues[0].params
    assert (params["what"], params["limit"]) == ("file", "1 KB")
    assert params["size"].endswith(" KB")


async def test_too_many_rows(database: Database) -> None:
    limited = PortfolioImporter(database, max_bytes=5 * 1024 * 1024, max_rows=38)
    report = await limited.preview(SAMPLE_XLSX)
    assert _where(report) == {("", None, None, "too_many_rows")}
    assert report.issues[0].params == {"limit": 38}
    exact = PortfolioImporter(database, max_bytes=5 * 1024 * 1024, max_rows=39)
    assert (await exact.preview(SAMPLE_XLSX)).ok, "the sample has 39 data rows"


async def test_not_a_zip_and_a_corrupt_workbook(
    importer: PortfolioImporter, tmp_path: Path
) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("staff_no,name,role\n", encoding="utf-8")
    assert _codes(await importer.preview(fake)) == ["not_a_workbook"]

    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(SAMPLE_XLSX.read_bytes()[:3000])
    assert _codes(await importer.preview(truncated)) == ["not_a_workbook"]

    # A valid zip whose worksheet XML is broken fails while rows are read, not while opening.
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(SAMPLE_XLSX) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet3.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    report = await importer.apply(broken, actor_officer_id=None)
    assert _codes(report) == ["not_a_workbook"]
    assert not report.applied


async def test_zip_bomb_is_refused_without_inflating_it(
    importer: PortfolioImporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (5 * 1024 * 1024))
    assert bomb.stat().st_size < 20_000
    report = await importer.preview(bomb)
    assert _where(report) == {("", None, None, "too_large")}
    assert report.issues[0].params == {"what": "ratio", "size": "5 MB", "limit": 100}

    monkeypatch.setattr(importer_reading, "MAX_UNPACKED_BYTES", 10_000)
    report = await importer.preview(SAMPLE_XLSX)
    assert _codes(report) == ["too_large"]
    assert report.issues[0].params["what"] == "unpacked"


async def test_parsing_runs_off_the_event_loop_thread(
    importer: PortfolioImporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = openpyxl.load_workbook

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        assert kwargs == {"read_only": True, "data_only": True}
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    assert (await importer.preview(SAMPLE_XLSX)).ok
    assert threads
    assert threads[0] is not threading.main_thread()


# ---- updates


async def test_an_update_changes_only_the_changed_row(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    async with database.session() as session:
        e1001 = await session.scalar(select(Officer).where(Officer.staff_no == "E1001"))
        assert e1001 is not None
        # Fields that belong to the bot, not to the bank's ledger.
        e1001.telegram_id, e1001.language, e1001.active = 424242, "en", False
        stamps = {x.contract_no: x.updated_at for x in (await session.scalars(select(Loan)))}

    sheets = _sample_sheets()
    loans, officers = sheets["贷款"], sheets["客户经理"]
    loans[_find(loans, "HT2025-0002")][3] = 2_100_000
    officers[_find(officers, "E1001")][1] = "张伟伟"
    path = _save_xlsx(tmp_path / "update.xlsx", sheets)

    preview = await importer.preview(path)
    assert preview.counts["loans"] == TableCounts(updated=1, unchanged=10)
    assert preview.counts["officers"] == TableCounts(updated=1, unchanged=5)
    assert preview.counts["clients"] == TableCounts(unchanged=10)
    report = await importer.apply(path, actor_officer_id=None)
    assert report.applied
    assert report.counts == preview.counts

    async with database.session() as session:
        loans_now = {x.contract_no: x for x in (await session.scalars(select(Loan)))}
        e1001 = await session.scalar(select(Officer).where(Officer.staff_no == "E1001"))
    assert loans_now["HT2025-0002"].amount == Decimal("2100000.00")
    assert loans_now["HT2025-0002"].updated_at != stamps["HT2025-0002"]
    assert all(x.updated_at == stamps[c] for c, x in loans_now.items() if c != "HT2025-0002")
    assert e1001 is not None
    assert (e1001.name, e1001.telegram_id, e1001.language, e1001.active) == (
        "张伟伟",
        424242,
        "en",
        False,
    )


async def test_a_column_left_out_keeps_the_stored_value(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    text = (
        "contract_no,client_code,product,amount,agreed_purpose,disbursed_on,matures_on,"
        "payment_method\n"
        "HT2025-0005,C1005,个人经营贷款,200000,店面装修及购置厨房设备,2025-09-01,2027-08-31,自主\n"
    )
    report = await importer.apply(_save_csv(tmp_path / "l.csv", text), actor_officer_id=None)
    assert report.counts == _unchanged(loans=1)
    async with database.session() as session:
        loan = await session.scalar(select(Loan).where(Loan.contract_no == "HT2025-0005"))
    assert loan is not None
    assert (loan.risk_class, loan.days_overdue) == (RiskClass.SPECIAL_MENTION, 15)


async def test_a_promised_referral_is_imported_and_a_bad_flag_named(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    header = "client_code,client_name,kind,officer_staff_no,referral_promised\n"
    good = header + "C1001,张记五金店（演示）,个体工商户,E1001,是\n"
    await importer.apply(_save_csv(tmp_path / "c.csv", good), actor_officer_id=None)
    async with database.session() as session:
        client = await session.scalar(select(Client).where(Client.code == "C1001"))
    assert client is not None and client.referral_promised is True

    bad = header + "C1001,张记五金店（演示）,个体工商户,E1001,也许\n"
    report = await importer.preview(_save_csv(tmp_path / "bad.csv", bad))
    assert not report.ok
    assert any(issue.code == "bad_flag" for issue in report.issues)


async def test_credit_code_and_legal_representative_are_imported_and_updated(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    async with database.session() as session:
        clients = {c.code: c for c in (await session.scalars(select(Client))).all()}
    assert (clients["C1002"].credit_code, clients["C1002"].legal_representative) == (
        "91319900DEMC100205",
        "李志刚",
    )
    assert all(c.credit_code and c.legal_representative for c in clients.values())

    header = "client_code,client_name,kind,officer_staff_no,credit_code,legal_representative\n"
    # Spaces and lowercase, as typed from a licence, are normalised before the check.
    changed = header + "C1002,恒信建材贸易有限公司（演示）,企业,E1001, 91350100m000100y43 ,周建华\n"
    report = await importer.apply(_save_csv(tmp_path / "c.csv", changed), actor_officer_id=None)
    assert report.applied, report.issues
    assert report.counts == {"clients": TableCounts(updated=1)}
    async with database.session() as session:
        c1002 = await session.scalar(select(Client).where(Client.code == "C1002"))
    assert c1002 is not None
    assert (c1002.credit_code, c1002.legal_representative) == ("91350100M000100Y43", "周建华")

    again = await importer.apply(_save_csv(tmp_path / "c.csv", changed), actor_officer_id=None)
    assert again.counts == _unchanged(clients=1)

    # The Chinese headers (and 经营者, as an individual business's licence says) work as well.
    header_zh = "客户编号,客户名称,客户类型,客户经理工号,统一社会信用代码,经营者\n"
    cleared = header_zh + "C1002,恒信建材贸易有限公司（演示）,企业,E1001,,\n"
    report = await importer.apply(_save_csv(tmp_path / "z.csv", cleared), actor_officer_id=None)
    assert report.counts == {"clients": TableCounts(updated=1)}
    async with database.session() as session:
        c1002 = await session.scalar(select(Client).where(Client.code == "C1002"))
    assert c1002 is not None
    assert (c1002.credit_code, c1002.legal_representative) == (None, None)


async def test_a_wrong_credit_code_is_named_by_row_and_column(
    database: Database, importer: PortfolioImporter, tmp_path: Path, texts: Texts
) -> None:
    sheets = _sample_sheets()
    clients = sheets["客户"]
    column = clients[0].index("统一社会信用代码")
    clients[_find(clients, "C1002")][column] = "91319900DEMC100206"  # row 3: check should be 5
    clients[_find(clients, "C1005")][column] = "9231990ODEMC100505"  # row 6: O is not allowed
    clients[_find(clients, "C1008")][column] = "91319900DEMC1008"  # row 9: 16 characters
    report = await importer.apply(_save_xlsx(tmp_path / "cc.xlsx", sheets), actor_officer_id=None)
    assert not report.applied
    assert _where(report) == {
        ("clients", 3, "统一社会信用代码", "credit_code_check"),
        ("clients", 6, "统一社会信用代码", "bad_credit_code"),
        ("clients", 9, "统一社会信用代码", "bad_credit_code"),
    }
    assert set((await _row_counts(database)).values()) == {0}

    zh = render_report(report, texts, "zh", html=False)
    assert (
        "「客户」表第 3 行，「统一社会信用代码」列："
        "「91319900DEMC100206」不是有效的统一社会信用代码：最后一位校验码与前 17 位不符"
    ) in zh
    assert (
        "「客户」表第 9 行，「统一社会信用代码」列：「91319900DEMC1008」不是统一社会信用代码"
    ) in zh
    assert "此处为 16 位" in zh
    en = render_report(report, texts, "en", html=False)
    assert (
        'Table "clients", row 3, column "统一社会信用代码": "91319900DEMC100206" is not a valid '
        "unified social credit code (统一社会信用代码): its last character, the check character, "
        "does not match the other 17"
    ) in en
    assert "but this has 16" in en
    _assert_renders(report, texts)

    header = "client_code,client_name,kind,officer_staff_no,credit_code\n"
    csv_text = header + "C1001,张记五金店（演示）,个体工商户,E1001,92319900DEMC100102\n"
    report = await importer.preview(_save_csv(tmp_path / "cc.csv", csv_text))
    assert ("clients", 2, "credit_code", "credit_code_check") in _where(report)
    en = render_report(report, texts, "en", html=False)
    assert 'Table "clients", row 2, column "credit_code": "92319900DEMC100102" is not a valid' in en


# ---- rendering and messages


async def test_render_report_in_both_languages(
    importer: PortfolioImporter, tmp_path: Path, texts: Texts
) -> None:
    await _import_sample(importer)
    header = "contract_no,client_code,product,amount,agreed_purpose,disbursed_on,matures_on,"
    header += "payment_method\n"
    rows = [f"X-{n},C1001,个人经营贷款,abc<{n}>,进货,2025-03-01,2026-03-01,受托" for n in range(4)]
    report = await importer.preview(_save_csv(tmp_path / "r.csv", header + "\n".join(rows)))
    assert _codes(report).count("bad_number") == 4

    zh = render_report(report, texts, "zh", html=True, max_issues=2)
    assert "「贷款」表第 2 行，「amount」列：「abc&lt;0&gt;」不是有效的金额" in zh
    assert "第 3 行" in zh
    assert "第 4 行" not in zh
    assert zh.endswith("……另有 2 个问题未列出。")
    en = render_report(report, texts, "en", html=False)
    assert 'Table "loans", row 2, column "amount": "abc<0>" is not a valid amount.' in en
    assert "nothing was imported" in en


def test_preview_and_applied_wording(texts: Texts) -> None:
    counts = {"officers": TableCounts(created=2), "loans": TableCounts(updated=1, unchanged=3)}
    preview = ImportReport([], counts, applied=False)
    applied = ImportReport([], counts, applied=True)
    assert render_report(preview, texts, "zh", html=False).splitlines() == [
        "文件检查通过，没有发现问题。确认导入后将：",
        "客户经理：新增 2 条，更新 0 条，0 条无变化",
        "贷款：新增 0 条，更新 1 条，3 条无变化",
    ]
    assert render_report(applied, texts, "en", html=False).splitlines() == [
        "Import complete:",
        "officers: 2 created, 0 updated, 0 unchanged",
        "loans: 0 created, 1 updated, 3 unchanged",
    ]
    nothing = ImportReport([], {"loans": TableCounts(unchanged=3)}, applied=True)
    assert "nothing needs to change" in render_report(nothing, texts, "en", html=True)
    file_level = ImportReport([ImportIssue("", None, None, "no_data", {})], {}, applied=False)
    assert render_report(file_level, texts, "zh", html=True).splitlines()[1] == (
        "• 文件中没有数据行：表头下面的行都是空的。"
    )


def _issue_codes_in_source() -> set[str]:
    """Every issue code the importer can produce, read from its source (every module of the
    package)."""
    package = Path(importer_module.__file__).parent
    tree = ast.Module(
        body=[
            node
            for path in sorted(package.glob("*.py"))
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        ],
        type_ignores=[],
    )
    positions = {"add": 3, "_flag": 3, "ImportIssue": 3, "_CellError": 0}
    codes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func_node = node.func
            name = func_node.attr if isinstance(func_node, ast.Attribute) else None
            name = name or (func_node.id if isinstance(func_node, ast.Name) else None)
            index = positions.get(name or "")
            if index is not None and len(node.args) > index:
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.add(arg.value)
    codes.update(v for choice in (importer_cells._ROLE,) for v in choice.refused.values())
    return codes


def test_every_issue_code_has_a_message_in_both_languages(texts: Texts) -> None:
    codes = _issue_codes_in_source()
    assert {"bad_date", "duplicate", "unknown_sheet", "role_not_importable", "conflict"} <= codes
    assert all(re.fullmatch(r"[a-z_]+", code) for code in codes)
    for lang in LANGUAGES:
        keys = texts.keys(lang)
        missing = {code for code in codes if f"import.issue.{code}" not in keys}
        assert not missing, (lang, missing)
    assert texts.keys("zh") == texts.keys("en")
    assert all(key.startswith("import.") for key in texts.keys("zh"))


def test_workbook_dates_are_real_excel_dates() -> None:
    workbook = openpyxl.load_workbook(SAMPLE_XLSX, read_only=True, data_only=True)
    try:
        row = next(workbook["贷款"].iter_rows(min_row=2, max_row=2, values_only=True))
    finally:
        workbook.close()
    assert isinstance(row[5], datetime)
    assert isinstance(row[3], float | int)


async def test_preview_of_a_valid_change_writes_nothing(
    database: Database, importer: PortfolioImporter, tmp_path: Path
) -> None:
    await _import_sample(importer)
    before = (await _snapshot(database), await _row_counts(database))
    text = "staff_no,name,role,supervisor_staff_no\nE7001,新人,officer,S2001\n"
    text += "E1001,改名,officer,S3001\n"  # a new name and another team
    report = await importer.preview(_save_csv(tmp_path / "p.csv", text))
    assert report.ok
    assert report.counts == {"officers": TableCounts(created=1, updated=1)}
    assert (await _snapshot(database), await _row_counts(database)) == before
