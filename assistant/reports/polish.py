"""Optional LLM polish of a section's paragraph, checked so that no figure comes from the model.

The model only rewords the templated paragraph. Its reply is thrown away, and the templated text
kept, when the call fails or times out, when the reply is empty or rambles, or when it holds a
number (in digits, Chinese numerals or English words) that appears neither in the section's facts
nor in the templated paragraph. An officer's own text is never sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from assistant.llm import LlmComponent, Rejected
from assistant.reports.model import ReportData, ReportSection

log = logging.getLogger(__name__)

PROMPT_NAME = "report_polish.j2"
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# Chinese numerals: a run of two or more ("三十五", "二〇二六"), or one before a measure word
# ("三人", "两家"). A lone 一 is left alone: it is an article far more often than a count.
_CHINESE = re.compile(
    r"[零〇一二两三四五六七八九十百千万亿]{2,}"
    r"|[二两三四五六七八九十百千][个人名家笔次条天月年元万成倍户间台辆套项位岁]"
)
_WORDS = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|dozen|twice|thrice)\b",
    re.IGNORECASE,
)
# A polished paragraph may be shorter or a little longer, never an essay.
MAX_GROWTH = 2.0
MAX_EXTRA_CHARS = 200


class NarrativePolisher:
    """Rewords templated paragraphs with the chat model (:class:`~assistant.llm.LlmComponent`)."""

    def __init__(self, llm: LlmComponent) -> None:
        self.llm = llm

    async def polish(self, section: ReportSection, lang: str) -> ReportSection:
        """``section`` with its paragraph reworded, or unchanged when the reply is rejected.

        Only a ``template`` paragraph is polished: an ``edited`` one is the officer's and an
        ``llm`` one is polished already. An accepted reply is marked ``narrative_source="llm"``.
        """
        if section.narrative_source != "template" or not section.narrative.strip():
            return section
        facts = [{"label": f.label.get(lang), "value": f.value} for f in section.facts]

        def prompt() -> tuple[str, str]:
            return (
                self.llm.macro(PROMPT_NAME, "system", lang),
                self.llm.macro(
                    PROMPT_NAME, "user", lang, section.title.get(lang), facts, section.narrative
                ),
            )

        def read(text: str) -> str:
            problem = _problem(text, section)
            if problem is not None:
                raise Rejected(problem[0])
            return text

        text = await self.llm.ask(f"polish of section {section.id}", prompt, read)
        if text is None:
            return section
        return replace(section, narrative=text, narrative_source="llm")

    async def polish_all(self, data: ReportData) -> ReportData:
        """Every templated section of ``data`` polished, concurrently."""
        sections = await asyncio.gather(*(self.polish(s, data.lang) for s in data.sections))
        return replace(data, sections=tuple(sections))


def rejection(text: str, section: ReportSection) -> str | None:
    """Why a polished paragraph cannot replace the section's, or ``None`` if it can."""
    problem = _problem(text, section)
    return problem[1] if problem is not None else None


def _problem(text: str, section: ReportSection) -> tuple[str, str] | None:
    """``(kind, description)`` of what is wrong with a polished paragraph; the kind may be
    logged, the description quotes the reply."""
    if not text:
        return "empty", "empty reply"
    if len(text) > MAX_GROWTH * len(section.narrative) + MAX_EXTRA_CHARS:
        return "too_long", f"{len(text)} characters for a paragraph of {len(section.narrative)}"
    source = " ".join(
        [section.narrative]
        + [f"{f.label.zh} {f.label.en} {f.value} {f.raw_text or ''}" for f in section.facts]
    )
    new = sorted(numbers(text) - numbers(source))
    if new:
        return "new_figure", f"numbers not in the facts: {', '.join(new)}"
    return None


def numbers(text: str) -> set[str]:
    """The numbers written in ``text``, normalised so that ``250,000`` and ``250000.0`` match.

    Digits (full-width ones too) become their decimal value; Chinese numerals and English
    number words are kept as written (lower case): they only match the same words in the
    facts, so a figure the model spells out differently is treated as new.
    """
    folded = unicodedata.normalize("NFKC", text)
    found: set[str] = set()
    for match in _DIGITS.finditer(folded):
        token = match.group().replace(",", "")
        try:
            found.add(format(Decimal(token).normalize(), "f"))
        except InvalidOperation:
            found.add(token)
    found.update(m.group() for m in _CHINESE.finditer(folded))
    found.update(m.group().lower() for m in _WORDS.finditer(folded))
    return found
