"""The debrief evaluation set names real interview questions, with values of their types, so that
it stays usable while the bank edits the checklist."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.data.checklist import AnswerType, Checklist, load_checklist

SETS = Path(__file__).resolve().parent.parent / "benchmarks" / "debrief"
CASES = [
    json.loads(line)
    for line in (SETS / "narratives.jsonl").read_text(encoding="utf-8").splitlines()
    if line
]
# The development sets: also checkpoint questions and follow-ups.
DEV = [
    json.loads(line)
    for name in ("dev.jsonl", "dev2.jsonl", "dev3.jsonl", "dev4.jsonl", "dev5.jsonl")
    for line in (SETS / name).read_text(encoding="utf-8").splitlines()
    if line
]


def test_the_set_is_large_and_mixed_enough():
    assert len(CASES) >= 40
    assert len({case["id"] for case in CASES}) == len(CASES)
    assert sum(case["lang"] == "en" for case in CASES) >= 8
    assert sum(not case["expected"] for case in CASES) >= 4, "cases with nothing to extract"


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist()


@pytest.mark.parametrize("case", CASES + DEV, ids=[case["id"] for case in CASES + DEV])
def test_every_expected_answer_fits_its_question(checklist, case):
    for expected in case["expected"]:
        item = checklist.item(expected["id"])
        value = expected["value"]
        assert item.step == "interview" or case in DEV
        match item.type:
            case AnswerType.YES_NO:
                assert isinstance(value, bool)
            case AnswerType.CHOICE:
                assert value in {option.id for option in item.options}
            case AnswerType.NUMBER | AnswerType.MONEY:
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert item.accepts(value), f"{expected['id']}: {value} out of range"
            case AnswerType.DATE:
                assert item.accepts(date.fromisoformat(value)), f"{expected['id']}: {value}"
            case _:
                pytest.fail(f"{expected['id']} is a {item.type} question, not scored")
