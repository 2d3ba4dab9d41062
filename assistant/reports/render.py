"""Render a :class:`ReportData` as a chat preview, a Word file and a self-contained HTML file.

All three read one *view* of the report: every text resolved to the report's language and every
value formatted, so the layouts (``prompts/reports/chat.md.j2``, ``report.html.j2`` and the Word
template) only place strings. Each output escapes what it shows in its own way: MarkdownV2 for the
chat, HTML autoescaping for the HTML file, XML escaping for Word; a client called
``<b>张&李</b>_*[x]`` is shown as written everywhere.

Rendering is CPU work (photos above all): not on the event loop. The Word and HTML files are
built through :class:`~assistant.reports.files.ReportFiles`, in a worker process by default.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Template

from assistant.clock import local_date
from assistant.portfolio import LoanView
from assistant.reports.format import (
    format_checks,
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_time,
)
from assistant.reports.images import PreparedImage, prepare_photos
from assistant.reports.labels import DEFAULT_TEMPLATES, load_labels
from assistant.reports.markdown import (
    CHUNK_LIMIT,
    split_markdown_v2,
)
from assistant.reports.model import ReportData, ReportFact, ReportFile, ReportSection
from assistant.reports.templates import environment
from assistant.risk.model import EvidenceRef, Finding, Severity
from assistant.templates import word_environment

SEVERITY_ICONS: Mapping[Severity, str] = {
    Severity.CRITICAL: "🔴",
    Severity.WARNING: "🟠",
    Severity.ATTENTION: "🟡",
    Severity.INFO: "⚪",
}
MARKET_VALUE = "flow.interview.collateral.market_value"
GUARANTOR_CHECKS = ("check.individual.periodic.guarantor", "check.corporate.periodic.guarantor")
DOCX_PHOTO_SIDE = 1600
HTML_PHOTO_SIDE = 1024
DOCX_PHOTO_WIDTH_MM = 78
# Characters that XML 1.0 forbids (a pasted control character would make Word refuse the file);
# \t and \n stay: docxtpl turns them into a tab and a line break.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ── the shared view ─────────────────────────────────────────────────────────────────────────────


def report_view(
    data: ReportData, *, tz: tzinfo, templates_dir: Path = DEFAULT_TEMPLATES
) -> dict[str, Any]:
    """The report as strings in its language, ready for any layout.

    Args:
        data: the report.
        tz: the time zone to show times in (the bank's); ``None`` shows them as stored.
        templates_dir: where ``<lang>/labels.toml`` lives.
    """
    labels = load_labels(templates_dir, data.lang)
    lang = data.lang
    header = data.header
    client = header.client
    sep = labels["sep"]
    numbers = labels["section_numbers"]
    return {
        "lang": lang,
        "L": labels,
        "title": labels["title"],
        "client_name": client.name,
        "header_rows": _header_rows(data, labels, tz),
        "loans": [_loan_view(loan, labels) for loan in client.loans],
        "guarantors": _guarantor_rows(data, labels),
        "collateral": _collateral_rows(data, labels),
        "assessment": data.assessment or "",
        "signatures": _signatures(data, labels, tz),
        "findings_heading": labels["findings"]["count"].format(n=len(data.findings)),
        "findings": [_finding_view(f, lang, sep, labels) for f in data.findings],
        "suggestion": {
            "tier": data.suggestion.tier,
            "label": data.suggestion.label.get(lang),
            "reason": data.suggestion.reason.get(lang),
        },
        "sections": [
            _section_view(s, numbers[i] if i < len(numbers) else "", lang, labels)
            for i, s in enumerate(data.sections)
        ],
        "missing": [m.get(lang) for m in data.missing_evidence],
        "skipped": [s.get(lang) for s in data.skipped],
        "photos": [_file_view(f, labels, tz) for f in data.photos],
        "documents": [_file_view(f, labels, tz) for f in data.files if f.kind != "photo"],
        "remarks": data.remarks or "",
        "review_comment": data.review_comment or "",
        "footer": labels["footer"]["text"].format(
            title=labels["title"],
            client=client.name,
            version=data.version,
            status=labels["status"].get(data.status, data.status),
            time=format_datetime(data.generated_at, labels, tz),
        ),
    }


def _fact(data: ReportData, source: str) -> ReportFact | None:
    return next((f for s in data.sections for f in s.facts if f.source == source), None)


def _guarantor_rows(data: ReportData, labels: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each guarantor on file, with what this check found of them."""
    names = labels["guarantors"]
    checked = next((f for f in map(lambda s: _fact(data, s), GUARANTOR_CHECKS) if f), None)
    status = checked.value if checked else names["not_checked"]
    return [
        {
            "name": g.name,
            "relation": g.relationship or labels["empty"],
            "amount": format_money(g.amount, labels) if g.amount is not None else labels["empty"],
            "contract": loan.contract_no,
            "status": status,
        }
        for loan in data.header.client.loans
        for g in loan.guarantors
    ]


def _collateral_rows(data: ReportData, labels: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each collateral item on file: what it is, its title and appraisal, its value now as the
    officer estimated it (only when the loan has one item, so the figure is that item's), and
    the loan-to-value ratio on the latest of the two."""
    names, empty = labels["collateral"], labels["empty"]
    current = _fact(data, MARKET_VALUE)
    rows = []
    for loan in data.header.client.loans:
        single = len(loan.collateral) == 1
        for c in loan.collateral:
            value_now = current.raw if current is not None and single else None
            basis, basis_name = (
                (Decimal(str(value_now)), names["ltv_basis_current"])
                if value_now
                else (c.appraised_value, names["ltv_basis_appraisal"])
            )
            ltv = empty
            if basis:
                pct = (loan.amount / basis * 100).quantize(Decimal("0.1"))
                ltv = names["ltv_value"].format(
                    pct=f"{pct:g}", loan=format_money(loan.amount, labels), basis=basis_name
                )
            appraisal = empty
            if c.appraised_value is not None:
                appraisal = format_money(c.appraised_value, labels)
                if c.appraised_on is not None:
                    appraisal = names["appraisal_value"].format(
                        value=appraisal, date=format_date(c.appraised_on, labels)
                    )
            rows.append(
                {
                    "kind": c.type,
                    "place": c.location or empty,
                    "area": labels["units"]["平方米"].format(n=format_number(c.area_sqm))
                    if c.area_sqm
                    else empty,
                    "registration": c.registration_no or empty,
                    "appraisal": appraisal,
                    "current": current.value if value_now else names["current_none"],
                    "ltv": ltv,
                    "contract": loan.contract_no,
                }
            )
    return rows


def _signatures(data: ReportData, labels: Mapping[str, Any], tz: tzinfo) -> list[str]:
    """The inspectors (the author and a teammate on the visit) sign at submission, the reviewer
    at approval; unsigned, a blank line."""
    names, header = labels["signature"], data.header

    def signed(who: str, name: str, at: datetime | None) -> str:
        if at is None:
            return f"{names[who]}    {names['date']}"
        day = format_date(local_date(at, tz), labels)
        return (
            f"{names['signed_' + who].format(name=name)}    {names['signed_date'].format(date=day)}"
        )

    reviewer = header.reviewer
    inspectors = [header.officer_name, *([header.companion] if header.companion else [])]
    return [
        *(signed("inspector", name, header.submitted_at) for name in inspectors),
        signed("reviewer", reviewer.name if reviewer else "", reviewer.at if reviewer else None),
    ]


def _previous_text(data: ReportData, labels: Mapping[str, Any]) -> str | None:
    previous, names = data.header.previous, labels["header"]
    if previous is None:
        return None
    text = names["previous_value"].format(
        date=format_date(previous.day, labels), check=format_checks(previous.check_type, labels)
    )
    if previous.findings is None:
        return text + names["previous_no_report"]
    if not previous.findings:
        return text + names["previous_none"]
    now = {f.rule_id for f in data.findings}
    found = [
        names["still" if rule in now else "remedied"].format(title=title.get(data.lang))
        for rule, title in previous.findings
    ]
    return text + names["previous_found"].format(found=labels["list_sep"].join(found))


def _repayment_text(data: ReportData, labels: Mapping[str, Any]) -> str | None:
    names = labels["header"]
    lines = [
        names["repayment_overdue"].format(contract=loan.contract_no, n=loan.days_overdue)
        if loan.days_overdue
        else names["repayment_ok"].format(contract=loan.contract_no)
        for loan in data.header.client.loans
    ]
    return labels["list_sep"].join(lines) or None


def _next_check_text(data: ReportData, labels: Mapping[str, Any]) -> str | None:
    upcoming = data.header.next_check
    if upcoming is None:
        return None
    return labels["header"]["next_check_value"].format(
        date=format_date(upcoming.day, labels),
        reason=upcoming.reason.get(data.lang).rstrip("，, "),
    )


def _loan_view(loan: LoanView, labels: Mapping[str, Any]) -> dict[str, str]:
    return {
        "contract": loan.contract_no,
        "product": labels["product"].get(loan.product, loan.product),
        "amount": format_money(loan.amount, labels),
        "purpose": loan.agreed_purpose,
        "term": labels["loan"]["term_value"].format(
            start=format_date(loan.disbursed_on, labels),
            end=format_date(loan.matures_on, labels),
        ),
        "risk_class": labels["risk_class"].get(loan.risk_class, loan.risk_class),
        "overdue": labels["loan"]["overdue_value"].format(n=loan.days_overdue),
        "payment_method": labels["payment_method"].get(loan.payment_method, loan.payment_method),
    }


def _finding_view(f: Finding, lang: str, sep: str, labels: Mapping[str, Any]) -> dict[str, Any]:
    evidence = [_evidence_line(e, lang, sep, labels) for e in f.evidence]
    measures = [m.get(lang) for m in f.measures]
    return {
        "icon": SEVERITY_ICONS[f.severity],
        "severity_id": f.severity.value,
        "severity": labels["severity"][f.severity.value],
        "title": f.title.get(lang),
        "detail": f.detail.get(lang),
        "evidence": evidence,
        "measures": measures,
        # One line each, for layouts that put them in one table cell.
        "evidence_text": "\n".join(evidence),
        "measures_text": "\n".join(measures),
    }


def _section_view(
    s: ReportSection, number: str, lang: str, labels: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": number + s.title.get(lang),
        "facts": [
            {
                "label": f.label.get(lang),
                # The question without its question mark, for "topic: value" lines.
                "topic": f.label.get(lang).rstrip("？? "),
                "value": f.value,
            }
            for f in s.facts
        ],
        "narrative": s.narrative,
        "paragraphs": [p for p in s.narrative.split("\n") if p.strip()],
        "source_note": labels["sections"].get(s.narrative_source, ""),
    }


def _header_rows(data: ReportData, labels: Mapping[str, Any], tz: tzinfo) -> list[dict[str, str]]:
    header, client, names = data.header, data.header.client, labels["header"]
    period = format_datetime(header.started_at, labels, tz)
    if header.finished_at is not None:
        period += f" – {format_time(header.finished_at, tz)}"
    if header.checkin_at is None:
        mode = names["no_checkin"]
    elif header.checkin_distance_m is None:
        mode = names["onsite"].format(time=format_time(header.checkin_at, tz))
    else:
        mode = names["onsite_distance"].format(
            time=format_time(header.checkin_at, tz), m=round(header.checkin_distance_m)
        )
    documents = sum(1 for f in data.files if f.kind != "photo")
    rows = [
        ("client", client.name),
        ("code", client.code),
        ("kind", labels["kind"].get(client.kind.value, client.kind.value)),
        ("industry", client.industry),
        ("address", client.address),
        ("branch", header.branch),
        ("inspector", header.officer_name),
        ("companion", header.companion),
        ("received", data.received),
        (
            "account_officer",
            client.officer_name if client.officer_name != header.officer_name else None,
        ),
        ("check_type", format_checks(header.check_type, labels)),
        ("period", period),
        ("mode", mode),
        ("previous", _previous_text(data, labels)),
        ("repayment", _repayment_text(data, labels)),
        ("next_check", _next_check_text(data, labels)),
        ("files_label", names["files"].format(photos=len(data.photos), documents=documents)),
        (
            "status",
            names["status_value"].format(
                status=labels["status"].get(data.status, data.status), n=data.version
            ),
        ),
        ("generated", format_datetime(data.generated_at, labels, tz)),
    ]
    return [{"key": key, "label": names[key], "value": value} for key, value in rows if value]


def _evidence_line(e: EvidenceRef, lang: str, sep: str, labels: Mapping[str, Any]) -> str:
    """One piece of a finding's evidence; a read document names its file number, which the
    photo list and the archive use too, so a reviewer can open the very photo."""
    label = e.label.get(lang)
    if e.kind == "file":
        label = f"{label} ({labels['photos']['number'].format(n=e.ref)})"
    return f"{label}{sep}{e.value.get(lang)}"


def _file_view(file: ReportFile, labels: Mapping[str, Any], tz: tzinfo) -> dict[str, Any]:
    names = labels["photos"]
    title = file.category_title.get(labels["lang"]) if file.category_title else None
    parts = [names["number"].format(n=file.evidence_id)]
    if file.kind == "photo":
        parts.append(title or names["uncategorised"])
    else:
        parts.append(title or labels["files"]["document"])
        if file.file_name:
            parts.append(file.file_name)
    if file.exif_taken_at:
        parts.append(names["taken"].format(t=_exif_time(file.exif_taken_at)))
    parts.append(names["received"].format(t=format_datetime(file.received_at, labels, tz)))
    if file.duplicate_of_id is not None:
        parts.append(names["duplicate"].format(n=file.duplicate_of_id))
    return {
        "file": file,
        "caption": " · ".join(parts),
        "duplicate": file.duplicate_of_id is not None,
    }


def _exif_time(text: str) -> str:
    # EXIF writes "2026:03:02 09:10:00" in the camera's own clock; shown as written, minus seconds.
    match = re.match(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2})", text.strip())
    return f"{match[1]}-{match[2]}-{match[3]} {match[4]}:{match[5]}" if match else text.strip()


# ── chat (Telegram MarkdownV2) ──────────────────────────────────────────────────────────────────


def _template(templates_dir: Path, name: str) -> Template:
    return environment(templates_dir).get_template(name)


def render_chat_text(
    data: ReportData, *, tz: tzinfo, templates_dir: Path = DEFAULT_TEMPLATES
) -> str:
    """The whole chat preview as one MarkdownV2 text (see :func:`render_chat`)."""
    view = report_view(data, tz=tz, templates_dir=templates_dir)
    text = _template(templates_dir, "chat.md.j2").render(**view)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def render_chat(
    data: ReportData,
    *,
    tz: tzinfo,
    templates_dir: Path = DEFAULT_TEMPLATES,
    limit: int = CHUNK_LIMIT,
) -> list[str]:
    """The report as Telegram MarkdownV2 messages, in order, each at most ``limit`` long.

    Order: header, risk signals, the suggested class (labelled as a suggestion), the sections
    (facts, then the paragraph), missing documents and photos, skipped questions, remarks and
    the reviewer's comment. Every dynamic text is escaped; send with ``parse_mode="MarkdownV2"``.
    """
    return split_markdown_v2(render_chat_text(data, tz=tz, templates_dir=templates_dir), limit)


# ── HTML ────────────────────────────────────────────────────────────────────────────────────────


def render_html(data: ReportData, *, tz: tzinfo, templates_dir: Path = DEFAULT_TEMPLATES) -> str:
    """The report as one self-contained HTML file: inline CSS, photos as data URIs (long side
    at most 1024 px), readable on a phone. Photos that cannot be opened are listed instead."""
    view = report_view(data, tz=tz, templates_dir=templates_dir)
    prepared = prepare_photos(data.photos, HTML_PHOTO_SIDE)
    for photo in view["photos"]:
        image = prepared.get(photo["file"].evidence_id)
        photo["src"] = _data_uri(image) if image is not None else ""
    view["embedded"] = [p for p in view["photos"] if p["src"]]
    view["unreadable"] = [p for p in view["photos"] if not p["src"]]
    return _template(templates_dir, "report.html.j2").render(**view)


def _data_uri(image: PreparedImage) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


# ── Word ────────────────────────────────────────────────────────────────────────────────────────


def render_docx(
    data: ReportData,
    template_path: Path,
    *,
    tz: tzinfo,
    templates_dir: Path = DEFAULT_TEMPLATES,
) -> bytes:
    """The report as a Word file, filled into the docxtpl template at ``template_path``.

    The template (``prompts/reports/report_template.docx``, regenerated by
    ``prompts/reports/make_template.py``) may be replaced by the bank's own; it receives the
    same view as the other layouts, with photos as ``InlineImage`` (long side at most 1600 px).
    Photos that cannot be opened are listed, not embedded.
    """
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    view = report_view(data, tz=tz, templates_dir=templates_dir)
    document = DocxTemplate(template_path)
    prepared = prepare_photos(data.photos, DOCX_PHOTO_SIDE)
    embedded, unreadable = [], []
    for photo in view["photos"]:
        image = prepared.get(photo["file"].evidence_id)
        if image is None:
            unreadable.append(photo)
            continue
        # Portrait photos get the same height a landscape one would have, so rows stay even.
        size = (
            {"width": Mm(DOCX_PHOTO_WIDTH_MM)}
            if image.width >= image.height
            else {"height": Mm(DOCX_PHOTO_WIDTH_MM * 3 // 4)}
        )
        embedded.append({**photo, "image": InlineImage(document, io.BytesIO(image.data), **size)})
    blank = {"image": "", "caption": ""}
    view["photo_rows"] = [
        {"cells": [embedded[i], embedded[i + 1] if i + 1 < len(embedded) else blank]}
        for i in range(0, len(embedded), 2)
    ]
    view["unreadable"] = unreadable
    for photo in (*embedded, *unreadable, *view["documents"]):
        photo.pop("file", None)  # the context holds text and images only
    # The labels become a plain dict on the way: docxtpl's context is a dict of plain values.
    context = _xml_safe({k: v for k, v in view.items() if k != "photos"})
    document.render(context, jinja_env=word_environment(), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xml_safe(value: Any) -> Any:
    """Strings without the control characters XML cannot carry, recursively."""
    if isinstance(value, str):
        return _XML_FORBIDDEN.sub("", value)
    if isinstance(value, Mapping):
        return {k: _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(v) for v in value]
    return value


def generated_file_name(data: ReportData, extension: str, tz: tzinfo) -> str:
    """A file name for the report: client code, day of the visit (in ``tz``) and version."""
    started = local_date(data.header.started_at, tz)
    code = re.sub(r"[^\w-]+", "_", data.header.client.code).strip("_") or "client"
    return f"report_{code}_{started:%Y%m%d}_v{data.version}.{extension}"
