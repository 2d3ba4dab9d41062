"""The report's templates (``prompts/reports``): one environment for the chat preview, the HTML
file and the narrative paragraphs.

What each output needs is decided by the template's name: ``*.html.j2`` is HTML-escaped,
``*.md.j2`` is escaped for Telegram's MarkdownV2 (a value already marked :class:`MarkdownV2` is
placed as it is), and the narrative templates output plain text.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from assistant.reports.format import bare, lcfirst
from assistant.reports.markdown import MarkdownV2, escape_markdown_v2
from assistant.templates import environment as new_environment

# A title inside a bold or italic entity is kept on one short line, so that the chunking, which
# cuts only between lines (or inside an overlong line), can never cut an entity.
ENTITY_TEXT_LIMIT = 200


def oneline(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= ENTITY_TEXT_LIMIT else text[: ENTITY_TEXT_LIMIT - 1] + "…"


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    name = context.name or ""
    if not name.endswith(".md.j2") or isinstance(value, MarkdownV2):
        return value
    return escape_markdown_v2("" if value is None else str(value))


def _html(name: str | None) -> bool:
    return bool(name and name.endswith(".html.j2"))


@functools.cache
def environment(root: Path) -> Environment:
    """The environment of the report templates under ``root``, built once per process."""
    return new_environment(
        root,
        filters={"bare": bare, "lcfirst": lcfirst, "oneline": oneline},
        autoescape=_html,
        finalize=_finalize,
        tidy=True,
    )
