"""Numbers, money and dates as documents print them: Arabic and Chinese numerals, capital
amounts, periods."""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise

CN_DIGITS: dict[str, int] = {
    **dict.fromkeys("零〇○", 0),
    **dict.fromkeys("一壹", 1),
    **dict.fromkeys("二贰貳两", 2),
    **dict.fromkeys("三叁參", 3),
    **dict.fromkeys("四肆", 4),
    **dict.fromkeys("五伍", 5),
    **dict.fromkeys("六陆陸", 6),
    **dict.fromkeys("七柒", 7),
    **dict.fromkeys("八捌", 8),
    **dict.fromkeys("九玖", 9),
}
CN_UNITS = {**dict.fromkeys("十拾", 10), **dict.fromkeys("百佰", 100)} | dict.fromkeys("千仟", 1000)
CN_BIG_UNITS = {**dict.fromkeys("万萬", 10**4), **dict.fromkeys("亿億", 10**8)}
_NUMERALS = "".join([*CN_DIGITS, *CN_UNITS, *CN_BIG_UNITS])
_DIGIT_CLASS = "".join(CN_DIGITS)

_CAPITAL_AMOUNT = re.compile(
    rf"(?P<yuan>[{_NUMERALS}]+)?(?:[元圆]零?)?"
    rf"(?:(?P<jiao>[{_DIGIT_CLASS}])角)?(?:零?(?P<fen>[{_DIGIT_CLASS}])分)?"
)
_CAPITAL_RUN = re.compile(rf"[{_NUMERALS}元圆角分整正]+")
_ARABIC_AMOUNT = re.compile(r"(?P<sign>[-+−])?\s*[¥$]?\s*(?P<number>\d[\d,.]*)\s*(?P<scale>万|亿)?")
_FOREIGN_CURRENCY = re.compile(r"美元|港元|港币|欧元|日元|英镑|USD|HKD|EUR", re.IGNORECASE)
_WELL_FORMED = re.compile(r"\d+(?:\.\d+)?|\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2}|\.\d+)?")
_MONEY_WORD = re.compile(r"[元圆万亿¥$]|人民币|rmb|cny", re.IGNORECASE)
# A figure followed by one of these counts things, not money (收入笔数 12笔).
_COUNT_WORD = re.compile(r"\s*[笔个次条项户人件张]")
_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
)
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.年]\s*(\d{1,2})|(\d{2}))(?![\d.])\s*月?")
_RANGE_SEPARATOR = re.compile(r"\s*(?:至|到|~|-|—|–|\s)?\s*")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?![\d.])\s*日?")


def normalize(text: str) -> str:
    """Full-width digits, letters, colons, brackets and spaces as ASCII ones (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def parse_chinese_integer(text: str) -> int | None:
    """An integer in Chinese numerals, formal (壹佰零伍万) or plain (一百零五万); else None."""
    if not text:
        return None
    total = 0  # whole 亿 read so far
    wan = 0  # whole 万 below the current 亿
    section = 0  # below 万
    digit: int | None = None
    for ch in text:
        if ch in CN_DIGITS:
            # Two digits in a row are positional (二〇二六), which no amount is written in;
            # only 零 may stand before another digit.
            if digit:
                return None
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            # 拾万 is 十万: a unit with no digit before it counts one of itself.
            section += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
        elif ch in CN_BIG_UNITS:
            section += digit or 0
            digit = None
            if CN_BIG_UNITS[ch] == 10**8:
                total += (wan + section) * 10**8
                wan = 0
            else:
                wan += section * 10**4
            section = 0
        else:
            return None
    return total + wan + section + (digit or 0)


def parse_capital_amount(text: str) -> Decimal | None:
    """An amount written in Chinese numerals: 伍拾万元整, 壹佰万元, 人民币伍万元,
    壹万贰仟叁佰元肆角伍分. None when ``text`` is not wholly such an amount."""
    text = re.sub(r"\s+", "", normalize(text))
    text = re.sub(r"^\(?人民币\)?|[整正]$", "", text)
    match = _CAPITAL_AMOUNT.fullmatch(text)
    if not match or not any(match[g] for g in ("yuan", "jiao", "fen")):
        return None
    yuan = parse_chinese_integer(match["yuan"]) if match["yuan"] else 0
    if yuan is None:
        return None
    jiao = CN_DIGITS[match["jiao"]] if match["jiao"] else 0
    fen = CN_DIGITS[match["fen"]] if match["fen"] else 0
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


def parse_number(digits: str) -> Decimal | None:
    """'1,234.56' as a Decimal, and also OCR's misreadings of it: '1.234.56', '1,234,56'.

    None for figures whose groups are not of three digits ('2,44446'): a separator was lost or
    added, and which digits belong where cannot be told.
    """
    digits = digits.strip(",.")
    if not _WELL_FORMED.fullmatch(digits):
        return None
    parts = re.split(r"[.,]", digits)
    if len(parts) > 1 and len(parts[-1]) <= 2 and all(len(p) == 3 for p in parts[1:-1]):
        # The last separator before one or two digits is the decimal point, whatever OCR made
        # of it; the others group thousands.
        number = "".join(parts[:-1]) + "." + parts[-1]
    elif "." in digits:
        head, _dot, tail = digits.rpartition(".")
        number = re.sub(r"[.,]", "", head) + "." + tail.replace(",", "")
    else:
        number = digits.replace(",", "")
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class Money:
    value: Decimal  # yuan
    start: int  # where in the text it stands
    end: int
    has_unit: bool  # printed with 元, 万, ¥, 人民币, or in Chinese numerals


def find_money(text: str) -> list[Money]:
    """Every amount of money in ``text``, left to right.

    Reads "¥12,345.60", "-5,000.00", "50万元", "50.00万元", "人民币50万元", "伍拾万元整" and
    full-width digits. Chinese numerals count only as a run of two or more or before 元, so that
    the 一 of a name is not one yuan; a figure before 笔, 个… counts things and is skipped.
    """
    text = normalize(text)
    found: list[Money] = []
    for match in _ARABIC_AMOUNT.finditer(text):
        value = parse_number(match["number"])
        if value is None or (not match["scale"] and _COUNT_WORD.match(text, match.end())):
            continue
        if match["scale"]:
            value *= CN_BIG_UNITS[match["scale"]]
        if match["sign"] in ("-", "−"):
            value = -value
        around = text[max(match.start() - 4, 0) : match.end() + 2]
        found.append(Money(value, match.start(), match.end(), bool(_MONEY_WORD.search(around))))
    for match in _CAPITAL_RUN.finditer(text):
        run = match.group()
        if not any(ch in CN_DIGITS or ch in CN_UNITS for ch in run):
            continue
        if len(run.strip("元圆角分整正")) < 2 and not re.search("[元圆角分]", run):
            continue
        value = parse_capital_amount(run)
        if value is not None:
            found.append(Money(value, match.start(), match.end(), True))
    return sorted(found, key=lambda m: m.start)


def parse_money(text: str) -> Decimal | None:
    """The first amount of money in ``text`` (see :func:`find_money`), or None."""
    found = find_money(text)
    return found[0].value if found else None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def find_dates(text: str, *, compact: bool = True) -> list[tuple[date, int, int]]:
    """Every date in ``text`` and where it stands: 2026-08-01, 2026/8/1, 2026.08.01,
    2026年08月01日 and, with ``compact``, 20260801."""
    text = normalize(text)
    found = [
        (day, m.start(), m.end())
        for m in _DATE.finditer(text)
        if (day := _date(m[1], m[2], m[3])) is not None
    ]
    if compact:
        taken = [(s, e) for _d, s, e in found]
        found += [
            (day, m.start(), m.end())
            for m in _COMPACT_DATE.finditer(text)
            if (day := _date(m[1], m[2], m[3])) is not None
            and not any(s <= m.start() < e for s, e in taken)
        ]
    return sorted(found, key=lambda item: item[1])


def parse_date(text: str) -> date | None:
    found = find_dates(text)
    return found[0][0] if found else None


def parse_period(text: str) -> tuple[date, date] | None:
    """A period: two dates ("2026-08-01至2026-10-31", "2026年08月01日-2026年10月31日"), or one
    month ("2026年09月", "2026-09", "202609"), which means the whole month."""
    text = normalize(text)
    dates = find_dates(text)
    for (first, _s, end), (second, start, _e) in pairwise(dates):
        if _RANGE_SEPARATOR.fullmatch(text, end, start) and first <= second:
            return first, second
    for first, _s, end in dates:
        # The end given without its year: 2026年09月01日-09月30日.
        separator = _RANGE_SEPARATOR.match(text, end)
        marked = separator is not None and separator.group().strip()
        same_year = _MONTH_DAY.match(text, separator.end()) if marked else None
        second = same_year and _date(str(first.year), same_year[1], same_year[2])
        if second and first <= second:
            return first, second
    if dates:
        return None
    month = _MONTH.search(text)
    if month:
        year, number = int(month[1]), int(month[2] or month[3])
        if 1 <= number <= 12:
            return date(year, number, 1), date(year, number, monthrange(year, number)[1])
    return None
