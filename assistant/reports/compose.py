"""Compose the report from one visit: facts from the stored answers, prose from templates.

Facts are read only from the stored answers and the pre-visit look-up results, each with the
question or look-up it came from. The default paragraph of each section is rendered from
``prompts/reports/<lang>/narrative/<section id>.j2``, which may only restate those facts; the
officer's own text for a section replaces it and is marked as edited.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.data.checklist import AnswerType, Checklist
from assistant.data.vocabulary import Bilingual
from assistant.reports.format import (
    TRAILING_PUNCTUATION,
    display_value,
    format_checks,
    format_money,
)
from assistant.reports.labels import load_labels
from assistant.reports.model import ReportData, ReportFact, ReportFile, ReportHeader, ReportSection
from assistant.reports.sections import ReportSections, SectionSpec, load_sections
from assistant.reports.speech import reported
from assistant.reports.templates import environment
from assistant.risk.model import ClassSuggestion, Finding
from assistant.visits.model import VisitSummary

log = logging.getLogger(__name__)

QUESTION_MARKS = "？?"
INTERVIEWEE = "flow.interview.business.interviewee"
INTERVIEWEE_DETAILS = "flow.interview.business.interviewee_details"
# For a sole trader, the borrower and the one who controls the business are the person the
# loan file names as its operator.
OWNER_ROLES = ("borrower", "actual_controller")
SHINGLE = 3


@dataclass(frozen=True)
class FactView:
    """A fact as a narrative template sees it: the shown value and the stored one."""

    id: str
    label: str
    value: str
    raw: Any
    approximate: bool
    is_text: bool

    @property
    def topic(self) -> str:
        """The label without its question mark, for generic sentences ("员工人数：35 人")."""
        return self.label.rstrip(QUESTION_MARKS + " ")


class Facts:
    """Lookup of one section's facts by checklist id, for the narrative templates.

    Templates guard with ``f.has(id)``; asking for a fact that is not there raises ``KeyError``
    so that a template that forgets the guard fails its test instead of writing "None". Every
    fact a template reads is remembered, so that ``unmentioned()`` can restate the rest: a
    question the bank adds to the checklist still reaches the paragraph before anyone writes a
    sentence for it.
    """

    def __init__(
        self, views: Sequence[FactView], speech: Callable[[str], str] = lambda text: text
    ) -> None:
        self._speech = speech
        self._views = list(views)
        self._by_id = {v.id: v for v in views}
        self._read: set[str] = set()

    def __iter__(self) -> Iterator[FactView]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def has(self, fact_id: str) -> bool:
        """Whether the section holds this answer or look-up result."""
        return fact_id in self._by_id

    def v(self, fact_id: str) -> str:
        """The shown value; typed text loses its final full stop so it can sit in a sentence."""
        view = self._get(fact_id)
        return view.value.rstrip(TRAILING_PUNCTUATION) if view.is_text else view.value

    def said(self, fact_id: str) -> str:
        """The shown value; typed text as reported speech ("我儿子" → "其子"), so that what the
        borrower said is not pasted into the report as typed."""
        view = self._get(fact_id)
        return self._speech(view.value) if view.is_text else view.value

    def raw(self, fact_id: str) -> Any:
        """The stored value: bool, option id, number (yuan, % as 0–100), ISO date, text."""
        return self._get(fact_id).raw

    def yes(self, fact_id: str) -> bool:
        """The yes/no question was answered yes."""
        return self.has(fact_id) and self._get(fact_id).raw is True

    def no(self, fact_id: str) -> bool:
        """The yes/no question was answered no."""
        return self.has(fact_id) and self._get(fact_id).raw is False

    def nothing(self, fact_id: str) -> bool:
        """The figure is zero (no rent, no receivables): the sentence says so in words."""
        if not self.has(fact_id):
            return False
        raw = self._get(fact_id).raw
        return isinstance(raw, int | float) and not isinstance(raw, bool) and raw == 0

    def chose(self, fact_id: str, *options: str) -> bool:
        """The choice (or the look-up result) is one of ``options``."""
        return self.has(fact_id) and self._get(fact_id).raw in options

    def unmentioned(self) -> list[FactView]:
        """The facts the template has not read so far, in order."""
        return [v for v in self._views if v.id not in self._read]

    def _get(self, fact_id: str) -> FactView:
        view = self._by_id[fact_id]
        self._read.add(fact_id)
        return view


class ReportComposer:
    """Builds :class:`ReportData` for one visit.

    Args:
        checklist: the visit definition the answers were recorded against.
        sections_path: ``knowledge/report_sections.yaml``; checked against the checklist here.
        templates_dir: ``prompts/reports``, holding ``<lang>/labels.toml`` and
            ``<lang>/narrative/*.j2``.

    Raises:
        ReportSectionsError: the sections file is broken.
    """

    def __init__(self, checklist: Checklist, sections_path: Path, templates_dir: Path) -> None:
        self.checklist = checklist
        self.sections: ReportSections = load_sections(checklist, sections_path)
        self.templates_dir = templates_dir
        self._env = environment(templates_dir)

    def compose(
        self,
        header: ReportHeader,
        summary: VisitSummary,
        *,
        findings: Sequence[Finding],
        suggestion: ClassSuggestion,
        files: Sequence[ReportFile],
        overrides: Mapping[str, str],
        remarks: str | None,
        lang: str,
        status: str,
        version: int,
        now: datetime,
        review_comment: str | None = None,
        assessment: str | None = None,
    ) -> ReportData:
        """The report of one visit in ``lang``.

        Args:
            header: who, whom, when and where.
            summary: the visit's recorded answers, skipped questions, look-up results and gaps.
            findings: the risk rules' findings, most severe first as the caller orders them.
            suggestion: the suggested five-tier class (advice, never a decision).
            files: the photos and documents of the visit.
            overrides: section id → the officer's own paragraph; an empty text means "use the
                default again". Ids of sections this report does not have are ignored.
            remarks: the officer's free remarks.
            lang: ``zh`` or ``en``.
            status: ``draft``, ``submitted``, ``returned`` or ``approved``.
            version: the report's version number, from 1.
            now: when it is generated (timezone-aware).
            review_comment: the reviewer's comment when the report was returned or approved.
            assessment: the officer's own overall judgement (综合评价), as they wrote it.
        """
        labels = load_labels(self.templates_dir, lang)
        specs = self.sections.for_kind(header.client.kind.value)
        facts = self._facts(header, summary, labels)
        defaults = self._narratives(header, summary, facts, findings, suggestion, labels)
        known = {spec.id for spec in specs}
        for stray in sorted(set(overrides) - known):
            log.warning("ignoring the edited text of section %r: the report has none", stray)
        sections = []
        for spec in specs:
            own = (overrides.get(spec.id) or "").strip()
            sections.append(
                ReportSection(
                    id=spec.id,
                    title=spec.title,
                    facts=tuple(fact for fact, _ in facts[spec.id]),
                    narrative=own or defaults[spec.id],
                    narrative_source="edited" if own else "template",
                )
            )
        return ReportData(
            lang=lang,
            header=header,
            sections=tuple(sections),
            findings=tuple(findings),
            suggestion=suggestion,
            missing_evidence=tuple(need.title for need in summary.missing_evidence),
            skipped=self._skipped(summary),
            files=tuple(files),
            remarks=(remarks or "").strip() or None,
            status=status,
            version=version,
            generated_at=now,
            review_comment=(review_comment or "").strip() or None,
            assessment=(assessment or "").strip() or None,
            received=self._received(header, summary, labels),
        )

    def default_narratives(
        self,
        header: ReportHeader,
        summary: VisitSummary,
        *,
        findings: Sequence[Finding],
        suggestion: ClassSuggestion,
        lang: str,
    ) -> dict[str, str]:
        """Section id → the templated paragraph, e.g. to show or restore it after an edit."""
        labels = load_labels(self.templates_dir, lang)
        facts = self._facts(header, summary, labels)
        return self._narratives(header, summary, facts, findings, suggestion, labels)

    # ── facts ───────────────────────────────────────────────────────────────────────────────

    def _facts(
        self, header: ReportHeader, summary: VisitSummary, labels: Mapping[str, Any]
    ) -> dict[str, list[tuple[ReportFact, FactView]]]:
        kind = header.client.kind.value
        lang = labels["lang"]
        by_section: dict[str, list[tuple[ReportFact, FactView]]] = {
            spec.id: [] for spec in self.sections.for_kind(kind)
        }
        # Look-ups first and in checklist order: they are what the officer knew before arriving.
        for check in self.checklist.prechecks:
            result_id = summary.findings.get(check.id)
            if result_id is None:
                continue
            try:
                shown = check.result(result_id).label.get(lang)
            except KeyError:
                shown = result_id  # a result the bank has since removed: show what was stored
            fact = ReportFact(label=check.title, value=shown, source=check.id)
            view = FactView(check.id, check.title.get(lang), shown, result_id, False, False)
            by_section[self.sections.section_of_precheck(kind, check.id)].append((fact, view))
        for item, answer in summary.answers:
            shown = display_value(item, answer.value, labels, answer.approximate)
            fact = ReportFact(
                label=item.label,
                value=shown,
                source=item.id,
                raw_text=answer.raw_text,
                approximate=answer.approximate,
                raw=answer.value,
            )
            view = FactView(
                item.id,
                item.label.get(lang),
                shown,
                answer.value,
                answer.approximate,
                item.type is AnswerType.TEXT,
            )
            by_section[self.sections.section_of_item(kind, item.id)].append((fact, view))
        return by_section

    def _received(
        self, header: ReportHeader, summary: VisitSummary, labels: Mapping[str, Any]
    ) -> str | None:
        """The person who received the officer, named: the loan file names the owner of a
        sole trader, the officer's note names anyone else ("张国富（借款人本人）")."""
        answers = {item.id: answer for item, answer in summary.answers}
        who = answers.get(INTERVIEWEE)
        if who is None:
            return None
        try:
            role = self.checklist.item(INTERVIEWEE).option(str(who.value)).label
            shown = role.get(labels["lang"])
        except KeyError:
            shown = str(who.value)
        details = answers.get(INTERVIEWEE_DETAILS)
        if details is not None and str(details.value).strip():
            note = str(details.value).strip().rstrip(TRAILING_PUNCTUATION)
            return labels["received"]["noted"].format(role=shown, note=note)
        name = received_name(header, summary)
        if name:
            return labels["received"]["named"].format(name=name, role=shown)
        return shown

    @staticmethod
    def _skipped(summary: VisitSummary) -> tuple[Bilingual, ...]:
        # Skipped and never-reached required questions are both gaps an auditor asks about.
        seen: set[str] = set()
        labels: list[Bilingual] = []
        for item in (*summary.skipped, *summary.unanswered_required):
            if item.id not in seen:
                seen.add(item.id)
                labels.append(item.label)
        return tuple(labels)

    # ── narratives ──────────────────────────────────────────────────────────────────────────

    def _narratives(
        self,
        header: ReportHeader,
        summary: VisitSummary,
        facts: Mapping[str, list[tuple[ReportFact, FactView]]],
        findings: Sequence[Finding],
        suggestion: ClassSuggestion,
        labels: Mapping[str, Any],
    ) -> dict[str, str]:
        lang = labels["lang"]
        shared = _narrative_context(header, summary, findings, suggestion, lang, labels)
        return {
            spec.id: self._narrative(spec, facts[spec.id], shared, lang, labels)
            for spec in self.sections.for_kind(header.client.kind.value)
        }

    def _narrative(
        self,
        spec: SectionSpec,
        facts: list[tuple[ReportFact, FactView]],
        shared: Mapping[str, Any],
        lang: str,
        labels: Mapping[str, Any],
    ) -> str:
        template = self._env.select_template(
            [f"{lang}/narrative/{spec.id}.j2", f"{lang}/narrative/_default.j2"]
        )
        views = [view for _, view in facts]
        said = functools.partial(reported, labels=labels)
        text = template.render(
            **shared, f=Facts(views, said), facts=views, title=spec.title.get(lang)
        )
        return tidy_narrative(text, lang) or labels["narrative_empty"]


def received_name(header: ReportHeader, summary: VisitSummary) -> str | None:
    """The name of whoever received the officer, when the loan file gives it: a sole trader's
    owner, met in person."""
    who = next((a for i, a in summary.answers if i.id == INTERVIEWEE), None)
    client = header.client
    if who is None or who.value not in OWNER_ROLES or client.kind.value != "individual":
        return None
    return client.legal_representative or None


def _narrative_context(
    header: ReportHeader,
    summary: VisitSummary,
    findings: Sequence[Finding],
    suggestion: ClassSuggestion,
    lang: str,
    labels: Mapping[str, Any],
) -> dict[str, Any]:
    measures: list[str] = []
    for finding in findings:
        for measure in finding.measures:
            text = measure.get(lang)
            if text not in measures:
                measures.append(text)
    loans = [
        {
            "contract": loan.contract_no,
            "product": labels["product"].get(loan.product, loan.product),
            "amount": format_money(loan.amount, labels),
            "purpose": loan.agreed_purpose,
            "risk_class": labels["risk_class"].get(loan.risk_class, loan.risk_class),
            "days_overdue": loan.days_overdue,
            "guarantors": [g.name for g in loan.guarantors],
            "collateral": [c.type for c in loan.collateral],
        }
        for loan in header.client.loans
    ]
    return {
        "lang": lang,
        "kind": header.client.kind.value,
        "client": header.client.name,
        "check_type": format_checks(header.check_type, labels),
        "loans": loans,
        "findings": [
            {
                "severity": labels["severity"][f.severity.value],
                "title": f.title.get(lang),
                "detail": f.detail.get(lang),
            }
            for f in findings
        ],
        "measures": measures,
        "suggestion": {
            "tier": suggestion.tier,
            "label": suggestion.label.get(lang),
            "reason": suggestion.reason.get(lang),
        },
        "missing": [need.title.get(lang) for need in summary.missing_evidence],
        "received_name": received_name(header, summary),
        "skipped_count": len(summary.skipped) + len(summary.unanswered_required),
    }


def tidy_narrative(text: str, lang: str) -> str:
    """Join a template's output into paragraphs: lines join into one paragraph (without spaces
    in Chinese, with one in English); a blank line starts the next paragraph."""
    joiner = "" if lang == "zh" else " "
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines:
            paragraph = re.sub(r" {2,}", " ", joiner.join(lines))
            # A clause written on its own line ("…, rent …") must not leave " ," behind.
            paragraph = re.sub(r" +([,.;:)])", r"\1", paragraph)
            paragraphs.append(paragraph.replace("( ", "("))
    return "\n".join(paragraphs)


def narrative_text(data: ReportData) -> str:
    """Every section's paragraph, in order: the prose the copy-paste check compares."""
    return "\n\n".join(s.narrative for s in data.sections if s.narrative.strip())


# The keys of a submitted version's texts beside the section ids.
REMARKS_KEY = "_remarks"
ASSESSMENT_KEY = "_assessment"


def submitted_texts(data: ReportData) -> dict[str, str]:
    """What the officer's words were at a submission: each section's paragraph, the remarks and
    the overall assessment. Figures are left out: they come from the answers, and a change to
    an answer shows as a changed paragraph or finding anyway."""
    texts = {section.id: section.narrative for section in data.sections}
    texts[REMARKS_KEY] = data.remarks or ""
    texts[ASSESSMENT_KEY] = data.assessment or ""
    return texts


def similarity(a: str, b: str) -> float:
    """How much of two texts is shared, from 0 (nothing) to 1 (the same), for the copy-paste check.

    Jaccard similarity of character 3-grams, after NFKC folding and dropping whitespace and
    punctuation. Characters rather than words because Chinese has no spaces and word
    segmentation would add a dependency and its own errors; 3-grams because single characters
    are shared by any two Chinese texts while three in a row are phrases. Unlike
    ``difflib.SequenceMatcher.ratio`` it is linear in the text length, does not depend on
    argument order or its junk heuristic (which distorts texts over 200 characters), and still
    recognises a copied report whose paragraphs were reordered. Two texts with nothing to
    compare (empty or punctuation only) score 0: nothing was copied.
    """
    grams_a, grams_b = _shingles(a), _shingles(b)
    if not grams_a or not grams_b:
        return 0.0
    return len(grams_a & grams_b) / len(grams_a | grams_b)


def _shingles(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC")
    if len(kept) < SHINGLE:
        return {kept} if kept else set()
    return {kept[i : i + SHINGLE] for i in range(len(kept) - SHINGLE + 1)}
