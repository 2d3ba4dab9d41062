"""The risk rules file, ``knowledge/risk_rules.yaml``, as frozen pydantic models; its JSON Schema
is ``knowledge/schemas/risk_rules.schema.json``.

Pydantic checks the file's shape. What it cannot state by itself is checked by validators: a
rule's conditions (:mod:`assistant.risk.condition_specs`) are built against the checklist, which
arrives as validation context, and a detail may quote only the values its conditions and evidence
give. A question, option, pre-visit check, document check, threshold, measure or placeholder that
a rule names and nothing provides fails at start-up with the rule and the place named
(``rules[4] staff.low_presence/when/ratio``, through :func:`place`), rather than leaving a rule
that never fires. :func:`assistant.risk.rules.load_rules` turns the validated file into the
runtime rule set.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from assistant.data.schema import PROBLEM, DataModel, Loc, Text, problem, shown
from assistant.data.vocabulary import Bilingual
from assistant.risk.classification import REASONS, TIERS, ClassificationTexts, Floor
from assistant.risk.condition_specs import CONDITIONS, ConditionSpec, Refs
from assistant.risk.conditions import COMPARISONS, LOAN_FIELDS, local_name
from assistant.risk.model import Severity

RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# The segments pydantic adds to a location for each member of a union (``item/str``).
UNION_TAG = re.compile(r"^(str|bool|float|int|Words|list\[.*\]|literal\[.*\])$")


def _moved(exc: PydanticCustomError, at: str) -> PydanticCustomError:
    """The problem ``exc``, placed at ``at`` inside the entry being validated."""
    return problem(str((exc.context or {})["text"]), at)


class Words(DataModel):
    """A text in both languages."""

    zh: Text
    en: Text

    def text(self) -> Bilingual:
        return Bilingual(self.zh, self.en)


def _plain(words: Words, problem_text: str) -> Words:
    if any(c in words.zh + words.en for c in "{}"):
        raise problem(problem_text)
    return words


def _placeholders(
    text: Words,
    name: str,
    names: Collection[str],
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
            raise problem(f"'{name}.{lang}': {exc}; write {{{{ and }}}} for braces") from None
        for _, quoted, spec, conversion in parts:
            if quoted is None:
                continue
            if spec or conversion:
                raise problem(f"'{name}.{lang}': write {{{quoted}}} without a format")
            for part in quoted.split("|") if alternatives else [quoted]:
                if part not in names:
                    known = ", ".join(sorted(names)) or "none"
                    raise problem(
                        f"'{name}.{lang}' quotes {{{part}}}, which {unknown} "
                        f"(it can quote: {known})"
                    )


# ── rules ──────────────────────────────────────────────────────────────────────────────────────

# A measure from the catalogue by name, or written out.
Measure = str | Words
Measures = Annotated[list[Measure], Field(min_length=1)]
# Lax: the file writes the severity's value ("warning"), never the enum itself.
SeverityName = Annotated[
    Severity, Field(strict=False, description="warning and critical alert the supervisor")
]


class CaseSpec(DataModel):
    """One severity of a rule; title, detail and measures fall back to the rule's own."""

    severity: SeverityName
    when: ConditionSpec
    title: Words | None = None
    detail: Words | None = None
    measures: Measures | None = None

    @field_validator("title")
    @classmethod
    def _plain_title(cls, title: Words | None) -> Words | None:
        return title and _plain(title, "a title is plain text; quote values in 'detail'")


class RuleSpec(DataModel):
    """A rule: either ``severity`` and ``when``, or ``cases``, most severe first."""

    id: Annotated[
        str,
        Field(
            pattern=RULE_ID.pattern,
            description="lower_case words joined by dots (staff.low_presence); unique",
        ),
    ]
    title: Annotated[Words, Field(description="plain text, no values")]
    severity: SeverityName | None = None
    detail: Annotated[
        Words | None,
        Field(description="may quote values: {headcount_present}; {a|b}: the first answered"),
    ] = None
    when: ConditionSpec | None = None
    cases: Annotated[
        list[CaseSpec] | None, Field(min_length=1, description="the first case that holds decides")
    ] = None
    evidence: Annotated[
        list[str],
        Field(
            default_factory=list, description="more answers or pre-visit checks to show and quote"
        ),
    ]
    measures: Annotated[
        Measures | None, Field(description="names from the catalogue, or texts written out")
    ] = None

    @field_validator("title")
    @classmethod
    def _plain_title(cls, title: Words) -> Words:
        return _plain(title, "a title is plain text; quote values in 'detail'")

    @field_validator("evidence")
    @classmethod
    def _known_evidence(cls, evidence: list[str], info: ValidationInfo) -> list[str]:
        refs = Refs.of(info)
        for index, source_id in enumerate(evidence, start=1):
            try:
                refs.evidence_source(source_id)
            except PydanticCustomError as exc:
                raise _moved(exc, f"evidence[{index}]") from None
        return evidence

    @model_validator(mode="after")
    def _cases_complete(self, info: ValidationInfo) -> RuleSpec:
        given = self.model_fields_set
        for key in ("severity", "when"):
            if "cases" in given and key in given:
                raise problem(f"'{key}' goes inside each case when a rule has 'cases'")
            if "cases" not in given and getattr(self, key) is None:
                raise problem(f"a rule needs '{key}' (or 'cases', each with its own)")
        for before, after in itertools.pairwise(self.cases or ()):
            if after.severity.rank > before.severity.rank:
                raise problem("cases go from the most severe down; the first to hold wins")
        refs = Refs.of(info)
        quoted = {local_name(source_id) for source_id in self.evidence}
        for at, case in self.cases_in_effect():
            if case.detail is None or case.measures is None:
                raise problem(
                    f"missing the field '{'detail' if case.detail is None else 'measures'}'", at
                )
            names = case.when.condition(refs).names() | quoted
            try:
                _placeholders(
                    case.detail, "detail", names, "this rule does not read", alternatives=True
                )
            except PydanticCustomError as exc:
                raise _moved(exc, at) from None
        return self

    def cases_in_effect(self) -> list[tuple[str, CaseSpec]]:
        """Each case, with what it leaves out taken from the rule, and where it is written."""
        fallback = {"title": self.title, "detail": self.detail, "measures": self.measures}
        if self.cases is None:
            single = CaseSpec.model_construct(severity=self.severity, when=self.when, **fallback)
            return [("", single)]
        return [
            (
                f"cases[{index}]",
                case.model_copy(
                    update={k: v for k, v in fallback.items() if getattr(case, k) is None}
                ),
            )
            for index, case in enumerate(self.cases, start=1)
        ]


# ── the file ───────────────────────────────────────────────────────────────────────────────────


class Labels(DataModel):
    """The name of each of the five tiers (五级分类), plain text."""

    normal: Words
    special_mention: Words
    substandard: Words
    doubtful: Words
    loss: Words

    # Naming every tier makes pydantic refuse, on import, a tier added without its label here.
    @field_validator(*TIERS)
    @classmethod
    def _plain_label(cls, label: Words) -> Words:
        return _plain(label, "a label is plain text, without { or }")


class Reasons(DataModel):
    """The sentences a suggestion's reason is made of; each quotes only the values it receives
    (see the file's header); write {{ and }} for braces."""

    overdue_any: Annotated[Words, Field(description="{days}, {rulebook}, {tier}")]
    overdue_beyond: Annotated[Words, Field(description="{days}, {line}, {rulebook}, {tier}")]
    overdue_loss: Annotated[Words, Field(description="{days}, {line}, {rulebook}, {tier}")]
    clean: Annotated[Words, Field(description="no values")]
    floor: Annotated[Words, Field(description="{findings}, {rule}, {rulebook}, {tier}")]
    signals: Annotated[Words, Field(description="{findings}, {tier}")]
    also_found: Annotated[Words, Field(description="{findings}")]
    consider: Annotated[Words, Field(description="{findings}, {rule}, {tier}")]
    worse_on_file: Annotated[Words, Field(description="{on_file}, {tier}")]

    @field_validator(*REASONS)
    @classmethod
    def _quotes_what_it_receives(cls, text: Words, info: ValidationInfo) -> Words:
        name = str(info.field_name)
        _placeholders(text, name, REASONS[name], "this sentence does not receive")
        return text


FindingRef = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+(/(info|attention|warning|critical))?$",
        description="a rule id, or rule id/severity for one of its cases (use.not_as_agreed, "
        "operations.declining/critical)",
    ),
]


class FloorSpec(DataModel):
    """A situation the classification rules put at least at ``tier`` (under ``floors``), or one
    that should make the officer weigh ``tier`` (under ``consider``)."""

    id: Annotated[str, Field(pattern=MEASURE_ID.pattern)]
    tier: Literal["special_mention", "substandard", "doubtful", "loss"]
    findings: Annotated[list[FindingRef], Field(min_length=1)]
    rule: Annotated[Words, Field(description="plain text naming the situation and its rule")]
    kinds: Annotated[
        list[Literal["corporate", "individual"]],
        Field(description="the borrowers it applies to; all when left out"),
    ] = Field(default_factory=list)

    @field_validator("rule")
    @classmethod
    def _plain_rule(cls, rule: Words) -> Words:
        return _plain(rule, "a rule is plain text, without { or }")

    def floor(self) -> Floor:
        refs = tuple(
            (ref.split("/")[0], ref.split("/")[1] if "/" in ref else None) for ref in self.findings
        )
        return Floor(self.id, self.tier, refs, self.rule.text(), frozenset(self.kinds))


class ClassificationSpec(DataModel):
    """The words of the suggested five-tier class, its floors and what to consider; the overdue
    lines themselves are in the code."""

    labels: Labels
    rulebook: Annotated[Words, Field(description="plain text: the rules the overdue reasons cite")]
    reasons: Reasons
    floors: Annotated[
        list[FloorSpec],
        Field(description="what puts a loan at least at a tier by itself; nothing else does"),
    ] = Field(default_factory=list)
    consider: Annotated[
        list[FloorSpec],
        Field(description="what asks the officer to weigh a worse tier, without setting it"),
    ] = Field(default_factory=list)

    @field_validator("rulebook")
    @classmethod
    def _plain_rulebook(cls, rulebook: Words) -> Words:
        return _plain(rulebook, "a rulebook is plain text, without { or }")

    def texts(self) -> ClassificationTexts:
        labels = {tier: getattr(self.labels, tier).text() for tier in TIERS}
        reasons = {name: getattr(self.reasons, name).text() for name in REASONS}
        return ClassificationTexts(
            MappingProxyType(labels),
            self.rulebook.text(),
            MappingProxyType(reasons),
            tuple(f.floor() for f in self.floors),
            tuple(f.floor() for f in self.consider),
        )


MeasureName = Annotated[str, Field(pattern=MEASURE_ID.pattern)]


class RulesFile(DataModel):
    """``knowledge/risk_rules.yaml``: the risk rules, in the order the report lists findings of
    equal severity."""

    version: Literal[1]
    measures: Annotated[
        dict[MeasureName, Words] | None,
        Field(description="a catalogue of suggested measures, referred to by name in the rules"),
    ] = None
    classification: ClassificationSpec
    rules: Annotated[list[RuleSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _floors_name_rules(self) -> RulesFile:
        """A floor names findings these rules can make: a rule, and a severity it can have."""
        severities = {
            rule.id: {case.severity.value for _, case in rule.cases_in_effect()}
            for rule in self.rules
        }
        for key in ("floors", "consider"):
            for index, entry in enumerate(getattr(self.classification, key), start=1):
                for number, ref in enumerate(entry.findings, start=1):
                    rule, _, severity = ref.partition("/")
                    known = severities.get(rule)
                    if known is None or (severity and severity not in known):
                        raise problem(
                            f"no rule makes the finding {ref!r}",
                            f"classification/{key}[{index}] {entry.id}/findings[{number}]",
                        )
        return self

    @model_validator(mode="after")
    def _rules_fit_the_file(self) -> RulesFile:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules, start=1):
            where = f"rules[{index}] {rule.id}"
            if rule.id in seen:
                raise problem(f"duplicate rule id {rule.id!r}", where)
            seen.add(rule.id)
            for at, case in rule.cases_in_effect():
                for number, measure in enumerate(case.measures or (), start=1):
                    if isinstance(measure, str) and measure not in (self.measures or {}):
                        known = ", ".join(self.measures or {}) or "none"
                        raise problem(
                            f"unknown measure {measure!r} (the catalogue has: {known})",
                            "/".join(p for p in (where, at, f"measures[{number}]") if p),
                        )
        return self

    def measure(self, measure: Measure) -> Bilingual:
        """A measure's text, from the catalogue when the rule names it."""
        return (self.measures or {})[measure].text() if isinstance(measure, str) else measure.text()


def place(loc: Loc, raw: Any) -> str:
    """Where an error is, the way the file's editors and tests know it: ``version``,
    ``measures/monitor``, ``classification/reasons/clean``, ``rules[4] staff.low_presence``
    (``rules[4]`` while the id is wrong), then ``/cases[2]``, ``/evidence[1]``, ``/measures[1]``,
    ``/when/any_of[2]/ratio``, ``/when/loan/days_overdue``."""
    if not loc or not isinstance(raw, dict) or loc[0] not in raw:
        return ""
    head, node = loc[0], raw[loc[0]]
    if head == "rules":
        return _rule_place(loc[1:], node)
    if head == "measures":
        named = len(loc) > 1 and isinstance(node, dict) and loc[1] in node
        return f"measures/{loc[1]}" if named and loc[2:3] != ("[key]",) else "measures"
    if head == "classification":
        parts, keys = ["classification"], tuple(ClassificationSpec.model_fields)
        for segment in loc[1:]:
            if segment not in keys or not isinstance(node, dict) or segment not in node:
                break
            parts.append(str(segment))
            node = node[segment]
            keys = {"labels": TIERS, "reasons": tuple(REASONS)}.get(str(segment), ())
        return "/".join(parts)
    return str(head) if head in RulesFile.model_fields else ""


def _rule_place(loc: Loc, entries: Any) -> str:
    if not loc or not isinstance(loc[0], int):
        return "rules"
    entry = _nth(entries, loc[0])
    ident = entry.get("id") if isinstance(entry, dict) else None
    head = f"rules[{loc[0] + 1}]"
    if loc[1:2] == ("id",) or not (isinstance(ident, str) and RULE_ID.match(ident)):
        return head
    return f"{head} {ident}{_entry_place(loc[1:], entry)}"


def _entry_place(loc: Loc, entry: Any) -> str:
    """Inside a rule or a case."""
    if len(loc) > 1 and loc[0] in ("cases", "evidence", "measures") and isinstance(loc[1], int):
        at = f"/{loc[0]}[{loc[1] + 1}]"
        if loc[0] == "cases" and isinstance(entry, dict):
            return at + _entry_place(loc[2:], _nth(entry.get("cases"), loc[1]))
        return at
    if loc[:1] == ("when",) and isinstance(entry, dict) and "when" in entry:
        return "/when" + _condition_place(loc[1:], entry["when"])
    return ""


def _condition_place(loc: Loc, condition: Any) -> str:
    if not loc or loc[0] not in CONDITIONS or not isinstance(condition, dict):
        return ""
    kind, body, rest = str(loc[0]), condition.get(loc[0]), loc[1:]
    if kind in ("any_of", "all_of") and rest and isinstance(rest[0], int):
        return f"/{kind}[{rest[0] + 1}]" + _condition_place(rest[1:], _nth(body, rest[0]))
    if kind == "loan" and rest and rest[0] in LOAN_FIELDS and isinstance(body, dict):
        return f"/loan/{rest[0]}" if rest[0] in body else "/loan"
    return f"/{kind}"


def _nth(entries: Any, index: int) -> Any:
    return entries[index] if isinstance(entries, list) and index < len(entries) else None


def wording(detail: Mapping[str, Any]) -> str | None:
    """Pydantic's errors in the words this file's editors (and its tests) know from before."""
    loc, error, given = tuple(detail["loc"]), detail["type"], detail["input"]
    if error == PROBLEM:
        return None
    if loc[:1] == ("measures",) and loc[-1:] == ("[key]",):
        return f"a measure name is a lower_case word, got {loc[1]!r}"
    # Pydantic names each member of a union in the location (item/str); the last segment of an
    # unknown or missing key is that key, even one that reads like such a name.
    tagged = loc[:-1] if error in ("missing", "extra_forbidden") else loc
    path = [p for p in tagged if not UNION_TAG.match(str(p))] + list(loc[len(tagged) :])
    name = path[-1] if path else ""
    owner = _what(path[:-1])
    if name in ("zh", "en") and error in ("missing", "string_too_short", "string_type"):
        return f"'{path[-2]}' is missing its '{name}' text"
    if error == "missing":
        return f"{owner} is missing the field {name!r}"
    if error == "extra_forbidden":
        if path[-2:-1] == ["when"] or (len(path) > 2 and path[-3] in ("any_of", "all_of")):
            return f"unknown condition {name!r} (allowed: {', '.join(CONDITIONS)})"
        return f"unknown field {name!r} in {owner}"
    if error == "model_type":
        if detail.get("ctx", {}).get("class_name") == "Words":
            return f"'{name}' needs 'zh' and 'en' texts, got {shown(given)}"
        return f"{_what(path)} must be a mapping of fields, got {shown(given)}"
    return _value_wording(path, error, given)


def _value_wording(path: list[Any], error: str, given: Any) -> str | None:
    name = path[-1] if path else ""
    if path == ["version"]:
        return f"unsupported version {given!r}; this code reads 1"
    if name == "severity":
        return f"unknown severity {given!r} (allowed: {', '.join(s.value for s in Severity)})"
    if path[-1:] == ["id"] and len(path) == 3:
        return f"a rule id looks like 'staff.low_presence', got {given!r}"
    if "evidence_missing" in path:
        return f"write true, or a list of document and photo ids; got {given!r}"
    if name in (*COMPARISONS, "drop_gt", "min_days"):
        return f"'{name}' is a number or a threshold name, got {shown(given)}"
    if name == "is":
        return f"'is' is one answer or result (true, false or an id), got {shown(given)}"
    if name == "in" and error == "list_type":
        of = "answers" if path[-2:-1] == ["answer"] else "results"
        return f"'in' must be a list of {of}, got {shown(given)}"
    if path[-2:-1] == ["measures"] and isinstance(name, int):
        return f"a measure is a name from the catalogue or {{zh, en}} texts, got {shown(given)}"
    if name == "measures" and error == "dict_type":
        return f"'measures' must map names to {{zh, en}}, got {shown(given)}"
    if error in ("list_type", "too_short"):
        return f"'{name}' must be a non-empty list, got {shown(given)}"
    if error == "bool_type":
        return f"'{name}' must be true or false, got {given!r}"
    if error == "string_type" and isinstance(name, int) and len(path) > 1:
        return f"an entry of '{path[-2]}' must be text, got {shown(given)}"
    return None


def _what(path: list[Any]) -> str:
    """The mapping at ``path``, as a message names it."""
    if not path:
        return "the file"
    return f"'{path[-1]}'" if isinstance(path[-1], str) else "this entry"
