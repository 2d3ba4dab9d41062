"""The visit checklist as the visit flow, the risk rules and the reports read it: frozen dataclasses
for the steps, pre-visit checks, questions, documents and photo categories.

:func:`assistant.data.checklist.load_checklist` builds them from the bank's file, and
:mod:`assistant.data.checklist` is where the rest of the code imports them from.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

from assistant.data.vocabulary import CHECKS, KINDS, PRODUCTS, Bilingual, checks_of
from assistant.db.models import AnswerStatus

# The flow has code behind every step, so the bank may edit what a step asks, not the steps.
STEPS = ("prepare", "checkin", "documents", "interview", "photos", "checkpoints", "finish")
# The units the answer parser reads. 元 and 万元 belong to money questions only: every amount is
# stored in yuan, so no report ever has to guess whether a figure was 元 or 万元.
NUMBER_UNITS = ("人", "平方米", "%", "天", "月")
MONEY_UNITS: Mapping[str, int] = MappingProxyType({"元": 1, "万元": 10_000})


class AnswerType(enum.StrEnum):
    NUMBER = "number"
    MONEY = "money"
    YES_NO = "yes_no"
    CHOICE = "choice"
    DATE = "date"
    TEXT = "text"


NUMERIC = (AnswerType.NUMBER, AnswerType.MONEY)
# What a question's ``when: {file: [...]}`` may name: the loan file has collateral, has a
# guarantor, or has a loan paid out to the borrower (自主支付) or to the payees (受托支付).
FILE_FACTS = ("collateral", "guarantor", "self_payment", "entrusted_payment")


@dataclass(frozen=True)
class Option:
    """A choice option or a pre-visit check's result: a stable id and its label."""

    id: str
    label: Bilingual
    # Other words officers type for it ("一般" for 平稳); matched like the label.
    also: tuple[str, ...] = ()
    # Words that name it for one kind of borrower only, by kind: "老板" is the borrower at a
    # shop and the actual controller at a company.
    also_for: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def for_kind(self, kind: str | None) -> Option:
        """This option with the words it has for ``kind`` among its other words."""
        extra = tuple(w for k, words in self.also_for if k == kind for w in words)
        return replace(self, also=self.also + extra, also_for=()) if extra else self


@dataclass(frozen=True)
class Cues:
    """The words that show a free-form paragraph speaks of a question ("月租", "在岗", "rent"),
    per language. "去年…营业额" is two words in that order within one clause."""

    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        """Both languages' cues: officers mix them ("GMV", "月租 22k")."""
        return self.zh + self.en


@dataclass(frozen=True)
class QuickReply:
    """A button that answers a number or money question with ``value`` (in the stored unit)."""

    value: float
    label: Bilingual
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    """When something applies. Keys are ANDed; the values under one key are alternatives.

    An empty set means "any", so ``Condition()`` applies everywhere.
    """

    kinds: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    checks: frozenset[str] = frozenset()
    findings: frozenset[tuple[str, str]] = frozenset()
    # What the loan file shows (see FILE_FACTS); one listed fact is enough.
    on_file: frozenset[str] = frozenset()

    def matches(
        self,
        kind: str,
        products: Collection[str],
        check: str | None = None,
        findings: Mapping[str, str] | None = None,
        on_file: Collection[str] | None = None,
    ) -> bool:
        """Whether a client of ``kind`` with loans of ``products`` is concerned.

        Args:
            kind: the borrower kind, ``corporate`` or ``individual``.
            products: the products of the client's loans; one listed product is enough.
            check: the check being made (``purpose+periodic`` when a visit makes two; one
                listed check is enough); a condition on the check fails without one.
            findings: pre-visit check id → result id; one listed finding is enough.
            on_file: what the client's loan file shows (``collateral``, ``self_payment``…);
                ``None`` when not known, and then a condition on it holds: asking once too
                often is better than leaving out what the file may need.
        """
        if self.kinds and kind not in self.kinds:
            return False
        if self.products and self.products.isdisjoint(products):
            return False
        if self.checks and (check is None or self.checks.isdisjoint(checks_of(check))):
            return False
        if self.on_file and on_file is not None and self.on_file.isdisjoint(on_file):
            return False
        found = findings or {}
        return not self.findings or any(found.get(c) == r for c, r in self.findings)


@dataclass(frozen=True)
class AnswerCondition:
    """A follow-up's ``if``: the parent's answer is one of ``answers``, or lies within the bounds.

    Bounds are in the stored unit (yuan for money, 0–100 for %).
    """

    answers: frozenset[bool | str] = frozenset()
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None

    def matches(self, value: bool | str | float) -> bool:
        if self.answers:
            # bool first: True == 1 would otherwise let a number match a yes/no condition.
            return any(type(value) is type(a) and value == a for a in self.answers)
        number = float(value)
        return (
            (self.gte is None or number >= self.gte)
            and (self.gt is None or number > self.gt)
            and (self.lte is None or number <= self.lte)
            and (self.lt is None or number < self.lt)
        )


@dataclass(frozen=True)
class FollowUp:
    """Questions asked right after their parent's answer when ``condition`` holds."""

    condition: AnswerCondition
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Usual:
    """The answer most visits record, and how it reads in a list of such answers ("地址未变"):
    a run of questions at their usual answer is offered as one tap, each shown as ``says``."""

    answer: bool | str
    says: Bilingual


@dataclass(frozen=True)
class Implied:
    """A question answered by another's answer through a table of answers ("抵押物有损毁？否"
    → "抵押物完好"): when the other's answer is in the table this one is not asked."""

    source: str
    answers: tuple[tuple[bool | str, bool | str], ...]

    def answer_for(self, given: object) -> bool | str | None:
        return next(
            (mine for theirs, mine in self.answers if type(theirs) is type(given) and theirs == given),
            None,
        )


@dataclass(frozen=True)
class AllOf:
    """A count that is part of another ("在岗" of "员工"): a paragraph that says all of them
    are there ("都在岗", "all present") gives it the other's answer."""

    source: str
    cues: Cues


@dataclass(frozen=True)
class Item:
    """One question. ``minimum``, ``maximum`` and quick-reply values are in the stored unit."""

    id: str
    group: str
    step: str
    prompt: Bilingual
    # What the report and lists call it: a noun (接待人, 在岗人数), never the question.
    label: Bilingual
    type: AnswerType
    required: bool = True
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    options: tuple[Option, ...] = ()
    quick: tuple[QuickReply, ...] = ()
    hint: Bilingual | None = None
    when: Condition = Condition()
    parent: str | None = None
    follow_ups: tuple[FollowUp, ...] = ()
    # Another question asking the same fact: once that one is answered, its answer is this one's
    # and this one is not asked again.
    same_as: str | None = None
    # Two questions whose answers give this one (100 × the first ÷ the second, a %): asked only
    # when they cannot, after them.
    ratio_of: tuple[str, str] | None = None
    # What the loan file records to show with the question: "collateral" or "guarantors".
    shows: str | None = None
    # What a free-form paragraph says when it speaks of this question (assistant.visits.debrief).
    cues: Cues = Cues()
    # The answer most visits give, offered together with its neighbours' as one tap.
    usual: Usual | None = None
    # Another question whose answer gives this one's through a table (the checkpoints reuse
    # what the interview heard).
    implied_by: Implied | None = None
    # What the question is about when not the client's own business (the collateral, the
    # guarantor): a paragraph that turns to it fills only its questions.
    topic: Cues = Cues()
    # The count this one is a part of, and the words that say it is all of it.
    all_of: AllOf | None = None

    @property
    def scale(self) -> int:
        """Yuan per typed unit for money (10000 for 万元); 1 for everything else."""
        return MONEY_UNITS.get(self.unit or "", 1) if self.type is AnswerType.MONEY else 1

    def typed_range(self) -> tuple[float | None, float | None]:
        """The range in the unit the officer types in, as the answer parser expects it."""
        return (
            None if self.minimum is None else self.minimum / self.scale,
            None if self.maximum is None else self.maximum / self.scale,
        )

    def for_kind(self, kind: str | None) -> Item:
        """This question as it reads for a ``kind`` borrower: its options with the words they
        have for that kind ("老板" names the borrower at a shop, the controller at a company)."""
        if not any(option.also_for for option in self.options):
            return self
        return replace(self, options=tuple(option.for_kind(kind) for option in self.options))

    def option(self, option_id: str) -> Option:
        """The choice option ``option_id``.

        Raises:
            KeyError: the question has no such option.
        """
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(f"{self.id} has no option {option_id!r}")

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is a valid typed answer: bool for yes_no, an option id for choice,
        a number in range (yuan for money) for number and money, a date, or non-empty text."""
        if self.type is AnswerType.YES_NO:
            return isinstance(value, bool)
        if self.type is AnswerType.CHOICE:
            return isinstance(value, str) and any(o.id == value for o in self.options)
        if self.type is AnswerType.DATE:
            return isinstance(value, date)
        if self.type is AnswerType.TEXT:
            return isinstance(value, str) and bool(value.strip())
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return False
        number = float(value)
        return (
            math.isfinite(number)
            and (self.minimum is None or number >= self.minimum)
            and (self.maximum is None or number <= self.maximum)
            and (not self.integer or number.is_integer())
        )


@dataclass(frozen=True)
class RecordedAnswer:
    """One stored answer to a question: its typed value (bool for yes/no, the option id for a
    choice, a number for number and money, an ISO date, text), what the officer typed, and
    whether they gave it as an estimate."""

    item_id: str
    status: AnswerStatus
    value: Any
    raw_text: str | None
    approximate: bool


@dataclass(frozen=True)
class Group:
    """A question group, such as one of the interview's nine parts."""

    id: str
    step: str
    title: Bilingual
    items: tuple[Item, ...]
    hint: Bilingual | None = None
    when: Condition = Condition()


@dataclass(frozen=True)
class Step:
    id: str
    title: Bilingual
    hint: Bilingual | None = None
    kb: str | None = None


@dataclass(frozen=True)
class PreCheck:
    """A public-record look-up made before the visit.

    ``adds`` lists the questions whose ``when`` names one of this check's results: what an
    adverse finding brings into the interview.
    """

    id: str
    title: Bilingual
    site: Bilingual
    results: tuple[Option, ...]
    url: str | None = None
    hint: Bilingual | None = None
    note: Bilingual | None = None
    when: Condition = Condition()
    adds: tuple[str, ...] = ()
    # Questions asked right after the look-up's result brings them in, not in the interview.
    details: tuple[str, ...] = ()

    def result(self, result_id: str) -> Option:
        """The result ``result_id``.

        Raises:
            KeyError: the check has no such result.
        """
        for result in self.results:
            if result.id == result_id:
                return result
        raise KeyError(f"{self.id} has no result {result_id!r}")


@dataclass(frozen=True)
class Evidence:
    """Something to collect: a document or a photo category.

    ``required_when`` is ``None`` when it is never required, otherwise the condition (on kind and
    products) under which it is.
    """

    id: str
    step: str
    title: Bilingual
    hint: Bilingual | None = None
    when: Condition = Condition()
    required_when: Condition | None = Condition()
    # The kind of document OCR should read in it (licence, statement, invoice, utility_bill,
    # signboard), or None for photos that are only kept.
    reads: str | None = None
    # Other words officers caption it with ("门头", "licence"): a caption that names it files it.
    also: tuple[str, ...] = ()

    def is_required(self, kind: str, products: Collection[str]) -> bool:
        """Whether a visit to this client is incomplete without it."""
        return self.required_when is not None and self.required_when.matches(kind, products)


class Document(Evidence):
    """A document to collect (bank statements, invoices, bills, licence …)."""


class PhotoCategory(Evidence):
    """A category of photos to take (signboard, staff, stock, collateral …)."""


@dataclass(frozen=True)
class Contradiction:
    """Answers that cannot all be true: each question id with the answers (option ids, or
    true/false) that, all given together, contradict each other."""

    answers: tuple[tuple[str, frozenset[Any]], ...]
    says: Bilingual

    def holds(self, given: Mapping[str, Any]) -> bool:
        """Whether the answers ``given`` (question id → typed value) contradict each other."""
        return all(
            item_id in given and any(_same(given[item_id], v) for v in values)
            for item_id, values in self.answers
        )


def _same(value: Any, wanted: Any) -> bool:
    # bool first: True == 1 would otherwise let a number match a yes/no answer.
    return type(value) is type(wanted) and value == wanted


ASKED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Checklist:
    """The whole visit definition, in step order."""

    path: str
    version: int
    steps: tuple[Step, ...]
    prechecks: tuple[PreCheck, ...]
    groups: tuple[Group, ...]
    documents: tuple[Document, ...]
    photo_categories: tuple[PhotoCategory, ...]
    # The questions a short visit asks (their follow-ups come with them); empty when the bank
    # offers no short visit.
    short_visit: frozenset[str] = frozenset()
    # Answers that cannot all be true; put to the officer before the visit is submitted.
    contradictions: tuple[Contradiction, ...] = ()
    _items: Mapping[str, Item] = field(init=False, repr=False, compare=False)
    # items_for by its arguments: every step of every visit asks it, and a visit's arguments
    # (the borrower, its loans, the check and the look-ups' results) rarely change.
    _asked: dict[tuple[object, ...], tuple[Item, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index = {item.id: item for group in self.groups for item in walk(group.items)}
        object.__setattr__(self, "_items", MappingProxyType(index))
        object.__setattr__(self, "_asked", {})

    def all_items(self) -> Iterator[Item]:
        """Every question, follow-ups included, in file order (a parent before its follow-ups)."""
        return iter(self._items.values())

    def item(self, item_id: str) -> Item:
        """The question ``item_id`` (follow-ups included).

        Raises:
            KeyError: no such question, for example after the bank removed it from the file.
        """
        try:
            return self._items[item_id]
        except KeyError:
            raise KeyError(f"no question {item_id!r} in {self.path}") from None

    def step(self, step_id: str) -> Step:
        """The step ``step_id``.

        Raises:
            KeyError: no such step.
        """
        return _by_id(self.steps, step_id, "step")

    def group(self, group_id: str) -> Group:
        """The question group ``group_id``.

        Raises:
            KeyError: no such group.
        """
        return _by_id(self.groups, group_id, "group")

    def precheck(self, check_id: str) -> PreCheck:
        """The pre-visit check ``check_id``.

        Raises:
            KeyError: no such check.
        """
        return _by_id(self.prechecks, check_id, "pre-visit check")

    def prechecks_for(self, kind: str, products: Collection[str]) -> list[PreCheck]:
        """The public-record look-ups to make before visiting this client, in order.

        Raises:
            ValueError: an unknown kind or product.
        """
        _check_client(kind, products)
        return [c for c in self.prechecks if c.when.matches(kind, products)]

    def groups_for(
        self,
        kind: str,
        products: Collection[str],
        check: str,
        findings: Mapping[str, str] | None = None,
        on_file: Collection[str] | None = None,
    ) -> list[Group]:
        """The groups with at least one applicable question, in step order (the sections a
        visit can jump to).

        Raises:
            ValueError: an unknown kind, product or check.
        """
        return [
            group
            for group in self.groups
            if self._applicable(group, kind, products, check, findings, on_file)
        ]

    def items_for(
        self,
        kind: str,
        products: Collection[str],
        check: str,
        findings: Mapping[str, str] | None = None,
        on_file: Collection[str] | None = None,
    ) -> list[Item]:
        """The questions to ask on this visit, in order: groups in step order, then file order.

        Follow-ups are not included; :meth:`follow_ups` gives them once their parent is answered.

        Args:
            kind: ``corporate`` or ``individual``.
            products: the products of the client's loans.
            check: ``purpose``, ``periodic`` or ``focused``.
            findings: pre-visit check id → result id, e.g. ``{"records.enforcement": "adverse"}``.
                Unknown check ids are ignored: results stored before the bank removed a check
                must not stop a visit.
            on_file: what the loan file shows (:data:`FILE_FACTS`): a question about the
                collateral is not asked of a client with none on file.

        Raises:
            ValueError: an unknown kind, product or check.
        """
        key = (
            kind,
            frozenset(products),
            check,
            frozenset((findings or {}).items()),
            frozenset(on_file or ()),
        )
        asked = self._asked.get(key)
        if asked is None:
            items: list[Item] = []
            for group in self.groups:
                items.extend(self._applicable(group, kind, products, check, findings, on_file))
            if len(self._asked) > ASKED_CACHE_SIZE:
                self._asked.clear()
            asked = self._asked[key] = tuple(items)
        return list(asked)

    def follow_ups(self, item_id: str, answer_value: object) -> list[Item]:
        """The follow-up questions that ``answer_value`` to ``item_id`` triggers, in order.

        Args:
            item_id: the answered question.
            answer_value: the typed answer: bool for yes_no, the option id for choice, a number
                for number and money (money in yuan, % as 0–100). ``None`` (skipped, not
                applicable) triggers nothing.

        Raises:
            KeyError: no such question.
            TypeError: the answer's type does not fit the question.
        """
        item = self.item(item_id)
        if answer_value is None or not item.follow_ups:
            return []
        value = _typed_answer(item, answer_value)
        return [
            child
            for follow_up in item.follow_ups
            if follow_up.condition.matches(value)
            for child in follow_up.items
        ]

    def documents_for(self, kind: str, products: Collection[str]) -> list[Document]:
        """The documents to collect from this client, in order (see ``is_required``).

        Raises:
            ValueError: an unknown kind or product.
        """
        _check_client(kind, products)
        return [d for d in self.documents if d.when.matches(kind, products)]

    def photo_categories_for(self, kind: str, products: Collection[str]) -> list[PhotoCategory]:
        """The photo categories offered for this client, in order (see ``is_required``).

        Raises:
            ValueError: an unknown kind or product.
        """
        _check_client(kind, products)
        return [p for p in self.photo_categories if p.when.matches(kind, products)]

    def _applicable(
        self,
        group: Group,
        kind: str,
        products: Collection[str],
        check: str,
        findings: Mapping[str, str] | None,
        on_file: Collection[str] | None = None,
    ) -> list[Item]:
        _check_client(kind, products, check)
        if not group.when.matches(kind, products, check, findings, on_file):
            return []
        return [i for i in group.items if i.when.matches(kind, products, check, findings, on_file)]


def walk(items: Iterable[Item]) -> Iterator[Item]:
    """``items`` and, after each, every follow-up it may bring, whatever the answer."""
    for item in items:
        yield item
        for follow_up in item.follow_ups:
            yield from walk(follow_up.items)


_Entry = TypeVar("_Entry", Step, Group, PreCheck)


def _by_id(entries: tuple[_Entry, ...], wanted: str, what: str) -> _Entry:
    for entry in entries:
        if entry.id == wanted:
            return entry
    raise KeyError(f"no {what} {wanted!r}")


def _check_client(kind: str, products: Collection[str], check: str | None = None) -> None:
    # These come from code (the client record), not from the bank's file: a wrong value is a bug.
    if kind not in KINDS:
        raise ValueError(f"unknown borrower kind {kind!r}; expected one of {list(KINDS)}")
    if isinstance(products, str):
        raise TypeError("products is a collection of product names, not one string")
    unknown = sorted(set(products) - set(PRODUCTS))
    if unknown:
        raise ValueError(f"unknown loan products {unknown}; expected some of {list(PRODUCTS)}")
    if check is not None and (not checks_of(check) or not checks_of(check) <= set(CHECKS)):
        raise ValueError(f"unknown check {check!r}; expected some of {list(CHECKS)}, joined by +")


def _typed_answer(item: Item, value: object) -> bool | str | float:
    if item.type is AnswerType.YES_NO and isinstance(value, bool):
        return value
    if item.type is AnswerType.CHOICE and isinstance(value, str):
        return value
    if (
        item.type in NUMERIC
        and isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
    ):
        return float(value)
    raise TypeError(f"{item.id} is a {item.type} question; got {type(value).__name__} {value!r}")
