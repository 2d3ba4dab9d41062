"""Risk rules as data, and the engine that applies them to one visit.

The rules live in ``knowledge/risk_rules.yaml`` so that the bank can edit them, with the words of
the five-tier suggestion (its ``classification`` block); :mod:`assistant.risk.rules_file` declares
the file, and ``knowledge/schemas/risk_rules.schema.json`` is generated from it. :func:`load_rules`
reads it against the checklist and fails on the first problem, naming the file, the rule and the
place: an unknown question, option, pre-visit check, threshold, key or placeholder is reported
once, at start-up, not by a rule that silently never fires.

:class:`RiskEngine` turns a visit's :class:`RiskFacts` into :class:`Finding` objects (each carries
the answers it read) and suggests a five-tier class. It is pure: no database, no chat, no clock.

Run ``python -m assistant.risk.rules [RULES] [CHECKLIST]`` to check a rules file by hand.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.data import checklist as checklist_module
from assistant.data.checklist import Checklist, ChecklistError, Item, PreCheck
from assistant.data.files import DataFileError
from assistant.data.schema import validate
from assistant.data.vocabulary import Bilingual
from assistant.risk import display
from assistant.risk.classification import ClassificationTexts, suggest_class
from assistant.risk.conditions import (
    Condition,
    Context,
    Match,
    answer_ref,
    local_name,
    read_answer,
    read_precheck,
)
from assistant.risk.model import ClassSuggestion, EvidenceRef, Finding, RiskFacts, Severity
from assistant.risk.rules_file import Refs, RulesFile, RuleSpec, place, wording
from assistant.risk.thresholds import RiskThresholds, quoted_settings

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "risk_rules.yaml"


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
        # critical() runs at every recorded answer: only rules that can find something
        # critical need to be applied there.
        self._alerting = tuple(
            rule for rule in rules if any(c.severity is Severity.CRITICAL for c in rule.cases)
        )

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
        context = Context(facts, self.thresholds)
        return [
            finding
            for rule in self._alerting
            if (finding := _apply(rule, context)) is not None
            and finding.severity is Severity.CRITICAL
        ]

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
    _check_quoted_settings(checklist)
    spec = validate(
        RulesFile, path, RiskRulesError, place, wording=wording, context={"checklist": checklist}
    )
    refs = Refs(checklist)
    rules = tuple(_rule(entry, spec, refs) for entry in spec.rules)
    return RuleSet(
        str(path),
        rules,
        classification=spec.classification.texts(),
        thresholds=frozenset(refs.used),
    )


def _check_quoted_settings(checklist: Checklist) -> None:
    """A hint may quote the bank's settings ("超过{debt_ratio_max_pct}列为风险点"); the rules,
    which own the settings, refuse a checklist that quotes one that does not exist.

    Raises:
        ChecklistError: naming the checklist, the question and the unknown setting.
    """
    known = RiskThresholds.names()
    for item in checklist.all_items():
        for text in (item.hint.zh, item.hint.en) if item.hint else ():
            for name in quoted_settings(text):
                if name not in known:
                    raise ChecklistError(
                        checklist.path,
                        f"{item.id}/hint",
                        f"quotes {{{name}}}, which is no setting; known: {', '.join(known)}",
                    )


def _rule(entry: RuleSpec, spec: RulesFile, refs: Refs) -> Rule:
    cases = []
    for _, case in entry.cases_in_effect():
        # Validation saw to it that each case in effect has its title, detail and measures.
        cases.append(
            Case(
                severity=case.severity,
                when=case.when.condition(refs),
                title=case.title.text(),
                detail=case.detail.text(),
                measures=tuple(spec.measure(m) for m in case.measures),
            )
        )
    evidence = tuple(refs.evidence_source(source_id) for source_id in entry.evidence)
    return Rule(entry.id, tuple(cases), evidence)


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
