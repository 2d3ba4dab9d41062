"""Rendering an import report in the user's language."""

from __future__ import annotations

from markupsafe import Markup

from assistant.i18n import Lang, Texts

# --------------------------------------------------------------------------------------------
# Rendering
from assistant.importer.model import ImportIssue, ImportReport


def render_report(
    report: ImportReport, texts: Texts, lang: Lang, *, html: bool, max_issues: int = 20
) -> str:
    """Summarise a report for the user.

    Args:
        report: What :meth:`PortfolioImporter.preview` or :meth:`~PortfolioImporter.apply`
            returned.
        texts: The message templates.
        lang: The user's language.
        html: True for Telegram's HTML parse mode (values are escaped), False for plain text.
        max_issues: At most this many issues are listed; the rest are counted.

    Returns:
        The counts per table if the file is fine, otherwise one line per issue.
    """
    say = texts.render if html else texts.plain
    if report.issues:
        # The note that issues were capped is not itself a problem in the file.
        count = sum(1 for i in report.issues if i.code != "too_many_issues")
        lines = [say(lang, "import.report.issues_title", count=count)]
        for issue in report.issues[:max_issues]:
            lines.append(_render_issue(issue, texts, lang, html=html))
        hidden = len(report.issues) - max_issues
        if hidden > 0:
            lines.append(say(lang, "import.report.more", count=hidden))
        return "\n".join(lines)
    title = "import.report.applied_title" if report.applied else "import.report.preview_title"
    line = "import.report.applied_line" if report.applied else "import.report.preview_line"
    lines = [say(lang, title)]
    for table, counts in report.counts.items():
        lines.append(
            say(
                lang,
                line,
                table=texts.plain(lang, f"import.table.{table}"),
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
        )
    if not any(c.created or c.updated for c in report.counts.values()):
        lines.append(say(lang, "import.report.nothing_to_change"))
    return "\n".join(lines)


def _render_issue(issue: ImportIssue, texts: Texts, lang: Lang, *, html: bool) -> str:
    say = texts.render if html else texts.plain
    message = say(lang, f"import.issue.{issue.code}", **issue.params)
    if not (issue.sheet or issue.row or issue.column is not None):
        return say(lang, "import.report.file_issue", message=_safe(message, html))
    where = say(
        lang,
        "import.report.where",
        table=texts.plain(lang, f"import.table.{issue.sheet}") if issue.sheet else "",
        row=issue.row,
        column=issue.column,
    )
    return say(lang, "import.report.issue", where=_safe(where, html), message=_safe(message, html))


def _safe(text: str, html: bool) -> str:
    # Already rendered (and escaped once) pieces must not be escaped a second time.
    return Markup(text) if html else text
