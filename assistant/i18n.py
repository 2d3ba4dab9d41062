"""User-facing texts. Every message is a jinja2 template in ``prompts/messages/<lang>/*.toml``.

Each TOML file holds one area (``core.toml``, ``import.toml`` ...); keys are dotted paths.
"""

from __future__ import annotations

import html
import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from jinja2 import Template
from markupsafe import Markup

from assistant.clock import local_format
from assistant.templates import environment

Lang = Literal["zh", "en"]
# The Telegram HTML tags the templates use; plain text drops them.
MARKUP_TAG = re.compile(r"</?(?:b|i|u|s|code|pre)>")
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"


def language_from_code(code: str | None) -> Lang:
    """Map a Telegram ``language_code`` to a supported language; Chinese is the primary one."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


class Texts:
    """Renders message templates in one of :data:`LANGUAGES`.

    ``render`` escapes parameters for Telegram's HTML parse mode (names and answers typed by users
    can hold ``<`` or ``&``); ``plain`` is for the terminal.

    Templates show a date or a stored moment with the ``local`` filter,
    ``{{ report.submitted_at | local("%Y-%m-%d %H:%M") }}``: a moment is shown in ``tz`` (the
    bank's ``TIMEZONE``), a plain date as it is.
    """

    def __init__(self, directory: Path, tz: tzinfo) -> None:
        self.directory = directory
        self.tz = tz
        self._sources: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            for path in sorted((directory / lang).glob("*.toml")):
                with path.open("rb") as fh:
                    table = _flatten(tomllib.load(fh))
                clash = merged.keys() & table.keys()
                if clash:
                    raise ValueError(f"{path}: keys defined twice: {sorted(clash)}")
                merged.update(table)
            self._sources[lang] = merged
        # One environment for both forms: a message for Telegram is compiled inside an
        # autoescape block, so what users typed is escaped there and nowhere else.
        self._env = environment(
            filters={"money": format_money, "local": self._local, "clip": clip, "sup": superscript}
        )
        self._cache: dict[tuple[bool, str, str], Template] = {}

    def _local(self, value: date | datetime, pattern: str) -> str:
        return local_format(value, pattern, self.tz)

    def keys(self, lang: Lang) -> set[str]:
        return set(self._sources[lang])

    def _template(self, html: bool, lang: Lang, key: str) -> Template:
        cache_key = (html, lang, key)
        if cache_key not in self._cache:
            source = self._sources[lang].get(key)
            if source is None:
                raise KeyError(f"message {key!r} is missing from prompts/messages/{lang}/")
            if html:
                source = f"{{% autoescape true %}}{source}{{% endautoescape %}}"
            else:
                # Drop the template's own formatting tags; what users typed stays as typed.
                source = MARKUP_TAG.sub("", source)
            self._cache[cache_key] = self._env.from_string(source)
        return self._cache[cache_key]

    def render(self, lang: Lang, key: str, **params: Any) -> str:
        """The message as Telegram HTML; parameters are escaped; ``t(key)`` nests a message."""

        def nested(inner: str, **inner_params: Any) -> Markup:
            return Markup(self.render(lang, inner, **inner_params))

        return self._template(True, lang, key).render(lang=lang, t=nested, **params).strip()

    def plain(self, lang: Lang, key: str, **params: Any) -> str:
        """The message as plain text, for the terminal."""

        def nested(inner: str, **inner_params: Any) -> str:
            return self.plain(lang, inner, **inner_params)

        return self._template(False, lang, key).render(lang=lang, t=nested, **params).strip()


# A phone in portrait shows about 20 Chinese characters on a line, or 36 Latin ones.
PHONE_LINE = 20.0
_NARROW = PHONE_LINE / 36


def display_width(text: str) -> float:
    """How wide ``text`` is on a phone, in Chinese characters: a Latin letter is about half one,
    an emoji (outside the basic plane) a whole one."""
    return sum(
        1.0 if unicodedata.east_asian_width(c) in "WF" or ord(c) > 0xFFFF else _NARROW for c in text
    )


# A visit step fits a phone's screen without scrolling: about this many lines.
PHONE_SCREEN_LINES = 8


def phone_lines(text_html: str) -> int:
    """How many lines a message takes on a phone: each line wraps at the screen's width."""
    shown = html.unescape(MARKUP_TAG.sub("", text_html))
    return sum(
        max(1, math.ceil(display_width(line) / PHONE_LINE - 1e-9)) for line in shown.split("\n")
    )


def clip(text: str, width: float) -> str:
    """``text`` cut to ``width`` Chinese characters wide, with "…" when cut: an answer said back
    ("✓ 已记录：…") stays on its line of a phone's screen however long the answer was."""
    if display_width(text) <= width:
        return text
    kept, used = [], display_width("…")
    for c in text:
        used += display_width(c)
        if used > width:
            break
        kept.append(c)
    return "".join(kept).rstrip() + "…"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    """A footnote mark: ``12`` → ``¹²`` (Telegram's HTML has no <sup>)."""
    return str(number).translate(_SUPERSCRIPT)


def format_money(value: Any) -> str:
    """``1234567.5`` → ``1,234,567.50`` (amounts are stored in yuan)."""
    if value is None:
        return "-"
    return f"{float(value):,.2f}"
