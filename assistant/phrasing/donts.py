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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from assistant.data.files import DataFileError, read_data_file
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
    return _Reader(path).read(read_data_file(path, PhrasingDataError))


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> NoReturn:
        raise PhrasingDataError(self.path, where, problem)

    def read(self, raw: Any) -> DontRules:
        if not isinstance(raw, dict) or set(raw) != {"version", "donts"}:
            self.fail("", "the file must be a mapping with exactly 'version' and 'donts'")
        if raw["version"] != 1:
            self.fail("", f"'version' must be 1, got {raw['version']!r}")
        if not isinstance(raw["donts"], list) or not raw["donts"]:
            self.fail("donts", "must be a non-empty list")
        donts: list[Dont] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw["donts"], start=1):
            dont = self.dont(index, entry)
            if dont.id in seen:
                self.fail(f"don't {dont.id}", "the id is used twice")
            seen.add(dont.id)
            donts.append(dont)
        return DontRules(str(self.path), tuple(donts))

    def dont(self, index: int, entry: Any) -> Dont:
        where = f"don't #{index}"
        if not isinstance(entry, dict):
            self.fail(where, "must be a mapping")
        dont_id = entry.get("id")
        if not isinstance(dont_id, str) or not DONT_ID.match(dont_id):
            self.fail(where, f"'id' must be lower_snake_case, got {dont_id!r}")
        where = f"don't {dont_id}"
        allowed = {"id", "description", "patterns", "examples"}
        if unknown := sorted(set(entry) - allowed):
            self.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        description = self.bilingual(where, "description", entry.get("description"))
        patterns = {
            lang: tuple(self.pattern(f"{where}/patterns/{lang}", p) for p in texts)
            for lang, texts in self.per_lang(where, "patterns", entry.get("patterns")).items()
        }
        examples = self.per_lang(where, "examples", entry.get("examples"))
        dont = Dont(dont_id, description, patterns, examples)
        for lang, lines in examples.items():
            for line in lines:
                if not dont.matches(line, lang):
                    self.fail(
                        f"{where}/examples/{lang}", f"no pattern catches the example {line!r}"
                    )
        return dont

    def bilingual(self, where: str, key: str, value: Any) -> Bilingual:
        if not isinstance(value, dict) or set(value) != set(LANGS):
            self.fail(where, f"'{key}' must have exactly 'zh' and 'en'")
        for lang in LANGS:
            if not isinstance(value[lang], str) or not value[lang].strip():
                self.fail(where, f"'{key}/{lang}' must be non-empty text")
        return Bilingual(value["zh"].strip(), value["en"].strip())

    def per_lang(self, where: str, key: str, value: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict) or set(value) != set(LANGS):
            self.fail(where, f"'{key}' must have exactly 'zh' and 'en', each a list of text")
        result: dict[str, tuple[str, ...]] = {}
        for lang in LANGS:
            items = value[lang]
            if not isinstance(items, list) or not items:
                self.fail(where, f"'{key}/{lang}' must be a non-empty list")
            if not all(isinstance(i, str) and i.strip() for i in items):
                self.fail(where, f"every entry of '{key}/{lang}' must be non-empty text")
            result[lang] = tuple(i.strip() for i in items)
        return result

    def pattern(self, where: str, text: str) -> re.Pattern[str]:
        # English is matched without regard to case; Chinese has none, so the flag is harmless.
        try:
            return re.compile(text, re.IGNORECASE)
        except re.error as exc:
            self.fail(where, f"the pattern {text!r} is not a valid regular expression ({exc})")
