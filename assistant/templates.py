"""Jinja environments: the one place that builds them.

Each template root gets one environment, built once by the component that owns the root:
``prompts/messages`` by :class:`~assistant.i18n.Texts`, ``prompts/reports`` by
:func:`assistant.reports.templates.environment`, ``prompts/llm`` by
:class:`~assistant.llm.LlmComponent`, and the Word template's own by the Word renderer.
Every environment is strict: a name a template uses and nobody passed is an error, not a blank.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template


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


class _WordEnvironment(Environment):
    """docxtpl compiles each part of the Word template (body, headers, footers, properties) from
    its XML at every render: about half of a report's Word file, on the thread that holds the
    interpreter while officers wait. One template gives the same XML every time, so what was
    compiled is kept (the few most recent sources; a bank's new template file gets new ones)."""

    KEPT = 64

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True)
        self._compiled: OrderedDict[str, Template] = OrderedDict()
        # Reports are built on worker threads, several at once.
        self._lock = threading.Lock()

    def from_string(  # type: ignore[override]
        self,
        source: str,
        globals: Mapping[str, Any] | None = None,
        template_class: type[Template] | None = None,
    ) -> Template:
        if globals or template_class is not None:
            return super().from_string(source, globals, template_class)
        with self._lock:
            found = self._compiled.get(source)
            if found is not None:
                self._compiled.move_to_end(source)
                return found
        template = super().from_string(source)
        with self._lock:
            self._compiled[source] = template
            while len(self._compiled) > self.KEPT:
                self._compiled.popitem(last=False)
        return template


@cache
def word_environment() -> Environment:
    """The environment docxtpl fills the Word template with: values escaped for its XML. One
    for the process, made when the first Word file is."""
    return _WordEnvironment()
