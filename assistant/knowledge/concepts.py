"""Which banking concepts a question names, and which of those no entry of the knowledge base
names at all.

Officers ask about their whole job (展期, 理赔, 拍卖, a borrower's death), and the knowledge base
covers the post-loan visit. A question on 展期 is still close, in meaning, to the entries on
repayment and maturity, so similarity alone answers it from a loosely related entry. The glossary
(``knowledge/glossary.yaml``, about 440 concepts of lending and adjacent banking, each with the
words officers use for it) turns this into a check of words: when a question names a concept that
no entry names, the knowledge base says nothing about it, and the officer is told so, with the
nearest entries.

Terms are matched longest first, without overlaps, in the question and in the entries alike:
「提前收贷」 is the concept of calling a loan early, not also the 「收贷」 of collecting at
maturity. English terms match whole words, plurals included ("oa" is not in "loan", "loan
extension" is in "loan extensions").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.data.vocabulary import Bilingual
from assistant.knowledge.lexical import normalise

_LATIN = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class Concept:
    """A banking concept and the words for it (normalised), named in answers by its first
    Chinese and first English term."""

    id: str
    topic: str
    title: Bilingual
    terms: tuple[str, ...]


class Concepts:
    """The glossary's concepts, and which of them the knowledge base's entries name."""

    def __init__(self, concepts: Iterable[Concept], documents: Iterable[str]) -> None:
        self.concepts = tuple(concepts)
        by_term: dict[str, Concept] = {}
        for concept in self.concepts:
            for term in concept.terms:
                by_term.setdefault(term, concept)
        self._by_term = by_term
        # Longest first, so that a longer term claims its span before a term inside it.
        ordered = sorted(by_term, key=lambda term: (-len(term), term))
        self._pattern = (
            re.compile("|".join(_alternative(term) for term in ordered)) if ordered else None
        )
        named: set[str] = set()
        for document in documents:
            named.update(concept.id for concept in self.named(document))
        self.covered = frozenset(named)

    def named(self, text: str) -> list[Concept]:
        """The concepts ``text`` names, in the order they first occur, each once."""
        if self._pattern is None:
            return []
        found: dict[str, Concept] = {}
        for match in self._pattern.finditer(normalise(text)):
            concept = self._concept_of(match.group(0))
            found.setdefault(concept.id, concept)
        return list(found.values())

    def _concept_of(self, matched: str) -> Concept:
        """The concept of a matched term, which may carry a plural ending the term lacks."""
        if matched in self._by_term:
            return self._by_term[matched]
        singular = matched[:-2] if matched[:-2] in self._by_term else matched[:-1]
        return self._by_term[singular]

    def uncovered(self, question: str) -> Concept | None:
        """The first concept ``question`` names that no entry names, if any."""
        return next((c for c in self.named(question) if c.id not in self.covered), None)


def _alternative(term: str) -> str:
    """A term as a regex alternative; a term with Latin letters or digits at an edge must not
    continue a word there ("oa" is not in "loan"), but for a plural ending."""
    escaped = re.escape(term)
    before = r"(?<![a-z0-9])" if _LATIN.match(term[0]) else ""
    after = r"(?:e?s)?(?![a-z0-9])" if _LATIN.match(term[-1]) else ""
    return f"{before}{escaped}{after}"


NO_CONCEPTS = Concepts((), ())
