"""Answers from the knowledge base: extractive by default, written by an LLM when one is
configured, and a plain refusal when the knowledge base does not cover the question."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from assistant.i18n import Lang, Texts
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.retrieval import Borrower, Retrieval
from assistant.llm import LlmComponent, Rejected
from assistant.portfolio import ClientCard

log = logging.getLogger(__name__)

MAX_QUESTION = 500
MAX_SECTIONS = 3
SECTION_SHARE = 0.75
CITATION = re.compile(r"\[([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)\]")
CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
LATIN_CHAR = re.compile(r"[A-Za-z]")


def question_language(question: str, fallback: Lang) -> Lang:
    """Answer in the language the question is written in; mixed or neither → the user's."""
    cjk, latin = len(CJK_CHAR.findall(question)), len(LATIN_CHAR.findall(question))
    if cjk and cjk * 3 >= latin:
        return "zh"
    if latin >= 3 and not cjk:
        return "en"
    return fallback


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    citation: str
    score: float


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    citation: str
    points: list[str]


@dataclass(frozen=True)
class Answer:
    question: str
    lang: Lang
    grounded: bool
    reason: str
    sources: list[Source] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    generated: str | None = None
    client: ClientCard | None = None
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    truncated: bool = False


def borrower_of(card: ClientCard | None) -> Borrower | None:
    if card is None:
        return None
    return Borrower(kind=card.kind.value, products=tuple({loan.product for loan in card.loans}))


class LlmComposer:
    """Writes the answer from the retrieved passages only, citing them by id.

    A reply that cites nothing, or cites an id it was not given, is rejected: the caller then
    falls back to the extractive answer, as it does when the model fails or is slow.
    """

    def __init__(self, llm: LlmComponent) -> None:
        self.llm = llm

    async def compose(
        self, question: str, lang: Lang, sections: list[Section], client: ClientCard | None
    ) -> str | None:
        def prompt() -> tuple[str, str]:
            return (
                self.llm.render(f"answer_system.{lang}.j2", sections=sections, client=client),
                self.llm.render(f"answer_user.{lang}.j2", question=question),
            )

        allowed = {section.id for section in sections}

        def read(text: str) -> str:
            cited = set(CITATION.findall(text))
            if not cited or not cited <= allowed:
                raise Rejected("citation")
            return text

        return await self.llm.ask("answer", prompt, read)


class AnswerService:
    def __init__(self, knowledge: KnowledgeBase, composer: LlmComposer | None = None) -> None:
        self.knowledge = knowledge
        self.composer = composer

    async def answer(
        self,
        question: str,
        *,
        lang: Lang,
        client: ClientCard | None = None,
        follow_question_language: bool = True,
    ) -> Answer:
        """Answer ``question`` for the officer, about ``client`` when one is at hand.

        Args:
            question: as typed; may be empty, huge, emoji or hostile.
            lang: the officer's language.
            client: the borrower the officer is on, already access-checked by the caller.
            follow_question_language: answer in the question's language when it is clear
                (an English question from a Chinese-speaking officer gets English).

        Raises:
            KnowledgeUnavailable: the vector store cannot be reached; nothing is answered rather
                than answering from the words alone (see :class:`KnowledgeBase`).
        """
        text = " ".join(question.split())
        if follow_question_language:
            lang = question_language(text, lang)
        if not text:
            return Answer(
                question,
                lang,
                False,
                "empty",
                client=client,
                suggestions=[
                    (e.id, e.title.get(lang)) for e in self.knowledge.topics(borrower_of(client))
                ],
            )
        truncated = len(text) > MAX_QUESTION
        text = text[:MAX_QUESTION]
        retrieval = await self.knowledge.search(text, borrower_of(client))
        if not retrieval.grounded:
            return Answer(
                text,
                lang,
                False,
                retrieval.decision.reason,
                client=client,
                suggestions=[(e.id, e.title.get(lang)) for e in retrieval.suggestions],
                truncated=truncated,
            )
        sections, sources = self._select(retrieval, lang)
        generated = None
        if self.composer is not None:
            generated = await self.composer.compose(text, lang, sections, client)
        return Answer(
            text, lang, True, "grounded", sources, sections, generated, client, truncated=truncated
        )

    def _select(self, retrieval: Retrieval, lang: Lang) -> tuple[list[Section], list[Source]]:
        top = retrieval.hits[0].score
        chosen = [hit for hit in retrieval.hits[:MAX_SECTIONS] if hit.score >= SECTION_SHARE * top]
        sections = [
            Section(
                hit.entry.id,
                hit.entry.title.get(lang),
                hit.entry.source.get(lang),
                hit.entry.points(lang),
            )
            for hit in chosen
        ]
        sources = [
            Source(
                hit.entry.id,
                hit.entry.title.get(lang),
                hit.entry.source.get(lang),
                round(hit.score, 4),
            )
            for hit in retrieval.hits
        ]
        return sections, sources


def render_answer(answer: Answer, texts: Texts, *, html: bool, first_check_days: int = 30) -> str:
    """The answer as the officer reads it (Telegram HTML, or plain text for the terminal)."""
    render = texts.render if html else texts.plain
    key = "knowledge.answer" if answer.grounded else "knowledge.refusal"
    return render(answer.lang, key, answer=answer, first_check_days=first_check_days)
