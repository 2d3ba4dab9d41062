"""Phrasing settings: the bank anniversary is a month and day; the windows have sane bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.config import Settings


def test_the_defaults():
    settings = Settings(_env_file=None)
    assert settings.bank_anniversary is None
    assert settings.phrasing_festival_lookahead_days == 14


@pytest.mark.parametrize(("given", "kept"), [("06-18", "06-18"), (" 02-29 ", "02-29"), ("", None)])
def test_a_month_and_day_is_accepted(given: str, kept: str | None):
    assert Settings(_env_file=None, bank_anniversary=given).bank_anniversary == kept


@pytest.mark.parametrize("bad", ["6-18", "13-01", "02-30", "06/18", "2026-06-18"])
def test_anything_else_is_refused(bad: str):
    with pytest.raises(ValidationError, match="BANK_ANNIVERSARY"):
        Settings(_env_file=None, bank_anniversary=bad)


def test_the_windows_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BANK_ANNIVERSARY", "11-08")
    monkeypatch.setenv("PHRASING_FESTIVAL_LOOKAHEAD_DAYS", "7")
    settings = Settings(_env_file=None)
    assert (settings.bank_anniversary, settings.phrasing_festival_lookahead_days) == ("11-08", 7)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, phrasing_festival_lookahead_days=-1)
