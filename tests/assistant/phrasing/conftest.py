"""Fixtures for the cover phrasing: the shipped data files, a service over them (with a bank
anniversary and a campaign running all year), and writers of small broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.phrasing.donts import DontRules, load_donts
from assistant.phrasing.service import PhrasingContext, PhrasingService

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "knowledge" / "phrasing"
PHRASES = DATA / "phrases.yaml"
DONTS = DATA / "donts.yaml"
CAMPAIGNS = DATA / "campaigns.yaml"
PROMPTS = REPO / "prompts" / "llm"
ANNIVERSARY = "06-18"

CAMPAIGN_2026 = {
    "version": 1,
    "campaigns": [
        {
            "id": "working-capital-2026",
            "name": {"zh": "小微经营周转贷", "en": "the small-business working-capital loan"},
            "starts": "2026-01-01",
            "ends": "2026-12-31",
        }
    ],
}


def shipped(path: Path) -> dict[str, Any]:
    """A shipped data file as plain YAML, for parametrising tests over its entries."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def donts() -> DontRules:
    return load_donts(DONTS)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, Any], Path]:
    """Writes ``data`` (a mapping, dumped as YAML, or raw text) to ``tmp_path / name``."""

    def write(name: str, data: Any) -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def campaigns_2026(write_yaml: Callable[[str, Any], Path]) -> Path:
    return write_yaml("campaigns.yaml", CAMPAIGN_2026)


@pytest.fixture
def service(campaigns_2026: Path) -> PhrasingService:
    """The shipped phrases and don'ts, the anniversary on 06-18 and a campaign running in 2026."""
    return PhrasingService(PHRASES, DONTS, campaigns_2026, bank_anniversary=ANNIVERSARY)


@pytest.fixture
def make_context() -> Callable[..., PhrasingContext]:
    def make(**changes: Any) -> PhrasingContext:
        fields: dict[str, Any] = {
            "client_name": "王建国",
            "client_kind": "individual",
            "stage": "long_standing",
        }
        fields.update(changes)
        return PhrasingContext(**fields)

    return make
