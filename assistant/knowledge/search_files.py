"""The two files beside the knowledge entries that steer search: domain synonyms
(``knowledge/synonyms.yaml``) and the questions the knowledge base is not about
(``knowledge/out_of_scope.yaml``), each declared once as a frozen model.

A term that YAML reads as something other than text (``yes``, ``2024``) is refused rather than
turned into ``True`` or ``"2024"`` behind the bank's back: quoting it is the fix, and the error
names the group and the term.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from assistant.data.files import DataFileError
from assistant.data.schema import DataModel, Loc, Text, shown, validate
from assistant.knowledge.lexical import Synonyms, normalise


class SearchFileError(DataFileError):
    """``synonyms.yaml`` or ``out_of_scope.yaml`` is broken; ``str()`` names the file, the place
    and the problem."""

    key = "knowledge.broken_file"


class SynonymsFile(DataModel):
    """``knowledge/synonyms.yaml``: groups of terms that mean the same to an officer. A question
    that mentions one term of a group is searched with every term of it."""

    groups: Annotated[list[Annotated[list[Text], Field(min_length=2)]], Field(min_length=1)]


class AnchorsFile(DataModel):
    """``knowledge/out_of_scope.yaml``: questions the knowledge base is not about. A question
    closer to these than to any entry is answered with "not covered"."""

    anchors: Annotated[list[Text], Field(min_length=1)]


def load_synonyms(path: Path) -> Synonyms:
    """The synonym groups of ``path``, normalised for matching.

    Raises:
        SearchFileError: naming the group and the problem.
    """
    spec = validate(SynonymsFile, path, SearchFileError, _place, wording=_wording)
    return Synonyms(tuple(tuple(normalise(term) for term in group) for group in spec.groups))


def load_anchors(path: Path) -> list[str]:
    """The out-of-scope questions of ``path``, in file order.

    Raises:
        SearchFileError: naming the question and the problem.
    """
    return list(validate(AnchorsFile, path, SearchFileError, _place, wording=_wording).anchors)


def _place(loc: Loc, raw: Any) -> str:
    """``group #n, term #m`` or ``question #n``: the files have no ids, so counting is what an
    editor can follow."""
    if len(loc) >= 2 and loc[0] == "groups" and isinstance(loc[1], int):
        group = f"group #{loc[1] + 1}"
        return f"{group}, term #{loc[2] + 1}" if len(loc) > 2 and isinstance(loc[2], int) else group
    if len(loc) >= 2 and loc[0] == "anchors" and isinstance(loc[1], int):
        return f"question #{loc[1] + 1}"
    return ""


def _wording(detail: Mapping[str, Any]) -> str | None:
    """Errors inside a list, which :func:`_place` has already counted, said of "the term", "the
    group" or "the question" rather than of an index."""
    loc, kind = detail["loc"], detail["type"]
    if not loc or not isinstance(loc[-1], int):
        return None
    what = {("groups", 3): "the term", ("groups", 2): "the group"}.get(
        (str(loc[0]), len(loc)), "the question"
    )
    if kind == "string_type":
        return f"{what} must be text (put it in quotes), got {shown(detail['input'])}"
    if kind == "string_too_short":
        return f"{what} is empty"
    if kind == "too_short":
        return f"{what} needs at least two terms, got {shown(detail['input'])}"
    return None
