"""The don'ts: typical bad lines are caught in both languages, harmless lines and client names are
not, and a broken don'ts file is refused with its place named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.phrasing.donts import DontRules, PhrasingDataError, load_donts, mask

from .conftest import DONTS, shipped

BAD_LINES = [
    ("zh", "我们来做贷后检查", "announce_check"),
    ("zh", "续贷肯定没问题", "promise_renewal"),
    ("zh", "利率可以给您优惠", "promise_rate"),
    ("zh", "隔壁王老板也在我们这贷了50万", "other_clients"),
    ("zh", "再不还钱就起诉您", "threaten"),
    ("zh", "可以先找个过桥资金周转一下", "bridge_private_split"),
    ("zh", "您存点钱在我们这儿，续贷就好办了", "tie_in"),
    ("zh", "晚上咱们一起吃个饭吧", "accept_gifts"),
    ("en", "We're here to do the post-loan check today.", "announce_check"),
    ("en", "Your renewal is definitely no problem.", "promise_renewal"),
    ("en", "We can give you a discount on the interest rate.", "promise_rate"),
    ("en", "Mr. Wang next door also borrowed 500,000 from us.", "other_clients"),
    ("en", "Pay up or else we'll take you to court.", "threaten"),
    ("en", "You could take a bridge loan to cover it.", "bridge_private_split"),
    ("en", "If you deposit 200,000 with us, the renewal will be easy.", "tie_in"),
    ("en", "Let's grab dinner together tonight.", "accept_gifts"),
    ("en", "WE ARE HERE FOR AN INSPECTION.", "announce_check"),
]

# Lines an officer may well say: none of them should trip a pattern.
GOOD_LINES = [
    ("zh", "以后续贷的事要以行里审批结果为准。"),
    ("zh", "今天路过，进来坐坐，最近生意怎么样？"),
    ("zh", "要是还需要用款，我们可以早点一起准备材料。"),
    ("zh", "库存还好，贷款的事下次再聊。"),
    ("en", "Whether it is renewed depends on the bank's approval."),
    ("en", "I was passing by and thought I'd drop in to say hello."),
    ("en", "Make sure you keep your invoices; they help when the paperwork is due."),
    ("en", "I'm interested in how your new shop is doing."),
]


@pytest.mark.parametrize(("lang", "line", "dont_id"), BAD_LINES)
def test_typical_bad_lines_are_caught(donts: DontRules, lang: str, line: str, dont_id: str):
    assert dont_id in [d.id for d in donts.violations(line, lang)]


@pytest.mark.parametrize(("lang", "line"), GOOD_LINES)
def test_harmless_lines_pass(donts: DontRules, lang: str, line: str):
    assert donts.violations(line, lang) == []


def test_every_dont_of_the_file_covers_both_languages_with_examples(donts: DontRules):
    raw = shipped(DONTS)["donts"]
    assert [d.id for d in donts.donts] == [entry["id"] for entry in raw]
    assert len(donts.donts) >= 8
    for dont in donts.donts:
        for lang in ("zh", "en"):
            assert dont.patterns[lang], (dont.id, lang)
            assert dont.description.get(lang)
            for example in dont.examples[lang]:
                assert dont in donts.violations(example, lang), (dont.id, example)


def test_a_client_name_is_masked_so_it_cannot_trip_a_pattern(donts: DontRules):
    line = "检查站饭店的王老板，路过进来坐坐。"
    assert [d.id for d in donts.violations(line, "zh")] == ["announce_check"]
    assert donts.violations(line, "zh", masked=["检查站饭店"]) == []
    # Masking the name never hides what the officer says around it.
    bad = "检查站饭店的王老板，我们来做贷后检查。"
    assert "announce_check" in [d.id for d in donts.violations(bad, "zh", masked=["检查站饭店"])]


def test_mask_replaces_longer_values_first():
    assert mask("王建国和王老板", ["王", "王建国", ""]) == "〇和〇老板"


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: d.update(patterns={"zh": ["(贷后"], "en": ["x"]}), "don't d1", "not a valid"),
        (
            lambda d: d.update(examples={"zh": ["没有问题"], "en": ["x"]}),
            "d1/examples/zh",
            "no pattern",
        ),
        (lambda d: d.pop("description"), "don't d1", "'description' must have"),
        (lambda d: d.update(colour="red"), "don't d1", "unknown key 'colour'"),
        (lambda d: d.update(id="Bad Id"), "don't #1", "'id' must be"),
    ],
)
def test_a_broken_donts_file_names_the_dont_and_the_problem(
    write_yaml: Callable[[str, Any], Path], change, where: str, problem: str
):
    entry = {
        "id": "d1",
        "description": {"zh": "不说贷后", "en": "no post-loan"},
        "patterns": {"zh": ["贷后"], "en": [r"\bpost-loan\b"]},
        "examples": {"zh": ["贷后"], "en": ["post-loan"]},
    }
    change(entry)
    path = write_yaml("donts.yaml", {"version": 1, "donts": [entry]})
    with pytest.raises(PhrasingDataError) as caught:
        load_donts(path)
    assert where in str(caught.value)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_duplicate_key_is_refused_with_its_line(write_yaml: Callable[[str, Any], Path]):
    text = (
        "version: 1\ndonts:\n  - id: d1\n    id: d2\n    description: {zh: a, en: b}\n"
        "    patterns: {zh: [a], en: [a]}\n    examples: {zh: [a], en: [a]}\n"
    )
    with pytest.raises(PhrasingDataError, match="line 4"):
        load_donts(write_yaml("donts.yaml", text))
