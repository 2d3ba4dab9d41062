"""The shared words of the domain: a label in both languages, borrower kinds, loan products and
the kinds of check a visit makes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.db.models import ClientKind, LoanProduct

# Taken from the database's enums, so a kind or product a data file names is one the portfolio
# can hold.
KINDS: tuple[str, ...] = tuple(kind.value for kind in ClientKind)
PRODUCTS: tuple[str, ...] = tuple(product.value for product in LoanProduct)
# First purpose check (首次用途检查), scheduled check (定期检查), focused check (重点检查).
CHECKS: tuple[str, ...] = ("purpose", "periodic", "focused")
# How much a visit asks: the checklist's short_visit list, or every question that applies.
SHORT, FULL = "short", "full"
DEPTHS: tuple[str, ...] = (SHORT, FULL)


def checks_of(check_type: str) -> frozenset[str]:
    """The checks one visit makes: a visit to a client with a new loan and an older one is
    ``purpose+periodic``, both at once."""
    return frozenset(part for part in check_type.split("+") if part)


def combine_checks(checks: Iterable[str]) -> str:
    """One visit's ``check_type`` for these checks, in a fixed order. A focused check asks
    everything a periodic one does, and more, so it stands for both."""
    wanted = set(checks)
    if "focused" in wanted:
        wanted.discard("periodic")
    return "+".join(c for c in CHECKS if c in wanted)


@dataclass(frozen=True)
class Bilingual:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh
