"""MarkdownV2 escaping and splitting into Telegram messages."""

import pytest

from assistant.reports.markdown import (
    SPECIAL,
    MarkdownV2,
    escape_markdown_v2,
    split_markdown_v2,
    utf16_len,
)


def trailing_backslashes(text: str) -> int:
    return len(text) - len(text.rstrip("\\"))


def test_every_reserved_character_and_the_backslash_are_escaped():
    escaped = escape_markdown_v2(SPECIAL)
    assert escaped == "".join("\\" + c for c in SPECIAL)
    assert isinstance(escaped, MarkdownV2)
    assert escape_markdown_v2("<b>张&李</b>_*[x]") == "<b\\>张&李</b\\>\\_\\*\\[x\\]"
    assert escape_markdown_v2("贷款 25 万元，正常") == "贷款 25 万元，正常"


def test_a_short_text_is_one_chunk():
    assert split_markdown_v2("*标题*\n正文") == ["*标题*\n正文"]
    assert split_markdown_v2("\n\n") == []


def test_chunks_end_between_lines_and_lose_nothing_but_newlines():
    lines = [f"*第 {i} 行* " + escape_markdown_v2(f"金额 {i}.5 万元 (约)") * 20 for i in range(60)]
    text = "\n".join(lines)
    chunks = split_markdown_v2(text, 4000)
    assert len(chunks) >= 3
    assert all(utf16_len(c) <= 4000 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    # Whole lines only: every line of every chunk is one of the original lines.
    assert all(line in lines for chunk in chunks for line in chunk.split("\n"))


def test_an_overlong_line_is_cut_at_a_space_and_never_after_an_escaping_backslash():
    line = escape_markdown_v2("a.b-c " * 3000)
    chunks = split_markdown_v2(line, 1000)
    assert len(chunks) > 3
    assert all(utf16_len(c) <= 1000 for c in chunks)
    assert all(trailing_backslashes(c) % 2 == 0 for c in chunks)
    assert all(c.endswith(" ") for c in chunks[:-1])
    assert "".join(chunks) == line


@pytest.mark.parametrize("limit", [9, 10, 11, 12, 13, 50, 101])
def test_a_line_of_escapes_only_is_cut_between_escape_sequences(limit: int):
    line = escape_markdown_v2("." * 500)
    chunks = split_markdown_v2(line, limit)
    assert all(c.startswith("\\.") for c in chunks)
    assert all(trailing_backslashes(c) % 2 == 0 for c in chunks)
    assert "".join(chunks) == line


def test_emoji_count_twice_and_are_never_split():
    line = "🔴" * 3000 + "👨\u200d👩\u200d👧" * 10
    chunks = split_markdown_v2(line, 4000)
    assert all(utf16_len(c) <= 4000 for c in chunks)
    assert len(chunks[0]) == 2000  # 2000 emoji = 4000 UTF-16 units
    assert all(not c.startswith("\u200d") and not c.endswith("\u200d") for c in chunks)
    assert "".join(chunks) == line


def test_a_flag_and_a_combining_mark_stay_whole():
    flags = "🇨🇳" * 50
    chunks = split_markdown_v2(flags, 13)
    assert all(len(c) % 2 == 0 for c in chunks)
    accented = "e\u0301" * 30
    assert all(not c.startswith("\u0301") for c in split_markdown_v2(accented, 9))


def test_a_tiny_limit_is_refused():
    with pytest.raises(ValueError, match="cannot hold"):
        split_markdown_v2("text", 2)


def test_a_heading_goes_with_its_text_never_last_in_a_message():
    text = "a" * 30 + "\n*备注*\n\n" + "b" * 30
    assert split_markdown_v2(text, 40) == ["a" * 30, "*备注*\n\n" + "b" * 30]
    # A heading that is all the chunk holds stays: nothing else could carry it.
    assert split_markdown_v2("*备注*\n" + "b" * 38, 40) == ["*备注*", "b" * 38]
