"""Regenerate ``report_template.docx``, the Word layout of the post-visit report.

    .venv/bin/python prompts/reports/make_template.py [OUTPUT]

The template is a plain Word file with docxtpl tags in it (``{{ value }}``, ``{%p for … %}``
paragraphs, ``{%tr for … %}`` table rows). A bank may open it in Word, restyle it or replace it
with its own form, as long as it keeps the tags; the names it can use are those of
``assistant.reports.render.report_view`` plus ``photo_rows`` and ``unreadable``. Every word comes
from the context (``L`` holds the labels of ``prompts/reports/<lang>/labels.toml``), so one
template serves both languages.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "report_template.docx"
# Word picks the East Asian font for Chinese characters; Latin text keeps the Latin one.
LATIN_FONT = "Calibri"
CJK_FONT = "SimSun"
MUTED = RGBColor(0x59, 0x63, 0x6E)


def _fonts(document: DocumentObject) -> None:
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet"):
        style = document.styles[name]
        style.font.name = LATIN_FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), CJK_FONT)
        # Headings otherwise follow the theme's fonts, which ignore the names set above.
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
    document.styles["Normal"].font.size = Pt(10.5)


def _shade(cell_element: OxmlElement, fill: str) -> None:
    properties = cell_element.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _loop_table(
    document: DocumentObject,
    loop: str,
    cells: list[str],
    *,
    headers: list[str] | None = None,
    widths_mm: list[float] | None = None,
    bold_first: bool = False,
) -> Table:
    """A table whose body row repeats ``{%tr for … %}``; ``headers`` are tags too."""
    table = document.add_table(rows=0, cols=len(cells))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if headers:
        row = table.add_row()
        for cell, text in zip(row.cells, headers, strict=True):
            cell.paragraphs[0].add_run(text).bold = True
            _shade(cell._tc, "F2F4F7")
    table.add_row().cells[0].text = "{%tr " + loop + " %}"
    body = table.add_row()
    for index, (cell, text) in enumerate(zip(body.cells, cells, strict=True)):
        run = cell.paragraphs[0].add_run(text)
        if bold_first and index == 0:
            run.bold = True
            _shade(cell._tc, "F2F4F7")
    table.add_row().cells[0].text = "{%tr endfor %}"
    if widths_mm:
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm, strict=True):
                cell.width = Mm(width)
    return table


def _value(expression: str) -> str:
    """A ``{{ … }}`` tag (written out because f-strings would need every brace doubled)."""
    return "{{ " + expression + " }}"


def _tag(document: DocumentObject, tag: str) -> None:
    """A paragraph holding only a ``{%p … %}`` tag: docxtpl removes the paragraph itself."""
    document.add_paragraph("{%p " + tag + " %}")


def _note(document: DocumentObject, text: str) -> None:
    run = document.add_paragraph().add_run(text)
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = MUTED


def build(output: Path) -> Path:
    """Write the template to ``output`` and return it."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    _fonts(document)
    document.core_properties.title = "贷后检查报告 · Post-loan inspection report"

    document.add_paragraph("{{ title }}", style="Title")
    _loop_table(
        document,
        "for row in header_rows",
        ["{{ row.label }}", "{{ row.value }}"],
        widths_mm=[45, 125],
        bold_first=True,
    )

    _tag(document, "if loans")
    document.add_heading("{{ L.loan.title }}", level=2)
    _loop_table(
        document,
        "for loan in loans",
        [
            "{{ loan.contract }}",
            "{{ loan.product }}",
            "{{ loan.amount }}",
            "{{ loan.purpose }}",
            "{{ loan.term }}",
            "{{ loan.risk_class }}",
            "{{ loan.overdue }}",
        ],
        headers=[
            "{{ L.loan.contract }}",
            "{{ L.loan.product }}",
            "{{ L.loan.amount }}",
            "{{ L.loan.purpose }}",
            "{{ L.loan.term }}",
            "{{ L.loan.risk_class }}",
            "{{ L.loan.overdue }}",
        ],
    )
    _tag(document, "endif")

    _tag(document, "if guarantors")
    document.add_heading("{{ L.guarantors.title }}", level=2)
    _loop_table(
        document,
        "for g in guarantors",
        [
            "{{ g.name }}",
            "{{ g.relation }}",
            "{{ g.amount }}",
            "{{ g.contract }}",
            "{{ g.status }}",
        ],
        headers=[
            "{{ L.guarantors.name }}",
            "{{ L.guarantors.relation }}",
            "{{ L.guarantors.amount }}",
            "{{ L.guarantors.contract }}",
            "{{ L.guarantors.status }}",
        ],
    )
    _tag(document, "endif")

    _tag(document, "if collateral")
    document.add_heading("{{ L.collateral.title }}", level=2)
    _loop_table(
        document,
        "for c in collateral",
        [
            "{{ c.kind }}",
            "{{ c.place }}",
            "{{ c.area }}",
            "{{ c.registration }}",
            "{{ c.appraisal }}",
            "{{ c.current }}",
            "{{ c.ltv }}",
        ],
        headers=[
            "{{ L.collateral.kind }}",
            "{{ L.collateral.place }}",
            "{{ L.collateral.area }}",
            "{{ L.collateral.registration }}",
            "{{ L.collateral.appraisal }}",
            "{{ L.collateral.current }}",
            "{{ L.collateral.ltv }}",
        ],
        widths_mm=[16, 32, 16, 30, 28, 22, 26],
    )
    _tag(document, "endif")

    document.add_heading("{{ findings_heading }}", level=1)
    _tag(document, "if findings")
    _loop_table(
        document,
        "for f in findings",
        [
            "{{ f.icon }} {{ f.severity }}",
            "{{ f.title }}",
            "{{ f.detail }}",
            "{{ f.evidence_text }}",
            "{{ f.measures_text }}",
        ],
        headers=[
            "{{ L.findings.severity }}",
            "{{ L.findings.finding }}",
            "{{ L.findings.detail }}",
            "{{ L.findings.evidence }}",
            "{{ L.findings.measures }}",
        ],
        widths_mm=[20, 35, 45, 35, 35],
    )
    _tag(document, "else")
    document.add_paragraph("{{ L.findings.none }}")
    _tag(document, "endif")

    document.add_heading("{{ L.suggestion.title }}", level=1)
    paragraph = document.add_paragraph("{{ L.suggestion.label }}{{ L.sep }}")
    paragraph.add_run("{{ suggestion.label }}").bold = True
    document.add_paragraph("{{ L.suggestion.reason }}{{ L.sep }}{{ suggestion.reason }}")
    _note(document, "{{ L.suggestion.note }}")

    # The body says each fact once, in prose; the record it was written from is the appendix.
    _tag(document, "for s in sections")
    document.add_heading("{{ s.title }}", level=1)
    _tag(document, "for para in s.paragraphs")
    document.add_paragraph("{{ para }}")
    _tag(document, "endfor")
    _tag(document, "if s.source_note")
    _note(document, "{{ s.source_note }}")
    _tag(document, "endif")
    _tag(document, "endfor")

    document.add_heading("{{ L.assessment.title }}", level=1)
    document.add_paragraph("{{ assessment or L.assessment.missing }}")

    for name, title in (("missing", "L.missing.title"), ("skipped", "L.skipped.title")):
        _tag(document, f"if {name}")
        document.add_heading(_value(title), level=2)
        _tag(document, f"for entry in {name}")
        document.add_paragraph("{{ entry }}", style="List Bullet")
        _tag(document, "endfor")
        _tag(document, "endif")

    for name, title in (("remarks", "L.remarks.title"), ("review_comment", "L.review.title")):
        _tag(document, f"if {name}")
        document.add_heading(_value(title), level=2)
        document.add_paragraph(_value(name))
        _tag(document, "endif")

    _tag(document, "if photo_rows")
    document.add_heading("{{ L.photos.title }}", level=1)
    table = document.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.add_row().cells[0].text = "{%tr for row in photo_rows %}"
    body = table.add_row()
    for index, cell in enumerate(body.cells):
        cell.width = Mm(85)
        cell.paragraphs[0].add_run(_value(f"row.cells[{index}].image"))
        caption = cell.add_paragraph().add_run(_value(f"row.cells[{index}].caption"))
        caption.font.size = Pt(8)
        caption.font.color.rgb = MUTED
    table.add_row().cells[0].text = "{%tr endfor %}"
    _tag(document, "endif")

    _tag(document, "if unreadable or documents")
    document.add_heading("{{ L.files.title }}", level=2)
    _tag(document, "for p in unreadable")
    document.add_paragraph("{{ p.caption }} · {{ L.files.unreadable }}", style="List Bullet")
    _tag(document, "endfor")
    _tag(document, "for d in documents")
    document.add_paragraph("{{ d.caption }}", style="List Bullet")
    _tag(document, "endfor")
    _tag(document, "endif")

    document.add_heading("{{ L.signature.title }}", level=1)
    _tag(document, "for line in signatures")
    paragraph = document.add_paragraph("{{ line }}")
    paragraph.paragraph_format.space_before = Pt(18)
    _tag(document, "endfor")

    document.add_heading("{{ L.sections.appendix }}", level=1)
    _tag(document, "for s in sections")
    _tag(document, "if s.facts")
    document.add_heading("{{ s.title }}", level=2)
    _loop_table(
        document,
        "for fact in s.facts",
        ["{{ fact.label }}", "{{ fact.value }}"],
        headers=["{{ L.sections.fact }}", "{{ L.sections.value }}"],
        widths_mm=[95, 75],
    )
    _tag(document, "endif")
    _tag(document, "endfor")

    footer = section.footer.paragraphs[0]
    run = footer.add_run("{{ footer }}")
    run.font.size = Pt(8)
    run.font.color.rgb = MUTED

    output.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(output))
    return output


def main(argv: list[str]) -> int:
    """Write the template to ``argv[1]`` (default: next to this script)."""
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    sys.stdout.write(f"wrote {build(output)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
