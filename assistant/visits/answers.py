"""An officer's words as the typed answer of one checklist question, and the answer shown back.

What each answer type accepts lives here, in one ``match``: a new answer type is one more case.
The text-level readers (numbers with units, yes/no, dates) are in :mod:`assistant.visits.parsing`.
People answer a choice the way they talk ("有点变差", "自有的", "so-so"), so an option or a quick
reply is also picked by its other words (``also:`` in the checklist), by a word inside the answer
that no negation comes before, or by the start of its label; an answer that fits two is asked
again rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar

from assistant.data.checklist import AnswerType, Item, PreCheck, RecordedAnswer
from assistant.data.vocabulary import Bilingual
from assistant.db.models import AnswerStatus
from assistant.risk import display
from assistant.visits.debrief import several_clauses
from assistant.visits.model import EvidenceNeed
from assistant.visits.parsing import ParseError, parse_date, parse_quantity, parse_yes_no

K = TypeVar("K", bound=Hashable)

# A figure as said aloud: digits or Chinese numerals, with an optional unit after it.
SPOKEN_FIGURE = re.compile(
    r"(?:大概|大约|差不多|约)?[0-9０-９零〇一二两三四五六七八九十百千万亿点.,，]+"
    r"(?:万元|元|块|万|人|个|平方米|平米|平|%|百分之[零一二三四五六七八九十百]+|天|个月|月)?"
)


def parse_answer(item: Item, text: str, today: date) -> tuple[Any, bool]:
    """The typed value of ``text`` for ``item`` and whether it is approximate.

    Raises:
        ParseError: the text cannot be read as this item's answer.
    """
    match item.type:
        case AnswerType.NUMBER | AnswerType.MONEY:
            low, high = item.typed_range()
            unit = item.unit or "人"
            try:
                quantity = parse_quantity(text, unit, minimum=low, maximum=high)
            except ParseError:
                # "自有的" answers the rent with the quick reply 自有场地，不交租.
                quick = pick(
                    text, [(q.value, (q.label.zh, q.label.en, *q.also)) for q in item.quick]
                )
                if quick is None:
                    raise
                return quick, False
            value = quantity.value * Decimal(item.scale)
            return float(value), quantity.approximate
        case AnswerType.YES_NO:
            return parse_yes_no(text), False
        case AnswerType.DATE:
            return parse_date(text, today=today).isoformat(), False
        case AnswerType.CHOICE:
            return _choice(item, text), False
        case _:
            cleaned = text.strip()
            if not cleaned:
                raise ParseError("visit.parse.empty")
            return cleaned[:2000], False


def parse_spoken(item: Item, text: str, today: date) -> tuple[Any, str]:
    """Like :func:`parse_answer`, for a transcript: people say whole sentences ("去年大概五百万"),
    so a number question also takes the one figure said in it. Returns the value and the words it
    was read from, which are what to record.

    Raises:
        ParseError: as :func:`parse_answer`, when no single figure reads either.
    """
    try:
        return parse_answer(item, text, today)[0], text
    except ParseError:
        if item.type not in (AnswerType.NUMBER, AnswerType.MONEY):
            raise
        readings = []
        for fragment in SPOKEN_FIGURE.findall(text):
            try:
                readings.append((parse_answer(item, fragment, today)[0], fragment))
            except ParseError:
                continue
        if len(readings) != 1:
            raise
        return readings[0]


def _choice(item: Item, text: str) -> str:
    chosen = pick(text, [(o.id, (o.id, o.label.zh, o.label.en, *o.also)) for o in item.options])
    if chosen is None:
        raise ParseError(
            "visit.parse.not_a_choice", choices=" / ".join(o.label.zh for o in item.options)
        )
    return chosen


# Words that close a spoken Chinese answer without changing it: "自有的", "变差了".
_PARTICLES = "的了啊呀吧呢嘛哦喔"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATED_ZH = re.compile(r"(?:没有|没|不|未|无|非)$")
_NEGATED_EN = re.compile(r"\b(?:not|no|never|n't)\s*$")


def _plain(text: str, *, particles: bool = True) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\s。.!！?？,，、~]+", " ", text).strip()
    return text.rstrip(_PARTICLES).strip() if particles else text


def pick(text: str, choices: Sequence[tuple[K, Iterable[str]]]) -> K | None:
    """The one choice ``text`` names, or ``None`` when it names none or more than one.

    Each choice comes with its words (id, labels, other words). A choice is named by one of its
    words said whole; else by a word inside the text that no negation comes before ("有点变差"
    names 变差, "没有变差" names nothing), a word inside a longer one that stands there not
    counting; else by a text of two or more characters that is the start or part of one label
    ("自有" → 自有场地，不交租).
    """
    said = _plain(text)
    if not said:
        return None
    # "变好了" is a word of its own; "自有的" is "自有" with a closing particle: both are whole.
    said_whole = {said, _plain(text, particles=False)}
    words = [
        (key, [w for w in (_plain(x, particles=False) for x in ws) if w]) for key, ws in choices
    ]
    whole = {key for key, ws in words if not said_whole.isdisjoint(ws)}
    if whole:
        return next(iter(whole)) if len(whole) == 1 else None
    spans = [
        (start, start + len(w), key) for key, ws in words for w in ws for start in _places(said, w)
    ]
    inside = {
        key
        for start, end, key in spans
        if not _negated(said[:start])
        and not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans)
    }
    if inside:
        return next(iter(inside)) if len(inside) == 1 else None
    if spans:
        return None  # only negated mentions: "没有变差" says what it is not
    if len(said) >= 2:
        part = {key for key, ws in words if any(said in w for w in ws)}
        if len(part) == 1:
            return next(iter(part))
    return None


def _places(text: str, word: str) -> list[int]:
    """Where ``word`` stands in ``text``: anywhere for Chinese, as a whole word for English."""
    if _CJK.search(word):
        return [m.start() for m in re.finditer(re.escape(word), text)]
    return [m.start() for m in re.finditer(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text)]


def _negated(before: str) -> bool:
    return bool(_NEGATED_ZH.search(before) or _NEGATED_EN.search(before))


# A question for the knowledge base typed mid-visit, with or without its question mark:
# "个体户年报怎么查".
QUESTION_ENDINGS = ("?", "？")
_QUESTION_ZH = re.compile(
    r"怎么|怎样|如何|为什么|为啥|什么|哪些|哪里|哪个|是否|能不能|可不可以|要不要|吗$|呢$"
)
_QUESTION_EN = re.compile(
    r"^(?:how|what|why|when|where|which|who|can|could|should|do|does|is|are|must|may)\b"
)


def says_all(item: Item, text: str) -> bool:
    """Whether ``text`` says all of the count ``item`` is a part of ("都在", "all present")."""
    if item.all_of is None:
        return False
    plain = _plain(text).lower()
    return any(
        plain == _plain(word).lower() or plain.endswith(_plain(word).lower())
        for word in item.all_of.cues.all()
    ) and not re.search(r"\d|不|没|not|n't", plain)


def sounds_like_a_question(text: str) -> bool:
    """Whether ``text`` asks something: a question mark, or a question word."""
    said = unicodedata.normalize("NFKC", text).strip()
    if said.endswith(QUESTION_ENDINGS):
        return True
    return bool(_QUESTION_ZH.search(said) or _QUESTION_EN.search(said.lower()))


# What an officer types instead of tapping ⏭ or 🚫.
SKIP_WORDS = frozenset({"跳过", "先跳过", "略过", "下一个", "下一题", "skip", "pass", "next"})
NOT_APPLICABLE_WORDS = frozenset(
    {"不适用", "不涉及", "无此项", "没有这项", "n/a", "na", "not applicable", "does not apply"}
)


def typed_move(text: str) -> Literal["skip", "not_applicable"] | None:
    """``"skip"`` or ``"not_applicable"`` when the text asks for that instead of answering."""
    said = _plain(text)
    if said in SKIP_WORDS:
        return "skip"
    if said in NOT_APPLICABLE_WORDS:
        return "not_applicable"
    return None


def precheck_result(check: PreCheck, text: str) -> str | None:
    """The result of a pre-visit look-up that ``text`` names ("没问题", "查到了"); a typed skip
    is "not checked" where the look-up has that result."""
    ids = {result.id for result in check.results}
    if typed_move(text) == "skip":
        return NOT_CHECKED if NOT_CHECKED in ids else None
    if several_clauses(text):
        return None  # "…没有别的贷款…" in a paragraph says nothing of this look-up
    return pick(text, [(r.id, (r.id, r.label.zh, r.label.en, *r.also)) for r in check.results])


def named_evidence(caption: str | None, needs: Sequence[EvidenceNeed]) -> EvidenceNeed | None:
    """The document or photo category that a file's caption names ("门头", "营业执照",
    "licence"), by its title or its other words; ``None`` when the caption names none of
    ``needs`` or more than one, and the officer is asked which it is."""
    if not caption:
        return None
    chosen = pick(caption, [(n.id, (n.title.zh, n.title.en, *n.also)) for n in needs])
    return next((n for n in needs if n.id == chosen), None)


NOT_CHECKED = "not_checked"
SKIPPED = Bilingual("已跳过", "skipped")
NOT_APPLICABLE = Bilingual("不适用", "not applicable")


def shown_answer(item: Item, answer: RecordedAnswer) -> Bilingual | None:
    """A stored answer as the officer is shown it: "约 30 人", "平稳", "已跳过"."""
    if answer.status is AnswerStatus.SKIPPED:
        return SKIPPED
    if answer.status is AnswerStatus.NOT_APPLICABLE:
        return NOT_APPLICABLE
    shown = display.answer(item, answer.value)
    if shown is None or not answer.approximate:
        return shown
    return Bilingual(f"约{shown.zh}", f"about {shown.en}")


def unit_label(item: Item) -> Bilingual | None:
    """The unit a number or money question is answered in, in both languages."""
    if item.type not in (AnswerType.NUMBER, AnswerType.MONEY) or not item.unit:
        return None
    english = {"元": "yuan", "万元": "10,000 yuan (万元)", "%": "%"}
    plural = display.UNITS_EN.get(item.unit, (item.unit,))[0]
    return Bilingual(item.unit, english.get(item.unit, plural))
