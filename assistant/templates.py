"""Jinja environments: the one place that builds them.

Each template root gets one environment, built once by the component that owns the root:
``prompts/messages`` by :class:`~assistant.i18n.Texts`, ``prompts/reports`` by
:func:`assistant.reports.templates.environment`, ``prompts/llm`` by
:class:`~assistant.llm.LlmComponent`, and the Word template's own by the Word renderer.
Every environment is strict: a name a template uses and nobody passed is an error, not a blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined


def environment(
    root: Path | None = None,
    *,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    autoescape: bool | Callable[[str | None], bool] = False,
    finalize: Callable[..., Any] | None = None,
    tidy: bool = False,
    keep_trailing_newline: bool = False,
) -> Environment:
    """An environment for the templates under ``root`` (none: templates made from strings).

    Args:
        filters: added to Jinja's own.
        autoescape: HTML-escape what templates output; a function decides by template name.
        finalize: applied to every value a template outputs.
        tidy: drop the newline after a block tag and the spaces before it (``trim_blocks``,
            ``lstrip_blocks``), for templates laid out for reading.
    """
    env = Environment(
        loader=FileSystemLoader(root) if root is not None else None,
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=finalize,
        trim_blocks=tidy,
        lstrip_blocks=tidy,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.filters.update(filters or {})
    return env


def word_environment() -> Environment:
    """The environment docxtpl fills the Word template with: values escaped for its XML."""
    return Environment(undefined=StrictUndefined, autoescape=True)
