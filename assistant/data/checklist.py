"""The visit checklist: steps, pre-visit checks, questions, documents and photo categories.

The definition lives in ``knowledge/checklist.yaml`` so that the bank can edit it; its JSON Schema,
``knowledge/schemas/checklist.schema.json``, is generated from the models in
:mod:`assistant.data.checklist_file`. :func:`load_checklist` reads the file into the frozen
dataclasses of :mod:`assistant.data.checklist_types` and checks everything the visit flow relies
on: answer types and units, ranges, labels in both languages, unique ids and the references inside
conditions. A mistake is reported once, at start-up, with the file and the place, instead of
surfacing in the middle of an officer's visit.

The rest of the code imports the checklist from here. This module sits above the two it gathers,
so neither imports it.

Run ``python -m assistant.data.checklist [PATH]`` to check a file by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.data.checklist_file import DEFAULT_PATH, ChecklistError, load_checklist
from assistant.data.checklist_types import (
    MONEY_UNITS,
    NUMBER_UNITS,
    NUMERIC,
    STEPS,
    AnswerCondition,
    AnswerType,
    Checklist,
    Condition,
    Contradiction,
    Cues,
    Document,
    Evidence,
    FollowUp,
    Group,
    Item,
    Option,
    PhotoCategory,
    PreCheck,
    QuickReply,
    RecordedAnswer,
    Step,
    walk,
)
from assistant.data.vocabulary import CHECKS, KINDS, PRODUCTS

__all__ = [
    "CHECKS",
    "DEFAULT_PATH",
    "KINDS",
    "MONEY_UNITS",
    "NUMBER_UNITS",
    "NUMERIC",
    "PRODUCTS",
    "STEPS",
    "AnswerCondition",
    "AnswerType",
    "Checklist",
    "ChecklistError",
    "Condition",
    "Contradiction",
    "Cues",
    "Document",
    "Evidence",
    "FollowUp",
    "Group",
    "Item",
    "Option",
    "PhotoCategory",
    "PreCheck",
    "QuickReply",
    "RecordedAnswer",
    "Step",
    "load_checklist",
    "walk",
]


def main(argv: list[str]) -> int:
    """Check a checklist file and print what it holds; exit status 1 when it is broken."""
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    items = list(checklist.all_items())
    follow_ups = sum(1 for i in items if i.parent is not None)
    sys.stdout.write(
        f"{path}: OK: {len(checklist.steps)} steps, {len(checklist.prechecks)} pre-visit checks, "
        f"{len(checklist.groups)} groups, {len(items) - follow_ups} questions "
        f"+ {follow_ups} follow-ups, {len(checklist.documents)} documents, "
        f"{len(checklist.photo_categories)} photo categories\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
