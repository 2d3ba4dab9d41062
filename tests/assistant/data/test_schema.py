"""The JSON Schema of every bank-editable file is generated from its model and kept in the
repository, and each file's header points an editor at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.data.schema import SCHEMA_DIR, schema_text
from assistant.schemas import file_models

KNOWLEDGE = SCHEMA_DIR.parent
# Schema name → the file of the repository it describes.
FILES = {
    "campaigns": KNOWLEDGE / "phrasing" / "campaigns.yaml",
    "checklist": KNOWLEDGE / "checklist.yaml",
    "donts": KNOWLEDGE / "phrasing" / "donts.yaml",
    "glossary": KNOWLEDGE / "glossary.yaml",
    "out_of_scope": KNOWLEDGE / "out_of_scope.yaml",
    "phrases": KNOWLEDGE / "phrasing" / "phrases.yaml",
    "report_sections": KNOWLEDGE / "report_sections.yaml",
    "risk_rules": KNOWLEDGE / "risk_rules.yaml",
    "synonyms": KNOWLEDGE / "synonyms.yaml",
}


@pytest.mark.parametrize("name", sorted(file_models()))
def test_the_committed_schema_is_the_models(name: str):
    committed = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(file_models()[name]), (
        "run `python -m assistant.schemas` and commit knowledge/schemas"
    )


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_files_header_points_an_editor_at_its_schema(name: str):
    path: Path = FILES[name]
    first = path.read_text(encoding="utf-8").splitlines()[0]
    target = first.removeprefix("# yaml-language-server: $schema=")
    assert target != first, "the first line names the schema"
    assert (path.parent / target).resolve() == SCHEMA_DIR / f"{name}.schema.json"


def test_every_model_has_its_file():
    assert set(file_models()) == set(FILES)
