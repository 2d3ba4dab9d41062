"""Knowledge-base entries: Markdown files with YAML front matter under ``knowledge/kb/``.

A file looks like::

    ---
    id: flow.prepare
    title: {zh: 访前准备, en: Pre-visit preparation}
    applies_to: [corporate, individual]
    products: [all]
    step: prepare
    questions: {zh: [...], en: [...]}
    keywords: {zh: [...], en: [...]}          # optional
    source: {zh: ..., en: ...}
    confidence: article                        # article | V | S | M
    ---
    # zh
    - 一条要点
    # en
    - one point

Run ``python -m assistant.knowledge.entries`` to check every file.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.data.files import SAFE_LOADER
from assistant.data.vocabulary import KINDS, PRODUCTS, Bilingual
from assistant.errors import AssistantError

STEPS = (
    "prepare",
    "documents",
    "interview",
    "photos",
    "report",
    "alert",
    "planning",
    "phrasing",
    "checkpoints",
    "reference",
)
CONFIDENCE = ("article", "V", "S", "M")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
SECTION = re.compile(r"^#\s*(zh|en)\s*$", re.MULTILINE)


class KnowledgeError(AssistantError):
    """A knowledge file is broken; ``str()`` names the file and the problem."""

    key = "knowledge.broken_file"

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(file=str(path), problem=problem)
        self.path = str(path)
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class KnowledgeEntry:
    id: str
    title: Bilingual
    applies_to: tuple[str, ...]
    products: tuple[str, ...]
    step: str
    questions_zh: tuple[str, ...]
    questions_en: tuple[str, ...]
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    source: Bilingual
    confidence: str
    body_zh: str
    body_en: str
    path: str

    def body(self, lang: str) -> str:
        return self.body_en if lang == "en" else self.body_zh

    def points(self, lang: str) -> list[str]:
        """The body's bullet points (a line starting with ``-``), without the bullet."""
        return [
            line.lstrip()[1:].strip()
            for line in self.body(lang).splitlines()
            if line.lstrip().startswith("- ")
        ]

    def applies_to_kind(self, kind: str | None) -> bool:
        return kind is None or kind in self.applies_to

    def applies_to_product(self, product: str | None) -> bool:
        return product is None or "all" in self.products or product in self.products

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for part in (
            self.id,
            self.title.zh,
            self.title.en,
            self.body_zh,
            self.body_en,
            *self.questions_zh,
            *self.questions_en,
            *self.keywords_zh,
            *self.keywords_en,
            ",".join(self.applies_to),
            ",".join(self.products),
            self.step,
        ):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()


def _strings(value: Any, path: Path, field: str, *, minimum: int = 0) -> tuple[str, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeError(path, f"'{field}' must be a list of non-empty texts")
    if len(value) < minimum:
        raise KnowledgeError(path, f"'{field}' needs at least {minimum} entries")
    return tuple(v.strip() for v in value)


def _bilingual(meta: dict[str, Any], field: str, path: Path) -> Bilingual:
    value = meta.get(field)
    if not isinstance(value, dict) or not all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in ("zh", "en")
    ):
        raise KnowledgeError(path, f"'{field}' needs non-empty 'zh' and 'en' texts")
    return Bilingual(value["zh"].strip(), value["en"].strip())


def _choices(
    meta: dict[str, Any], field: str, allowed: tuple[str, ...], path: Path, *, allow_all: bool
) -> tuple[str, ...]:
    values = _strings(meta.get(field), path, field, minimum=1)
    permitted = set(allowed) | ({"all"} if allow_all else set())
    unknown = [v for v in values if v not in permitted]
    if unknown:
        raise KnowledgeError(
            path, f"'{field}' has unknown values {unknown}; allowed: {sorted(permitted)}"
        )
    return values


def parse_entry(path: Path) -> KnowledgeEntry:
    """Read and validate one knowledge file.

    Raises:
        KnowledgeError: naming the file and what is wrong with it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, f"cannot be read as UTF-8 text ({exc})") from exc
    if not text.startswith("---\n"):
        raise KnowledgeError(path, "must start with a '---' front-matter block")
    try:
        _, front, body = text.split("---\n", 2)
    except ValueError:
        raise KnowledgeError(path, "the front matter is not closed with '---'") from None
    try:
        meta = yaml.load(front, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise KnowledgeError(path, f"front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise KnowledgeError(path, "front matter must be a mapping of fields")
    entry_id = meta.get("id")
    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        raise KnowledgeError(path, f"'id' must look like 'flow.prepare', got {entry_id!r}")
    step = meta.get("step")
    if step not in STEPS:
        raise KnowledgeError(path, f"'step' must be one of {list(STEPS)}, got {step!r}")
    confidence = str(meta.get("confidence", ""))
    if confidence not in CONFIDENCE:
        raise KnowledgeError(path, f"'confidence' must be one of {list(CONFIDENCE)}")
    questions = meta.get("questions") or {}
    keywords = meta.get("keywords") or {}
    if not isinstance(questions, dict) or not isinstance(keywords, dict):
        raise KnowledgeError(path, "'questions' and 'keywords' map 'zh' and 'en' to lists")
    sections = dict(_sections(body, path))
    return KnowledgeEntry(
        id=entry_id,
        title=_bilingual(meta, "title", path),
        applies_to=_choices(meta, "applies_to", KINDS, path, allow_all=False),
        products=_choices(meta, "products", PRODUCTS, path, allow_all=True),
        step=step,
        questions_zh=_strings(questions.get("zh"), path, "questions.zh", minimum=2),
        questions_en=_strings(questions.get("en"), path, "questions.en", minimum=2),
        keywords_zh=_strings(keywords.get("zh"), path, "keywords.zh"),
        keywords_en=_strings(keywords.get("en"), path, "keywords.en"),
        source=_bilingual(meta, "source", path),
        confidence=confidence,
        body_zh=sections["zh"],
        body_en=sections["en"],
        path=str(path),
    )


def _sections(body: str, path: Path) -> list[tuple[str, str]]:
    marks = list(SECTION.finditer(body))
    found = [m.group(1) for m in marks]
    if sorted(found) != ["en", "zh"]:
        raise KnowledgeError(
            path, f"the body needs one '# zh' and one '# en' section, found {found or 'none'}"
        )
    parts = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(body)
        content = body[mark.end() : end].strip()
        if not content:
            raise KnowledgeError(path, f"the '# {mark.group(1)}' section is empty")
        parts.append((mark.group(1), content))
    return parts


def load_entries(directory: Path) -> list[KnowledgeEntry]:
    """Every entry under ``directory`` (recursively), sorted by id.

    Raises:
        KnowledgeError: the first broken file, or a duplicate id (naming both files).
    """
    if not directory.is_dir():
        raise KnowledgeError(directory, "the knowledge directory does not exist")
    entries: dict[str, KnowledgeEntry] = {}
    for path in sorted(directory.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        entry = parse_entry(path)
        if entry.id in entries:
            raise KnowledgeError(
                path, f"duplicate id '{entry.id}' (also in {entries[entry.id].path})"
            )
        entries[entry.id] = entry
    if not entries:
        raise KnowledgeError(directory, "no knowledge files (*.md) found")
    return [entries[key] for key in sorted(entries)]


def main(argv: list[str]) -> int:
    directory = (
        Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "knowledge" / "kb"
    )
    try:
        entries = load_entries(directory)
    except KnowledgeError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(f"{len(entries)} entries OK: {', '.join(e.id for e in entries)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
