"""The shipped phrases and campaigns: every phrase passes every don't in both languages (so a bank
adding a bad phrase fails CI), every occasion is covered for every client, and a broken file is
refused with the phrase or campaign named."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.data.checklist import KINDS
from assistant.phrasing.catalog import (
    CHECK_VALUES,
    FOCUS,
    STAGES,
    Phrase,
    load_campaigns,
    load_phrases,
    placeholders_of,
)
from assistant.phrasing.donts import DontRules, PhrasingDataError
from assistant.phrasing.occasions import DATED_KEYS, FESTIVAL_KEYS, FESTIVALS, OCCASION_KEYS

from .conftest import CAMPAIGN_2026, CAMPAIGNS, PHRASES, shipped

SHIPPED = shipped(PHRASES)["phrases"]


@pytest.fixture(scope="module")
def phrases(donts: DontRules) -> tuple[Phrase, ...]:
    return load_phrases(PHRASES, donts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("entry", SHIPPED, ids=[e["id"] for e in SHIPPED])
def test_every_shipped_phrase_passes_every_dont(donts: DontRules, entry: dict, lang: str):
    for part in ("text", "reason"):
        assert entry[part][lang].strip(), f"{entry['id']} has no {part} in {lang}"
    text = entry["text"][lang]
    assert donts.violations(text, lang) == []
    # And with its placeholders filled by neutral stand-ins, as the loader checks it.
    assert donts.violations(text.format_map(CHECK_VALUES), lang) == []


def test_the_file_loads_with_at_least_thirty_phrases(phrases: tuple[Phrase, ...]):
    assert len(phrases) >= 30
    assert [p.id for p in phrases] == [e["id"] for e in SHIPPED]
    assert all(p.placeholders <= {"name", "festival", "product"} for p in phrases)


@pytest.mark.parametrize("occasion", OCCASION_KEYS)
def test_every_occasion_has_a_phrase_for_every_stage_and_kind(
    phrases: tuple[Phrase, ...], occasion: str
):
    timings = ["before", "on"] if occasion in DATED_KEYS else [None]
    if occasion in QUIET_DAYS:
        timings.remove("on")
    if occasion == "spring_festival":
        timings.append("after")
    for stage in STAGES:
        for kind in KINDS:
            for timing in timings:
                fitting = [
                    p.id
                    for p in phrases
                    if occasion in p.occasions
                    and stage in p.stages
                    and kind in p.kinds
                    and (timing is None or timing in p.timing)
                ]
                assert fitting, (occasion, stage, kind, timing)


QUIET_DAYS = ("spring_festival", "new_year")


@pytest.mark.parametrize("occasion", QUIET_DAYS)
def test_no_opener_calls_on_a_client_on_new_years_day_or_the_spring_festival(
    phrases: tuple[Phrase, ...], occasion: str
):
    assert not [p.id for p in phrases if occasion in p.occasions and "on" in p.timing]


def test_every_focus_category_has_several_phrases(phrases: tuple[Phrase, ...]):
    counts = Counter(f for p in phrases for f in p.focus)
    assert set(counts) == set(FOCUS)
    assert min(counts.values()) >= 4


def test_a_phrase_shared_by_several_festivals_names_none_of_them(phrases: tuple[Phrase, ...]):
    names = [FESTIVALS[key].name for key in FESTIVAL_KEYS]
    shared = [p for p in phrases if len(set(p.occasions) & set(FESTIVAL_KEYS)) > 1]
    assert shared
    for phrase in shared:
        for name in names:
            # "元旦" must not turn up in a line also offered for 中秋; {festival} says which.
            assert name.zh not in phrase.text.zh, phrase.id
            assert name.en.removeprefix("the ") not in phrase.text.en, phrase.id


def test_the_shipped_campaigns_file_loads_and_names_no_campaign(donts: DontRules):
    assert load_campaigns(CAMPAIGNS, donts) == ()


def test_placeholders_of_refuses_format_specs_and_positional_fields():
    assert placeholders_of("{name}，{festival}快到了，{{不是占位}}") == {"name", "festival"}
    for bad in ("{}", "{name!r}", "{name:>10}", "{name"):
        with pytest.raises(ValueError, match=r"."):
            placeholders_of(bad)


GOOD = {
    "id": "test.good",
    "occasions": ["passing_by"],
    "text": {"zh": "{name}，路过进来坐坐。", "en": "{name}, just passing by."},
    "reason": {"zh": "自然。", "en": "Natural."},
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"occasions": ["harvest_moon"]}, "unknown occasions 'harvest_moon'"),
        ({"stages": ["veteran"]}, "unknown stages 'veteran'"),
        ({"kinds": ["government"]}, "unknown kinds 'government'"),
        ({"focus": ["upsell"]}, "unknown focus 'upsell'"),
        ({"when": [True]}, "in quotes"),
        ({"when": ["before"]}, "'when' applies only to festivals"),
        ({"weight": 0}, "'weight' must be above 0"),
        ({"weight": "heavy"}, "'weight' must be a number"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"text": {"zh": "您好，{client}。", "en": "Hello {client}."}}, "unknown placeholder"),
        ({"text": {"zh": "{festival}快到了。", "en": "{festival} is near."}}, "{festival} needs"),
        ({"text": {"zh": "{product}来了。", "en": "{product} is here."}}, "{product} needs"),
        ({"text": {"zh": "路过看看{name}。", "en": "{name}, hello."}}, "may only open"),
        ({"text": {"zh": "{name}，你好。", "en": "Hello."}}, "same placeholders"),
        ({"text": {"zh": "我们来做贷后检查。", "en": "Hi."}}, "announce_check"),
        (
            {"text": {"zh": "你好。", "en": "Your renewal is definitely no problem."}},
            "promise_renewal",
        ),
        ({"reason": {"zh": "因为{name}。", "en": "Because."}}, "takes no placeholders"),
        ({"text": {"zh": "你好", "en": ""}}, "'text/en' must be non-empty"),
    ],
)
def test_a_broken_phrase_is_refused_with_its_id_and_the_problem(
    write_yaml: Callable[[str, Any], Path], donts: DontRules, change: dict, problem: str
):
    entry = {**GOOD, **change}
    path = write_yaml("phrases.yaml", {"version": 1, "phrases": [GOOD | {"id": "ok"}, entry]})
    with pytest.raises(PhrasingDataError) as caught:
        load_phrases(path, donts)
    message = str(caught.value)
    assert "phrase test.good" in message
    assert problem in message
    assert str(path) in message


def test_a_duplicate_phrase_id_and_a_bad_id_are_named(
    write_yaml: Callable[[str, Any], Path], donts: DontRules
):
    twice = write_yaml("twice.yaml", {"version": 1, "phrases": [GOOD, GOOD]})
    with pytest.raises(PhrasingDataError, match=r"phrase test\.good: the id is used twice"):
        load_phrases(twice, donts)
    bad_id = write_yaml("bad.yaml", {"version": 1, "phrases": [GOOD | {"id": "Bad Id"}]})
    with pytest.raises(PhrasingDataError, match=r"phrase #1: 'id' must be"):
        load_phrases(bad_id, donts)


def test_a_file_that_is_not_yaml_names_the_line(
    write_yaml: Callable[[str, Any], Path], donts: DontRules
):
    path = write_yaml("phrases.yaml", "version: 1\nphrases:\n  - id: x\n    text: [unclosed\n")
    with pytest.raises(PhrasingDataError, match="line"):
        load_phrases(path, donts)


def test_campaigns_are_read_and_checked(write_yaml: Callable[[str, Any], Path], donts: DontRules):
    (campaign,) = load_campaigns(write_yaml("c.yaml", CAMPAIGN_2026), donts)
    assert campaign.name.zh == "小微经营周转贷"
    assert campaign.kinds == KINDS
    assert str(campaign.starts) == "2026-01-01" and str(campaign.ends) == "2026-12-31"

    promising = {
        "id": "rate-cut",
        "name": {"zh": "利率优惠季", "en": "the rate discount season"},
        "starts": "2026-01-01",
        "ends": "2026-02-01",
    }
    with pytest.raises(PhrasingDataError, match=r"campaign rate-cut/name/zh.*promise_rate"):
        load_campaigns(write_yaml("bad.yaml", {"version": 1, "campaigns": [promising]}), donts)
    backwards = promising | {
        "name": {"zh": "春季贷", "en": "spring loan"},
        "starts": "2026-03-01",
    }
    with pytest.raises(PhrasingDataError, match="before 'starts'"):
        load_campaigns(write_yaml("back.yaml", {"version": 1, "campaigns": [backwards]}), donts)
