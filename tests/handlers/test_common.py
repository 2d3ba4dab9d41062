from handlers.common import CHUNK, split_message


def test_short_text_is_one_message():
    assert split_message("你好") == ["你好"]


def test_long_text_splits_on_line_breaks_and_keeps_every_line():
    lines = [f"<b>第 {i} 行</b> " + "内容" * 30 for i in range(400)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1
    assert all(len(part) <= CHUNK for part in parts)
    assert "\n".join(parts).split("\n") == lines
    assert all(part.count("<b>") == part.count("</b>") for part in parts)


def test_a_single_huge_line_is_cut_without_loss():
    text = "字" * (CHUNK * 2 + 10)
    parts = split_message(text)
    assert all(len(part) <= CHUNK for part in parts)
    assert "".join(parts) == text
