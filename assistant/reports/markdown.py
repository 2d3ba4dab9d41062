"""Telegram MarkdownV2 without python-telegram-bot: escaping, and splitting into messages.

The domain never imports ``telegram`` (see tests/test_architecture.py), so the escaping rule of
the Bot API ("any character with code between 1 and 126 can be escaped with a preceding '\\'";
these must be) is implemented here.
"""

from __future__ import annotations

import re
import unicodedata

# The characters MarkdownV2 reserves outside code entities, and the backslash itself.
SPECIAL = "\\_*[]()~`>#+-=|{}.!"
_SPECIAL = re.compile("[" + re.escape(SPECIAL) + "]")
# Telegram's limit is 4096 UTF-16 code units after parsing; 4000 of the raw text leaves room.
CHUNK_LIMIT = 4000
# An overlong line is cut at a space or punctuation found this far back from the limit, if any.
_LOOKBACK = 200
_BREAK_AFTER = set(" \t，。；：！？、,;:!?)）」』】")
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}
_REGIONAL = "".join(chr(c) for c in range(0x1F1E6, 0x1F200))


class MarkdownV2(str):
    """Text that is already valid MarkdownV2 and must not be escaped again."""

    __slots__ = ()


def escape_markdown_v2(text: str) -> MarkdownV2:
    """``text`` with every reserved character escaped, to be shown literally.

    Args:
        text: any text: a client name such as ``<b>张&李</b>_*[x]``, a typed answer.
    """
    return MarkdownV2(_SPECIAL.sub(r"\\\g<0>", str(text)))


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: emoji outside the BMP count twice."""
    return len(text.encode("utf-16-le")) // 2


def split_markdown_v2(text: str, limit: int = CHUNK_LIMIT) -> list[str]:
    """Split a MarkdownV2 message into chunks of at most ``limit`` UTF-16 units.

    Chunks end only between lines, so an entity (which the renderer never lets span a line)
    is never cut. A single line longer than ``limit`` is cut at a space or punctuation near the
    limit, else at the limit, but never right after an escaping backslash and never inside an
    emoji sequence or before a combining mark. Empty lines at the edges of a chunk are dropped
    (Telegram refuses an empty message); nothing else is lost, so joining the chunks gives the
    text back, newlines aside.

    Raises:
        ValueError: ``limit`` is too small to hold an escaped character.
    """
    if limit < 8:
        raise ValueError(f"a chunk limit of {limit} cannot hold an escaped character")
    chunks: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        chunk = "\n".join(current).strip("\n")
        if chunk:
            chunks.append(chunk)
        current, size = [], 0

    for line in text.split("\n"):
        length = utf16_len(line)
        if length > limit:
            flush()
            pieces = _cut_line(line, limit)
            chunks.extend(pieces[:-1])
            line, length = pieces[-1], utf16_len(pieces[-1])
        extra = length + (1 if current else 0)
        if current and size + extra > limit:
            # A heading goes with the text under it, never last in a message of its own.
            carried = _trailing_headings(current)
            moved = utf16_len("\n".join(carried)) + 1 + length
            if carried and len(carried) < len(current) and moved <= limit:
                del current[-len(carried) :]
                flush()
                current, size = carried, utf16_len("\n".join(carried))
                extra = length + 1
            else:
                flush()
                extra = length
        current.append(line)
        size += extra
    flush()
    return chunks


# A whole line in bold: a heading of the chat preview ("*风险信号*").
HEADING = re.compile(r"^\*[^*\n]+\*$")


def _trailing_headings(lines: list[str]) -> list[str]:
    """The heading lines (and blank lines after them) that end ``lines``."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and HEADING.match(lines[start - 1]):
        start -= 1
    return lines[start:] if start < end else []


def _cut_line(line: str, limit: int) -> list[str]:
    pieces = []
    while utf16_len(line) > limit:
        cut = _safe_cut(line, limit)
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def _safe_cut(line: str, limit: int) -> int:
    end = _fit(line, limit)
    for position in range(end, max(end - _LOOKBACK, 0), -1):
        if line[position - 1] in _BREAK_AFTER and _can_cut(line, position):
            return position
    position = end
    while position > 1 and not _can_cut(line, position):
        position -= 1
    return position


def _fit(line: str, limit: int) -> int:
    """The longest prefix (in code points) that fits in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(line):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(line)


def _can_cut(line: str, position: int) -> bool:
    before, after = line[position - 1], line[position] if position < len(line) else ""
    if _run_before(line, position, "\\") % 2:
        return False  # the backslash escapes the next character: keep them together
    if before in _JOINERS or after in _JOINERS:
        return False
    if after and (unicodedata.combining(after) or "\U0001f3fb" <= after <= "\U0001f3ff"):
        return False  # a combining mark or a skin-tone modifier belongs to what precedes it
    if before in _REGIONAL and after and after in _REGIONAL:
        # Regional indicators pair up into flags from the start of their run: cut only after
        # an even number of them.
        return _run_before(line, position, _REGIONAL) % 2 == 0
    return True


def _run_before(line: str, position: int, chars: str) -> int:
    """How many characters of ``chars`` stand in a row right before ``position``."""
    count = 0
    while position - count > 0 and line[position - count - 1] in chars:
        count += 1
    return count
