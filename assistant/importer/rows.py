"""Turning raw rows into typed rows, and each problem into an issue with its sheet, row and
column (in the worker thread too)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.importer.cells import _cell_text, _CellError, _column_letter, _is_blank, _show
from assistant.importer.model import MAX_COLUMNS, _Issues, _size
from assistant.importer.reading import _RawSheet, _read_csv, _read_xlsx, _RowBudget, _Stop
from assistant.importer.template import _HEADERS, _Column, _norm_header, _Table

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


@dataclass
class _Header:
    """The header row as understood: each known column's position and how the sheet wrote it,
    and the positions of columns with no name."""

    positions: dict[str, int]
    names: dict[str, str]
    unnamed: list[int]


def _validate(raw: _RawSheet, issues: _Issues) -> _Sheet:
    table = raw.table
    (header_row, header_cells), *data = raw.rows
    header = _read_header(table, header_row, header_cells, issues)
    sheet = _Sheet(table, header.names, [])
    present = [(table.column(name), index) for name, index in header.positions.items()]
    reported_unnamed: set[int] = set()
    too_wide = False
    first_seen: dict[tuple[Any, ...], int] = {}
    for number, cells in data:
        for index in header.unnamed:
            filled = index < len(cells) and not _is_blank(cells[index])
            if filled and index not in reported_unnamed:
                reported_unnamed.add(index)
                position = _column_letter(index + 1)
                issues.add(table.name, number, None, "unnamed_column", position=position)
        beyond = len(cells) > MAX_COLUMNS and not _is_blank(cells[MAX_COLUMNS])
        if beyond and not too_wide:
            too_wide = True
            issues.add(table.name, number, None, "too_many_columns", limit=MAX_COLUMNS)
        row = _read_row(table, number, cells, present, header.names, issues)
        _check_row(sheet, row, issues)
        _check_duplicate_key(table, row, header.names, first_seen, issues)
        sheet.rows.append(row)
    return sheet


def _read_header(
    table: _Table, header_row: int, cells: tuple[Any, ...], issues: _Issues
) -> _Header:
    header = _Header({}, {}, [])
    for index, cell in enumerate(cells):
        if index >= MAX_COLUMNS:
            if not _is_blank(cell):
                issues.add(table.name, header_row, None, "too_many_columns", limit=MAX_COLUMNS)
            continue
        if _is_blank(cell):
            header.unnamed.append(index)
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
        if name in header.names:
            other = header.names[name]
            issues.add(table.name, header_row, _show(written), "duplicate_column", other=other)
            continue
        header.positions[name] = index
        header.names[name] = _show(written)
    for column in table.columns:
        if column.required and column.name not in header.names:
            issues.add(table.name, None, None, "missing_column", name=column.name, zh=column.zh)
    return header


def _read_row(
    table: _Table,
    number: int,
    cells: tuple[Any, ...],
    present: list[tuple[_Column, int]],
    headers: dict[str, str],
    issues: _Issues,
) -> _Row:
    """The typed values of one data row; a cell that cannot be read is reported and marked bad."""
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
    return row


def _check_duplicate_key(
    table: _Table,
    row: _Row,
    headers: dict[str, str],
    first_seen: dict[tuple[Any, ...], int],
    issues: _Issues,
) -> None:
    """A row whose key an earlier row already has is reported against that first row."""
    key_parts = [row.values.get(k) for k in table.key]
    if any(part is None for part in key_parts) or row.bad & set(table.key):
        return
    key = tuple(key_parts)
    if key not in first_seen:
        first_seen[key] = row.number
        return
    issues.add(
        table.name,
        row.number,
        headers[table.key[-1]],
        "duplicate",
        value=_show(" / ".join(str(p) for p in key)),
        first_row=first_seen[key],
    )
    row.bad.add(table.key[-1])


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
