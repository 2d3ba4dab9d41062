"""A page as rows of text with its tilt taken out, cut at every label of the document's lexicon."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import accumulate
from typing import Any

from assistant.evidence.extract.lexicon import COLUMN_WORDS, LABELS, MISREAD_LABEL
from assistant.evidence.extract.numbers import normalize
from assistant.evidence.model import Field, OcrLine, OcrResult


def _char_weight(ch: str) -> float:
    if ch.isspace():
        return 0.4
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55


@dataclass(frozen=True, eq=False)
class _Piece:
    """One OCR line in the page's upright coordinates, with its text normalised."""

    text: str
    source: str
    score: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    def x_at(self, index: float) -> float:
        """Where character ``index`` begins; a fraction goes that far into it.

        The OCR gives one box per line, so a position inside it is estimated from the widths of
        the characters before it: a CJK character is about twice as wide as a digit.
        """
        reach = self._reach
        whole = min(int(index), len(reach) - 1)
        done = reach[whole]
        if whole < len(reach) - 1:
            done += (index - whole) * (reach[whole + 1] - reach[whole])
        return self.left + (self.right - self.left) * done / (reach[-1] or 1.0)

    @cached_property
    def _reach(self) -> list[float]:
        """How far along the line each character begins, in widths of a CJK character."""
        return list(accumulate((_char_weight(ch) for ch in self.text), initial=0.0))


def _tilt(lines: list[OcrLine]) -> float:
    """The page's tilt: the angle that lines its text up into the fewest rows.

    The top edges of the OCR's boxes alone do not tell it: the engine gives some lines boxes
    square to the photo, whatever the slant of their text.
    """
    edges = [
        math.atan2(line.box[1][1] - line.box[0][1], line.box[1][0] - line.box[0][0])
        for line in lines
        if line.box[1][0] - line.box[0][0] > 3 * max(line.height, 1.0)
    ]
    edge = statistics.median(edges) if edges else 0.0
    if len(lines) < 3:
        return edge
    tolerance = 0.5 * statistics.median(min(line.height, 60.0) for line in lines)
    centres = [
        (sum(x for x, _y in line.box) / 4, sum(y for _x, y in line.box) / 4) for line in lines
    ]

    def rows(angle: float) -> int:
        cos, sin = math.cos(angle), math.sin(angle)
        middles = sorted(y * cos - x * sin for x, y in centres)
        count, anchor = 1, middles[0]
        for middle in middles[1:]:
            if middle - anchor > tolerance:
                count, anchor = count + 1, middle
        return count

    candidates = [edge + math.radians(step / 5) for step in range(-40, 41)]
    return min(candidates, key=lambda angle: (rows(angle), abs(angle - edge)))


def _upright(line: OcrLine, angle: float, text: str) -> _Piece:
    """``line`` in the coordinates of the page turned square."""
    (x0, y0), (x1, y1), _corner, (x3, y3) = line.box
    width, height = math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
    own = math.atan2(y1 - y0, x1 - x0)
    if abs(angle) > 0.01 and abs(own - angle) > abs(angle) / 2:
        # A box square to the photo round slanted text: the text's own size, from its box.
        sin, cos = abs(math.sin(angle)), math.cos(angle)
        scale = cos * cos - sin * sin
        width, height = (
            max((width * cos - height * sin) / scale, 0.5 * width),
            max((height * cos - width * sin) / scale, 0.3 * height),
        )
    cx, cy = sum(x for x, _y in line.box) / 4, sum(y for _x, y in line.box) / 4
    cos, sin = math.cos(angle), math.sin(angle)
    x, y = cx * cos + cy * sin, cy * cos - cx * sin
    return _Piece(
        text, line.text, line.score, x - width / 2, x + width / 2, y - height / 2, y + height / 2
    )


def _pieces(result: OcrResult, misreadings: Iterable[tuple[str, str]] = ()) -> list[_Piece]:
    # A page photographed a few degrees off would otherwise have the right-hand column of a
    # licence a whole row above or below its left-hand one.
    lines = [line for line in result.lines if normalize(line.text).strip()]
    angle = _tilt(lines)
    pieces = []
    for line in lines:
        text = normalize(line.text).strip()
        for wrong, right in misreadings:
            text = text.replace(wrong, right)
        pieces.append(_upright(line, angle, text))
    return pieces


def _group_rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Rows of pieces, each read left to right and the rows top to bottom.

    A piece joins the row whose last piece, to its left, it overlaps most in height: chained
    piece to piece, a row follows a line that bends in a photo taken in perspective.
    """
    rows: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda p: p.left):
        best, most = None, 0.0
        for row in rows:
            last = row[-1]
            shorter = min(last.height, piece.height)
            if last.right - 0.5 * shorter > piece.left:
                continue
            overlap = (min(last.bottom, piece.bottom) - max(last.top, piece.top)) / shorter
            if overlap >= 0.5 and overlap > most:
                best, most = row, overlap
        if best is None:
            rows.append([piece])
        else:
            best.append(piece)
    return sorted(rows, key=lambda row: statistics.median(p.middle for p in row))


# --- Labels and their values -------------------------------------------------------------

_SEPARATOR = "\t"  # between the pieces of a row's text; OCR text never holds one
_COLON = r"[ \t]*[:;,.'、]?"
_STRIP = " \t:;,.'、|_-—()[]<>《》「」【】·⊗⊙Ⓧ"


# Labels this long are still found with one character misread (支出总题 for 支出总额), when
# no other label is as near; shorter ones would be found inside ordinary words.
FUZZY_LABEL = 4


@dataclass(frozen=True)
class _Lexicon:
    pattern: re.Pattern[str]
    fuzzy: re.Pattern[str]
    keys: dict[str, str]  # printed label → key
    rank: dict[str, int]  # printed label → its place among its key's labels

    @classmethod
    def of(cls, labels: dict[str, tuple[str, ...]]) -> _Lexicon:
        keys = {label: key for key, words in labels.items() for label in words}
        rank = {label: place for words in labels.values() for place, label in enumerate(words)}
        # Spaced-out labels ("名　　称", "住 所") and a colon that OCR may drop or misread.
        spelled = [
            r"[ \t]*".join(re.escape(ch) for ch in label)
            for label in sorted(keys, key=len, reverse=True)
        ]
        near = [
            re.escape(label[:index]) + r"[^\s\t:]" + re.escape(label[index + 1 :])
            for label in sorted(keys, key=len, reverse=True)
            if len(label) >= FUZZY_LABEL
            for index in range(len(label))
        ]
        return cls(
            re.compile(f"(?:{'|'.join(spelled)}){_COLON}" if spelled else r"(?!)"),
            re.compile(f"(?:{'|'.join(near)}){_COLON}" if near else r"(?!)"),
            keys,
            rank,
        )

    def label(self, matched: str) -> str | None:
        """The label ``matched`` is, or is one misread character away from; None when that
        could be labels of different fields."""
        text = re.sub(r"[ \t]", "", matched).rstrip(":;,.'、")
        if text in self.keys:
            return text
        near = [
            label
            for label in self.keys
            if len(label) == len(text)
            and sum(a != b for a, b in zip(label, text, strict=True)) == 1
        ]
        return near[0] if len({self.keys[label] for label in near}) == 1 else None


_LEXICONS = {doc_type: _Lexicon.of(labels) for doc_type, labels in LABELS.items()}
_COLUMNS = _Lexicon.of(COLUMN_WORDS)


@dataclass(frozen=True)
class _Hit:
    key: str
    label: str
    row: int
    start: int  # in the row's text
    end: int  # past the label and its colon
    left: float
    right: float
    exact: bool = True  # not one character misread


@dataclass(frozen=True)
class _Value:
    text: str
    pieces: tuple[_Piece, ...]  # those it (and its label) was read from
    left: float  # where its text begins
    hit: _Hit | None = None

    @property
    def score(self) -> float:
        return min(p.score for p in self.pieces)

    @property
    def source(self) -> str:
        return " ".join(dict.fromkeys(p.source for p in self.pieces))

    @property
    def bottom(self) -> float:
        return max(p.bottom for p in self.pieces)


class _Page:
    """A page cut into rows, and each row cut at the labels of one lexicon."""

    # The widest gaps, in line heights, between a label and its value and within a value: a
    # wider one is the gutter between two columns.
    LABEL_GAP = 30.0
    VALUE_GAP = 2.5

    def __init__(
        self,
        result: OcrResult,
        lexicon: _Lexicon,
        misreadings: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.rows = _group_rows(_pieces(result, misreadings))
        self.lexicon = lexicon
        self.texts: list[str] = []
        # Per character of a row's text: (piece, index in the piece's text).
        self.owners: list[list[tuple[int, int]]] = []
        for row in self.rows:
            self.texts.append(_SEPARATOR.join(p.text for p in row))
            owners: list[tuple[int, int]] = []
            for number, piece in enumerate(row):
                owners.extend((number, index) for index in range(len(piece.text)))
                owners.append((number, len(piece.text)))  # the separator after it
            self.owners.append(owners)
        self.hits = [list(self.find(lexicon, number)) for number in range(len(self.rows))]
        heights = [p.height for row in self.rows for p in row]
        self.line_height = statistics.median(heights) if heights else 1.0

    def find(self, lexicon: _Lexicon, row: int) -> Iterator[_Hit]:
        """The labels in ``row``: as printed, and then, in the text left over, misread ones."""
        text = self.texts[row]
        exact = list(lexicon.pattern.finditer(text))
        rest = list(text)
        for match in exact:
            rest[match.start() : match.end()] = _SEPARATOR * (match.end() - match.start())
        misread = [
            match
            for match in lexicon.fuzzy.finditer("".join(rest))
            if lexicon.label(match.group()) is not None
        ]
        for match in sorted(exact + misread, key=lambda m: m.start()):
            label = lexicon.label(match.group())
            assert label is not None
            yield _Hit(
                lexicon.keys[label],
                label,
                row,
                match.start(),
                match.end(),
                self.x(row, match.start()),
                self.x(row, match.end() - 1, 1.0),
                exact=match in exact,
            )

    def x(self, row: int, position: int, within: float = 0.0) -> float:
        piece, index = self.owners[row][position]
        return self.rows[row][piece].x_at(index + within)

    def piece_at(self, row: int, position: int) -> _Piece:
        return self.rows[row][self.owners[row][position][0]]

    @property
    def score(self) -> float:
        scores = [p.score for row in self.rows for p in row]
        return statistics.mean(scores) if scores else 0.0

    def chunks(self, row: int, start: int, end: int) -> Iterator[tuple[_Piece, str, float, float]]:
        """The text of ``row`` from ``start`` to ``end``, piece by piece, trimmed, with where
        each part begins and ends."""
        position = start
        while position < end:
            number, index = self.owners[row][position]
            piece = self.rows[row][number]
            stop = min(end, position + len(piece.text) - index)
            part = piece.text[index : index + stop - position]
            if part.strip(_STRIP):
                lead = len(part) - len(part.lstrip(_STRIP))
                trail = len(part.rstrip(_STRIP))
                yield (
                    piece,
                    part[lead:trail],
                    piece.x_at(index + lead),
                    piece.x_at(index + trail),
                )
            position = stop + 1  # past the separator

    def value_beside(self, hit: _Hit) -> _Value | None:
        """What follows ``hit`` in its row up to the next label, short of a column's gutter."""
        later = [h.start for h in self.hits[hit.row] if h.start >= hit.end]
        end = min(later, default=len(self.texts[hit.row]))
        parts: list[str] = []
        pieces = [self.piece_at(hit.row, hit.start)]
        left, reach = 0.0, hit.right
        for piece, text, begins, ends in self.chunks(hit.row, hit.end, end):
            if begins - reach > (self.VALUE_GAP if parts else self.LABEL_GAP) * piece.height:
                break
            if not parts:
                left = begins
            parts.append(text)
            if piece is not pieces[-1]:
                pieces.append(piece)
            reach = ends
        return _Value(_join(parts), tuple(pieces), left, hit) if parts else None

    def rows_below(self, row: int, bottom: float, reach: float) -> Iterator[int]:
        """The rows after ``row`` that begin within ``reach`` below ``bottom``."""
        for number in range(row + 1, len(self.rows)):
            top = min(p.top for p in self.rows[number])
            if top - bottom > reach:
                break
            yield number

    def value_below(self, hit: _Hit) -> _Value | None:
        """The text under ``hit`` in the nearest row below, as under a table header."""
        label = self.piece_at(hit.row, hit.start)
        # The column is bounded by the neighbouring labels (half way to each); without one, a
        # piece under the label is taken whole, however far it runs on.
        before = [h.right for h in self.hits[hit.row] if h.right <= hit.left]
        after = [h.left for h in self.hits[hit.row] if h.left >= hit.right]
        low = (max(before) + hit.left) / 2 if before else -math.inf
        high = (hit.right + min(after)) / 2 if after else math.inf
        margin = 2 * label.height
        near_low, near_high = max(low, hit.left - margin), min(high, hit.right + margin)
        for row in self.rows_below(hit.row, label.bottom, 1.5 * label.height):
            under = {
                number
                for number, piece in enumerate(self.rows[row])
                if near_low <= (piece.left + piece.right) / 2 <= near_high
                and piece.top - label.bottom <= 1.5 * label.height
            }
            inside = [
                position
                for position, ch in enumerate(self.texts[row])
                if ch != _SEPARATOR
                and self.owners[row][position][0] in under
                and low <= self.x(row, position, 0.5) <= high
            ]
            if not inside:
                continue
            start, end = inside[0], inside[-1] + 1
            if any(h.start < end and h.end > start for h in self.hits[row]):
                return None
            chunks = list(self.chunks(row, start, end))
            if not chunks:
                return None
            pieces = (label, *dict.fromkeys(c[0] for c in chunks))
            return _Value(_join(c[1] for c in chunks), pieces, chunks[0][2], hit)
        return None

    def continued(self, value: _Value, *, lines: int = 2) -> _Value:
        """``value`` with the lines that carry it on in its column below (a wrapped address).

        A line below that has anything in the label column beside it starts the next field,
        whether or not its label was read.
        """
        for _ in range(lines):
            last = value.pieces[-1]
            row = next((n for n, r in enumerate(self.rows) if any(p is last for p in r)), None)
            if row is None:
                break
            column = min(value.left, value.hit.left if value.hit else value.left)
            tolerance = 1.5 * last.height
            found = None
            for number in self.rows_below(row, value.bottom, 0.8 * last.height):
                pieces = self.rows[number]
                labelled = {self.owners[number][h.start][0] for h in self.hits[number]}
                follows = [
                    (index, piece)
                    for index, piece in enumerate(pieces)
                    if abs(piece.left - value.left) <= tolerance
                ]
                label_column = any(
                    piece.right > column - last.height and piece.left < value.left - tolerance
                    for piece in pieces
                )
                if follows and not label_column and follows[0][0] not in labelled:
                    found = follows[0][1]
                    break
            if found is None or not found.text.strip(_STRIP):
                break
            value = _Value(
                _join([value.text, found.text.strip(_STRIP)]),
                (*value.pieces, found),
                value.left,
                value.hit,
            )
        return value

    def hits_of(self, key: str, *, ranked: bool = False) -> list[_Hit]:
        """Where labels of ``key`` stand, in reading order or (``ranked``) by preference."""
        found = [hit for hits in self.hits for hit in hits if hit.key == key]
        if ranked:
            found.sort(key=lambda hit: self.lexicon.rank[hit.label])
        return found

    def first(
        self,
        key: str,
        parse: Callable[[str], Any],
        *,
        below: bool = True,
        ranked: bool = False,
        skip_rows: Iterable[int] = (),
    ) -> tuple[Any, _Value] | None:
        """The first value of a ``key`` label that ``parse`` makes sense of, and what it read:
        beside the label, or else below it."""
        skip = set(skip_rows)
        for hit in self.hits_of(key, ranked=ranked):
            if hit.row in skip:
                continue
            for value in (self.value_beside(hit), self.value_below(hit) if below else None):
                if value is not None:
                    parsed = parse(value.text)
                    if parsed is not None:
                        return parsed, value
        return None


def _join(parts: Iterable[str]) -> str:
    """Text parts as one value: one space between two Latin words, none anywhere else (OCR
    puts spaces between characters that the page sets apart, as in "2 104室")."""
    text = " ".join(part.strip() for part in parts)
    return re.sub(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])", "", text).strip()


def _text_value(text: str) -> str | None:
    """A name or an address as printed; None for a placeholder ("/", "***", "无")."""
    text = _join(text.split()).strip(_STRIP + "*")
    if len(text) < 2 or not re.search(r"[^\W\d_]", text) or text in ("暂无", "不详"):
        return None
    return text


def _field(name: str, value: Any, read: _Value, factor: float = 1.0) -> Field:
    if read.hit is not None and not read.hit.exact:
        factor *= MISREAD_LABEL
    return Field(name, value, round(read.score * factor, 4), read.source)


def _float(value: Decimal) -> float:
    return float(round(value, 2))
