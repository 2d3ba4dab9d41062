"""Telegram's MarkdownV2, as the Bot API reads it: to HTML, or the same 400 error it answers.

The stand-in needs this so that a preview escaped wrongly fails in a test exactly as it would
fail against Telegram ("Character '.' is reserved and must be escaped with the preceding '\\'"),
and so that tests read the text a phone would show.
"""

from __future__ import annotations

import html

RESERVED = set("_*[]()~`>#+-=|{}.!")
# Longest markers first: "__" (underline) before "_" (italic), "||" (spoiler) before anything.
MARKERS = (("||", "tg-spoiler"), ("__", "u"), ("*", "b"), ("_", "i"), ("~", "s"))


class MarkdownV2Error(ValueError):
    """The text is not valid MarkdownV2; the message is what Telegram says."""


def markdown_v2_to_html(text: str) -> str:
    """Convert MarkdownV2 to the equivalent Telegram HTML.

    Raises:
        MarkdownV2Error: an unescaped reserved character, or an entity left open.
    """
    out: list[str] = []
    open_tags: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise MarkdownV2Error("can't parse entities: text must not end with '\\'")
            out.append(html.escape(text[i + 1], quote=False))
            i += 2
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = text.find(fence, i + len(fence))
            if end < 0:
                raise MarkdownV2Error(
                    f"can't parse entities: can't find end of Pre entity at byte offset {i}"
                )
            body = text[i + len(fence) : end].replace("\\`", "`").replace("\\\\", "\\")
            tag = "pre" if fence == "```" else "code"
            out.append(f"<{tag}>{html.escape(body, quote=False)}</{tag}>")
            i = end + len(fence)
            continue
        if char == "[":
            close = _unescaped(text, "]", i + 1)
            if close < 0 or not text.startswith("(", close + 1):
                raise MarkdownV2Error(_reserved(char))
            url_end = _unescaped(text, ")", close + 2)
            if url_end < 0:
                raise MarkdownV2Error(_reserved("("))
            label = markdown_v2_to_html(text[i + 1 : close])
            url = text[close + 2 : url_end].replace("\\)", ")").replace("\\\\", "\\")
            out.append(f'<a href="{html.escape(url)}">{label}</a>')
            i = url_end + 1
            continue
        if char == ">" and (i == 0 or text[i - 1] == "\n"):
            # A block quote line: shown as its text.
            i += 1
            continue
        marker = next(((m, tag) for m, tag in MARKERS if text.startswith(m, i)), None)
        if marker is not None:
            if open_tags and open_tags[-1][0] == marker[0]:
                out.append(f"</{open_tags.pop()[1]}>")
            else:
                open_tags.append(marker)
                out.append(f"<{marker[1]}>")
            i += len(marker[0])
            continue
        if char in RESERVED:
            raise MarkdownV2Error(_reserved(char))
        out.append(html.escape(char, quote=False))
        i += 1
    if open_tags:
        raise MarkdownV2Error("can't parse entities: can't find end of an entity")
    return "".join(out)


def _unescaped(text: str, char: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _reserved(char: str) -> str:
    return (
        f"can't parse entities: Character '{char}' is reserved and must be escaped "
        "with the preceding '\\'"
    )
