"""Risk rules as data, and the engine that applies them to one visit.

The rules live in ``knowledge/risk_rules.yaml`` so that the bank can edit them, with the words of
the five-tier suggestion (its ``classification`` block); the file's header documents the schema.
:func:`load_rules` reads it against the checklist and fails on the first problem, naming the file,
the rule and the place: an unknown question, option, pre-visit check, threshold, key or
placeholder is reported once, at start-up, not by a rule that silently never fires.

:class:`RiskEngine` turns a visit's :class:`RiskFacts` into :class:`Finding` objects (each carries
the answers it read) and suggests a five-tier class. It is pure: no database, no chat, no clock.

Run ``python -m assistant.risk.rules [RULES] [CHECKLIST]`` to check a rules file by hand.
"""

from __future__ import annotations

import difflib
import itertools
import re
import string
import sys
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from assistant.data import checklist as checklist_module
from assistant.data.checklist import (
    NUMERIC,
    AnswerType,
    Checklist,
    Item,
    PreCheck,
)
from assistant.data.files import DataFileError, read_data_file
from assistant.data.vocabulary import Bilingual
from assistant.evidence.crosscheck import CHECKS as DOCUMENT_CHECKS
from assistant.evidence.crosscheck import IDENTITY_CHECKS, RATIO_CHECKS
from assistant.risk import display
from assistant.risk.classification import REASONS, TIERS, ClassificationTexts, suggest_class
from assistant.risk.conditions import (
    COMPARISONS,
    LOAN_FIELDS,
    LOAN_SOURCES,
    AllOf,
    AnswerIs,
    AnswerSource,
    AnyOf,
    Change,
    Condition,
    Context,
    DocumentIs,
    EvidenceMissing,
    Limit,
    LoanIs,
    LoanSource,
    Match,
    PrecheckIs,
    Ratio,
    Source,
    answer_ref,
    local_name,
    read_answer,
    read_precheck,
)
from assistant.risk.model import ClassSuggestion, EvidenceRef, Finding, RiskFacts, Severity
from assistant.risk.thresholds import RiskThresholds

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "risk_rules.yaml"
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
CONDITIONS = (
    "answer",
    "document",
    "precheck",
    "ratio",
    "change",
    "loan",
    "evidence_missing",
    "any_of",
    "all_of",
)
SEVERITIES = tuple(s.value for s in Severity)
# What a compared value is measured in, and the threshold suffix that belongs with it.
UNIT_KINDS = {"%": "_pct", "天": "_days"}
# The checklist loader's YAML reader: it rejects a key written twice, which plain YAML would
# silently resolve to the last one (a duplicated `en:` would hide a translation).


class RiskRulesError(DataFileError):
    """The rules file is broken; ``str()`` names the file, the rule and the problem."""

    key = "risk.rules_broken"


@dataclass(frozen=True)
class Case:
    """One severity of a rule and the condition for it."""

    severity: Severity
    when: Condition
    title: Bilingual
    detail: Bilingual  # a str.format template over the values the condition and evidence give
    measures: tuple[Bilingual, ...]


@dataclass(frozen=True)
class Rule:
    """A risk rule: its cases, most severe first (the first that holds decides), and the answers
    or pre-visit results it quotes as evidence whenever it fires."""

    id: str
    cases: tuple[Case, ...]
    evidence: tuple[Item | PreCheck, ...] = ()

    @property
    def severities(self) -> tuple[Severity, ...]:
        return tuple(case.severity for case in self.cases)


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in file order (which breaks ties between equal severities)."""

    path: str
    rules: tuple[Rule, ...]
    classification: ClassificationTexts  # the words of the five-tier suggestion
    thresholds: frozenset[str] = frozenset()  # the threshold names the rules refer to

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, rule_id: str) -> Rule:
        """The rule ``rule_id``.

        Raises:
            KeyError: no such rule.
        """
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no risk rule {rule_id!r} in {self.path}")


class RiskEngine:
    """Applies a rule set, with the bank's thresholds, to one visit at a time."""

    def __init__(self, rules: RuleSet, thresholds: RiskThresholds) -> None:
        self.rules = rules
        self.thresholds = thresholds

    def evaluate(self, facts: RiskFacts) -> list[Finding]:
        """Every rule that fires on this visit, at most one finding per rule.

        Returns:
            Findings sorted by severity, most severe first, then in the rules file's order.
        """
        context = Context(facts, self.thresholds)
        found = [
            (order, finding)
            for order, rule in enumerate(self.rules)
            if (finding := _apply(rule, context)) is not None
        ]
        found.sort(key=lambda pair: (-pair[1].severity.rank, pair[0]))
        return [finding for _, finding in found]

    def critical(self, facts: RiskFacts) -> list[Finding]:
        """Only the critical findings: what to alert a supervisor about as soon as an answer is
        recorded. Findings that do not depend on the answer (a loan long overdue) come back on
        every call; the caller alerts on those it has not alerted before."""
        return [f for f in self.evaluate(facts) if f.severity is Severity.CRITICAL]

    def suggest_class(self, facts: RiskFacts, findings: Sequence[Finding]) -> ClassSuggestion:
        """A suggested five-tier class; see :func:`assistant.risk.classification.suggest_class`."""
        return suggest_class(facts, findings, self.rules.classification)


def _apply(rule: Rule, context: Context) -> Finding | None:
    for case in rule.cases:
        match = case.when.evaluate(context)
        if match is None:
            continue
        for source in rule.evidence:
            _quote(source, context, match)
        return Finding(
            rule_id=rule.id,
            severity=case.severity,
            title=case.title,
            detail=Bilingual(
                _render(case.detail.zh, match, "zh"), _render(case.detail.en, match, "en")
            ),
            evidence=tuple(match.evidence),
            measures=case.measures,
        )
    return None


def _quote(source: Item | PreCheck, context: Context, match: Match) -> None:
    if isinstance(source, PreCheck):
        result = read_precheck(source, context.facts)
        if result is not None:
            ref = EvidenceRef("precheck", source.id, source.title, result[1])
            match.add(ref, local_name(source.id))
        return
    read = read_answer(source, context.facts)
    if read is not None:
        match.add(answer_ref(source, read[1]), local_name(source.id))


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        # {a|b}: the first of alternative questions (the corporate or the individual one).
        for name in key.split("|"):
            if name in self:
                return self[name]
        # A quoted answer the officer skipped: say so rather than fail or print "None".
        return display.NOT_GIVEN.zh


def _render(template: str, match: Match, lang: str) -> str:
    values = _Values({name: getattr(value, lang) for name, value in match.values.items()})
    return template.format_map(values)


# ── loading ──────────────────────────────────────────────────────────────────────────────────


def load_rules(path: Path | str, checklist: Checklist) -> RuleSet:
    """Read and validate a rules file against the checklist it judges.

    Raises:
        RiskRulesError: naming the file, the rule (``rules[4] staff.low_presence/when/ratio``, or a
            line and column for bad YAML) and the problem.
    """
    path = Path(path)
    raw = read_data_file(path, RiskRulesError)
    return _Reader(path, checklist).ruleset(raw)


def _describe(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Reader:
    """Turns the parsed YAML into rules, failing on the first problem with its place."""

    def __init__(self, path: Path, checklist: Checklist) -> None:
        self.path = path
        self.checklist = checklist
        self.measures: dict[str, Bilingual] = {}
        self.thresholds = RiskThresholds.names()
        self.used: set[str] = set()
        self.evidence_titles = {
            e.id: e.title for e in (*checklist.documents, *checklist.photo_categories)
        }

    def fail(self, where: str, problem: str) -> NoReturn:
        raise RiskRulesError(self.path, where, problem)

    def ruleset(self, raw: Any) -> RuleSet:
        raw = self.fields(
            raw, "", required=("version", "classification", "rules"), optional=("measures",)
        )
        if type(raw["version"]) is not int or raw["version"] != 1:
            self.fail("version", f"unsupported version {raw['version']!r}; this code reads 1")
        self.measures = self.catalogue(raw.get("measures") or {})
        classification = self.classification(raw["classification"], "classification")
        entries = raw["rules"]
        if not isinstance(entries, list) or not entries:
            self.fail("rules", f"'rules' must be a list of at least one rule, got {entries!r}")
        rules: list[Rule] = []
        for index, entry in enumerate(entries, start=1):
            rule = self.rule(entry, f"rules[{index}]")
            if any(r.id == rule.id for r in rules):
                self.fail(f"rules[{index}] {rule.id}", f"duplicate rule id {rule.id!r}")
            rules.append(rule)
        return RuleSet(
            str(self.path),
            tuple(rules),
            classification=classification,
            thresholds=frozenset(self.used),
        )

    def catalogue(self, raw: Any) -> dict[str, Bilingual]:
        if not isinstance(raw, dict):
            self.fail("measures", f"'measures' must map names to {{zh, en}}, got {_describe(raw)}")
        measures = {}
        for name, text in raw.items():
            if not isinstance(name, str) or not MEASURE_ID.match(name):
                self.fail("measures", f"a measure name is a lower_case word, got {name!r}")
            measures[name] = self.bilingual(text, f"measures/{name}", name)
        return measures

    def classification(self, raw: Any, where: str) -> ClassificationTexts:
        raw = self.fields(
            raw, where, required=("labels", "rulebook", "reasons"), what="'classification'"
        )
        labels_raw = self.fields(raw["labels"], f"{where}/labels", required=TIERS, what="'labels'")
        labels = {
            tier: self.plain(labels_raw[tier], f"{where}/labels/{tier}", "label") for tier in TIERS
        }
        rulebook = self.plain(raw["rulebook"], f"{where}/rulebook", "rulebook")
        reasons_raw = self.fields(
            raw["reasons"], f"{where}/reasons", required=tuple(REASONS), what="'reasons'"
        )
        reasons: dict[str, Bilingual] = {}
        for name, allowed in REASONS.items():
            at = f"{where}/reasons/{name}"
            text = self.bilingual(reasons_raw[name], at, name)
            self.placeholders(text, at, name, allowed, "this sentence does not receive")
            reasons[name] = text
        return ClassificationTexts(MappingProxyType(labels), rulebook, MappingProxyType(reasons))

    # ── rules and cases ─────────────────────────────────────────────────────────────────────

    def rule(self, raw: Any, outer: str) -> Rule:
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            self.fail(outer, f"a rule id looks like 'staff.low_presence', got {rule_id!r}")
        where = f"{outer} {rule_id}"
        raw = self.fields(
            raw,
            where,
            required=("id", "title"),
            optional=("severity", "detail", "when", "cases", "evidence", "measures"),
        )
        evidence = tuple(
            self.evidence_source(e, f"{where}/evidence[{i}]")
            for i, e in enumerate(self.sequence(raw.get("evidence", []), where, "evidence", 0), 1)
        )
        evidence_names = frozenset(local_name(e.id) for e in evidence)
        title = self.title(raw["title"], where)
        detail = raw.get("detail")
        measures = raw.get("measures")
        if "cases" in raw:
            for key in ("severity", "when"):
                if key in raw:
                    self.fail(where, f"'{key}' goes inside each case when a rule has 'cases'")
            cases = []
            for index, case_raw in enumerate(self.sequence(raw["cases"], where, "cases"), 1):
                at = f"{where}/cases[{index}]"
                case_raw = self.fields(
                    case_raw,
                    at,
                    required=("severity", "when"),
                    optional=("title", "detail", "measures"),
                )
                cases.append(
                    self.case(
                        case_raw,
                        at,
                        title=self.title(case_raw["title"], at) if "title" in case_raw else title,
                        detail=case_raw.get("detail", detail),
                        measures=case_raw.get("measures", measures),
                        quoted=evidence_names,
                    )
                )
            for before, after in itertools.pairwise(cases):
                if after.severity.rank > before.severity.rank:
                    self.fail(where, "cases go from the most severe down; the first to hold wins")
        else:
            for key in ("severity", "when"):
                if key not in raw:
                    self.fail(where, f"a rule needs '{key}' (or 'cases', each with its own)")
            cases = [
                self.case(
                    raw, where, title=title, detail=detail, measures=measures, quoted=evidence_names
                )
            ]
        return Rule(rule_id, tuple(cases), evidence)

    def case(
        self,
        raw: dict[str, Any],
        where: str,
        *,
        title: Bilingual,
        detail: Any,
        measures: Any,
        quoted: frozenset[str],
    ) -> Case:
        severity = raw["severity"]
        if severity not in SEVERITIES:
            self.fail(where, f"unknown severity {severity!r} (allowed: {', '.join(SEVERITIES)})")
        when = self.condition(raw["when"], f"{where}/when")
        if detail is None:
            self.fail(where, "missing the field 'detail'")
        if measures is None:
            self.fail(where, "missing the field 'measures'")
        return Case(
            severity=Severity(severity),
            when=when,
            title=title,
            detail=self.template(detail, where, when.names() | quoted),
            measures=tuple(
                self.measure(m, f"{where}/measures[{i}]")
                for i, m in enumerate(self.sequence(measures, where, "measures"), 1)
            ),
        )

    def title(self, raw: Any, where: str) -> Bilingual:
        title = self.bilingual(raw, where, "title")
        if any(c in title.zh + title.en for c in "{}"):
            self.fail(where, "a title is plain text; quote values in 'detail'")
        return title

    def plain(self, raw: Any, where: str, name: str) -> Bilingual:
        text = self.bilingual(raw, where, name)
        if any(c in text.zh + text.en for c in "{}"):
            self.fail(where, f"a {name} is plain text, without {{ or }}")
        return text

    def template(self, raw: Any, where: str, names: frozenset[str]) -> Bilingual:
        detail = self.bilingual(raw, where, "detail")
        self.placeholders(
            detail, where, "detail", names, "this rule does not read", alternatives=True
        )
        return detail

    def placeholders(
        self,
        text: Bilingual,
        where: str,
        name: str,
        names: frozenset[str],
        unknown: str,
        *,
        alternatives: bool = False,
    ) -> None:
        """Fail unless ``text`` quotes only ``names``, without a format; with ``alternatives``,
        {a|b} quotes the first of a and b that has a value (only a detail's renderer knows it)."""
        for lang in ("zh", "en"):
            try:
                parts = list(string.Formatter().parse(getattr(text, lang)))
            except ValueError as exc:
                self.fail(where, f"'{name}.{lang}': {exc}; write {{{{ and }}}} for braces")
            for _, field, spec, conversion in parts:
                if field is None:
                    continue
                if spec or conversion:
                    self.fail(where, f"'{name}.{lang}': write {{{field}}} without a format")
                for part in field.split("|") if alternatives else [field]:
                    if part not in names:
                        known = ", ".join(sorted(names)) or "none"
                        self.fail(
                            where,
                            f"'{name}.{lang}' quotes {{{part}}}, which {unknown} "
                            f"(it can quote: {known})",
                        )

    def measure(self, raw: Any, where: str) -> Bilingual:
        if isinstance(raw, str):
            if raw not in self.measures:
                known = ", ".join(self.measures) or "none"
                self.fail(where, f"unknown measure {raw!r} (the catalogue has: {known})")
            return self.measures[raw]
        return self.bilingual(raw, where, "measure")

    def evidence_source(self, raw: Any, where: str) -> Item | PreCheck:
        if not isinstance(raw, str):
            self.fail(where, f"evidence is a question or pre-visit check id, got {_describe(raw)}")
        try:
            return self.checklist.precheck(raw)
        except KeyError:
            pass
        try:
            return self.checklist.item(raw)
        except KeyError:
            known = [*(c.id for c in self.checklist.prechecks), *self.item_ids()]
            self.fail(where, self.unknown("question or pre-visit check", raw, known))

    # ── conditions ──────────────────────────────────────────────────────────────────────────

    def condition(self, raw: Any, where: str) -> Condition:
        if not isinstance(raw, dict) or len(raw) != 1:
            self.fail(
                where,
                f"a condition is a mapping with exactly one of {', '.join(CONDITIONS)}; "
                f"combine several with all_of or any_of (got {_describe(raw)})",
            )
        ((kind, body),) = raw.items()
        at = f"{where}/{kind}"
        match kind:
            case "answer":
                return self.answer(body, at)
            case "precheck":
                return self.precheck(body, at)
            case "ratio":
                return self.ratio(body, at)
            case "change":
                return self.change(body, at)
            case "loan":
                return self.loan(body, at)
            case "evidence_missing":
                return self.evidence_missing(body, at)
            case "document":
                return self.document(body, at)
            case "any_of" | "all_of":
                parts = tuple(
                    self.condition(part, f"{at}[{i}]")
                    for i, part in enumerate(self.sequence(body, where, kind), 1)
                )
                return AnyOf(parts) if kind == "any_of" else AllOf(parts)
            case _:
                self.fail(where, f"unknown condition {kind!r} (allowed: {', '.join(CONDITIONS)})")

    def answer(self, raw: Any, where: str) -> AnswerIs:
        raw = self.fields(raw, where, required=("item",), optional=("is", "in", *COMPARISONS))
        items = tuple(self.item(i, where) for i in self.one_or_more(raw["item"], where, "item"))
        modes = [key for key in ("is", "in") if key in raw]
        compared = [key for key in COMPARISONS if key in raw]
        if len(modes) + bool(compared) != 1:
            self.fail(where, "write exactly one of 'is', 'in', or comparisons (gt, gte, lt, lte)")
        if modes:
            values = raw[modes[0]] if modes[0] == "in" else [raw["is"]]
            if not isinstance(values, list) or not values:
                self.fail(where, f"'in' must be a list of answers, got {_describe(values)}")
            return AnswerIs(items, accepted=self.accepted(items, values, where))
        units = {self.unit_of(item, where) for item in items}
        if len(units) != 1:
            self.fail(where, f"the listed questions are in different units: {sorted(units)}")
        (unit,) = units
        return AnswerIs(items, limits=self.limits(raw, where, UNIT_KINDS.get(unit)))

    def accepted(self, items: Sequence[Item], values: list[Any], where: str) -> frozenset[Any]:
        accepted: set[bool | str] = set()
        for item in items:
            for value in values:
                if item.type is AnswerType.YES_NO:
                    words = {"yes": True, "no": False}
                    typed = words.get(value, value) if isinstance(value, str) else value
                    if not isinstance(typed, bool):
                        self.fail(where, f"{item.id} is a yes_no question: use true or false")
                    accepted.add(typed)
                elif item.type is AnswerType.CHOICE:
                    options = [o.id for o in item.options]
                    if value not in options:
                        known = ", ".join(options)
                        self.fail(where, f"unknown option {value!r} of {item.id} ({known})")
                    accepted.add(value)
                else:
                    self.fail(
                        where,
                        f"{item.id} is a {item.type} question; 'is' and 'in' are for yes_no and "
                        "choice questions, numbers take gt, gte, lt or lte",
                    )
        return frozenset(accepted)

    def precheck(self, raw: Any, where: str) -> PrecheckIs:
        raw = self.fields(raw, where, required=("id",), optional=("is", "in"))
        checks = []
        for check_id in self.one_or_more(raw["id"], where, "id"):
            try:
                checks.append(self.checklist.precheck(check_id))
            except KeyError:
                known = [c.id for c in self.checklist.prechecks]
                self.fail(
                    where, f"unknown pre-visit check {check_id!r} (known: {', '.join(known)})"
                )
        modes = [key for key in ("is", "in") if key in raw]
        if len(modes) != 1:
            self.fail(where, "write exactly one of 'is' or 'in'")
        values = raw["in"] if modes[0] == "in" else [raw["is"]]
        if not isinstance(values, list) or not values:
            self.fail(where, f"'in' must be a list of results, got {_describe(values)}")
        for check in checks:
            results = [r.id for r in check.results]
            for value in values:
                if value not in results:
                    self.fail(
                        where,
                        f"unknown result {value!r} of {check.id} (results: {', '.join(results)})",
                    )
        return PrecheckIs(tuple(checks), frozenset(values))

    def ratio(self, raw: Any, where: str) -> Ratio:
        raw = self.fields(
            raw, where, required=("numerator", "denominator"), optional=("percent", *COMPARISONS)
        )
        percent = raw.get("percent", False)
        if not isinstance(percent, bool):
            self.fail(where, f"'percent' must be true or false, got {percent!r}")
        top = self.source(raw["numerator"], where, "numerator")
        bottom = self.source(raw["denominator"], where, "denominator")
        units = (self.source_unit(top, where), self.source_unit(bottom, where))
        if units[0] != units[1]:
            self.fail(where, f"the numerator is in {units[0]} and the denominator in {units[1]}")
        if not any(key in raw for key in COMPARISONS):
            self.fail(where, "a ratio needs a comparison: gt, gte, lt or lte")
        limits = self.limits(raw, where, "_pct" if percent else "_ratio")
        return Ratio(top, bottom, limits, percent)

    def change(self, raw: Any, where: str) -> Change:
        raw = self.fields(
            raw,
            where,
            required=("previous", "current", "drop_gt"),
            optional=("annualise", "min_days"),
        )
        previous = self.item(raw["previous"], where)
        current = self.item(raw["current"], where)
        units = (self.unit_of(previous, where), self.unit_of(current, where))
        if units[0] != units[1]:
            self.fail(where, f"'previous' is in {units[0]} and 'current' in {units[1]}")
        annualise = raw.get("annualise", False)
        if not isinstance(annualise, bool):
            self.fail(where, f"'annualise' must be true or false, got {annualise!r}")
        if "min_days" in raw and not annualise:
            self.fail(where, "'min_days' applies only with 'annualise: true'")
        min_days = None
        if "min_days" in raw:
            min_days = self.limit("gte", raw["min_days"], where, "min_days", "_days")
        drop = self.limit("gt", raw["drop_gt"], where, "drop_gt", "_pct")
        return Change(previous, current, drop, annualise, min_days)

    def loan(self, raw: Any, where: str) -> LoanIs:
        raw = self.fields(raw, where, optional=tuple(LOAN_FIELDS), what="'loan'")
        if not raw:
            self.fail(where, f"'loan' needs one of {', '.join(LOAN_FIELDS)}")
        limits = []
        for name, bounds in raw.items():
            at = f"{where}/{name}"
            bounds = self.fields(bounds, at, optional=COMPARISONS, what=f"'{name}'")
            if not bounds:
                self.fail(at, f"'{name}' needs a comparison: gt, gte, lt or lte")
            limits.append((name, self.limits(bounds, at, "_days")))
        return LoanIs(tuple(limits))

    def evidence_missing(self, raw: Any, where: str) -> EvidenceMissing:
        if raw is True:
            return EvidenceMissing(self.evidence_titles)
        if not isinstance(raw, list) or not raw:
            self.fail(where, f"write true, or a list of document and photo ids; got {raw!r}")
        for evidence_id in raw:
            if evidence_id not in self.evidence_titles:
                problem = self.unknown("document or photo", evidence_id, self.evidence_titles)
                self.fail(where, problem)
        return EvidenceMissing(self.evidence_titles, frozenset(raw))

    def document(self, raw: Any, where: str) -> DocumentIs:
        raw = self.fields(raw, where, required=("check",), optional=("is", "in", *COMPARISONS))
        check = raw["check"]
        if check not in DOCUMENT_CHECKS:
            self.fail(where, self.unknown("document check", check, DOCUMENT_CHECKS))
        if check in RATIO_CHECKS:
            limits = self.limits(raw, where, "_ratio")
            if not limits or "is" in raw or "in" in raw:
                self.fail(where, f"{check} is a ratio: compare it with gt, gte, lt or lte")
            return DocumentIs(check, limits=limits)
        modes = [key for key in ("is", "in") if key in raw]
        if len(modes) != 1 or any(op in raw for op in COMPARISONS):
            self.fail(where, f"write exactly one of 'is' or 'in' for {check}")
        values = raw["in"] if modes[0] == "in" else [raw["is"]]
        if not isinstance(values, list) or not values:
            self.fail(where, f"'in' must be a list of results, got {_describe(values)}")
        statuses = IDENTITY_CHECKS[check]
        for value in values:
            if value not in statuses:
                self.fail(
                    where, f"unknown result {value!r} of {check} (results: {', '.join(statuses)})"
                )
        return DocumentIs(check, accepted=frozenset(values))

    # ── numbers, sources and thresholds ────────────────────────────────────────────────────

    def limits(self, raw: dict[str, Any], where: str, suffix: str | None) -> tuple[Limit, ...]:
        return tuple(self.limit(op, raw[op], where, op, suffix) for op in COMPARISONS if op in raw)

    def limit(self, op: str, raw: Any, where: str, name: str, suffix: str | None) -> Limit:
        """A literal number, or a threshold whose unit suffix fits what it is compared with."""
        if _is_number(raw):
            return Limit(op, number=float(raw))
        if not isinstance(raw, str):
            self.fail(where, f"'{name}' is a number or a threshold name, got {_describe(raw)}")
        if raw not in self.thresholds:
            self.fail(where, self.unknown("threshold", raw, self.thresholds))
        if suffix is None or not raw.endswith(suffix):
            wanted = f"one ending in {suffix}" if suffix else "a plain number"
            self.fail(where, f"threshold {raw!r} is in the wrong unit for '{name}': use {wanted}")
        self.used.add(raw)
        return Limit(op, threshold=raw)

    def source(self, raw: Any, where: str, name: str) -> Source:
        if isinstance(raw, str) and raw in LOAN_SOURCES:
            return LoanSource(raw)
        if isinstance(raw, str) and raw.startswith("loan."):
            self.fail(where, f"unknown loan figure {raw!r} (known: {', '.join(LOAN_SOURCES)})")
        return AnswerSource(self.item(raw, where))

    def source_unit(self, source: Source, where: str) -> str:
        return "元" if isinstance(source, LoanSource) else self.unit_of(source.item, where)

    def unit_of(self, item: Item, where: str) -> str:
        if item.type not in NUMERIC:
            self.fail(where, f"{item.id} is a {item.type} question, not a number or an amount")
        # Money is stored in yuan whatever unit the officer types it in.
        return "元" if item.type is AnswerType.MONEY else item.unit or ""

    def item(self, raw: Any, where: str) -> Item:
        if not isinstance(raw, str):
            self.fail(where, f"a question id is text, got {_describe(raw)}")
        try:
            return self.checklist.item(raw)
        except KeyError:
            self.fail(where, self.unknown("question", raw, self.item_ids()))

    def item_ids(self) -> list[str]:
        return [i.id for i in self.checklist.all_items()]

    # ── small readers ───────────────────────────────────────────────────────────────────────

    def unknown(self, what: str, name: str, known: Collection[str]) -> str:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown {what} {name!r}{hint}"

    def one_or_more(self, raw: Any, where: str, name: str) -> list[Any]:
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            self.fail(where, f"'{name}' needs at least one id")
        return values

    def fields(
        self,
        raw: Any,
        where: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        what: str = "this entry",
    ) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.fail(where, f"{what} must be a mapping of fields, got {_describe(raw)}")
        allowed = (*required, *optional)
        unknown = [key for key in raw if key not in allowed]
        if unknown:
            self.fail(
                where, f"unknown field {unknown[0]!r} in {what} (allowed: {', '.join(allowed)})"
            )
        missing = [key for key in required if key not in raw]
        if missing:
            self.fail(where, f"{what} is missing the field {missing[0]!r}")
        return raw

    def sequence(self, raw: Any, where: str, name: str, minimum: int = 1) -> list[Any]:
        if not isinstance(raw, list) or len(raw) < minimum:
            self.fail(where, f"'{name}' must be a list of at least {minimum}, got {_describe(raw)}")
        return raw

    def bilingual(self, raw: Any, where: str, name: str) -> Bilingual:
        if not isinstance(raw, dict):
            self.fail(where, f"'{name}' needs 'zh' and 'en' texts, got {_describe(raw)}")
        self.fields(raw, where, optional=("zh", "en"), what=f"'{name}'")
        for lang in ("zh", "en"):
            text = raw.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.fail(where, f"'{name}' is missing its '{lang}' text")
        return Bilingual(raw["zh"].strip(), raw["en"].strip())


def main(argv: list[str]) -> int:
    """Check a rules file against a checklist; exit status 1 when either is broken."""
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    checklist_path = Path(argv[2]) if len(argv) > 2 else checklist_module.DEFAULT_PATH
    try:
        rules = load_rules(path, checklist_module.load_checklist(checklist_path))
    except (RiskRulesError, checklist_module.ChecklistError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    counts = {s: sum(1 for r in rules for c in r.cases if c.severity is s) for s in Severity}
    summary = ", ".join(f"{n} {s}" for s, n in reversed(counts.items()) if n)
    sys.stdout.write(f"{path}: OK: {len(rules)} rules; their cases: {summary}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
