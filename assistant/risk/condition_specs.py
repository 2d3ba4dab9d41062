"""The conditions of a risk rule as the rules file writes them: frozen pydantic models, part of
:class:`assistant.risk.rules_file.RulesFile`.

Each kind of condition is valid when it can be built: :class:`Refs` looks up what it names in the
checklist (passed as validation context) and among the bank's thresholds, and a name that nothing
provides fails with :func:`~assistant.data.schema.problem`, placed at the condition. The same
building, with the thresholds it names collected, gives the runtime conditions of
:mod:`assistant.risk.conditions`.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from assistant.data.checklist import NUMERIC, AnswerType, Checklist, Item, PreCheck
from assistant.data.schema import DataModel, problem, shown
from assistant.data.vocabulary import Bilingual
from assistant.evidence.crosscheck import CHECKS as DOCUMENT_CHECKS
from assistant.evidence.crosscheck import IDENTITY_CHECKS, RATIO_CHECKS
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
    DocumentIs,
    EvidenceMissing,
    Limit,
    LoanIs,
    LoanSource,
    PrecheckIs,
    Ratio,
    Source,
)
from assistant.risk.thresholds import RiskThresholds

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
# What a compared value is measured in, and the threshold suffix that belongs with it.
UNIT_KINDS = {"%": "_pct", "天": "_days"}


@dataclass
class Refs:
    """What the rules refer to outside the file, and the thresholds they have named so far."""

    checklist: Checklist
    used: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, info: ValidationInfo) -> Refs:
        """The references of a validation: its context has the checklist."""
        return cls((info.context or {})["checklist"])

    def item(self, item_id: str) -> Item:
        try:
            return self.checklist.item(item_id)
        except KeyError:
            known = [i.id for i in self.checklist.all_items()]
            raise problem(_unknown("question", item_id, known)) from None

    def unit_of(self, item: Item) -> str:
        if item.type not in NUMERIC:
            raise problem(f"{item.id} is a {item.type} question, not a number or an amount")
        # Money is stored in yuan whatever unit the officer types it in.
        return "元" if item.type is AnswerType.MONEY else item.unit or ""

    def source(self, name: str) -> Source:
        if name in LOAN_SOURCES:
            return LoanSource(name)
        if name.startswith("loan."):
            raise problem(f"unknown loan figure {name!r} (known: {', '.join(LOAN_SOURCES)})")
        return AnswerSource(self.item(name))

    def source_unit(self, source: Source) -> str:
        return "元" if isinstance(source, LoanSource) else self.unit_of(source.item)

    def limit(self, op: str, value: float | str, name: str, suffix: str | None) -> Limit:
        """A literal number, or a threshold whose unit suffix fits what it is compared with."""
        if isinstance(value, float):
            return Limit(op, number=value)
        if value not in RiskThresholds.names():
            raise problem(_unknown("threshold", value, RiskThresholds.names()))
        if suffix is None or not value.endswith(suffix):
            wanted = f"one ending in {suffix}" if suffix else "a plain number"
            raise problem(f"threshold {value!r} is in the wrong unit for '{name}': use {wanted}")
        self.used.add(value)
        return Limit(op, threshold=value)

    def evidence_titles(self) -> Mapping[str, Bilingual]:
        return {
            e.id: e.title for e in (*self.checklist.documents, *self.checklist.photo_categories)
        }

    def evidence_source(self, source_id: str) -> Item | PreCheck:
        try:
            return self.checklist.precheck(source_id)
        except KeyError:
            pass
        try:
            return self.checklist.item(source_id)
        except KeyError:
            known = [
                *(c.id for c in self.checklist.prechecks),
                *(i.id for i in self.checklist.all_items()),
            ]
            raise problem(_unknown("question or pre-visit check", source_id, known)) from None


def _unknown(what: str, name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint}"


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# One id or a list of alternatives.
Ids = Annotated[
    list[str], BeforeValidator(_listed, json_schema_input_type=str | list[str]), Field(min_length=1)
]
# A literal number, or the name of a threshold set by the bank (RISK_<NAME>).
Bound = Annotated[float | str, Field(description="a number, or a threshold name")]


class Bounds(DataModel):
    """Comparisons, all of which must hold."""

    gt: Bound | None = None
    gte: Bound | None = None
    lt: Bound | None = None
    lte: Bound | None = None

    def compared(self) -> list[str]:
        return [op for op in COMPARISONS if getattr(self, op) is not None]

    def limits(self, refs: Refs, suffix: str | None) -> tuple[Limit, ...]:
        return tuple(refs.limit(op, getattr(self, op), op, suffix) for op in self.compared())


class Body(DataModel):
    """What one kind of condition says; valid when the checklist has all it names."""

    @model_validator(mode="after")
    def _fits_the_checklist(self, info: ValidationInfo) -> Body:
        self.condition(Refs.of(info))
        return self

    def condition(self, refs: Refs) -> Condition:
        raise NotImplementedError

    def chosen(self) -> list[str]:
        """Which of ``is`` and ``in`` the file wrote."""
        return [key for key in ("is", "in") if f"{key}_" in self.model_fields_set]


class AnswerSpec(Body, Bounds):
    """``{item: ID, is: VALUE}``, ``in: [VALUES]``, or number comparisons (ANDed)."""

    item: Annotated[Ids, Field(description="a question id, or alternatives in a list")]
    is_: Annotated[bool | str | None, Field(alias="is")] = None
    in_: Annotated[list[bool | str] | None, Field(alias="in")] = None

    def condition(self, refs: Refs) -> AnswerIs:
        items = tuple(refs.item(i) for i in self.item)
        modes = self.chosen()
        if len(modes) + bool(self.compared()) != 1:
            raise problem("write exactly one of 'is', 'in', or comparisons (gt, gte, lt, lte)")
        if modes:
            values = self.in_ if modes[0] == "in" else [self.is_]
            if not values:
                raise problem(f"'in' must be a list of answers, got {shown(values)}")
            return AnswerIs(items, accepted=_accepted(items, values))
        units = {refs.unit_of(item) for item in items}
        if len(units) != 1:
            raise problem(f"the listed questions are in different units: {sorted(units)}")
        (unit,) = units
        return AnswerIs(items, limits=self.limits(refs, UNIT_KINDS.get(unit)))


def _accepted(items: tuple[Item, ...], values: list[Any]) -> frozenset[bool | str]:
    accepted: set[bool | str] = set()
    for item in items:
        for value in values:
            if item.type is AnswerType.YES_NO:
                words = {"yes": True, "no": False}
                typed = words.get(value, value) if isinstance(value, str) else value
                if not isinstance(typed, bool):
                    raise problem(f"{item.id} is a yes_no question: use true or false")
                accepted.add(typed)
            elif item.type is AnswerType.CHOICE:
                options = [o.id for o in item.options]
                if value not in options:
                    raise problem(f"unknown option {value!r} of {item.id} ({', '.join(options)})")
                accepted.add(value)
            else:
                raise problem(
                    f"{item.id} is a {item.type} question; 'is' and 'in' are for yes_no and "
                    "choice questions, numbers take gt, gte, lt or lte"
                )
    return frozenset(accepted)


class PrecheckSpec(Body):
    """``{id: records.enforcement, is: adverse}`` (or ``in: [...]``)."""

    id: Annotated[Ids, Field(description="a pre-visit check id, or alternatives in a list")]
    is_: Annotated[str | None, Field(alias="is")] = None
    in_: Annotated[list[str] | None, Field(alias="in")] = None

    def condition(self, refs: Refs) -> PrecheckIs:
        checks = []
        for check_id in self.id:
            try:
                checks.append(refs.checklist.precheck(check_id))
            except KeyError:
                known = ", ".join(c.id for c in refs.checklist.prechecks)
                raise problem(f"unknown pre-visit check {check_id!r} (known: {known})") from None
        values = _results(self.chosen(), self.is_, self.in_, "")
        for check in checks:
            results = [r.id for r in check.results]
            for value in values:
                if value not in results:
                    raise problem(
                        f"unknown result {value!r} of {check.id} (results: {', '.join(results)})"
                    )
        return PrecheckIs(tuple(checks), frozenset(values))


def _results(modes: list[str], is_: str | None, in_: list[str] | None, of: str) -> list[Any]:
    """The results an ``is`` or ``in`` accepts; ``of`` names the check they are results of."""
    if len(modes) != 1:
        raise problem(f"write exactly one of 'is' or 'in'{f' for {of}' if of else ''}")
    values: list[Any] = (in_ or []) if modes[0] == "in" else [is_]
    if not values:
        raise problem(f"'in' must be a list of results, got {shown(in_)}")
    return values


class RatioSpec(Body, Bounds):
    """``numerator / denominator`` as a fraction (or 0–100 with ``percent``), compared."""

    numerator: Annotated[str, Field(description="a number or money question, or a loan figure")]
    denominator: Annotated[str, Field(description="in the numerator's unit")]
    percent: bool = False

    def condition(self, refs: Refs) -> Ratio:
        top, bottom = refs.source(self.numerator), refs.source(self.denominator)
        units = (refs.source_unit(top), refs.source_unit(bottom))
        if units[0] != units[1]:
            raise problem(f"the numerator is in {units[0]} and the denominator in {units[1]}")
        if not self.compared():
            raise problem("a ratio needs a comparison: gt, gte, lt or lte")
        return Ratio(
            top, bottom, self.limits(refs, "_pct" if self.percent else "_ratio"), self.percent
        )


class ChangeSpec(Body):
    """``current`` fell below ``previous`` by more than ``drop_gt`` per cent."""

    previous: str
    current: str
    drop_gt: Bound
    annualise: Annotated[
        bool, Field(description="scale a year-to-date `current` to a full year")
    ] = False
    min_days: Annotated[
        Bound | None, Field(description="with annualise: no estimate before this day of the year")
    ] = None

    def condition(self, refs: Refs) -> Change:
        previous, current = refs.item(self.previous), refs.item(self.current)
        units = (refs.unit_of(previous), refs.unit_of(current))
        if units[0] != units[1]:
            raise problem(f"'previous' is in {units[0]} and 'current' in {units[1]}")
        if self.min_days is not None and not self.annualise:
            raise problem("'min_days' applies only with 'annualise: true'")
        min_days = None
        if self.min_days is not None:
            min_days = refs.limit("gte", self.min_days, "min_days", "_days")
        drop = refs.limit("gt", self.drop_gt, "drop_gt", "_pct")
        return Change(previous, current, drop, self.annualise, min_days)


class Days(Bounds):
    """Days, compared with gt, gte, lt or lte (ANDed)."""

    @model_validator(mode="after")
    def _in_days(self, info: ValidationInfo) -> Days:
        self.limits(Refs.of(info), "_days")
        return self


class LoanSpec(Body):
    """A loan on file whose days fit every comparison given."""

    days_overdue: Days | None = None
    days_to_maturity: Days | None = None
    days_since_disbursement: Days | None = None

    @field_validator(*LOAN_FIELDS)
    @classmethod
    def _compared(cls, days: Days | None, info: ValidationInfo) -> Days | None:
        if days is not None and not days.compared():
            raise problem(f"'{info.field_name}' needs a comparison: gt, gte, lt or lte")
        return days

    def condition(self, refs: Refs) -> LoanIs:
        given = [(name, days) for name in LOAN_FIELDS if (days := getattr(self, name)) is not None]
        if not given:
            raise problem(f"'loan' needs one of {', '.join(LOAN_FIELDS)}")
        return LoanIs(tuple((name, days.limits(refs, "_days")) for name, days in given))


class DocumentSpec(Body, Bounds):
    """What a read photo of a document says against the client record."""

    check: Annotated[str, Field(description="licence.name, statement.inflow, …")]
    is_: Annotated[str | None, Field(alias="is")] = None
    in_: Annotated[list[str] | None, Field(alias="in")] = None

    def condition(self, refs: Refs) -> DocumentIs:
        check = self.check
        if check not in DOCUMENT_CHECKS:
            raise problem(_unknown("document check", check, DOCUMENT_CHECKS))
        if check in RATIO_CHECKS:
            if not self.compared() or self.chosen():
                raise problem(f"{check} is a ratio: compare it with gt, gte, lt or lte")
            return DocumentIs(check, limits=self.limits(refs, "_ratio"))
        modes = self.chosen() if not self.compared() else []
        values = _results(modes, self.is_, self.in_, check)
        statuses = IDENTITY_CHECKS[check]
        for value in values:
            if value not in statuses:
                raise problem(
                    f"unknown result {value!r} of {check} (results: {', '.join(statuses)})"
                )
        return DocumentIs(check, accepted=frozenset(values))


class ConditionSpec(DataModel):
    """Exactly one kind of condition. One whose inputs are missing does not hold."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    answer: AnswerSpec | None = None
    document: DocumentSpec | None = None
    precheck: PrecheckSpec | None = None
    ratio: RatioSpec | None = None
    change: ChangeSpec | None = None
    loan: LoanSpec | None = None
    evidence_missing: Annotated[
        Literal[True] | Annotated[list[str], Field(min_length=1)] | None,
        Field(description="true: any required document or photo; or the doc./photo. ids"),
    ] = None
    any_of: Annotated[list[ConditionSpec] | None, Field(min_length=1)] = None
    all_of: Annotated[list[ConditionSpec] | None, Field(min_length=1)] = None

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict) or len(data) != 1 or None in data.values():
            raise problem(
                f"a condition is a mapping with exactly one of {', '.join(CONDITIONS)}; "
                f"combine several with all_of or any_of (got {shown(data)})"
            )
        return data

    @field_validator("evidence_missing")
    @classmethod
    def _known_evidence(
        cls, wanted: Literal[True] | list[str] | None, info: ValidationInfo
    ) -> Literal[True] | list[str] | None:
        titles = Refs.of(info).evidence_titles()
        for evidence_id in wanted if isinstance(wanted, list) else ():
            if evidence_id not in titles:
                raise problem(_unknown("document or photo", evidence_id, titles))
        return wanted

    def condition(self, refs: Refs) -> Condition:
        if self.evidence_missing is not None:
            only = self.evidence_missing if isinstance(self.evidence_missing, list) else ()
            return EvidenceMissing(refs.evidence_titles(), frozenset(only))
        if self.any_of is not None:
            return AnyOf(tuple(part.condition(refs) for part in self.any_of))
        if self.all_of is not None:
            return AllOf(tuple(part.condition(refs) for part in self.all_of))
        body = next(
            b
            for b in (self.answer, self.document, self.precheck, self.ratio, self.change, self.loan)
            if b is not None
        )
        return body.condition(refs)
