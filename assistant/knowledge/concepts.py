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
        # Terms by their first two characters, longest first: a scan looks up the two
        # characters at each position and tries only those terms, so that reading the whole
        # knowledge base at a start costs milliseconds, not the second a regex of every term
        # took.
        heads: dict[str, list[str]] = {}
        for term in sorted(by_term, key=lambda t: (-len(t), t)):
            heads.setdefault(term[:2], []).append(term)
        self._heads = {head: tuple(terms) for head, terms in heads.items()}
        named: set[str] = set()
        for document in documents:
            named.update(concept.id for concept in self.named(document))
        self.covered = frozenset(named)

    def named(self, text: str) -> list[Concept]:
        """The concepts ``text`` names, in the order they first occur, each once."""
        text = normalise(text)
        found: dict[str, Concept] = {}
        position, end = 0, len(text)
        while position < end:
            term = self._term_at(text, position)
            if term is None:
                position += 1
                continue
            concept = self._by_term[term]
            found.setdefault(concept.id, concept)
            position += len(term)
        return list(found.values())

    def _term_at(self, text: str, position: int) -> str | None:
        """The longest term that starts at ``position`` as a whole word, if any."""
        if _LATIN.match(text[position]) and position and _LATIN.match(text[position - 1]):
            return None
        for head in (text[position : position + 2], text[position]):
            for term in self._heads.get(head, ()):
                if text.startswith(term, position) and _ends_word(text, position + len(term), term):
                    return term
        return None

    def uncovered(self, question: str) -> Concept | None:
        """The first concept ``question`` names that no entry names, if any."""
        return next((c for c in self.named(question) if c.id not in self.covered), None)


def _ends_word(text: str, after: int, term: str) -> bool:
    """A term ending in a Latin letter or digit must not run on into a word ("oa" is not in
    "loan"), but for a plural ending ("loan extensions")."""
    if not _LATIN.match(term[-1]):
        return True
    rest = text[after : after + 3]
    for ending in ("es", "s", ""):
        if rest.startswith(ending) and not _LATIN.match(rest[len(ending) : len(ending) + 1] or " "):
            return True
    return False


NO_CONCEPTS = Concepts((), ())
