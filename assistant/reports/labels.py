"""The report's fixed wording, in ``prompts/reports/<lang>/labels.toml``.

The layouts (chat, Word, HTML) are shared by both languages; every word they show comes from the
labels of the report's language, so a bank can reword the report without touching a template.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "prompts" / "reports"
LANGS = ("zh", "en")


def _frozen(table: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {k: _frozen(v) if isinstance(v, Mapping) else v for k, v in table.items()}
    )


@functools.cache
def load_labels(templates_dir: Path, lang: str) -> Mapping[str, Any]:
    """The labels of ``lang``, read once per directory (read-only, shared between reports).

    Raises:
        ValueError: an unsupported language.
        OSError, tomllib.TOMLDecodeError: the labels file is missing or broken.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; expected one of {list(LANGS)}")
    with (templates_dir / lang / "labels.toml").open("rb") as fh:
        return _frozen(tomllib.load(fh))
