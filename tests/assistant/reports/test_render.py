"""The three renderings of a report: chat preview (MarkdownV2), Word and HTML."""

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.data.vocabulary import Bilingual
from assistant.reports.labels import DEFAULT_TEMPLATES
from assistant.reports.markdown import SPECIAL, utf16_len
from assistant.reports.render import (
    generated_file_name,
    render_chat,
    render_chat_text,
    render_docx,
    render_html,
)
from assistant.risk.model import Finding, Severity
from tests.assistant.reports.conftest import HOSTILE_NAME, docx_text

TEMPLATE = DEFAULT_TEMPLATES / "report_template.docx"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def assert_valid_markdown_v2(text: str) -> None:
    """Every reserved character is escaped or an entity marker, and no entity spans a line."""
    for number, line in enumerate(text.split("\n"), start=1):
        open_entities: list[str] = []
        index = 0
        while index < len(line):
            char = line[index]
            if char == "\\":
                assert index + 1 < len(line) and line[index + 1] in SPECIAL, (number, line)
                index += 2
                continue
            if char in "*_":
                if open_entities and open_entities[-1] == char:
                    open_entities.pop()
                else:
                    open_entities.append(char)
            else:
                assert char not in SPECIAL, f"unescaped {char!r} on line {number}: {line}"
            index += 1
        assert not open_entities, f"entity left open on line {number}: {line}"


def long_findings(n: int) -> list[Finding]:
    return [
        Finding(
            rule_id=f"rule.{i}",
            severity=list(Severity)[i % 4],
            title=Bilingual(f"风险信号 {i} (测试)", f"Signal {i} (test)"),
            detail=Bilingual("详细说明：" + "现金流紧张，应收账款回收慢。" * 8, "Details. " * 30),
            evidence=(),
            measures=(Bilingual("加强监控。", "Monitor closely."),),
        )
        for i in range(n)
    ]


# ── chat ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_chat_preview_is_one_valid_screen_in_the_agreed_order(make_report, lang: str):
    data = make_report(lang, review_comment="请补充流水。", name=HOSTILE_NAME, remarks="见附件。")
    text = render_chat_text(data, tz=SHANGHAI)
    assert_valid_markdown_v2(text)
    labels = {
        "zh": ["贷后检查报告", "检查时间", "风险信号", "建议分类", "缺资料", "综合评价", "备注",
               "审核意见", "Word 或 HTML"],
        "en": ["Post\\-Loan Inspection Report", "Time of check", "Risk signals", "Suggested class",
               "Missing", "Overall assessment", "Remarks", "Reviewer's comment", "Word or HTML"],
    }[lang]  # fmt: skip
    positions = [text.index(label) for label in labels]
    assert positions == sorted(positions)
    assert text.index("🔴") < text.index("🟠") < text.index("🟡") < text.index("⚪")
    assert "09:05" in text  # times in the bank's time zone
    assert len(text.splitlines()) <= 25 and len(render_chat(data, tz=SHANGHAI)) == 1
    # The sections are in the files, not on the phone's screen.
    assert data.sections[0].narrative not in text


def test_the_suggested_class_is_labelled_as_a_suggestion(make_report):
    text = render_chat_text(make_report("zh"), tz=SHANGHAI)
    assert "建议分类：*关注*" in text and "仅供参考" in text
    english = render_chat_text(make_report("en"), tz=SHANGHAI)
    assert "Suggested class: *Special mention*" in english and "advice only" in english


def test_special_characters_in_names_and_answers_are_escaped(make_report):
    data = make_report(
        "zh", name=HOSTILE_NAME, remarks="1+1=2 (见附件) #标签 ~删除~ `code` >引用 |x| {y}!"
    )
    text = render_chat_text(data, tz=SHANGHAI)
    assert_valid_markdown_v2(text)
    assert "<b\\>张&李</b\\>\\_\\*\\[x\\]" in text
    assert "1\\+1\\=2 \\(见附件\\) \\#标签 \\~删除\\~ \\`code\\` \\>引用" in text


def test_many_findings_still_fit_one_screen(make_report):
    data = make_report("zh", findings=long_findings(40), name=HOSTILE_NAME)
    chunks = render_chat(data, tz=SHANGHAI)
    assert len(chunks) == 1 and utf16_len(chunks[0]) <= 4000
    assert_valid_markdown_v2(chunks[0])
    assert len(chunks[0].splitlines()) <= 25
    assert "另 32 条见报告" in chunks[0]


def test_an_overlong_remark_is_cut_safely(make_report):
    data = make_report("en", remarks="Cash (flow) is tight. " * 600)
    chunks = render_chat(data, tz=SHANGHAI)
    assert len(chunks) == 1 and utf16_len(chunks[0]) <= 4000
    assert (len(chunks[0]) - len(chunks[0].rstrip("\\"))) % 2 == 0
    assert_valid_markdown_v2(chunks[0])


# ── HTML ──────────────────────────────────────────────────────────────────────────────────────


def test_the_html_file_is_self_contained_escaped_and_fit_for_phones(make_report):
    data = make_report("zh", name=HOSTILE_NAME, photos=3, corrupt=1)
    html = render_html(data, tz=SHANGHAI)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.count('src="data:image/jpeg;base64,') == 3
    assert "&lt;b&gt;张&amp;李&lt;/b&gt;_*[x]" in html
    assert HOSTILE_NAME not in html and "<b>" not in html
    assert "无法打开，未嵌入" in html  # the corrupt photo is listed
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing fetched from outside
    assert "贷款部分挪作他用" in html and "检查人（签字）" in html


def test_the_english_html_has_english_labels(make_report):
    html = render_html(make_report("en", photos=0), tz=SHANGHAI)
    assert '<html lang="en">' in html and "Risk signals (4)" in html
    assert "data:image" not in html


# ── Word ──────────────────────────────────────────────────────────────────────────────────────


def test_the_word_file_holds_findings_name_and_one_image_per_photo(make_report):
    data = make_report("zh", name=HOSTILE_NAME, photos=5)
    text, images = docx_text(render_docx(data, TEMPLATE, tz=SHANGHAI))
    assert images == 5
    assert HOSTILE_NAME in text
    for finding in data.findings:
        assert finding.title.zh in text and finding.detail.zh in text
    assert "要求限期归还挪用资金。" in text  # measures
    assert "挪用金额：5万元" in text  # evidence
    assert "建议分类：关注" in text and "检查人（签字）" in text
    assert "现场经营地址与本行档案登记一致" in text  # a narrative
    assert "约35人" in text  # a fact
    assert "与第 1 号文件相同" in text  # the possibly reused photo is flagged


def test_the_word_file_in_english(make_report):
    text, images = docx_text(render_docx(make_report("en", photos=1), TEMPLATE, tz=SHANGHAI))
    assert images == 1
    assert "Part of the loan was diverted" in text and "Suggested class: Special mention" in text
    assert "贷后检查报告" not in text


def test_thirty_big_photos_still_make_a_report(make_report):
    data = make_report("zh", photos=30, photo_size=(2400, 1600))
    content = render_docx(data, TEMPLATE, tz=SHANGHAI)
    _, images = docx_text(content)
    assert images == 30
    assert len(content) < 30 * 400_000  # downscaled, not the originals


def test_a_corrupt_photo_is_listed_not_embedded(make_report):
    data = make_report("zh", photos=2, corrupt=1)
    text, images = docx_text(render_docx(data, TEMPLATE, tz=SHANGHAI))
    assert images == 2
    assert "第 3 号 · 门头、招牌和门牌号 · 收到于 2026年3月2日 14:30 · 无法打开，未嵌入" in text


def test_control_characters_do_not_break_the_word_file(make_report):
    data = make_report("zh", remarks="第一行\x07\x0c第二行\n第三行\x00")
    text, _ = docx_text(render_docx(data, TEMPLATE, tz=SHANGHAI))
    assert "第一行第二行\n第三行" in text


def test_the_template_script_regenerates_a_working_template(make_report, tmp_path: Path):
    output = tmp_path / "template.docx"
    script = DEFAULT_TEMPLATES / "make_template.py"
    result = subprocess.run(
        [sys.executable, str(script), str(output)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    text, images = docx_text(render_docx(make_report("en", photos=2), output, tz=SHANGHAI))
    assert images == 2 and "Risk signals (4)" in text and "{{" not in text


def test_a_report_without_findings_files_or_remarks(make_report):
    data = make_report("zh", photos=0, findings=[], remarks=None)
    data = replace(data, files=())
    text, images = docx_text(render_docx(data, TEMPLATE, tz=SHANGHAI))
    assert images == 0 and "本次检查未发现风险信号。" in text and "备注" not in text
    assert "本次检查未发现风险信号。" in render_chat_text(data, tz=SHANGHAI)
    assert "本次检查未发现风险信号。" in render_html(data, tz=SHANGHAI)


def test_file_names_are_safe(make_report):
    assert (
        generated_file_name(make_report("zh"), "docx", SHANGHAI) == "report_C001_20260302_v2.docx"
    )


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed here")
def test_libreoffice_converts_the_word_file_to_pdf(make_report, tmp_path: Path):
    source = tmp_path / "report.docx"
    source.write_bytes(render_docx(make_report("zh", photos=3), TEMPLATE, tz=SHANGHAI))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_every_line_of_the_preview_ends_where_it_should(make_report):
    text = render_chat_text(make_report("zh"), tz=SHANGHAI)
    lines = text.split("\n")
    assert any(line.startswith("综合评价：") for line in lines), lines
    assert any(line.startswith("未答 ") for line in lines), lines
