"""The shared words of the domain: a label in both languages, borrower kinds, loan products and
the kinds of check a visit makes."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.db.models import ClientKind, LoanProduct

# Taken from the database's enums, so a kind or product a data file names is one the portfolio
# can hold.
KINDS: tuple[str, ...] = tuple(kind.value for kind in ClientKind)
PRODUCTS: tuple[str, ...] = tuple(product.value for product in LoanProduct)
# First purpose check (首次用途检查), scheduled check (定期检查), focused check (重点检查).
CHECKS: tuple[str, ...] = ("purpose", "periodic", "focused")


@dataclass(frozen=True)
class Bilingual:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh
