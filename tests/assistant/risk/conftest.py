"""Fixtures for the risk rules: the shipped checklist, the shipped rules (and the words of the
five-tier suggestion in them) and an engine with the default thresholds."""

from __future__ import annotations

import pytest

from assistant.data.checklist import Checklist, load_checklist
from assistant.risk.classification import ClassificationTexts
from assistant.risk.rules import RiskEngine, RuleSet, load_rules
from assistant.risk.thresholds import RiskThresholds

from .builders import CHECKLIST, RULES


@pytest.fixture(scope="session")
def checklist() -> Checklist:
    return load_checklist(CHECKLIST)


@pytest.fixture(scope="session")
def rules(checklist: Checklist) -> RuleSet:
    return load_rules(RULES, checklist)


@pytest.fixture(scope="session")
def texts(rules: RuleSet) -> ClassificationTexts:
    return rules.classification


@pytest.fixture
def engine(rules: RuleSet) -> RiskEngine:
    return RiskEngine(rules, RiskThresholds())
