"""The things an officer must never say to a client (domain facts §8), as data.

``knowledge/phrasing/donts.yaml`` lists each don't with regular expressions per language and a few
example lines it must catch; :func:`load_donts` refuses a file whose examples slip through, so a
bank editing a pattern finds out at once when it made it too narrow.

What is checked: phrases are checked as written, with their placeholders in place, and each
rendered line is checked again with the values that come from the client record (the client's name,
the form of address) blanked out. Blanking them means a client called "检查站饭店" cannot make a
harmless opener fail, while the bank's own words, festival names and campaign names, are still
checked once they are in the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from assistant.data.files import DataFileError
from assistant.data.schema import PROBLEM, DataModel, Loc, Text, problem, validate
from assistant.data.vocabulary import Bilingual

LANGS = ("zh", "en")
DONT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Stands in for a client-supplied value while checking: it cannot start or finish any pattern.
MASK = "\u3007"


class PhrasingDataError(DataFileError):
    """A phrasing data file (phrases, don'ts, campaigns) is broken; ``str()`` names the file,
    the entry and the problem."""

    key = "phrasing.file_broken"


@dataclass(frozen=True)
class Dont:
    """One forbidden thing: what it is, and the patterns that spot it in each language."""

    id: str
    description: Bilingual
    patterns: dict[str, tuple[re.Pattern[str], ...]]
    examples: dict[str, tuple[str, ...]]

    def matches(self, text: str, lang: str) -> bool:
        """Whether ``text`` (in ``lang``) says this forbidden thing."""
        return any(p.search(text) for p in self.patterns.get(lang, ()))

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True)
class DontRules:
    """Every don't of the file, in file order."""

    path: str
    donts: tuple[Dont, ...]

    def violations(self, text: str, lang: str, *, masked: Iterable[str] = ()) -> list[Dont]:
        """The don'ts that ``text`` breaks, in file order.

        Args:
            text: a line the officer might say.
            lang: ``zh`` or ``en``.
            masked: values from the client record (names) to blank out before checking, so that
                they cannot trigger a pattern on their own.
        """
        text = mask(text, masked)
        return [d for d in self.donts if d.matches(text, lang)]


def mask(text: str, values: Iterable[str]) -> str:
    """``text`` with every occurrence of each of ``values`` replaced by :data:`MASK`."""
    # Longest first, so that "王建国" is blanked before "王" could split it.
    for value in sorted({v for v in values if v and v.strip()}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def load_donts(path: Path | str) -> DontRules:
    """Read and check ``donts.yaml``.

    Raises:
        PhrasingDataError: naming the file, the don't and the problem (bad pattern, an example
            that no pattern catches, a missing language...).
    """
    path = Path(path)
    spec = validate(DontsFile, path, PhrasingDataError, _place, wording=_wording)
    return DontRules(str(path), tuple(d.rule() for d in spec.donts))


# ── the file (knowledge/schemas/donts.schema.json) ─────────────────────────────────────────────


class PerLanguage(DataModel):
    """A list of texts in each language, neither empty."""

    zh: Annotated[list[Text], Field(min_length=1)]
    en: Annotated[list[Text], Field(min_length=1)]


class Description(DataModel):
    zh: Text
    en: Text


class DontSpec(DataModel):
    """One don't: what it is, the patterns that spot it, and lines it must catch."""

    id: Annotated[str, Field(pattern=DONT_ID.pattern)]
    description: Description
    patterns: PerLanguage
    examples: PerLanguage

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: PerLanguage) -> PerLanguage:
        for text in (*patterns.zh, *patterns.en):
            try:
                re.compile(text)
            except re.error as exc:
                raise problem(
                    f"the pattern {text!r} is not a valid regular expression ({exc})"
                ) from None
        return patterns

    @model_validator(mode="after")
    def _catches_its_examples(self) -> DontSpec:
        dont = self.rule()
        for lang in LANGS:
            for line in getattr(self.examples, lang):
                if not dont.matches(line, lang):
                    raise problem(f"no pattern catches the example {line!r}", f"examples/{lang}")
        return self

    def rule(self) -> Dont:
        # English is matched without regard to case; Chinese has none, so the flag is harmless.
        return Dont(
            self.id,
            Bilingual(self.description.zh, self.description.en),
            {
                lang: tuple(re.compile(p, re.IGNORECASE) for p in getattr(self.patterns, lang))
                for lang in LANGS
            },
            {lang: tuple(getattr(self.examples, lang)) for lang in LANGS},
        )


class DontsFile(DataModel):
    """``knowledge/phrasing/donts.yaml``."""

    version: Literal[1]
    donts: Annotated[list[DontSpec], Field(min_length=1)]

    @field_validator("donts")
    @classmethod
    def _unique(cls, donts: list[DontSpec]) -> list[DontSpec]:
        seen: set[str] = set()
        for dont in donts:
            if dont.id in seen:
                raise problem(f"the id {dont.id!r} is used twice")
            seen.add(dont.id)
        return donts


def _place(loc: Loc, raw: Any) -> str:
    """``don't <id>`` (``don't #n`` while the id itself is wrong), then the field."""
    if len(loc) < 2 or loc[0] != "donts" or not isinstance(loc[1], int):
        return str(loc[0]) if loc else ""
    entries = raw.get("donts") if isinstance(raw, dict) else None
    entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
    ident = entry.get("id") if isinstance(entry, dict) else None
    if (len(loc) > 2 and loc[2] == "id") or not isinstance(ident, str):
        return f"don't #{loc[1] + 1}"
    return f"don't {ident}"


def _wording(detail: Mapping[str, Any]) -> str | None:
    loc, kind = detail["loc"], detail["type"]
    if kind == PROBLEM:
        return None
    if len(loc) == 3 and loc[2] == "id" and kind != "missing":
        return f"'id' must be lower_snake_case, got {detail['input']!r}"
    if kind == "extra_forbidden" and len(loc) == 3:
        allowed = ", ".join(sorted(DontSpec.model_fields))
        return f"unknown key {loc[2]!r} (allowed: {allowed})"
    if len(loc) >= 3 and loc[2] in ("description", "patterns", "examples"):
        if len(loc) == 3:
            return f"'{loc[2]}' must have exactly 'zh' and 'en'"
        return (
            f"'{'/'.join(str(part) for part in loc[2:4])}' must be non-empty text or a list of it"
        )
    return None
