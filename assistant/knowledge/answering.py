"""Answers from the knowledge base: extractive by default, written by an LLM when one is
configured, and a plain refusal when the knowledge base does not cover the question."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from assistant.i18n import Lang, Texts
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.entries import KnowledgeEntry
from assistant.knowledge.retrieval import Borrower, Retrieval
from assistant.llm import LlmComponent, Rejected
from assistant.portfolio import ClientCard
from assistant.visits.focus import Check, footnotes

log = logging.getLogger(__name__)

MAX_QUESTION = 500
MAX_SECTIONS = 3
SECTION_SHARE = 0.75
# An answer fits a phone: about 600 Chinese characters (English runs about twice as long in
# characters for the same content) and at most this many bullets.
BUDGET = {"zh": 600, "en": 800}
MAX_BULLETS = 6
# A point of a lower-ranked entry must be this much closer to the question to go before one of
# the best entry's.
RANK_STEP = 0.012
# "这个借款人我这次该查什么" with a client at hand: answered with the visit's own checks.
FOCUS_ZH = re.compile(
    r"(该|要|需要|应该|得|去)?(查|检查|看|关注|注意|核实|核查)(一下|些|点)?(什么|哪些|啥|哪几|哪方面)"
    r"|重点(是|有)?(什么|哪些|啥)"
)
FOCUS_EN = re.compile(
    r"\bwhat\b.{0,30}\b(check|look at|look for|verify|focus on|pay attention to)\b", re.IGNORECASE
)
# A request to work figures out ("帮我算一下100万10年每月还多少"): the knowledge base explains how
# to check a loan, it does not compute one, and a figure drawn from a passage would be invented.
CALCULATION = re.compile(
    r"算一下|算算|帮我算|给我算|计算|月供|每(个)?月(要|得|应)?还(款)?多少|"
    r"利息(是|有|要)?多少|多少利息|(总共|一共|合计|到期)?(要|得|应)?(还|付|交)多少(?![天次户家个人期遍项条])|本息(合计)?(是)?多少|"
    r"换算成|"
    r"\bcalculate\b|\bcompute\b|monthly (re)?(payment|instal)|how much .{0,30}\b(pay|interest)\b|"
    r"\btotal interest\b|\binterest on \S*\d|\bwhat'?s \d+(\.\d+)?% of\b|\bemi\b|"
    r"\b(what|how much) (would|will) the (re)?payments? be\b|\bconvert\b.{0,30}\b(rate|apr)\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d+(?:\.\d+)?%?|[一二三四五六七八九十百千两]+[万亿年个%]")
# The officer's own money ("我自己想申请个房贷", "my own credit card"): a bank customer's question,
# not a post-loan one, however many loan words it has.
PERSONAL = re.compile(
    r"(我自己|我本人|我家|给自己)[^，。,.]{0,8}"
    r"(贷款|房贷|车贷|消费贷|信用卡|征信|理财|存款|按揭|买房|买车|公积金|基金|股票|社保)"
    r"|我的(信用卡|房贷|车贷|征信|工资|存款|公积金|社保|基金|股票)"
    r"|(贷款|消费贷|房贷|信用卡)[^，。,.]{0,10}(我自己要用|给我自己)"
    r"|\b(myself|my own|for me)\b.{0,25}\b(loan|mortgage|credit|card|savings)"
    r"|\bmy (credit card|mortgage|credit score|savings)\b"
    r"|\b(apply|get)\b.{0,30}\b(loan|mortgage|credit card)\b.{0,12}\b(myself|for me)\b",
    re.IGNORECASE,
)
# Writing that is not about a visit: a poem, an email, a speech, greetings for a chat group. (An
# opener to say to the client is phrasing, which the knowledge base does cover.)
WRITING = re.compile(
    r"(写|拟|编)[^，。,.]{0,10}(诗|邮件|祝福|贺词|演讲稿|发言稿|请假条|作文|年终总结|工作总结|朋友圈文案)"
    r"|\b(write|draft|compose)\b.{0,30}\b(poem|email|e-mail|speech|toast|essay|cover letter|"
    r"birthday|greeting|wish(es)?)\b",
    re.IGNORECASE,
)
# A question about one topic is a question for the knowledge base, client or not.
TOPICAL = re.compile(
    r"照片|拍|抵押|担保|流水|征信|报告|话术|开场|材料|资料|复印|文件|去之前|访前|查询|年报|网站|"
    r"分类|逾期|法规|办法|photo|collateral|guarantor|statement|report|credit|phrase|document|"
    r"before (i|we) go|website|classif|overdue|regulation",
    re.IGNORECASE,
)
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
class Bullet:
    text: str
    note: int  # its footnote: 1 for the first source cited


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
    # The phone-sized answer: the closest bullet points across the sources, each with its
    # footnote; ``sections`` keeps the whole entries for 展开 / More.
    bullets: list[Bullet] = field(default_factory=list)
    cited: list[Source] = field(default_factory=list)
    # For "what should I check for this client": the visit's checks, each with its footnote.
    checks: list[tuple[Check, int]] = field(default_factory=list)
    # A topic of the visit the knowledge base does not cover (reason "uncovered"), by name.
    gap: str | None = None

    @property
    def more(self) -> bool:
        """The full entries hold more than the answer shows."""
        shown = len(self.bullets)
        return bool(self.sections) and sum(len(s.points) for s in self.sections) > shown


def entry_token(entry_id: str) -> str:
    """A short stand-in for an entry id in a button's data."""
    return hashlib.sha256(entry_id.encode()).hexdigest()[:6]


def is_calculation(text: str) -> bool:
    """A request to compute something from figures given in the question."""
    return bool(CALCULATION.search(text)) and len(NUMBER.findall(text)) >= 2


def is_focus_question(text: str) -> bool:
    """A question about what to check on this visit, not about one topic."""
    if TOPICAL.search(text):
        return False
    return bool(FOCUS_ZH.search(text) or FOCUS_EN.search(text))


def borrower_of(card: ClientCard | None) -> Borrower | None:
    if card is None:
        return None
    return Borrower(kind=card.kind.value, products=tuple({loan.product for loan in card.loans}))


def borrower_for(text: str, card: ClientCard | None) -> Borrower | None:
    """What retrieval should favour: the client at hand, and the check lists when the question
    asks what to check. (Guessing the kind of borrower from the question's words, "个人" or
    "company", ranked worse on the team's question sets, so it is not done.)"""
    wants_checks = is_focus_question(text)
    if card is None:
        return Borrower(wants_checks=True) if wants_checks else None
    return replace(borrower_of(card) or Borrower(), wants_checks=wants_checks)


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
        client_checks: Callable[[], Awaitable[list[Check]]] | None = None,
    ) -> Answer:
        """Answer ``question`` for the officer, about ``client`` when one is at hand.

        Args:
            question: as typed; may be empty, huge, emoji or hostile.
            lang: the officer's language.
            client: the borrower the officer is on, already access-checked by the caller.
            follow_question_language: answer in the question's language when it is clear
                (an English question from a Chinese-speaking officer gets English).
            client_checks: the checks of a visit to ``client`` today, asked for only when the
                question is what to check (the same list as /prep's).

        Raises:
            KnowledgeUnavailable: the vector store cannot be reached; nothing is answered rather
                than answering from the words alone (see :class:`KnowledgeBase`).
        """
        text = " ".join(question.split())
        if follow_question_language:
            lang = question_language(text, lang)
        if not text:
            return self._refused(question, lang, "empty", client)
        truncated = len(text) > MAX_QUESTION
        text = text[:MAX_QUESTION]
        if is_calculation(text):
            return self._refused(text, lang, "calculation", client, truncated=truncated)
        if PERSONAL.search(text) or WRITING.search(text):
            return self._refused(text, lang, "out_of_scope", client, truncated=truncated)
        if client is not None and client_checks is not None and is_focus_question(text):
            return self._focus(text, lang, client, await client_checks(), truncated)
        retrieval = await self.knowledge.search(text, borrower_for(text, client))
        if not retrieval.grounded:
            return self._refused(
                text,
                lang,
                retrieval.decision.reason,
                client,
                truncated=truncated,
                suggestions=retrieval.suggestions,
                gap=retrieval.gap.title.get(lang) if retrieval.gap else None,
            )
        sections, sources = self._select(retrieval, lang)
        bullets, cited = self._bullets(retrieval, sections, lang)
        generated = None
        if self.composer is not None:
            generated = await self.composer.compose(text, lang, sections, client)
        return Answer(
            text,
            lang,
            True,
            "grounded",
            sources,
            sections,
            generated,
            client,
            truncated=truncated,
            bullets=bullets,
            cited=cited,
        )

    def _refused(
        self,
        text: str,
        lang: Lang,
        reason: str,
        client: ClientCard | None,
        *,
        truncated: bool = False,
        suggestions: list[KnowledgeEntry] | None = None,
        gap: str | None = None,
    ) -> Answer:
        """No answer, and what the knowledge base does cover (the topics for the client's kind
        unless the search offered entries of its own)."""
        offered = (
            suggestions if suggestions is not None else self.knowledge.topics(borrower_of(client))
        )
        return Answer(
            text,
            lang,
            False,
            reason,
            client=client,
            suggestions=[(e.id, e.title.get(lang)) for e in offered],
            truncated=truncated,
            gap=gap,
            # An uncovered topic's nearest entries open in full with 展开 / More.
            sections=[_section(e, lang) for e in offered] if gap is not None else [],
        )

    def full(self, tokens: Sequence[str], lang: Lang) -> list[Section]:
        """The whole entries named by :func:`entry_token`, in the order given; tokens of
        entries no longer in the knowledge base are left out."""
        by_token = {entry_token(e.id): e for e in self.knowledge.entries}
        return [
            _section(entry, lang)
            for entry in (by_token.get(token) for token in tokens)
            if entry is not None
        ]

    def _focus(
        self, text: str, lang: Lang, client: ClientCard, checks: list[Check], truncated: bool
    ) -> Answer:
        numbered, cited_ids = footnotes(checks)
        sources = []
        for entry_id in cited_ids:
            entry = self.knowledge.entry(entry_id)
            if entry is not None:
                sources.append(Source(entry.id, entry.title.get(lang), entry.source.get(lang), 1.0))
        return Answer(
            text,
            lang,
            True,
            "focus",
            sources,
            client=client,
            truncated=truncated,
            cited=sources,
            checks=numbered,
        )

    @staticmethod
    def _bullets(
        retrieval: Retrieval, sections: list[Section], lang: Lang
    ) -> tuple[list[Bullet], list[Source]]:
        """The closest bullet points across ``sections``, within a phone's budget.

        The best entry's closest point always leads; the rest go by closeness to the question
        (a lower-ranked entry's point a little behind), as long as they fit. Shown grouped by
        entry, in each entry's own order, so that a list reads as its entry wrote it.
        """
        candidates: list[tuple[float, int, int]] = []
        other = "en" if lang == "zh" else "zh"
        for rank, section in enumerate(sections):
            for index, _ in enumerate(section.points):
                similarity = max(
                    retrieval.points.get(f"{section.id}#p:{lang}:{index}", 0.0),
                    retrieval.points.get(f"{section.id}#p:{other}:{index}", 0.0),
                )
                candidates.append((similarity - RANK_STEP * rank, rank, index))
        if not candidates:
            return [], []
        best_of_top = max((c for c in candidates if c[1] == 0), default=candidates[0])
        ordered = [
            best_of_top,
            *sorted(
                (c for c in candidates if c is not best_of_top), key=lambda c: (-c[0], c[1], c[2])
            ),
        ]
        budget, chosen, used = BUDGET[lang], [], 0
        for candidate in ordered:
            length = len(sections[candidate[1]].points[candidate[2]])
            if chosen and (used + length > budget or len(chosen) >= MAX_BULLETS):
                continue
            chosen.append(candidate)
            used += length
        chosen.sort(key=lambda c: (c[1], c[2]))
        ranks = sorted({c[1] for c in chosen})
        cited = [
            Source(sections[r].id, sections[r].title, sections[r].citation, 1.0) for r in ranks
        ]
        bullets = [Bullet(sections[r].points[i], ranks.index(r) + 1) for _, r, i in chosen]
        return bullets, cited

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


def render_answer(answer: Answer, texts: Texts, *, html: bool) -> str:
    """The answer as the officer reads it (Telegram HTML, or plain text for the terminal)."""
    render = texts.render if html else texts.plain
    key = "knowledge.answer" if answer.grounded else "knowledge.refusal"
    return render(answer.lang, key, answer=answer)


def _section(entry: KnowledgeEntry, lang: Lang) -> Section:
    return Section(entry.id, entry.title.get(lang), entry.source.get(lang), entry.points(lang))
