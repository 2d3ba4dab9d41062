"""What an import says back: the issues found and the counts per table; the limits that
bound a file."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

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


def _size(size: int) -> str:
    """``5242880`` -> ``5 MB``; small limits (allowed by the settings) in KB."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"
