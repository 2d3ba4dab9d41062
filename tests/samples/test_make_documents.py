"""The synthetic document photos: reproducible, truthful about what they print, and readable."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from assistant.evidence.creditcode import is_valid_credit_code
from assistant.evidence.model import FIELDS, DocumentType

GENERATOR = Path(__file__).resolve().parents[2] / "samples" / "make_documents.py"


@pytest.fixture(scope="module")
def gen() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("make_documents_under_test", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def small_set(gen: ModuleType) -> list:
    return gen.generate_set(count=10, seed=3)


def test_the_same_seed_draws_the_same_photos(gen: ModuleType, small_set: list) -> None:
    again = gen.generate_set(count=5, seed=3)
    assert [(s.name, s.doc_type, s.truth, s.image) for s in again] == [
        (s.name, s.doc_type, s.truth, s.image) for s in small_set[:5]
    ]
    other = gen.generate_set(count=5, seed=4)
    assert [s.truth for s in other] != [s.truth for s in small_set[:5]]


def test_the_set_takes_the_types_in_turn(small_set: list) -> None:
    assert [s.doc_type for s in small_set] == [t.value for t in DocumentType] * 2
    for sample in small_set:
        assert sample.image[:2] == b"\xff\xd8"  # a JPEG


def _check_truth(doc_type: str, truth: dict) -> None:
    kind = DocumentType(doc_type)
    assert set(truth) <= set(FIELDS[kind]), set(truth) - set(FIELDS[kind])
    for name, value in truth.items():
        if name in ("established_on", "period_start", "period_end", "issued_on"):
            assert date.fromisoformat(value).isoformat() == value
        elif name in ("registered_capital", "credits_total", "debits_total", "amount"):
            assert isinstance(value, float) and value >= 0
        elif name == "consumption":
            assert isinstance(value, float)
        elif name == "large_items":
            for item in value:
                assert set(item) == {"date", "amount", "direction", "text"}
                assert item["direction"] in ("in", "out") and item["amount"] >= 50000
        else:
            assert isinstance(value, str) and value
    if kind is DocumentType.UTILITY_BILL:
        assert truth["utility"] in ("electricity", "water", "gas", "phone")
        assert truth.get("consumption_unit", "kWh") in ("kWh", "m3", "t", "min")
        assert ("consumption" in truth) == ("consumption_unit" in truth)


def test_truth_uses_the_field_names_and_conventions(gen: ModuleType, small_set: list) -> None:
    for sample in small_set:
        _check_truth(sample.doc_type, sample.truth)
    assert {t.value: names for t, names in FIELDS.items()} == gen.FIELD_NAMES
    for utility in ("electricity", "water", "gas", "phone"):
        bill = gen.make_utility_bill(random.Random(utility), utility=utility, degrade=False)
        _check_truth("utility_bill", bill.truth)
        assert bill.truth["utility"] == utility


def test_overrides_are_printed_and_unknown_fields_refused(gen: ModuleType) -> None:
    rng = random.Random(1)
    licence = gen.make_licence(rng, degrade=False, legal_representative="李四", name="测试有限公司")
    assert licence.truth["legal_representative"] == "李四"
    assert licence.truth["name"] == "测试有限公司"
    bill = gen.make_utility_bill(rng, degrade=False, utility="phone", consumption=None)
    assert "consumption" not in bill.truth and "consumption_unit" not in bill.truth
    with pytest.raises(TypeError):
        gen.make_signboard(rng, degrade=False, colour="red")


def test_credit_codes_have_valid_check_characters(gen: ModuleType, small_set: list) -> None:
    rng = random.Random(5)
    for division in ("330106", "440305", "510107"):
        for individual in (False, True):
            for _ in range(50):
                code = gen.credit_code(rng, division, individual)
                assert is_valid_credit_code(code), code
                assert code[2:8] == division
    licences = [s for s in small_set if s.doc_type == "licence"]
    assert licences
    for sample in licences:
        assert is_valid_credit_code(sample.truth["credit_code"])


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        (113000, "圆", "壹拾壹万叁仟圆整"),
        (500000, "元", "伍拾万元整"),
        (1005, "圆", "壹仟零伍圆整"),
        (100500.5, "圆", "壹拾万零伍佰圆伍角"),
        (20000000, "元", "贰仟万元整"),
        (3.07, "圆", "叁圆零柒分"),
    ],
)
def test_amounts_in_capital_numerals(gen: ModuleType, value: float, unit: str, words: str):
    assert gen.capital_amount(value, unit) == words


def _cents(transactions: list[dict], direction: str) -> int:
    return sum(round(t["amount"] * 100) for t in transactions if t["direction"] == direction)


def test_statement_transactions_add_up_to_the_totals(gen: ModuleType) -> None:
    for seed in range(8):
        sample = gen.make_statement(random.Random(seed), degrade=False)
        rows = sample.printed["transactions"]
        assert 10 <= len(rows) <= 20
        assert _cents(rows, "in") == round(sample.truth["credits_total"] * 100)
        assert _cents(rows, "out") == round(sample.truth["debits_total"] * 100)
        large = sorted(t["amount"] for t in rows if t["amount"] >= 50000)
        assert sorted(i["amount"] for i in sample.truth["large_items"]) == large
        opening = round(sample.printed["opening_balance"] * 100)
        closing = round(sample.printed["closing_balance"] * 100)
        assert closing == opening + _cents(rows, "in") - _cents(rows, "out")


def test_statement_totals_can_be_chosen(gen: ModuleType) -> None:
    sample = gen.make_statement(
        random.Random(9), degrade=False, credits_total=123456.78, debits_total=98765.43
    )
    rows = sample.printed["transactions"]
    assert sample.truth["credits_total"] == 123456.78
    assert sample.truth["debits_total"] == 98765.43
    assert _cents(rows, "in") == 12345678
    assert _cents(rows, "out") == 9876543
    pinned = gen.make_statement(
        random.Random(10),
        degrade=False,
        period_start="2026-03-01",
        period_end="2026-03-31",
        credits_total=300000.0,
        large_items=[{"date": "2026-03-05", "amount": 88000.0, "direction": "in", "text": ""}],
    )
    assert [(i["date"], i["amount"]) for i in pinned.truth["large_items"]] == [
        ("2026-03-05", 88000.0)
    ]
    assert _cents(pinned.printed["transactions"], "in") == 30000000


def test_a_clean_licence_is_read_by_the_ocr(gen: ModuleType) -> None:
    from assistant.evidence.ocr import RapidOcrEngine

    sample = gen.make_licence(random.Random(11), degrade=False, variant=0)
    result = RapidOcrEngine(threads=1).read(sample.image)
    text = re.sub(r"\s", "", result.text)
    assert sample.truth["credit_code"] in text
    assert sample.truth["legal_representative"] in text
