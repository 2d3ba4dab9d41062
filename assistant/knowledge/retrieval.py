"""Hybrid retrieval: dense (several vectors per entry) and BM25, fused by reciprocal rank, boosted
by the borrower at hand, with a calibrated decision on whether the knowledge base covers a question.

The ranking is deterministic for a given index: the dense side is an exact search (see
:class:`~assistant.knowledge.index.DenseVectors`) and every tie is broken by entry id, so the same
question gets the same order on every run and every machine.

Why not a similarity threshold: e5 scores are bunched (a question about the weather still scores
0.85 against some entry), so the decision is relative. The question is compared with the knowledge
base and with a list of questions the knowledge base is not about (``knowledge/out_of_scope.yaml``):
it is in scope when it is closer to the knowledge base, or nearly as close and most of its words
(idf-weighted) are words the knowledge base uses. Thresholds are fitted by
``benchmarks/retrieval.py --calibrate`` on the team's own questions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.knowledge.concepts import NO_CONCEPTS, Concepts
from assistant.knowledge.embeddings import Embedder
from assistant.knowledge.entries import KnowledgeEntry
from assistant.knowledge.index import DenseVectors
from assistant.knowledge.lexical import (
    LexicalIndex,
    Synonyms,
    Tokenizer,
    entry_document,
    normalise,
)
from assistant.knowledge.rerank import CANDIDATES, WEIGHTS, Candidate, rerank
from assistant.knowledge.search_files import Gap

# Fitted on the team's question sets and the tuning half of blind.jsonl (benchmarks/retrieval.py): a
# small k trusts the top ranks.
RRF_K = 10
LEXICAL_WEIGHT = 0.5
REFERENCE_WEIGHT = 0.95
CHECKS_WEIGHT = 1.3
# A sub-entry within the first few results that scores at least this share of its parent's
# score is ranked before the parent (benchmarks/retrieval.py, tuning half).
SPECIFIC_WITHIN = 3
SPECIFIC_RATIO = 0.93
# The entries whose bullet points may make up an answer.
POINT_ENTRIES = 3
# How much closer to an uncovered topic's questions than to any entry a question must be to be
# told the topic is not covered (benchmarks/retrieval.py: no in-scope question refused).
GAP_MARGIN = 0.04


# "What is X?" asked of a term: 「什么是影子银行」, 「LCR是啥意思」, "what is a credit default
# swap".
_DEFINES = re.compile(
    r"(?:^|[\s,，。;；])(?:什么是|啥是|啥叫|什么叫)(?P<after>[^\s,，。?？;；]+)"
    r"|(?P<before>(?!是)[^\s,，。?？;；]+?)是?(?:什么意思|啥意思|指的是什么|指什么)"
    r"|^(?:what(?:'s| is| are)|define|explain)\s+(?:an?\s+|the\s+)?(?P<en>[a-z0-9][a-z0-9 \-]*?)"
    r"(?:\s+(?:in simple terms|mean|means))?\s*\??$"
    r"|^what does\s+(?:an?\s+|the\s+)?(?P<does>[a-z0-9][a-z0-9 \-]*?)\s+mean\s*\??$"
)
# Longer "terms" describe a situation (「supervisor退回我的报告说缺整改情况」): not terms.
DEFINED_TERM_CHARS = 12
DEFINED_TERM_WORDS = 5


def defined_term(question: str) -> str | None:
    """The term a question asks to be defined, if it is such a question (normalised text)."""
    found = _DEFINES.search(question)
    if found is None:
        return None
    term = next(t for t in found.groups() if t is not None).strip()
    if not term or len(term) > (DEFINED_TERM_CHARS * 3 if term.isascii() else DEFINED_TERM_CHARS):
        return None
    if term.isascii() and len(term.split()) > DEFINED_TERM_WORDS:
        return None
    return term


@dataclass(frozen=True)
class Borrower:
    """What retrieval needs to know about the client at hand."""

    kind: str | None = None
    products: tuple[str, ...] = ()
    # The question asks what a visit should check, not about one topic: the check lists of the
    # checkpoints step come first.
    wants_checks: bool = False


@dataclass(frozen=True)
class Hit:
    entry: KnowledgeEntry
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class Decision:
    grounded: bool
    coverage: float
    contrast: float
    reason: str


@dataclass(frozen=True)
class GapVectors:
    """The questions of the topics the knowledge base does not cover, one row each, with the
    topic each row asks about."""

    rows: np.ndarray
    topics: tuple[Gap, ...]

    @classmethod
    def of(cls, gaps: list[Gap], rows: np.ndarray) -> GapVectors:
        topics = tuple(gap for gap in gaps for _ in gap.questions)
        if len(topics) != len(rows):
            raise ValueError(f"{len(rows)} vectors for {len(topics)} gap questions")
        return cls(rows, topics)

    def closest(self, vector: np.ndarray) -> tuple[Gap | None, float]:
        if not self.topics:
            return None, -1.0
        similarities = self.rows @ vector
        best = int(similarities.argmax())
        return self.topics[best], float(similarities[best])


NO_GAPS = GapVectors(np.zeros((0, 1), dtype=np.float32), ())


@dataclass(frozen=True)
class Retrieval:
    question: str
    hits: list[Hit]
    decision: Decision
    suggestions: list[KnowledgeEntry] = field(default_factory=list)
    # The uncovered topic the question asks about ("uncovered"): told so, with the nearest
    # entries as suggestions.
    gap: Gap | None = None
    # How close the question is to each bullet point of the best entries ("<entry>#p:zh:3"):
    # an answer is made of the closest points, not of whole entries.
    points: dict[str, float] = field(default_factory=dict)
    # The first stage's best entries, in its order, before the second stage reordered them
    # (what benchmarks/retrieval.py --fit-ranker fits the second stage on).
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def grounded(self) -> bool:
        return self.decision.grounded


@dataclass(frozen=True)
class Calibration:
    """Thresholds of the in-scope decision.

    ``contrast`` is the best similarity to a knowledge vector minus the best similarity to an
    out-of-scope anchor.
    """

    min_contrast: float = 0.0
    soft_contrast: float = -0.02
    soft_coverage: float = 0.4
    min_coverage: float = 0.15
    strong_contrast: float = 0.03

    def judge(self, coverage: float, contrast: float) -> str:
        """``"grounded"``, or why the question is taken as outside the knowledge base."""
        if coverage < self.min_coverage and contrast < self.strong_contrast:
            # Almost none of its words occur in the knowledge base: only a clear semantic match
            # (a paraphrase in other words) may still count.
            return "out_of_scope"
        if contrast >= self.min_contrast:
            return "grounded"
        if contrast >= self.soft_contrast and coverage >= self.soft_coverage:
            return "grounded"
        return "out_of_scope"


def _ranks(scores: dict[str, float]) -> dict[str, int]:
    return {key: rank for rank, key in enumerate(_best_first(scores), start=1)}


def _specific_first(ordered: list[str], scores: dict[str, float]) -> list[str]:
    """A sub-entry that fits nearly as well as its parent goes before it: the parent is the
    overview (``flow.interview``), the sub-entry the part the question is about
    (``flow.interview.staff``), and the overview stays among the next results."""
    ordered = list(ordered)
    head = ordered[:SPECIFIC_WITHIN]
    for child in head:
        for parent in head:
            if (
                child.startswith(parent + ".")
                and ordered.index(child) > ordered.index(parent)
                and scores[child] >= SPECIFIC_RATIO * scores[parent]
            ):
                ordered.remove(child)
                ordered.insert(ordered.index(parent), child)
    return ordered


def _best_first(scores: dict[str, float]) -> list[str]:
    """Keys by descending score; equal scores by id, so that no tie is left to the order in
    which a dict or a set happened to be filled."""
    return sorted(scores, key=lambda key: (-scores[key], key))


class Retriever:
    def __init__(
        self,
        entries: list[KnowledgeEntry],
        vectors: DenseVectors,
        embedder: Embedder,
        synonyms: Synonyms,
        anchors: np.ndarray,
        calibration: Calibration | None = None,
        cache_dir: Path | None = None,
        gaps: GapVectors = NO_GAPS,
        weights: tuple[float, ...] = WEIGHTS,
        concepts: Concepts = NO_CONCEPTS,
    ) -> None:
        self.weights = weights
        self.concepts = concepts
        self.entries = {entry.id: entry for entry in entries}
        self.gaps = gaps
        self.vectors = vectors
        self.embedder = embedder
        self.synonyms = synonyms
        self.anchors = anchors
        self.calibration = calibration or Calibration()
        domain_words = [term for group in synonyms.groups for term in group]
        domain_words += [kw for e in entries for kw in (*e.keywords_zh, *e.keywords_en)]
        self.tokenizer = self._tokenizer(entries, domain_words, cache_dir)
        self.lexical = LexicalIndex(entries, self.tokenizer)

    @staticmethod
    def _tokenizer(
        entries: list[KnowledgeEntry], domain_words: list[str], cache_dir: Path | None
    ) -> Tokenizer:
        if cache_dir is None:
            return Tokenizer(domain_words)
        texts = [entry_document(entry) for entry in entries] + domain_words
        digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
        dictionary = cache_dir / f"jieba-{digest}.dict"
        if not dictionary.exists():
            Tokenizer(domain_words).vocabulary_dictionary(texts, dictionary)
        return Tokenizer(domain_words, dictionary)

    def search(
        self,
        question: str,
        *,
        borrower: Borrower | None = None,
        limit: int = 5,
        keep_hits: bool = False,
    ) -> Retrieval:
        """The best entries for ``question`` and whether the knowledge base covers it.

        ``keep_hits`` returns the hits even for a refused question (for calibration).
        """
        question = normalise(question)[:1000]
        own_tokens = self.tokenizer.tokens(question)
        expanded = own_tokens + [
            t for term in self.synonyms.expand(question) for t in self.tokenizer.tokens(term)
        ]
        lexical = self.lexical.scores(expanded)
        dense: dict[str, float] = {}
        closest = -1.0
        outside = 1.0
        similarities = None
        if own_tokens:
            vector = self.embedder.embed_queries([question])[0]
            similarities = self.vectors.similarities(vector)
            dense, closest = self.vectors.scores(vector, similarities)
            outside = float((self.anchors @ vector).max()) if self.anchors.size else -1.0
        fused = self._fuse(dense, lexical, borrower)
        ordered = _specific_first(_best_first(fused), fused)
        ordered = [key for key in ordered if key in self.entries]
        scores = [fused[key] for key in ordered]
        first: list[Candidate] = []
        if similarities is not None:
            first = self.candidates(ordered, fused, dense, lexical, similarities)
            # The client at hand was not in the fitting data: its products and a kind-specific
            # entry multiply an entry's odds, and an entry for the other kind of borrower goes
            # after those that fit this one, whatever the wording.
            prior = {c.id: self._client_weight(c.id, borrower) for c in first}
            best = [c.id for c in rerank(first, self.weights, prior)]
            best.sort(key=lambda key: not self._fits_kind(key, borrower))
            ordered = best + ordered[len(best) :]
        # A hit's score is the first stage's score at the hit's final rank: the shares between
        # ranks that pick an answer's sections keep their meaning after the reordering.
        hits = [
            Hit(self.entries[key], score, dense.get(key, 0.0), lexical.get(key, 0.0))
            for key, score in zip(ordered[:limit], scores, strict=False)
        ]
        decision = self._decide(own_tokens, dense, closest, outside, hits)
        if (
            decision.grounded
            and decision.contrast < self.calibration.strong_contrast
            and self._undefined(question)
        ):
            # Asked to define a word the knowledge base never uses: whatever it is (a CDS, 降准),
            # an entry that shares the question's other words does not define it. A clear
            # semantic match (a typo in a term the entries explain) is still answered.
            decision = Decision(False, decision.coverage, decision.contrast, "out_of_scope")
        if decision.grounded and own_tokens:
            gap = self._uncovered(question, vector, closest)
            if gap is not None:
                # Said so, with the nearest entries, instead of an answer from a loose match.
                decision = Decision(False, decision.coverage, decision.contrast, "uncovered")
                return Retrieval(
                    question,
                    hits if keep_hits else [],
                    decision,
                    suggestions=[hit.entry for hit in hits[:3]],
                    gap=gap,
                    candidates=first,
                )
        points: dict[str, float] = {}
        if decision.grounded and similarities is not None:
            points = self.vectors.point_similarities(
                similarities, {hit.entry.id for hit in hits[:POINT_ENTRIES]}
            )
        return Retrieval(
            question,
            hits if decision.grounded or keep_hits else [],
            decision,
            suggestions=[] if decision.grounded else self.topics(borrower),
            points=points,
            candidates=first,
        )

    def _uncovered(self, question: str, vector: np.ndarray, closest: float) -> Gap | None:
        """The topic the entries lack that ``question`` is about: one of the listed gaps, when
        the question is clearly closer to how officers ask about it than to any entry; else a
        concept of the glossary that the question names and no entry does."""
        gap, nearness = self.gaps.closest(vector)
        if gap is not None and nearness - closest >= GAP_MARGIN:
            return gap
        concept = self.concepts.uncovered(question)
        if concept is None:
            return None
        return Gap(concept.id, concept.title, ())

    def _fuse(
        self, dense: dict[str, float], lexical: dict[str, float], borrower: Borrower | None
    ) -> dict[str, float]:
        dense_rank, lexical_rank = _ranks(dense), _ranks(lexical)
        fused: dict[str, float] = {}
        for key in dense_rank.keys() | lexical_rank.keys():
            score = 0.0
            if key in dense_rank:
                score += 1.0 / (RRF_K + dense_rank[key])
            if key in lexical_rank:
                score += LEXICAL_WEIGHT / (RRF_K + lexical_rank[key])
            fused[key] = score * self._context_weight(key, borrower)
        return fused

    def candidates(
        self,
        ordered: list[str],
        fused: dict[str, float],
        dense: dict[str, float],
        lexical: dict[str, float],
        similarities: np.ndarray,
    ) -> list[Candidate]:
        """The first stage's best entries, with how each one matched (for the second stage)."""
        found = []
        for key in ordered[:CANDIDATES]:
            point, question, title = (
                self.vectors.closest_of_kind(similarities, key, kind)
                for kind in ("p", "q", "title")
            )
            found.append(
                Candidate(
                    key,
                    fused[key],
                    dense.get(key, 0.0),
                    max(point, question, title),
                    point,
                    question,
                    title,
                    lexical.get(key, 0.0),
                )
            )
        return found

    def _context_weight(self, key: str, borrower: Borrower | None) -> float:
        entry = self.entries.get(key)
        if entry is None:
            return 1.0
        # Regulations, signals and classification back up the checklist; for an officer's
        # practical question the checklist itself comes first when both fit equally.
        weight = REFERENCE_WEIGHT if entry.step == "reference" else 1.0
        if borrower is None:
            return weight
        if borrower.wants_checks and entry.step == "checkpoints":
            weight *= CHECKS_WEIGHT
        return weight * self._client_weight(key, borrower)

    def _fits_kind(self, key: str, borrower: Borrower | None) -> bool:
        entry = self.entries.get(key)
        if entry is None or borrower is None or borrower.kind is None:
            return True
        return entry.applies_to_kind(borrower.kind)

    def _client_weight(self, key: str, borrower: Borrower | None) -> float:
        """How much the borrower's kind and products favour an entry."""
        entry = self.entries.get(key)
        weight = 1.0
        if entry is None or borrower is None:
            return weight
        if borrower.kind is not None:
            if not entry.applies_to_kind(borrower.kind):
                weight *= 0.6
            elif len(entry.applies_to) == 1:
                weight *= 1.25
        if borrower.products and "all" not in entry.products:
            weight *= 1.15 if any(p in entry.products for p in borrower.products) else 0.8
        return weight

    def _undefined(self, question: str) -> bool:
        """The question asks what a term means, and the term has a word no entry uses."""
        term = defined_term(question)
        if term is None:
            return False
        return any(t not in self.lexical.idf for t in self.tokenizer.tokens(term))

    def _decide(
        self,
        tokens: list[str],
        dense: dict[str, float],
        closest: float,
        outside: float,
        hits: list[Hit],
    ) -> Decision:
        coverage = self.lexical.coverage(tokens)
        if not hits or not tokens or not dense:
            return Decision(False, coverage, -1.0, "no_terms")
        contrast = closest - outside
        reason = self.calibration.judge(coverage, contrast)
        return Decision(reason == "grounded", coverage, contrast, reason)

    def topics(self, borrower: Borrower | None) -> list[KnowledgeEntry]:
        """What the knowledge base does cover: the visit steps, fitted to the borrower's kind."""
        preferred = [
            "flow.prepare",
            "flow.documents",
            "flow.interview",
            "flow.photos",
            "practice.phrasing",
        ]
        if borrower is not None and borrower.kind == "corporate":
            preferred.insert(0, "check.corporate.periodic")
        elif borrower is not None and borrower.kind == "individual":
            preferred.insert(0, "check.individual.periodic")
        return [self.entries[key] for key in preferred if key in self.entries][:5]
