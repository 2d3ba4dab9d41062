"""The unified social credit code (统一社会信用代码, GB 32100-2015) and its check character.

Every company and individual business in China carries one 18-character code on its business
licence. The last character is a check character over the first 17, so a code that was mistyped
or misread (by hand, or by OCR from a licence photo) can nearly always be caught without asking
any registry: one wrong character, or two neighbours swapped, always changes the check.
"""

from __future__ import annotations

# Digits and the uppercase letters minus I, O, S, V and Z, which are too easily confused with
# 1, 0, 5, U and 2. A character's value in the check sum is its position in this string.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18

_MODULUS = len(CREDIT_CODE_ALPHABET)  # 31
_VALUES = {ch: index for index, ch in enumerate(CREDIT_CODE_ALPHABET)}
# GB 32100-2015 weights the i-th character by 3^i mod 31.
_WEIGHTS = tuple(pow(3, i, _MODULUS) for i in range(CREDIT_CODE_LENGTH - 1))


def check_character(first17: str) -> str:
    """The check character that completes ``first17`` to a valid code.

    Raises:
        ValueError: ``first17`` is not 17 characters of :data:`CREDIT_CODE_ALPHABET`.
    """
    if len(first17) != CREDIT_CODE_LENGTH - 1 or not all(ch in _VALUES for ch in first17):
        raise ValueError(f"not 17 credit-code characters: {first17!r}")
    total = sum(_VALUES[ch] * weight for ch, weight in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(_MODULUS - total % _MODULUS) % _MODULUS]


def is_valid_credit_code(code: str) -> bool:
    """True if ``code`` is exactly 18 characters of the alphabet with a correct check character.

    The code is taken as given: callers normalise spaces and case first, so that what is
    stored is exactly what was checked.
    """
    if len(code) != CREDIT_CODE_LENGTH or not all(ch in _VALUES for ch in code):
        return False
    return check_character(code[:-1]) == code[-1]
