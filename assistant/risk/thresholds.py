"""The numbers the risk rules compare against.

None of these is a national rule: each bank sets its own early-warning lines (预警线). The rules
file names a threshold (``lt: staff_present_min_ratio``) instead of writing a number, so that every
line a bank may want to move is a setting (``RISK_STAFF_PRESENT_MIN_RATIO``), not a rules edit.

A threshold's name ends in its unit, and the rules loader checks that each one is compared with a
value in the same unit:

* ``_pct``: a percentage written 0–100 (answers in % are stored that way);
* ``_ratio``: a fraction (0.5 is one half);
* ``_days``: a number of days.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from assistant.data.vocabulary import Bilingual

UNIT_SUFFIXES = ("_pct", "_ratio", "_days")
SETTINGS_PREFIX = "risk_"
# A setting quoted in a text the officer reads: "超过{debt_ratio_max_pct}列为风险点".
QUOTED = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# Said after every quoted value: the line is the bank's own, never a national rule.
OWN = Bilingual("（本行设定）", " (the bank's setting)")


@dataclass(frozen=True)
class RiskThresholds:
    """The bank's early-warning lines. Defaults follow common practice (see domain-facts §5)."""

    # Staff at work on the visit against the headcount the client states.
    staff_present_min_ratio: float = 0.5
    # Receivables against a year's turnover; the checklist already asks more from 30%.
    receivables_share_max_pct: float = 50
    # The share of receivables the client expects to collect.
    receivables_recovery_min_pct: float = 70
    # Turnover this year (annualised) against last year.
    revenue_drop_max_pct: float = 20
    # Annualising fewer days says little: the Spring Festival makes January and February slow.
    revenue_min_elapsed_days: int = 90
    debt_ratio_max_pct: float = 90
    top_customer_max_pct: float = 50
    # Other borrowing, investments and guarantees given, each against this bank's loan amount.
    other_debts_max_loan_ratio: float = 1.0
    investments_max_loan_ratio: float = 0.5
    guarantees_max_loan_ratio: float = 1.0
    # Collateral's market value now against its appraised value on file.
    collateral_value_min_ratio: float = 0.8
    # Collateral's market value now against the amount of the loans it secures.
    collateral_coverage_min_ratio: float = 1.0
    # Money due in the next six months against the cash the client can use now.
    due_soon_max_funds_ratio: float = 2.0
    # Output of a finished project against its design capacity.
    project_capacity_min_pct: float = 70
    # Money in per month on the statements against the monthly turnover the client states.
    statement_inflow_min_ratio: float = 0.5
    # Utility use per day against the previous visit's bills; below this, operations slowed.
    utility_consumption_min_ratio: float = 0.6
    # Days overdue from which an overdue loan is a critical finding, not a warning.
    overdue_critical_days: int = 90

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"risk threshold {spec.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"risk threshold {spec.name} must be 0 or more, got {value!r}")
            if spec.name.endswith("_days") and not float(value).is_integer():
                raise ValueError(f"risk threshold {spec.name} is a whole number of days")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every threshold name a rule may refer to, in declaration order."""
        return tuple(spec.name for spec in fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RiskThresholds:
        """Thresholds from a name → value mapping; names left out keep their defaults.

        Raises:
            ValueError: an unknown name (a typo would otherwise silently keep the default), or a
                value that is not a non-negative number.
        """
        unknown = sorted(set(values) - set(cls.names()))
        if unknown:
            raise ValueError(f"unknown risk thresholds {unknown}; known: {list(cls.names())}")
        return cls(**values)

    def value(self, name: str) -> float:
        """The threshold ``name`` as a float.

        Raises:
            KeyError: no such threshold.
        """
        if name not in self.names():
            raise KeyError(f"no risk threshold {name!r}")
        return float(getattr(self, name))


def quoted_settings(text: str) -> list[str]:
    """The settings a text quotes, by name."""
    return QUOTED.findall(text)


def quote_settings(text: Bilingual, thresholds: RiskThresholds) -> Bilingual:
    """``text`` with each ``{name}`` replaced by that setting's value and a word that it is the
    bank's own: "超过{debt_ratio_max_pct}列为风险点" → "超过90%（本行设定）列为风险点". A hint
    thus follows the setting, and never passes a bank's line off as law.

    Raises:
        KeyError: ``text`` quotes no such setting (the rules loader refuses such a checklist).
    """

    def shown(lang: str) -> str:
        def value(match: re.Match[str]) -> str:
            return _shown(match.group(1), thresholds.value(match.group(1)), lang) + OWN.get(lang)

        return QUOTED.sub(value, text.get(lang))

    return Bilingual(shown("zh"), shown("en"))


def _shown(name: str, value: float, lang: str) -> str:
    if name.endswith("_days"):
        return f"{value:g} 天" if lang == "zh" else f"{value:g} days"
    if name.endswith("_ratio") and value >= 1:
        return f"{value:g} 倍" if lang == "zh" else f"{value:g}×"
    percent = value * 100 if name.endswith("_ratio") else value
    return f"{percent:g}%"


def thresholds_from_settings(settings: Any) -> RiskThresholds:
    """The thresholds configured in ``Settings`` (``risk_<name>`` fields, env ``RISK_<NAME>``).

    Args:
        settings: an ``assistant.config.Settings``; typed loosely so that the settings module never
            has to know about the risk package.

    Raises:
        ValueError: a ``risk_*`` setting with no threshold of that name, or a threshold with no
            setting: the two lists must be kept in step.
    """
    # A pydantic model lists its fields on the class; a plain object (a test double) in vars().
    declared = getattr(type(settings), "model_fields", None)
    available = set(declared) if declared is not None else set(vars(settings))
    configured = {n[len(SETTINGS_PREFIX) :] for n in available if n.startswith(SETTINGS_PREFIX)}
    names = set(RiskThresholds.names())
    if configured != names:
        extra = sorted(configured - names)
        missing = sorted(names - configured)
        raise ValueError(
            f"risk settings and thresholds differ: settings without a threshold {extra}, "
            f"thresholds without a setting {missing}"
        )
    return RiskThresholds.from_mapping(
        {name: getattr(settings, SETTINGS_PREFIX + name) for name in RiskThresholds.names()}
    )
