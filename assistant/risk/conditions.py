"""The small condition language of the risk rules, already checked against the checklist.

Each condition either holds for a visit, returning a :class:`Match` with the evidence it read and
the values a finding's detail may quote, or does not (``None``). A condition whose inputs are
absent (a skipped question, a check not made, a loan without collateral) does not hold: a rule
never fires on a guess.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.data.checklist import Item, PreCheck
from assistant.data.vocabulary import Bilingual
from assistant.portfolio import LoanView
from assistant.risk import display
from assistant.risk.model import EvidenceRef, RiskFacts
from assistant.risk.thresholds import RiskThresholds

COMPARISONS = ("gt", "gte", "lt", "lte")
LOAN_FIELDS: Mapping[str, Bilingual] = {
    "days_overdue": Bilingual("逾期天数", "Days overdue"),
    "days_to_maturity": Bilingual("距到期天数", "Days to maturity"),
    "days_since_disbursement": Bilingual("放款后天数", "Days since disbursement"),
}
# Figures taken from the loans on file rather than from an answer.
LOAN_SOURCES: Mapping[str, Bilingual] = {
    "loan.amount": Bilingual("贷款金额", "Loan amount"),
    "loan.secured_amount": Bilingual("有抵押物的贷款金额", "Amount of the secured loans"),
    "loan.collateral_value": Bilingual("抵押物评估价值", "Appraised value of the collateral"),
}
NOT_COLLECTED = Bilingual("未收集", "not collected")


def local_name(source_id: str) -> str:
    """The name a detail template quotes a value by: the last part of its id."""
    return source_id.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Context:
    facts: RiskFacts
    thresholds: RiskThresholds


@dataclass
class Match:
    """What a holding condition read: evidence in reading order, and the values to quote."""

    evidence: list[EvidenceRef] = field(default_factory=list)
    values: dict[str, Bilingual] = field(default_factory=dict)

    def add(self, ref: EvidenceRef, name: str | None = None) -> None:
        """Keep ``ref`` (once) and, under ``name``, its value for the detail template."""
        if all((e.kind, e.ref, e.label) != (ref.kind, ref.ref, ref.label) for e in self.evidence):
            self.evidence.append(ref)
        if name is not None:
            self.quote(name, ref.value)

    def quote(self, name: str, value: Bilingual) -> None:
        # The first reading wins: of alternative questions, the one that matched comes first.
        self.values.setdefault(name, value)

    def merge(self, other: Match) -> None:
        for ref in other.evidence:
            self.add(ref)
        for name, value in other.values.items():
            self.quote(name, value)


class Condition(Protocol):
    def evaluate(self, context: Context) -> Match | None:
        """A match when the condition holds for this visit, else ``None``."""
        ...

    def names(self) -> frozenset[str]:
        """The values this condition can give a detail template."""
        ...


@dataclass(frozen=True)
class Limit:
    """One comparison, against a literal number or a threshold named in the settings."""

    op: str
    number: float | None = None
    threshold: str | None = None

    def bound(self, thresholds: RiskThresholds) -> float:
        if self.threshold is not None:
            return thresholds.value(self.threshold)
        if self.number is None:
            raise ValueError(f"a {self.op} limit needs a number or a threshold")
        return self.number

    def holds(self, value: float, thresholds: RiskThresholds) -> bool:
        bound = self.bound(thresholds)
        match self.op:
            case "gt":
                return value > bound
            case "gte":
                return value >= bound
            case "lt":
                return value < bound
            case "lte":
                return value <= bound
            case _:
                raise ValueError(f"unknown comparison {self.op!r}")


def _all_hold(limits: tuple[Limit, ...], value: float, thresholds: RiskThresholds) -> bool:
    return all(limit.holds(value, thresholds) for limit in limits)


def answer_ref(item: Item, value: Bilingual) -> EvidenceRef:
    return EvidenceRef("answer", item.id, item.label, value)


def read_answer(item: Item, facts: RiskFacts) -> tuple[Any, Bilingual] | None:
    """The stored answer and its display value, or ``None`` when absent or of the wrong type."""
    if item.id not in facts.answers:
        return None
    value = facts.answers[item.id]
    shown = display.answer(item, value)
    return None if shown is None else (value, shown)


def read_precheck(check: PreCheck, facts: RiskFacts) -> tuple[str, Bilingual] | None:
    result = facts.findings.get(check.id)
    if result is None:
        return None
    try:
        label = check.result(result).label
    except KeyError:  # a result the bank has since removed from the file
        label = Bilingual(result, result)
    return result, label


@dataclass(frozen=True)
class AnswerIs:
    """``answer: {item: …, is: …}`` / ``in: […]`` / ``gt: …``: one of the listed questions
    (alternatives, e.g. the same check asked of companies and of individuals) has such an answer."""

    items: tuple[Item, ...]
    accepted: frozenset[bool | str] = frozenset()
    limits: tuple[Limit, ...] = ()

    def evaluate(self, context: Context) -> Match | None:
        match = Match()
        for item in self.items:
            read = read_answer(item, context.facts)
            if read is None or not self._accepts(read[0], context.thresholds):
                continue
            match.add(answer_ref(item, read[1]), local_name(item.id))
        return match if match.evidence else None

    def _accepts(self, value: Any, thresholds: RiskThresholds) -> bool:
        if self.accepted:
            # Compare types too: True must not match an option id, nor 1 match True.
            return any(type(value) is type(a) and value == a for a in self.accepted)
        number = display.number_of(value)
        return number is not None and _all_hold(self.limits, number, thresholds)

    def names(self) -> frozenset[str]:
        return frozenset(local_name(item.id) for item in self.items)


@dataclass(frozen=True)
class PrecheckIs:
    """``precheck: {id: records.enforcement, is: adverse}``: a pre-visit look-up's result."""

    checks: tuple[PreCheck, ...]
    accepted: frozenset[str]

    def evaluate(self, context: Context) -> Match | None:
        match = Match()
        for check in self.checks:
            read = read_precheck(check, context.facts)
            if read is not None and read[0] in self.accepted:
                ref = EvidenceRef("precheck", check.id, check.title, read[1])
                match.add(ref, local_name(check.id))
        return match if match.evidence else None

    def names(self) -> frozenset[str]:
        return frozenset(local_name(check.id) for check in self.checks)


@dataclass(frozen=True)
class AnswerSource:
    """A number or money answer used as one side of a ratio."""

    item: Item

    @property
    def name(self) -> str:
        return local_name(self.item.id)

    def read(self, context: Context, match: Match) -> float | None:
        read = read_answer(self.item, context.facts)
        number = None if read is None else display.number_of(read[0])
        if read is None or number is None:
            return None
        match.add(answer_ref(self.item, read[1]), self.name)
        return number


@dataclass(frozen=True)
class LoanSource:
    """A money figure from the loans on file: ``loan.amount``, ``loan.secured_amount`` (the loans
    that have collateral) or ``loan.collateral_value`` (appraised values)."""

    source: str

    @property
    def name(self) -> str:
        return "loan_amount" if self.source == "loan.amount" else local_name(self.source)

    def read(self, context: Context, match: Match) -> float | None:
        parts = [(loan, self._part(loan)) for loan in context.facts.loans]
        parts = [(loan, part) for loan, part in parts if part is not None]
        if not parts:
            return None
        label = LOAN_SOURCES[self.source]
        for loan, part in parts:
            match.add(EvidenceRef("loan", loan.contract_no, label, display.money(part)))
        total = sum(part for _, part in parts)
        match.quote(self.name, display.money(total))
        return total

    def _part(self, loan: LoanView) -> float | None:
        if self.source == "loan.amount":
            return float(loan.amount)
        if self.source == "loan.secured_amount":
            return float(loan.amount) if loan.collateral else None
        values = [float(c.appraised_value) for c in loan.collateral if c.appraised_value]
        return sum(values) if values else None


Source = AnswerSource | LoanSource


@dataclass(frozen=True)
class Ratio:
    """``ratio: {numerator, denominator, percent, lt: …}``: one figure against another.

    A zero denominator under a positive numerator is an infinite ratio (receivables with no
    turnover); zero over zero says nothing, and the condition does not hold.
    """

    numerator: Source
    denominator: Source
    limits: tuple[Limit, ...]
    percent: bool = False

    def evaluate(self, context: Context) -> Match | None:
        match = Match()
        top = self.numerator.read(context, match)
        bottom = self.denominator.read(context, match)
        if top is None or bottom is None:
            return None
        if bottom == 0:
            if top <= 0:
                return None
            ratio = math.inf
        else:
            ratio = top / bottom
        compared = ratio * 100 if self.percent else ratio
        if not _all_hold(self.limits, compared, context.thresholds):
            return None
        match.quote("ratio", display.percent(ratio * 100))
        return match

    def names(self) -> frozenset[str]:
        return frozenset({self.numerator.name, self.denominator.name, "ratio"})


@dataclass(frozen=True)
class Change:
    """``change: {previous, current, annualise, min_days, drop_gt}``: a figure fell by more than a
    percentage.

    With ``annualise`` the current figure covers the year so far and is scaled to a full year by
    the visit date's day of the year. That is an estimate that ignores seasons, and the rules say
    so; ``min_days`` keeps it from being made on too few days.
    """

    previous: Item
    current: Item
    drop_gt: Limit
    annualise: bool = False
    min_days: Limit | None = None

    def evaluate(self, context: Context) -> Match | None:
        match = Match()
        before = AnswerSource(self.previous).read(context, match)
        now = AnswerSource(self.current).read(context, match)
        if before is None or now is None or before <= 0:
            return None
        estimate = now
        if self.annualise:
            visit = context.facts.visit_date
            elapsed = visit.timetuple().tm_yday
            if self.min_days is not None and elapsed < self.min_days.bound(context.thresholds):
                return None
            estimate = now * (366 if calendar.isleap(visit.year) else 365) / elapsed
            match.quote("days_elapsed", display.days(elapsed))
        drop = (before - estimate) / before * 100
        if not self.drop_gt.holds(drop, context.thresholds):
            return None
        match.quote("estimate", display.money(estimate))
        match.quote("drop", display.percent(drop))
        return match

    def names(self) -> frozenset[str]:
        names = {local_name(self.previous.id), local_name(self.current.id), "estimate", "drop"}
        return frozenset(names | ({"days_elapsed"} if self.annualise else set()))


@dataclass(frozen=True)
class LoanIs:
    """``loan: {days_overdue: {gt: 0}}``: at least one loan on file meets every limit."""

    limits: tuple[tuple[str, tuple[Limit, ...]], ...]

    def evaluate(self, context: Context) -> Match | None:
        loans = [
            loan
            for loan in context.facts.loans
            if all(
                _all_hold(limits, float(getattr(loan, name)), context.thresholds)
                for name, limits in self.limits
            )
        ]
        if not loans:
            return None
        match = Match()
        for loan in loans:
            for name, _ in self.limits:
                shown = display.days(getattr(loan, name))
                match.add(EvidenceRef("loan", loan.contract_no, LOAN_FIELDS[name], shown))
        for name, _ in self.limits:
            # The loan nearest to trouble: the longest overdue, the soonest due.
            pick = min if name == "days_to_maturity" else max
            match.quote(name, display.days(pick(getattr(loan, name) for loan in loans)))
        contracts = [loan.contract_no for loan in loans]
        match.quote("contract_no", Bilingual("、".join(contracts), ", ".join(contracts)))
        return match

    def names(self) -> frozenset[str]:
        return frozenset({name for name, _ in self.limits} | {"contract_no"})


@dataclass(frozen=True)
class EvidenceMissing:
    """``evidence_missing: true`` (or a list of document and photo ids): required evidence was not
    collected on this visit."""

    titles: Mapping[str, Bilingual]  # every document and photo category in the checklist
    only: frozenset[str] = frozenset()

    def evaluate(self, context: Context) -> Match | None:
        wanted = [e for e in context.facts.missing_evidence if not self.only or e in self.only]
        if not wanted:
            return None
        match = Match()
        labels = [self.titles.get(e, Bilingual(e, e)) for e in wanted]
        for evidence_id, label in zip(wanted, labels, strict=True):
            match.add(EvidenceRef("evidence", evidence_id, label, NOT_COLLECTED))
        zh = "、".join(label.zh for label in labels)
        match.quote("missing", Bilingual(zh, "; ".join(label.en for label in labels)))
        return match

    def names(self) -> frozenset[str]:
        return frozenset({"missing"})


@dataclass(frozen=True)
class DocumentIs:
    """``document: {check: licence.legal_representative, is: mismatch}`` or, for a ratio check,
    ``document: {check: statement.inflow, lt: statement_inflow_min_ratio}``: what a read and
    confirmed document says against the record (assistant.evidence.crosscheck)."""

    check: str
    accepted: frozenset[str] = frozenset()
    limits: tuple[Limit, ...] = ()

    def evaluate(self, context: Context) -> Match | None:
        found = context.facts.documents.get(self.check)
        if found is None:
            return None
        if self.limits:
            if found.ratio is None or not _all_hold(self.limits, found.ratio, context.thresholds):
                return None
        elif found.status not in self.accepted:
            return None
        match = Match()
        file_label = Bilingual(f"照片 #{found.evidence_id}", f"photo #{found.evidence_id}")
        match.add(EvidenceRef("file", str(found.evidence_id), found.title, found.document))
        match.quote("document", found.document)
        match.quote("record", found.record)
        match.quote("file", file_label)
        if found.ratio is not None:
            match.quote("ratio", Bilingual(f"{found.ratio:.0%}", f"{found.ratio:.0%}"))
        return match

    def names(self) -> frozenset[str]:
        return frozenset({"document", "record", "file", "ratio"})


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]

    def evaluate(self, context: Context) -> Match | None:
        match = Match()
        for condition in self.conditions:
            found = condition.evaluate(context)
            if found is None:
                return None
            match.merge(found)
        return match

    def names(self) -> frozenset[str]:
        return frozenset().union(*(c.names() for c in self.conditions))


@dataclass(frozen=True)
class AnyOf:
    """Holds when one part holds; the evidence of every part that holds is kept."""

    conditions: tuple[Condition, ...]

    def evaluate(self, context: Context) -> Match | None:
        found = [m for c in self.conditions if (m := c.evaluate(context)) is not None]
        if not found:
            return None
        match = Match()
        for part in found:
            match.merge(part)
        return match

    def names(self) -> frozenset[str]:
        return frozenset().union(*(c.names() for c in self.conditions))
