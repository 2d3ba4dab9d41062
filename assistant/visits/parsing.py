"""Typed answers from what officers actually type on a phone.

"三十五个人", "2.5万", "一百二十万元", "百分之十五", "约8成", "120平", "两个月", "yes", "没有"…
are all turned into typed values with their unit, a flag for approximate answers
("约", "左右", "多"), and the range when one was given ("20到30人"). Anything that cannot be
read raises :class:`ParseError` with a message key, so the officer is asked again in their
language and nothing is lost.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from assistant.errors import AssistantError

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "壹": 1,
    "幺": 1,
    "二": 2,
    "贰": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
NUMERAL_CHARS = "".join([*CN_DIGITS, *SMALL_UNITS, *BIG_UNITS])
NUMBER_RUN = re.compile(rf"(?:\d+(?:\.\d+)?|[{NUMERAL_CHARS}点])+")
APPROXIMATE = re.compile(
    r"约|大约|大概|左右|差不多|上下|估计|将近|接近|多|余|几|~|≈|(?<=[十百千万0-9])来|"
    r"\b(?:about|around|approx|approximately|roughly|nearly|almost|or so|some)\b"
)
# Everyday words written with numeral characters that are not numbers: "一般" is "so-so", not 1.
# "五金店" is a hardware shop and "百货" a general store, words a paragraph about a business uses.
NOT_NUMERALS = re.compile(
    r"一般|一直|一样|一些|一起|一下|一定|一向|一切|一边|统一|(?<![\d一二两三四五六七八九十百千])万一|十分|五金|百货|千万别|一点点|"
    r"一共|一次性|一口气|一开始|一旦|一律|一概|一度|一致|一模一样|一同|一再|一体|一带|一手|一心|一番|一阵|"
    r"一整|(?:周|星期|礼拜)[一二三四五六日天]|(?<=[那这])一角"
)
# English number words, so that "about thirty" reads like "about 30".
EN_ONES = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
EN_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}
EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6}
_EN_WORD = "|".join([*EN_ONES, *EN_TENS, *EN_SCALES, "and"])
# A run of number words starts with a number, not with a scale: "1.5 million" keeps its unit.
EN_NUMBER_RUN = re.compile(
    rf"\b(?:{'|'.join([*EN_ONES, *EN_TENS])})\b(?:[\s-]+(?:{_EN_WORD})\b)*", re.IGNORECASE
)

# Unit words per dimension, longest first so that "平方米" wins over "平". The factor converts to
# the dimension's base unit (人, 平方米, 元, %, 天).
UNIT_WORDS: dict[str, list[tuple[str, Decimal]]] = {
    "人": [
        ("个人", Decimal(1)),
        ("名员工", Decimal(1)),
        ("个员工", Decimal(1)),
        ("员工", Decimal(1)),
        ("名", Decimal(1)),
        ("人", Decimal(1)),
        ("个", Decimal(1)),
        ("people", Decimal(1)),
        ("persons", Decimal(1)),
        ("staff", Decimal(1)),
        ("employees", Decimal(1)),
    ],
    "平方米": [
        ("平方米", Decimal(1)),
        ("平米", Decimal(1)),
        ("平方", Decimal(1)),
        ("㎡", Decimal(1)),
        ("m2", Decimal(1)),
        ("sqm", Decimal(1)),
        ("square metres", Decimal(1)),
        ("square meters", Decimal(1)),
        ("sq m", Decimal(1)),
        ("平", Decimal(1)),
        ("亩", Decimal("666.67")),
    ],
    # 万 and 亿 are numerals here ("一百二十万元" is 1,200,000 元), not units.
    "元": [
        ("块钱", Decimal(1)),
        ("元", Decimal(1)),
        ("块", Decimal(1)),
        ("rmb", Decimal(1)),
        ("cny", Decimal(1)),
        ("yuan", Decimal(1)),
        ("million", Decimal(10**6)),
        ("mln", Decimal(10**6)),
        ("mn", Decimal(10**6)),
        ("m", Decimal(10**6)),
        ("k", Decimal(1000)),
        ("w", Decimal(10**4)),
    ],
    "%": [
        ("个百分点", Decimal(1)),
        ("个点", Decimal(1)),
        ("%", Decimal(1)),
        ("percent", Decimal(1)),
        ("成", Decimal(10)),
    ],
    "天": [
        ("个工作日", Decimal(1)),
        ("个月", Decimal(30)),
        ("个星期", Decimal(7)),
        ("星期", Decimal(7)),
        ("周", Decimal(7)),
        ("月", Decimal(30)),
        ("年", Decimal(365)),
        ("天", Decimal(1)),
        ("日", Decimal(1)),
        ("days", Decimal(1)),
        ("day", Decimal(1)),
        ("weeks", Decimal(7)),
        ("months", Decimal(30)),
    ],
}
# Units a question may ask in, and how each relates to its dimension's base unit.
UNITS: dict[str, tuple[str, Decimal]] = {
    "人": ("人", Decimal(1)),
    "平方米": ("平方米", Decimal(1)),
    "元": ("元", Decimal(1)),
    "万元": ("元", Decimal(10**4)),
    "%": ("%", Decimal(1)),
    "天": ("天", Decimal(1)),
    "月": ("天", Decimal(30)),
}
WHOLE_WORDS = {
    "半年": ("天", Decimal(180)),
    "一半": ("%", Decimal(50)),
    "半个月": ("天", Decimal(15)),
}

YES = {
    "是",
    "是的",
    "有",
    "对",
    "对的",
    "嗯",
    "好",
    "好的",
    "正常",
    "需要",
    "要",
    "变了",
    "变动",
    "有变化",
    "yes",
    "y",
    "yeah",
    "yep",
    "true",
    "ok",
    "✓",
    "✔",
    "👍",
}
NO = {
    "否",
    "不是",
    "没有",
    "没",
    "无",
    "不",
    "不对",
    "没变",
    "没变化",
    "无变化",
    "不需要",
    "不用",
    "no",
    "n",
    "nope",
    "none",
    "false",
    "✗",
    "✘",
    "❌",
}


class ParseError(AssistantError):
    """An answer that cannot be read; ``key`` names the message that asks again."""

    key = "visit.parse.not_a_number"


@dataclass(frozen=True)
class Quantity:
    """A number in the unit the question asked for."""

    value: Decimal
    unit: str
    approximate: bool = False
    low: Decimal | None = None
    high: Decimal | None = None


# "三成五" is 35 %: a digit after 成 counts in per cent.
_DIGIT = rf"[{''.join(CN_DIGITS)}\d]"
TENTHS = re.compile(rf"(?<![{NUMERAL_CHARS}\d])({_DIGIT})成({_DIGIT})(?![{NUMERAL_CHARS}\d])")


# Shares said in words: "a quarter of sales", "about half".
EN_SHARES = {"three quarters": "75%", "a quarter": "25%", "one quarter": "25%", "half": "50%"}
EN_SHARE = re.compile(rf"\b(?:{'|'.join(EN_SHARES)})\b(?![- ]a\b|-)")


_DIGIT_WORDS = "zero|one|two|three|four|five|six|seven|eight|nine"
EN_DECIMAL = re.compile(
    rf"\b({_DIGIT_WORDS}|\d+) point ((?:{_DIGIT_WORDS})(?:[\s-]+(?:{_DIGIT_WORDS}))*)\b"
)
EN_HALF = re.compile(r"\bhalf an? (million|thousand|hundred)\b")


def spoken_decimal(text: str) -> str:
    """ "one point two million" → "1.2 million", "half a million" → "0.5 million" (lower case)."""

    def digit(word: str) -> str:
        return word if word.isdigit() else str(EN_ONES[word])

    def decimal(match: re.Match[str]) -> str:
        fraction = "".join(digit(w) for w in re.split(r"[\s-]+", match.group(2)))
        return f"{digit(match.group(1))}.{fraction}"

    return EN_HALF.sub(lambda m: f"0.5 {m.group(1)}", EN_DECIMAL.sub(decimal, text))


def spoken_percent(text: str) -> str:
    """``text`` with "三成五" written as "35%" and "a quarter" as "25%"."""

    def percent(match: re.Match[str]) -> str:
        tens, ones = (int(CN_DIGITS.get(d, d)) for d in match.groups())
        return f"{tens * 10 + ones}%"

    text = EN_SHARE.sub(lambda m: EN_SHARES[m.group()], text)
    return TENTHS.sub(percent, text)


def _normalise(text: str) -> str:
    text = spoken_percent(spoken_decimal(unicodedata.normalize("NFKC", text).strip().lower()))
    text = re.sub(r"(?<=\d)[,，](?=\d{3})", "", text)
    text = NOT_NUMERALS.sub(" ", text)
    text = re.sub(r"(?<=[一两二三四五六七八九十])个(?=[亿万])", "", text)  # "一个亿" is 一亿
    text = EN_NUMBER_RUN.sub(_english_number, text)
    return text.replace("％", "%")


def _english_number(match: re.Match[str]) -> str:
    """ "thirty five" → "35", "two hundred and ten" → "210"; a trailing "and" is kept."""
    words = re.split(r"[\s-]+", match.group(0))
    kept: list[str] = []
    while words and words[-1] == "and":
        kept.insert(0, words.pop())
    total = current = 0
    for word in words:
        if word in EN_ONES:
            current += EN_ONES[word]
        elif word in EN_TENS:
            current += EN_TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in EN_SCALES:
            total += max(current, 1) * EN_SCALES[word]
            current = 0
    return " ".join([str(total + current), *kept])


def _chinese_decimal(match: re.Match[str]) -> str:
    whole = "".join(str(CN_DIGITS[c]) for c in match.group(1))
    fraction = "".join(str(CN_DIGITS[c]) for c in match.group(2))
    return f"{whole}.{fraction}"


def numeral_value(run: str) -> Decimal:
    """The value of a run of digits and Chinese numerals: "三万五", "2.5万", "一百零五", "二零二五".

    Raises:
        ValueError: the run is not a number.
    """
    digit_class = "".join(CN_DIGITS)
    run = re.sub(rf"([{digit_class}]+)点([{digit_class}]+)", _chinese_decimal, run)
    if "点" in run:
        raise ValueError(run)
    tokens = re.findall(rf"\d+(?:\.\d+)?|[{NUMERAL_CHARS}]", run)
    if not tokens:
        raise ValueError(run)
    has_units = any(t in SMALL_UNITS or t in BIG_UNITS for t in tokens)
    if not has_units and all(t in CN_DIGITS for t in tokens):
        # A digit string such as 二零二五 (a year) or 一三五 reads digit by digit.
        return Decimal("".join(str(CN_DIGITS[t]) for t in tokens))
    total = Decimal(0)
    section = Decimal(0)
    current: Decimal | None = None
    last_unit: int | None = None
    after_unit = False
    zero_seen = False
    for token in tokens:
        if token in SMALL_UNITS:
            section += (current if current is not None else Decimal(1)) * SMALL_UNITS[token]
            current, last_unit, after_unit, zero_seen = None, SMALL_UNITS[token], True, False
        elif token in BIG_UNITS:
            section += current or 0
            if BIG_UNITS[token] > 10**4:
                total = (total + section) * BIG_UNITS[token]
            else:
                total += section * BIG_UNITS[token]
            section, current = Decimal(0), None
            last_unit, after_unit, zero_seen = BIG_UNITS[token], True, False
        else:
            value = Decimal(CN_DIGITS[token]) if token in CN_DIGITS else Decimal(token)
            if token in ("零", "〇"):
                zero_seen = True
                continue
            if current is not None and not after_unit:
                raise ValueError(run)
            current, after_unit = value, False
    if current is not None:
        if last_unit is not None and not zero_seen and current < 10 and current == int(current):
            # "三万五" is 35,000 and "一百二" is 120: a bare digit after a unit counts in the
            # next smaller unit.
            current *= Decimal(last_unit) / 10
        section += current
    return total + section


def _approximate(text: str) -> bool:
    return APPROXIMATE.search(text) is not None


def _dimension_of(text: str) -> tuple[str, Decimal] | None:
    """The unit written in the answer, as (dimension, factor to its base unit)."""
    for word, (dimension, factor) in WHOLE_WORDS.items():
        if word in text:
            return dimension, factor
    best: tuple[int, str, Decimal] | None = None
    for dimension, words in UNIT_WORDS.items():
        for word, factor in words:
            pattern = re.escape(word) if not word.isascii() else rf"(?<![a-z]){re.escape(word)}"
            if re.search(pattern, text) and (best is None or len(word) > best[0]):
                best = (len(word), dimension, factor)
    return (best[1], best[2]) if best else None


def _numbers(text: str) -> list[Decimal]:
    values = []
    for run in NUMBER_RUN.findall(text):
        if not any(
            c.isdigit() or c in CN_DIGITS or c in SMALL_UNITS or c in BIG_UNITS for c in run
        ):
            continue
        try:
            values.append(numeral_value(run))
        except (ValueError, InvalidOperation):
            continue
    return values


def parse_quantity(
    text: str,
    unit: str,
    *,
    minimum: Decimal | float | None = None,
    maximum: Decimal | float | None = None,
) -> Quantity:
    """Read a number answer in ``unit`` (人, 平方米, 元, 万元, %, 天, 月).

    A bare number is taken in the question's unit; a written unit of the same dimension is
    converted ("1200000元" for a 万元 question is 120); a unit of another dimension is an error.

    Raises:
        ParseError: ``not_a_number``, ``wrong_unit`` or ``out_of_range``.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    dimension, unit_factor = UNITS[unit]
    cleaned = _normalise(text)
    if not cleaned:
        raise ParseError("visit.parse.not_a_number", answer="", unit=unit)
    percent_words = re.fullmatch(r"(?:约|大约|大概)?百分之(.+?)(?:左右)?", cleaned)
    if percent_words and dimension == "%":
        cleaned = f"{percent_words.group(1)}%"
    written = _dimension_of(cleaned)
    if written is not None and written[0] != dimension:
        raise ParseError("visit.parse.wrong_unit", answer=text[:40], unit=unit)
    numbers = _numbers(cleaned)
    whole_word = next(
        (f for w, (d, f) in WHOLE_WORDS.items() if w in cleaned and d == dimension), None
    )
    if not numbers and whole_word is None:
        raise ParseError("visit.parse.not_a_number", answer=text[:40], unit=unit)
    in_base_unit = written is not None or (
        dimension == "元"
        # "four million" is read as 4000000: a sum in yuan, as "四百万" is, whatever the
        # question's own unit (万元).
        and re.search(r"[万萬亿億]|\b(?:thousand|million)\b", text.lower()) is not None
    )
    if whole_word is not None and not numbers:
        values = [whole_word / unit_factor]
    elif in_base_unit:
        # "1200000元" or "120万" for a question in 万元: convert from yuan.
        factor = written[1] if written is not None else Decimal(1)
        values = [n * factor / unit_factor for n in numbers[:2]]
    else:
        values = list(numbers[:2])
    ranged = len(values) == 2 and re.search(r"到|至|-|~|～|or|to", cleaned) is not None
    if ranged:
        low, high = sorted(values)
        value = (low + high) / 2
    else:
        low = high = None
        value = values[0]
    if value == value.to_integral_value():
        # to_integral_value, not quantize: quantize needs the digits to fit the decimal context,
        # and a pasted 29-digit number must reach the range check, not crash the handler.
        value = value.to_integral_value()
    quantity = Quantity(
        value, unit, approximate=ranged or _approximate(cleaned), low=low, high=high
    )
    for bound, check in (
        (minimum, lambda b: quantity.value < b),
        (maximum, lambda b: quantity.value > b),
    ):
        if bound is not None and check(Decimal(str(bound))):
            raise ParseError(
                "visit.parse.out_of_range",
                answer=text[:40],
                unit=unit,
                minimum=minimum,
                maximum=maximum,
            )
    return quantity


def parse_yes_no(text: str) -> bool:
    """是/有/对/yes → True; 否/没有/无/no → False.

    Raises:
        ParseError: ``not_yes_no``.
    """
    cleaned = re.sub(r"[\s。.!！,，~]+", "", _normalise(text))
    if cleaned in YES:
        return True
    if cleaned in NO:
        return False
    if cleaned.startswith(("没有", "没", "无", "不", "no")):
        return False
    if cleaned.startswith(("有", "是", "对", "yes")):
        return True
    raise ParseError("visit.parse.not_yes_no", answer=text[:40])


def parse_date(text: str, *, today: date) -> date:
    """2026-11-29, 2026/11/29, 2026年11月29日, 11月29日 (this year), 今天, 昨天, 前天, and for
    plans ahead 明天, 后天, tomorrow.

    Raises:
        ParseError: ``bad_date``.
    """
    cleaned = _normalise(text)
    relative = {
        "今天": 0,
        "今日": 0,
        "昨天": 1,
        "昨日": 1,
        "前天": 2,
        "today": 0,
        "yesterday": 1,
        "明天": -1,
        "明日": -1,
        "后天": -2,
        "tomorrow": -1,
    }
    if cleaned in relative:
        return today - timedelta(days=relative[cleaned])
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", cleaned) or re.fullmatch(
        r"()(\d{1,2})[-/.月](\d{1,2})[日号]?", cleaned
    )
    if match:
        year = int(match.group(1)) if match.group(1) else today.year
        try:
            return date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    raise ParseError("visit.parse.bad_date", answer=text[:40])
