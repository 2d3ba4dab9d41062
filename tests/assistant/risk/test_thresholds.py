"""The thresholds: named in their unit, set from RISK_* settings, and kept in step with Settings."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from assistant.config import Settings
from assistant.data.vocabulary import Bilingual
from assistant.risk.thresholds import (
    UNIT_SUFFIXES,
    RiskThresholds,
    quote_settings,
    quoted_settings,
    thresholds_from_settings,
)


def test_every_threshold_name_ends_in_its_unit():
    assert all(name.endswith(UNIT_SUFFIXES) for name in RiskThresholds.names())


def test_the_settings_defaults_are_the_threshold_defaults():
    assert thresholds_from_settings(Settings(_env_file=None)) == RiskThresholds()


def test_every_threshold_has_a_risk_setting_and_no_more():
    settings = {name for name in Settings.model_fields if name.startswith("risk_")}

    assert settings == {f"risk_{name}" for name in RiskThresholds.names()}


def test_an_environment_variable_sets_a_threshold(monkeypatch):
    monkeypatch.setenv("RISK_STAFF_PRESENT_MIN_RATIO", "0.3")
    monkeypatch.setenv("RISK_OVERDUE_CRITICAL_DAYS", "60")

    thresholds = thresholds_from_settings(Settings(_env_file=None))

    assert thresholds.staff_present_min_ratio == 0.3
    assert thresholds.overdue_critical_days == 60
    assert thresholds.value("staff_present_min_ratio") == 0.3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RISK_STAFF_PRESENT_MIN_RATIO", "1.5"),  # more staff than stated is no warning line
        ("RISK_STAFF_PRESENT_MIN_RATIO", "0"),
        ("RISK_RECEIVABLES_SHARE_MAX_PCT", "150"),
        ("RISK_OVERDUE_CRITICAL_DAYS", "0"),
    ],
)
def test_settings_refuse_a_threshold_out_of_range(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=name.lower()):
        Settings(_env_file=None)


def test_from_mapping_keeps_defaults_for_names_left_out():
    thresholds = RiskThresholds.from_mapping({"debt_ratio_max_pct": 80})

    assert thresholds.debt_ratio_max_pct == 80
    assert thresholds.staff_present_min_ratio == RiskThresholds().staff_present_min_ratio


def test_from_mapping_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="debt_ratio_max"):
        RiskThresholds.from_mapping({"debt_ratio_max": 80})


@pytest.mark.parametrize(
    "values",
    [
        {"debt_ratio_max_pct": -1},
        {"debt_ratio_max_pct": float("nan")},
        {"debt_ratio_max_pct": "90"},
        {"debt_ratio_max_pct": True},
        {"overdue_critical_days": 30.5},
    ],
)
def test_thresholds_refuse_a_bad_value(values):
    with pytest.raises(ValueError, match="risk threshold"):
        RiskThresholds(**values)


def test_value_refuses_an_unknown_name():
    with pytest.raises(KeyError):
        RiskThresholds().value("nothing")


def test_settings_out_of_step_with_the_thresholds_are_refused():
    defaults = {f"risk_{spec.name}": spec.default for spec in fields(RiskThresholds)}
    extra = SimpleNamespace(**defaults, risk_new_line_pct=5)
    short = SimpleNamespace(**{k: v for k, v in defaults.items() if k != "risk_debt_ratio_max_pct"})

    with pytest.raises(ValueError, match="new_line_pct"):
        thresholds_from_settings(extra)
    with pytest.raises(ValueError, match="debt_ratio_max_pct"):
        thresholds_from_settings(short)
    assert thresholds_from_settings(SimpleNamespace(**defaults)) == RiskThresholds()


# ── settings quoted in a hint ──────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "value", "zh", "en"),
    [
        ("debt_ratio_max_pct", 80, "80%", "80%"),
        ("staff_present_min_ratio", 0.4, "40%", "40%"),
        ("due_soon_max_funds_ratio", 2.0, "2 倍", "2×"),
        ("revenue_min_elapsed_days", 60, "60 天", "60 days"),
    ],
)
def test_a_hint_quotes_the_setting_as_the_banks_own(name, value, zh, en):
    thresholds = RiskThresholds.from_mapping({name: value})
    text = Bilingual(f"超过{{{name}}}列为风险点。", f"Above {{{name}}} is a finding.")

    quoted = quote_settings(text, thresholds)

    assert quoted == Bilingual(
        f"超过{zh}（本行设定）列为风险点。", f"Above {en} (the bank's setting) is a finding."
    )
    assert quoted_settings(text.zh) == [name]


def test_a_hint_quoting_no_setting_refuses_the_checklist(tmp_path):
    from assistant.data.checklist import ChecklistError, load_checklist
    from assistant.risk.rules import DEFAULT_PATH, load_rules

    source = Path(__file__).resolve().parents[3] / "knowledge" / "checklist.yaml"
    broken = tmp_path / "checklist.yaml"
    text = source.read_text("utf-8")
    assert "{debt_ratio_max_pct}" in text, "the shipped hint quotes the setting"
    broken.write_text(text.replace("{debt_ratio_max_pct}", "{debt_ratio_max}"), "utf-8")

    with pytest.raises(ChecklistError, match=r"debt_ratio/hint: quotes \{debt_ratio_max\}"):
        load_rules(DEFAULT_PATH, load_checklist(broken))
