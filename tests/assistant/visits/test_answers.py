"""An officer's own words as answers: other words for an option, a word inside a sentence, a
negation that rules an option out, a typed skip, a question without its question mark, and the
value shown back."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.data.checklist import Checklist, RecordedAnswer, load_checklist
from assistant.db.models import AnswerStatus
from assistant.visits.answers import (
    named_evidence,
    parse_answer,
    pick,
    precheck_result,
    shown_answer,
    sounds_like_a_question,
    typed_move,
    unit_label,
)
from assistant.visits.model import EvidenceNeed
from assistant.visits.parsing import ParseError

TODAY = date(2026, 6, 15)
MARKET = "check.individual.periodic.market"
PRESSURE = "flow.interview.repayment.pressure"
RENT = "flow.interview.staff.monthly_rent"
HEADCOUNT = "flow.interview.staff.headcount_total"


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist()


@pytest.mark.parametrize(
    ("item", "said", "value"),
    [
        (MARKET, "一般", "stable"),  # one of the option's other words
        (MARKET, "有点变差", "worse"),  # the label inside a sentence
        (MARKET, "变差了", "worse"),
        (MARKET, "老样子吧", "stable"),
        (MARKET, "so-so", "stable"),
        (MARKET, "a bit worse", "worse"),
        (MARKET, "Stable", "stable"),
        (PRESSURE, "压力不大", "low"),  # 大 (heavy) inside 不大 does not count
        (PRESSURE, "挺大的", "high"),
        (PRESSURE, "一般", "moderate"),
        (RENT, "自有的", 0.0),  # the quick reply 自有场地，不交租
        (RENT, "两万二", 22000.0),
    ],
)
def test_answers_in_the_officers_own_words(checklist, item, said, value):
    assert parse_answer(checklist.item(item), said, TODAY)[0] == value


@pytest.mark.parametrize(
    ("item", "said"),
    [
        (MARKET, "没有变差"),  # says what it is not
        (MARKET, "not better"),
        (MARKET, "不好说"),
        (MARKET, "变好还是变差不好讲"),  # names two: asked again, not guessed
        (RENT, "不知道"),
    ],
)
def test_an_answer_that_names_no_option_or_two_is_asked_again(checklist, item, said):
    with pytest.raises(ParseError):
        parse_answer(checklist.item(item), said, TODAY)


def test_pick_prefers_a_whole_word_and_refuses_a_tie():
    choices = [("a", ("红色", "red")), ("b", ("红色的车", "red car"))]
    assert pick("红色", choices) == "a"
    assert pick("红色的车", choices) == "b"
    assert pick("red or red car", [("a", ("red",)), ("b", ("car",))]) is None


@pytest.mark.parametrize(
    ("said", "value", "approximate"),
    [("三十来个", 30, True), ("about thirty", 30, True), ("thirty five people", 35, False)],
)
def test_numbers_as_people_say_them(checklist, said, value, approximate):
    assert parse_answer(checklist.item(HEADCOUNT), said, TODAY) == (value, approximate)


def test_a_word_written_with_a_numeral_is_not_a_number(checklist):
    # "一般" is "so-so": reading it as 1 person would record a wrong figure.
    with pytest.raises(ParseError):
        parse_answer(checklist.item(HEADCOUNT), "一般", TODAY)


@pytest.mark.parametrize(
    ("said", "move"),
    [
        ("跳过", "skip"),
        ("先跳过吧", "skip"),
        (" Skip ", "skip"),
        ("不适用", "not_applicable"),
        ("n/a", "not_applicable"),
        ("跳过这个不行", None),
        ("三十个", None),
    ],
)
def test_a_typed_skip(said, move):
    assert typed_move(said) == move


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("个体户年报怎么查", True),
        ("抵押物要看什么", True),
        ("how do I check the annual report", True),
        ("要拍照吗", True),
        ("三十个人", False),
        ("有点变差", False),
        ("about thirty", False),
    ],
)
def test_a_question_is_known_without_its_question_mark(text, question):
    assert sounds_like_a_question(text) is question


def test_what_was_recorded_is_shown_back(checklist):
    headcount = checklist.item(HEADCOUNT)
    answered = RecordedAnswer(HEADCOUNT, AnswerStatus.ANSWERED, 30.0, "三十来个", True)
    assert shown_answer(headcount, answered).zh == "约30人"
    assert shown_answer(headcount, answered).en == "about 30 people"
    skipped = RecordedAnswer(HEADCOUNT, AnswerStatus.SKIPPED, None, None, False)
    assert shown_answer(headcount, skipped).zh == "已跳过"
    market = checklist.item(MARKET)
    stable = RecordedAnswer(MARKET, AnswerStatus.ANSWERED, "stable", "一般", False)
    assert shown_answer(market, stable).zh == "平稳"


def test_the_unit_is_named_in_the_officers_language(checklist):
    assert unit_label(checklist.item(HEADCOUNT)).en == "people"
    assert unit_label(checklist.item(HEADCOUNT)).zh == "人"
    assert unit_label(checklist.item(RENT)).en == "yuan"
    assert unit_label(checklist.item(MARKET)) is None


@pytest.mark.parametrize(
    ("said", "result"),
    [
        ("没问题", "clear"),
        ("查到了", "adverse"),
        ("跳过", "not_checked"),
        ("还没查", "not_checked"),
    ],
)
def test_a_look_ups_result_typed(checklist, said, result):
    assert precheck_result(checklist.precheck("records.enforcement"), said) == result


def test_a_look_up_without_a_not_checked_result_is_not_skipped_by_typing(checklist):
    check = checklist.precheck("records.enforcement")
    only_two = type(check)(**{**check.__dict__, "results": check.results[:2]})
    assert precheck_result(only_two, "跳过") is None


def needs(checklist: Checklist, step: str) -> list[EvidenceNeed]:
    shop = ("individual", ["personal_business"])
    found = (
        checklist.documents_for(*shop)
        if step == "documents"
        else checklist.photo_categories_for(*shop)
    )
    return [EvidenceNeed(n.id, n.title, False, n.also) for n in found]


@pytest.mark.parametrize(
    ("step", "caption", "named"),
    [
        ("photos", "门头", "photo.signboard"),
        ("photos", "门头照", "photo.signboard"),
        ("photos", "招牌拍清楚了", "photo.signboard"),
        ("photos", "Shop front", "photo.signboard"),
        ("photos", "仓库", "photo.inventory"),
        ("documents", "营业执照", "doc.business_licence"),
        ("documents", "执照", "doc.business_licence"),
        ("documents", "licence", "doc.business_licence"),
        ("documents", "流水", "doc.personal_statements"),
        ("documents", "电费", "doc.utility_bills"),
        # Two at once, or none: asked.
        ("documents", "单据", None),
        ("documents", "bills", None),
        ("photos", "门头和库存", None),
        ("photos", "今天拍的", None),
        ("photos", "", None),
        ("photos", None, None),
    ],
)
def test_a_caption_names_a_document_or_photo_category(
    checklist: Checklist, step: str, caption: str | None, named: str | None
):
    need = named_evidence(caption, needs(checklist, step))
    assert (need.id if need else None) == named
