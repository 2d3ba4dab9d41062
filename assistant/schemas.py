"""Which model declares which bank-editable file, and the command that publishes their schemas.

The registry sits above the packages that declare the models (data, knowledge, phrasing,
reports, risk), so that :mod:`assistant.data.schema`, which they all build on, imports none of
them.

``python -m assistant.schemas`` writes ``knowledge/schemas/<file>.schema.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel

from assistant.data.checklist_file import ChecklistFile
from assistant.data.schema import SCHEMA_DIR, schema_text
from assistant.knowledge.search_files import AnchorsFile, GlossaryFile, SynonymsFile
from assistant.phrasing.catalog import CampaignsFile, PhrasesFile
from assistant.phrasing.donts import DontsFile
from assistant.reports.sections import SectionsFile
from assistant.risk.rules_file import RulesFile


def file_models() -> dict[str, type[BaseModel]]:
    """The model of every bank-editable file that has one, by schema name."""
    return {
        "campaigns": CampaignsFile,
        "checklist": ChecklistFile,
        "donts": DontsFile,
        "glossary": GlossaryFile,
        "out_of_scope": AnchorsFile,
        "phrases": PhrasesFile,
        "report_sections": SectionsFile,
        "risk_rules": RulesFile,
        "synonyms": SynonymsFile,
    }


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write ``<name>.schema.json`` for every file's model; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in file_models().items():
        target = directory / f"{name}.schema.json"
        target.write_text(schema_text(model), encoding="utf-8")
        written.append(target)
    return written


def main() -> int:
    for path in write_schemas():
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
