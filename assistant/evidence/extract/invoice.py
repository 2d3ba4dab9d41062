"""The invoice: seller, buyer, amount, date and goods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.evidence.extract.lexicon import DISAGREEING, GOODS_CATEGORIES
from assistant.evidence.extract.numbers import (
    _CAPITAL_RUN,
    find_money,
    normalize,
    parse_capital_amount,
    parse_date,
    parse_money,
)
from assistant.evidence.extract.page import (
    _SEPARATOR,
    _field,
    _float,
    _Hit,
    _Page,
    _Piece,
    _text_value,
    _Value,
)
from assistant.evidence.model import Field

_BLOCK_MARKERS = {
    "buyer_name": re.compile(r"购买方|购方|买方|^购买?$"),
    "seller_name": re.compile(r"销售方|销方|卖方|^销售?$"),
}


@dataclass(frozen=True)
class _Marker:
    side: str
    left: float
    middle: float


def read(page: _Page) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for side in ("buyer_name", "seller_name"):
        found = page.first(side, _text_value, below=False)
        if found is not None:
            fields[side] = _field(side, *found)
    names = [
        (hit, value, text)
        for hit in page.hits_of("name")
        if (value := page.value_beside(hit)) and (text := _text_value(value.text))
    ]
    for side, (_hit, value, text) in _name_sides(page, names).items():
        fields.setdefault(side, _field(side, text, value))
    day = page.first("issued_on", parse_date)
    if day is not None:
        fields["issued_on"] = _field("issued_on", day[0].isoformat(), day[1])
    amount = _invoice_amount(page)
    if amount is not None:
        fields["amount"] = amount
    goods = _goods(page)
    if goods is not None:
        fields["goods"] = goods
    return fields


def _markers(page: _Page) -> list[_Marker]:
    """The 购买方 / 销售方 titles of the two blocks, wherever they stand."""
    markers = []
    for number, row in enumerate(page.rows):
        named = {
            page.owners[number][hit.start][0]
            for hit in page.hits[number]
            if hit.key in _BLOCK_MARKERS
        }
        for index, piece in enumerate(row):
            if index in named:
                continue
            text = re.sub(r"\s", "", piece.text)
            for side, pattern in _BLOCK_MARKERS.items():
                if match := pattern.search(text):
                    markers.append(_Marker(side, piece.x_at(match.start()), piece.middle))
    return markers


def _name_sides(
    page: _Page, names: list[tuple[_Hit, _Value, str]]
) -> dict[str, tuple[_Hit, _Value, str]]:
    """Which 名称 is the buyer's and which the seller's.

    Each block is titled 购买方 or 销售方 at its left (the e-invoice sets the blocks side by
    side, the older form one above the other): a name belongs to the nearest title to its left,
    and of titles in one column, to the nearest one above or beside it. When the titles were not
    read, or contradict each other, the buyer's block comes first, as on both forms.
    """
    markers = _markers(page)
    slack = 2 * page.line_height
    guesses: list[str | None] = []
    for hit, value, _text in names:
        same_piece = page.texts[hit.row][: hit.start].split(_SEPARATOR)[-1]
        beside = [s for s, pattern in _BLOCK_MARKERS.items() if pattern.search(same_piece)]
        left_of = [m for m in markers if m.left <= hit.left + slack]
        if beside:
            guesses.append(beside[-1])
        elif left_of:
            column = max(m.left for m in left_of)
            near = [m for m in left_of if column - m.left <= slack]
            middle = value.pieces[0].middle
            guesses.append(min(near, key=lambda m: abs(m.middle - middle)).side)
        else:
            guesses.append(None)
    known = [guess for guess in guesses if guess]
    if len(names) >= 2 and (len(known) < 2 or len(set(known)) < len(known)):
        return {"buyer_name": names[0], "seller_name": names[-1]}
    return {guess: name for guess, name in zip(guesses, names, strict=True) if guess}


def _invoice_amount(page: _Page) -> Field | None:
    """价税合计 in figures (小写), checked against the amount in words (大写)."""
    figures = page.first("amount_figures", parse_money, below=False) or page.first(
        "amount_total", _figures, below=False
    )
    words = page.first("amount_words", _amount_in_words, below=False) or page.first(
        "amount_total", _amount_in_words, below=False
    )
    if figures is None:
        return None if words is None else _field("amount", _float(words[0]), words[1])
    factor = 1.0
    if words is not None and abs(words[0] - abs(figures[0])) > Decimal("0.005"):
        factor = DISAGREEING
    return _field("amount", _float(abs(figures[0])), figures[1], factor)


def _figures(text: str) -> Decimal | None:
    """An amount in figures, not in words."""
    found = [m for m in find_money(text) if re.search(r"\d", text[m.start : m.end])]
    return found[0].value if found else None


def _amount_in_words(text: str) -> Decimal | None:
    run = _CAPITAL_RUN.search(normalize(text))
    return parse_capital_amount(run.group()) if run else None


_GOODS = re.compile(r"\*?[^*\s\t]{1,20}\*[^\s\t*]+")
# What OCR makes of the asterisks round an item's tax category.
_ASTERISK = re.compile(r"(?<=[\u4e00-\u9fff])[·•∙※×xX+](?=[\u4e00-\u9fff])")


def _goods(page: _Page) -> Field | None:
    """The item lines ("*五金制品*水暖配件"): the first column of the item table, or else any
    text in the item form."""
    header = _goods_header(page)
    items: list[tuple[str, list[_Piece]]] = []
    if header is not None:
        row, column_end = header
        for number in range(row + 1, min(row + 9, len(page.rows))):
            text = page.texts[number]
            if re.match(r"[\s\t]*(?:合\s*计|价税合计)", text):
                break
            inside = [
                p
                for p, ch in enumerate(text)
                if ch != _SEPARATOR and page.x(number, p, 0.5) < column_end
            ]
            if not inside or not re.search(r"[\u4e00-\u9fff]", text[inside[0] : inside[-1] + 1]):
                continue
            name = "".join(c[1] for c in page.chunks(number, inside[0], inside[-1] + 1))
            # A cell read together with the next ones: the name is its first word.
            head = name.split()[0]
            if head != name and _GOODS.fullmatch(_ASTERISK.sub("*", head)):
                name = head
            piece = page.piece_at(number, inside[0])
            # A cell alone on its row carries on the item name above it.
            alone = all(page.x(number, p, 0.5) < column_end for p in range(len(text)))
            if items and alone and "*" not in name:
                items[-1] = (items[-1][0] + name, [*items[-1][1], piece])
            else:
                items.append((name, [piece]))
    if not items:
        for number, text in enumerate(page.texts):
            for match in _GOODS.finditer(_ASTERISK.sub("*", text)):
                items.append((match.group(), [page.piece_at(number, match.start())]))
    if not items:
        return None
    names, factor = [], 1.0
    for name, _pieces in items:
        repaired = _item_name(name)
        factor = min(factor, 1.0 if repaired else DISAGREEING)
        names.append(repaired or name)
    pieces = tuple(dict.fromkeys(p for _name, found in items for p in found))
    read = _Value("；".join(names), pieces, pieces[0].left)
    return _field("goods", read.text, read, factor)


def _item_name(text: str) -> str | None:
    """An item name in its printed form, *category*name, with the asterisks that OCR dropped
    or misread put back; None when its category cannot be told."""
    text = _ASTERISK.sub("*", re.sub(r"\s+", "", text)).strip(" :;,.")
    match = re.fullmatch(r"\*?([^*]+)\*([^*]+)", text)
    if match:
        return f"*{match[1]}*{match[2]}"
    bare = text.lstrip("*")
    category = max(
        (c for c in GOODS_CATEGORIES if bare.startswith(c) and len(bare) > len(c)),
        key=len,
        default=None,
    )
    return f"*{category}*{bare[len(category) :]}" if category else None


def _goods_header(page: _Page) -> tuple[int, float] | None:
    """The item table's header row, and where its name column ends."""
    for number, text in enumerate(page.texts):
        if re.search(r"项目名称|货物或应税劳务|服务名称", text):
            follow = re.search(r"规格型号|型号|单位|数量", text)
            if follow:
                return number, page.x(number, follow.start()) - 0.5 * page.line_height
    return None
