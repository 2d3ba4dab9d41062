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
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
    """Rewords templated paragraphs with a chat model (a LangChain ``BaseChatModel``).

    Args:
        chat_model: anything with ``async ainvoke(messages)`` returning a message.
        prompts_dir: ``prompts/llm``, holding ``report_polish.j2``.
        timeout: seconds to wait for one paragraph before keeping the templated text.
    """

    def __init__(self, chat_model: Any, prompts_dir: Path, timeout: float = 20.0) -> None:
        self.model = chat_model
        self.timeout = timeout
        self._env = Environment(
            loader=FileSystemLoader(prompts_dir),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    async def polish(self, section: ReportSection, lang: str) -> ReportSection:
        """``section`` with its paragraph reworded, or unchanged when the reply is rejected.

        Only a ``template`` paragraph is polished: an ``edited`` one is the officer's and an
        ``llm`` one is polished already. An accepted reply is marked ``narrative_source="llm"``.
        """
        if section.narrative_source != "template" or not section.narrative.strip():
            return section
        from langchain_core.messages import HumanMessage, SystemMessage

        module = self._env.get_template(PROMPT_NAME).module
        system = str(module.system(lang)).strip()  # type: ignore[attr-defined]
        facts = [{"label": f.label.get(lang), "value": f.value} for f in section.facts]
        user = str(
            module.user(lang, section.title.get(lang), facts, section.narrative)  # type: ignore[attr-defined]
        ).strip()
        try:
            reply = await asyncio.wait_for(
                self.model.ainvoke([SystemMessage(system), HumanMessage(user)]), self.timeout
            )
        except TimeoutError:
            log.warning("polishing section %r timed out after %.0fs", section.id, self.timeout)
            return section
        except Exception as exc:  # noqa: BLE001 - any provider failure keeps the templated text
            log.warning("polishing section %r failed (%s)", section.id, type(exc).__name__)
            return section
        text = _reply_text(reply)
        problem = rejection(text, section)
        if problem is not None:
            log.warning("polished text of section %r rejected: %s", section.id, problem)
            return section
        return replace(section, narrative=text, narrative_source="llm")

    async def polish_all(self, data: ReportData) -> ReportData:
        """Every templated section of ``data`` polished, concurrently."""
        sections = await asyncio.gather(*(self.polish(s, data.lang) for s in data.sections))
        return replace(data, sections=tuple(sections))


def rejection(text: str, section: ReportSection) -> str | None:
    """Why a polished paragraph cannot replace the section's, or ``None`` if it can."""
    if not text:
        return "empty reply"
    if len(text) > MAX_GROWTH * len(section.narrative) + MAX_EXTRA_CHARS:
        return f"{len(text)} characters for a paragraph of {len(section.narrative)}"
    source = " ".join(
        [section.narrative]
        + [f"{f.label.zh} {f.label.en} {f.value} {f.raw_text or ''}" for f in section.facts]
    )
    new = sorted(numbers(text) - numbers(source))
    if new:
        return f"numbers not in the facts: {', '.join(new)}"
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


def _reply_text(reply: Any) -> str:
    content = getattr(reply, "content", reply)
    if isinstance(content, list):  # content blocks: keep the text ones
        content = "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if isinstance(part, str | dict)
        )
    return str(content or "").strip()
