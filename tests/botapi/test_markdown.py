"""The stand-in reads MarkdownV2 as Telegram does, and refuses what Telegram refuses."""

import pytest

from botapi.markdown import MarkdownV2Error, markdown_v2_to_html


def test_entities_and_escapes_become_html():
    text = r"*报告* \(第 1 版\) _张&李_ [链接](https://e.x/a\)b) `x<y` 1\.5"
    assert markdown_v2_to_html(text) == (
        '<b>报告</b> (第 1 版) <i>张&amp;李</i> <a href="https://e.x/a)b">链接</a> '
        "<code>x&lt;y</code> 1.5"
    )


@pytest.mark.parametrize("text", ["1.5", "a-b", "*bold", "(x)", "ends with \\", "x!"])
def test_what_telegram_refuses_is_refused(text):
    with pytest.raises(MarkdownV2Error, match="can't parse entities"):
        markdown_v2_to_html(text)
