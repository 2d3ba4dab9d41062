"""The unified social credit code check character: known codes, and properties of the check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.evidence.creditcode import (
    CREDIT_CODE_ALPHABET,
    check_character,
    is_valid_credit_code,
)

first17 = st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17)


def test_alphabet_leaves_out_the_letters_that_look_like_digits() -> None:
    assert len(CREDIT_CODE_ALPHABET) == 31
    assert not set("IOSVZ") & set(CREDIT_CODE_ALPHABET)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        # The demo portfolio's codes (samples/make_samples.py).
        "92319900DEMC100101",
        "91319900DEMC10080B",
        "92319900DEMC10100M",
    ],
)
def test_known_valid_codes(code: str) -> None:
    assert is_valid_credit_code(code)
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y430",  # 19 characters
        "91350100m000100Y43",  # lowercase: callers normalise first
        "91350100M000100Y4 3",
        "91350100O000100Y43",  # O is not in the alphabet
        "",
    ],
)
def test_invalid_codes(code: str) -> None:
    assert not is_valid_credit_code(code)


@pytest.mark.parametrize("first", ["", "9135010", "91350100M000100Y4X", "91350100I000100Y4"])
def test_check_character_refuses_what_is_not_17_alphabet_characters(first: str) -> None:
    with pytest.raises(ValueError, match="17"):
        check_character(first)


@given(first17)
def test_a_completed_code_is_valid(first: str) -> None:
    check = check_character(first)
    assert check in CREDIT_CODE_ALPHABET
    assert is_valid_credit_code(first + check)


@given(first17, st.integers(0, 17), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_changing_any_one_character_is_detected(first: str, position: int, other: str) -> None:
    code = first + check_character(first)
    if code[position] == other:
        other = CREDIT_CODE_ALPHABET[
            (CREDIT_CODE_ALPHABET.index(other) + 1) % len(CREDIT_CODE_ALPHABET)
        ]
    changed = code[:position] + other + code[position + 1 :]
    assert not is_valid_credit_code(changed)


@given(first17, st.integers(0, 16))
def test_swapping_two_different_neighbours_is_detected(first: str, position: int) -> None:
    code = first + check_character(first)
    a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2 :]
    assert is_valid_credit_code(swapped) == (a == b)
