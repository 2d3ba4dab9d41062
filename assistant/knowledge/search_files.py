"""The files beside the knowledge entries that steer search: domain synonyms
(``knowledge/synonyms.yaml``), the questions the knowledge base is not about
(``knowledge/out_of_scope.yaml``) and the banking concepts officers ask about
(``knowledge/glossary.yaml``), each declared once as a frozen model.

A term that YAML reads as something other than text (``yes``, ``2024``) is refused rather than
turned into ``True`` or ``"2024"`` behind the bank's back: quoting it is the fix, and the error
names the group and the term.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from assistant.data.files import DataFileError
from assistant.data.schema import DataModel, Loc, Text, shown, validate
from assistant.data.vocabulary import Bilingual
from assistant.knowledge.concepts import Concept
from assistant.knowledge.lexical import Synonyms, normalise


class SearchFileError(DataFileError):
    """``synonyms.yaml`` or ``out_of_scope.yaml`` is broken; ``str()`` names the file, the place
    and the problem."""

    key = "knowledge.broken_file"


class SynonymsFile(DataModel):
    """``knowledge/synonyms.yaml``: groups of terms that mean the same to an officer. A question
    that mentions one term of a group is searched with every term of it."""

    groups: Annotated[list[Annotated[list[Text], Field(min_length=2)]], Field(min_length=1)]


class GapTitle(DataModel):
    zh: Text
    en: Text


class GapEntry(DataModel):
    """A topic of the visit that no entry answers yet (展期, 视频回访…)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower_case words")]
    title: Annotated[GapTitle, Field(description="how the answer names the topic")]
    questions: Annotated[
        list[Text],
        Field(min_length=2, description="how officers ask about it, in their own words"),
    ]


class AnchorsFile(DataModel):
    """``knowledge/out_of_scope.yaml``: questions the knowledge base is not about. A question
    closer to these than to any entry is answered with "not covered"."""

    anchors: Annotated[list[Text], Field(min_length=1)]
    gaps: Annotated[
        list[GapEntry],
        Field(
            description="topics of the visit the entries do not cover: a question closer to "
            "one of these than to any entry is told so, with the nearest entries"
        ),
    ] = Field(default_factory=list)


_ID = r"^[a-z][a-z0-9_]*$"


class GlossaryConcept(DataModel):
    """A concept of lending or banking, with the words officers use for it."""

    id: Annotated[str, Field(pattern=_ID, description="lower_case words")]
    topic: Annotated[str, Field(pattern=_ID, description="the group it belongs to")]
    zh: Annotated[list[Text], Field(min_length=1, description="Chinese terms; the first names it")]
    en: Annotated[list[Text], Field(min_length=1, description="English terms; the first names it")]


class GlossaryFile(DataModel):
    """``knowledge/glossary.yaml``: the concepts officers ask about, across the whole job. A
    question that names one no entry names is told the knowledge base does not cover it."""

    concepts: Annotated[list[GlossaryConcept], Field(min_length=1)]


@dataclass(frozen=True)
class Gap:
    """A topic of the visit that the knowledge base does not cover, and how it is asked."""

    id: str
    title: Bilingual
    questions: tuple[str, ...]


def load_synonyms(path: Path) -> Synonyms:
    """The synonym groups of ``path``, normalised for matching.

    Raises:
        SearchFileError: naming the group and the problem.
    """
    spec = validate(SynonymsFile, path, SearchFileError, _place, wording=_wording)
    return Synonyms(tuple(tuple(normalise(term) for term in group) for group in spec.groups))


def load_out_of_scope(path: Path) -> tuple[list[str], list[Gap]]:
    """The out-of-scope questions of ``path`` and its uncovered topics (``gaps:``), in file
    order, from one reading of the file.

    Raises:
        SearchFileError: naming the question or the topic, and the problem.
    """
    spec = validate(AnchorsFile, path, SearchFileError, _place, wording=_wording)
    gaps = [
        Gap(gap.id, Bilingual(gap.title.zh, gap.title.en), tuple(gap.questions))
        for gap in spec.gaps
    ]
    return list(spec.anchors), gaps


def load_glossary(path: Path) -> list[Concept]:
    """The concepts of ``path``, in file order, their terms normalised.

    Raises:
        SearchFileError: naming the concept and the problem, also for an id or a term that two
            concepts share (a term must tell one concept).
    """
    spec = validate(GlossaryFile, path, SearchFileError, _place, wording=_wording)
    concepts: list[Concept] = []
    owners: dict[str, str] = {}
    for item in spec.concepts:
        if any(c.id == item.id for c in concepts):
            raise SearchFileError(path, f"concept {item.id}", "the id is used twice")
        terms = tuple(dict.fromkeys(normalise(t) for t in (*item.zh, *item.en)))
        for term in terms:
            if term in owners:
                raise SearchFileError(
                    path, f"concept {item.id}", f"the term {term!r} is also in {owners[term]}"
                )
            owners[term] = item.id
        concepts.append(Concept(item.id, item.topic, Bilingual(item.zh[0], item.en[0]), terms))
    return concepts


def _place(loc: Loc, raw: Any) -> str:
    """``group #n, term #m`` or ``question #n``: the files have no ids, so counting is what an
    editor can follow."""
    if len(loc) >= 2 and loc[0] == "groups" and isinstance(loc[1], int):
        group = f"group #{loc[1] + 1}"
        return f"{group}, term #{loc[2] + 1}" if len(loc) > 2 and isinstance(loc[2], int) else group
    if len(loc) >= 2 and loc[0] == "anchors" and isinstance(loc[1], int):
        return f"question #{loc[1] + 1}"
    if len(loc) >= 2 and loc[0] == "gaps" and isinstance(loc[1], int):
        gaps = raw.get("gaps") if isinstance(raw, dict) else None
        gap = gaps[loc[1]] if isinstance(gaps, list) and loc[1] < len(gaps) else None
        name = gap.get("id") if isinstance(gap, dict) else None
        return f"gap {name}" if isinstance(name, str) else f"gap #{loc[1] + 1}"
    if len(loc) >= 2 and loc[0] == "concepts" and isinstance(loc[1], int):
        concepts = raw.get("concepts") if isinstance(raw, dict) else None
        item = concepts[loc[1]] if isinstance(concepts, list) and loc[1] < len(concepts) else None
        name = item.get("id") if isinstance(item, dict) else None
        return f"concept {name}" if isinstance(name, str) else f"concept #{loc[1] + 1}"
    return ""


def _wording(detail: Mapping[str, Any]) -> str | None:
    """Errors inside a list, which :func:`_place` has already counted, said of "the term", "the
    group" or "the question" rather than of an index."""
    loc, kind = detail["loc"], detail["type"]
    if not loc or not isinstance(loc[-1], int):
        return None
    what = {("groups", 3): "the term", ("groups", 2): "the group", ("concepts", 4): "the term"}.get(
        (str(loc[0]), len(loc)), "the question"
    )
    if kind == "string_type":
        return f"{what} must be text (put it in quotes), got {shown(detail['input'])}"
    if kind == "string_too_short":
        return f"{what} is empty"
    if kind == "too_short":
        return f"{what} needs at least two terms, got {shown(detail['input'])}"
    return None
