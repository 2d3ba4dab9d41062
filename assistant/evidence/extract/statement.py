"""The bank statement: period, credit and debit totals, large single items."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from assistant.evidence.extract.lexicon import DISAGREEING, STATEMENT_LABELS, TOTAL_ROW
from assistant.evidence.extract.numbers import (
    find_dates,
    parse_date,
    parse_money,
    parse_number,
    parse_period,
)
from assistant.evidence.extract.page import (
    _COLUMNS,
    _field,
    _float,
    _Page,
    _Piece,
    _text_value,
    _Value,
)
from assistant.evidence.model import Field


@dataclass(frozen=True)
class _Column:
    kind: str
    left: float
    right: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass(frozen=True)
class _Amount:
    value: Decimal
    left: float
    right: float


def _row_amounts(page: _Page, row: int) -> list[_Amount]:
    """Figures with two decimals or thousands groups, not dates, and where they stand."""
    text = page.texts[row]
    for _day, start, end in find_dates(text):
        text = text[:start] + " " * (end - start) + text[end:]
    amounts = []
    for match in re.finditer(r"[-+−]?¥?\d[\d,.]*\d", text):
        digits = match.group().lstrip("-+−¥")
        value = parse_number(digits)
        if value is None or not re.search(r"[.,]\d{2}$|,\d{3}", digits):
            continue
        if match.group()[0] in "-−":
            value = -value
        left, right = page.x(row, match.start()), page.x(row, match.end() - 1, 1.0)
        amounts.append(_Amount(value, left, right))
    return amounts


def _table_header(page: _Page) -> tuple[int, list[_Column]] | None:
    """The row of the transaction table's column titles, and its columns.

    A title the OCR misread stands in the list as an "unknown" column, so that the figures
    under it are not taken for those of its neighbour.
    """
    for number, text in enumerate(page.texts):
        hits = list(page.find(_COLUMNS, number))
        kinds = {hit.key for hit in hits}
        if (
            "date" not in kinds
            or not kinds & {"in", "out", "amount"}
            or len(hits) < 3
            or find_dates(text)
            or _row_amounts(page, number)
        ):
            continue
        columns = [_Column(hit.key, hit.left, hit.right) for hit in hits]
        taken = [(hit.start, hit.end) for hit in hits]
        for match in re.finditer(r"[^\s\t]+", text):
            if not any(start < match.end() and match.start() < end for start, end in taken):
                left, right = page.x(number, match.start()), page.x(number, match.end() - 1, 1.0)
                columns.append(_Column("unknown", left, right))
        return number, sorted(columns, key=lambda column: column.left)
    return None


def _column_of(amount: _Amount, columns: list[_Column]) -> _Column:
    """The column a figure stands in, whether the table sets it left, centred or right."""

    def distance(column: _Column) -> float:
        return min(
            abs(amount.left - column.left),
            abs(amount.right - column.right),
            abs((amount.left + amount.right) / 2 - column.centre),
        )

    return min(columns, key=distance)


def _direction(text: str, kind: str, value: Decimal, signed: bool) -> str | None:
    """Money in or out: by its column, or in a one-amount table by a 借/贷 mark or its sign."""
    if kind in ("in", "out"):
        return kind
    if kind != "amount":
        return None
    mark = re.search(r"(?<![\u4e00-\u9fff])([借贷收支])(?![\u4e00-\u9fff])", text)
    if mark:
        return "in" if mark[1] in "贷收" else "out"
    if value < 0:
        return "out"
    return "in" if signed else None


# Labels whose rows are a statement's own particulars, never a transaction.
_PARTICULARS = frozenset(key for key in STATEMENT_LABELS if key)


@dataclass
class _Table:
    rows: set[int]  # the header's and the transactions' (and a totals row's)
    items: list[dict[str, Any]]
    pieces: list[_Piece]  # the large items were read from
    totals: dict[str, tuple[Decimal, _Value]]  # from a 合计 row, by field


def _transactions(page: _Page, large_item_min: Decimal) -> _Table | None:
    """The transaction table: its large items, each in or out by the column it stands in."""
    header = _table_header(page)
    if header is None:
        return None
    header_row, columns = header
    table = _Table({header_row}, [], [], {})
    money_columns = [c for c in columns if c.kind in ("in", "out", "amount", "balance", "unknown")]
    rows = []
    for row in range(header_row + 1, len(page.rows)):
        text = page.texts[row]
        dates = find_dates(text)
        totals_row = bool(TOTAL_ROW.match(text))
        amounts = _row_amounts(page, row)
        if (
            amounts
            and (dates or totals_row)
            and not any(hit.key in _PARTICULARS for hit in page.hits[row])
        ):
            placed = [(amount, _column_of(amount, money_columns)) for amount in amounts]
            rows.append((row, text, dates, totals_row, placed))
    # One money column whose title was misread, beside a known 收入 or 支出 one, is the other.
    kinds = {c.kind for c in columns}
    filled = {id(column) for *_rest, placed in rows for _a, column in placed}
    unknown = [c for c in columns if c.kind == "unknown" and id(c) in filled]
    known = kinds & {"in", "out", "amount"}
    resolved = {}
    if len(unknown) == 1 and known in ({"in"}, {"out"}):
        resolved[id(unknown[0])] = "out" if known == {"in"} else "in"
    signed = any(a.value < 0 for *_rest, placed in rows for a, _c in placed)
    for row, text, dates, totals_row, placed in rows:
        table.rows.add(row)
        read = _Value(text, tuple(page.rows[row]), page.rows[row][0].left)
        for amount, column in placed:
            kind = resolved.get(id(column), column.kind)
            direction = _direction(text, kind, amount.value, signed)
            if direction is None:
                continue
            if totals_row:
                key = "credits_total" if direction == "in" else "debits_total"
                table.totals.setdefault(key, (abs(amount.value), read))
            elif abs(amount.value) >= large_item_min:
                table.items.append(
                    {
                        "date": dates[0][0].isoformat(),
                        "amount": _float(abs(amount.value)),
                        "direction": direction,
                        "text": read.source,
                    }
                )
                table.pieces.extend(page.rows[row])
    return table


def read(page: _Page, large_item_min: Decimal) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    table = _transactions(page, large_item_min)
    table_rows = table.rows if table else set()

    name = page.first("account_name", _text_value, skip_rows=table_rows)
    if name is not None:
        fields["account_name"] = _field("account_name", *name)
    period = page.first("period", parse_period, skip_rows=table_rows)
    if period is None:
        period = _lone_period(page, table_rows)
    if period is not None:
        (start, end), read = period
        fields["period_start"] = _field("period_start", start.isoformat(), read)
        fields["period_end"] = _field("period_end", end.isoformat(), read)
    for key in ("period_start", "period_end"):
        day = None if key in fields else page.first(key, parse_date, skip_rows=table_rows)
        if day is not None:
            fields[key] = _field(key, day[0].isoformat(), day[1])

    totals = {
        key: found
        for key in ("credits_total", "debits_total", "opening_balance", "closing_balance")
        if (
            found := page.first(key, parse_money, skip_rows=table_rows)
            or (table.totals.get(key) if table else None)
        )
    }
    factor = 1.0
    if len(totals) == 4:
        # Opening + in − out = closing: when all four are printed, a miss means a misread.
        opening, credits, debits, closing = (
            totals[key][0]
            for key in ("opening_balance", "credits_total", "debits_total", "closing_balance")
        )
        if abs(opening + abs(credits) - abs(debits) - closing) > Decimal("0.01"):
            factor = DISAGREEING
    for key in ("credits_total", "debits_total"):
        if key in totals:
            fields[key] = _field(key, _float(abs(totals[key][0])), totals[key][1], factor)

    if table is not None:
        score = min((p.score for p in table.pieces), default=page.score)
        source = "\n".join(item["text"] for item in table.items)
        fields["large_items"] = Field("large_items", table.items, round(score, 4), source)
    return fields


def _lone_period(page: _Page, skip: Iterable[int]) -> tuple[tuple[date, date], _Value] | None:
    """A line that holds just a period ("2026-08-01 至 2026-10-31"), when no label names it."""
    skipped = set(skip)
    for number, row in enumerate(page.rows):
        for piece in row if number not in skipped else ():
            period = parse_period(piece.text)
            if period is not None and len(find_dates(piece.text)) == 2:
                return period, _Value(piece.text, (piece,), piece.left)
    return None
