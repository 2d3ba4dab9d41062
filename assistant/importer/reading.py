"""Reading an XLSX or CSV file into raw rows, bounded against hostile files (in a worker
thread)."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.importer.cells import _cell_text, _is_blank, _show
from assistant.importer.model import (
    _WORKBOOK_ERRORS,
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_UNPACKED_BYTES,
    TABLES,
    _Issues,
    _size,
)
from assistant.importer.template import (
    _HEADERS,
    _SHEET_NAMES,
    _TABLES,
    _accepted_sheets,
    _norm_header,
    _Table,
)

# --------------------------------------------------------------------------------------------
# Reading the file into raw rows (runs in a worker thread)


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
