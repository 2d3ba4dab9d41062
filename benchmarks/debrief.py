"""Debrief benchmark: the rules-only extractor over a set of narratives written without its code.

    python benchmarks/debrief.py [--set benchmarks/debrief/narratives.jsonl] [--errors]

For each case it offers every interview and checkpoint question that is not text and applies to
the case's borrower kind (any product, every check type, follow-ups included), and compares the
(id, value) pairs found with those expected: numbers are equal within 0.5 % relative. It prints
precision and recall per language and overall, ending with the line
``debrief: precision P recall R (C cases, N expected pairs)``. ``--errors`` adds the count of wrong,
extra and missed pairs per question id (never the texts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.data.checklist import AnswerType, Checklist, Item, load_checklist
from assistant.visits.debrief import Debriefer

SET = REPO / "benchmarks" / "debrief" / "narratives.jsonl"


def offered(checklist: Checklist, kind: str) -> list[Item]:
    """The questions a narrative about a borrower of ``kind`` may fill."""
    items = []
    for item in checklist.all_items():
        group = checklist.group(item.group)
        if item.step not in ("interview", "checkpoints") or item.type is AnswerType.TEXT:
            continue
        if any(c.kinds and kind not in c.kinds for c in (group.when, item.when)):
            continue
        items.append(item)
    return items


def same(found: Any, expected: Any) -> bool:
    if isinstance(found, date):
        return found.isoformat() == expected  # the sets write a date as YYYY-MM-DD
    if isinstance(found, bool) or isinstance(expected, bool | str):
        return type(found) is type(expected) and found == expected
    if not isinstance(found, int | float):
        return False
    if expected == 0:
        return found == 0
    return abs(found - expected) <= 0.005 * abs(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default=str(SET), help="the narratives (JSONL)")
    parser.add_argument("--errors", action="store_true", help="error counts per question id")
    parser.add_argument(
        "--all-questions",
        action="store_true",
        help="offer every question of today's checklist, not only those the set was written for",
    )
    args = parser.parse_args(argv)
    checklist = load_checklist()
    debriefer = Debriefer()
    cases = [
        json.loads(line)
        for line in Path(args.set).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    # A set is scored on the questions its writer was given: each set names every one of
    # them in some case. A question added to the checklist after a set was written is not
    # the set's to score: a value found for it would count as wrong, though nobody had
    # looked for it in the text.
    asked = {_fact(checklist, p["id"]) for case in cases for p in case["expected"]}
    if args.all_questions:
        asked = None
    tallies: dict[str, Counter[str]] = {}
    spent = 0.0
    errors: dict[str, Counter[str]] = {}
    for case in cases:
        items = [
            item
            for item in offered(checklist, case["kind"])
            if asked is None or _fact(checklist, item.id) in asked
        ]
        started = time.perf_counter()
        extracted = debriefer.extract_rules(
            case["text"], items, lang=case["lang"], kind=case["kind"]
        )
        spent += time.perf_counter() - started
        found = {a.item_id: a.value for a in extracted}
        # A question that repeats another (same_as) is the same fact: the visit stores one
        # answer for both, so either id counts.
        expected = {_fact(checklist, p["id"]): p["value"] for p in case["expected"]}
        found = {_fact(checklist, i): v for i, v in found.items()}
        for tally in (
            tallies.setdefault(case["lang"], Counter()),
            tallies.setdefault("all", Counter()),
        ):
            tally["cases"] += 1
            tally["expected"] += len(expected)
            tally["found"] += len(found)
            tally["right"] += sum(
                1 for i, v in found.items() if i in expected and same(v, expected[i])
            )
        for item_id, value in found.items():
            if item_id not in expected:
                errors.setdefault(item_id, Counter())["extra"] += 1
            elif not same(value, expected[item_id]):
                errors.setdefault(item_id, Counter())["wrong"] += 1
        for item_id in expected.keys() - found.keys():
            errors.setdefault(item_id, Counter())["missed"] += 1
    for lang in sorted(k for k in tallies if k != "all"):
        print(_line(lang, tallies[lang]))
    if args.errors:
        for item_id in sorted(errors):
            counts = ", ".join(f"{k} {n}" for k, n in sorted(errors[item_id].items()))
            print(f"  {item_id}: {counts}")
    print(f"time: {1000 * spent / max(1, len(cases)):.2f} ms a narrative (rules only, one core)")
    print(_line("debrief", tallies.get("all", Counter())))
    return 0


def _fact(checklist: Checklist, item_id: str) -> str:
    return checklist.item(item_id).same_as or item_id


def _line(label: str, tally: Counter[str]) -> str:
    precision = tally["right"] / tally["found"] if tally["found"] else 1.0
    recall = tally["right"] / tally["expected"] if tally["expected"] else 1.0
    return (
        f"{label}: precision {precision:.2f} recall {recall:.2f} "
        f"({tally['cases']} cases, {tally['expected']} expected pairs)"
    )


if __name__ == "__main__":
    sys.exit(main())
