"""The visit checklist: steps, pre-visit checks, questions, documents and photo categories.

The definition lives in ``knowledge/checklist.yaml`` so that the bank can edit it; the file's header
documents the schema. :func:`load_checklist` reads it into frozen dataclasses and checks everything
the visit flow relies on: answer types and units, ranges, labels in both languages, unique ids and
the references inside conditions. A mistake is reported once, at start-up, with the file and the
place, instead of surfacing in the middle of an officer's visit.

Run ``python -m assistant.data.checklist [PATH]`` to check a file by hand.
"""

from __future__ import annotations

import enum
import math
import re
import sys
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn, TypeVar

from assistant.data.files import DataFileError, read_data_file
from assistant.data.vocabulary import CHECKS, KINDS, PRODUCTS, Bilingual
from assistant.db.models import AnswerStatus

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "checklist.yaml"
# The flow has code behind every step, so the bank may edit what a step asks, not the steps.
STEPS = ("prepare", "checkin", "documents", "interview", "photos", "checkpoints", "finish")
# The list each step may hold; check-in and finish are driven by code alone.
SECTIONS = {
    "checks": ("prepare",),
    "documents": ("documents",),
    "groups": ("interview", "checkpoints"),
    "photos": ("photos",),
}
# The units the answer parser reads. 元 and 万元 belong to money questions only: every amount is
# stored in yuan, so no report ever has to guess whether a figure was 元 or 万元.
NUMBER_UNITS = ("人", "平方米", "%", "天", "月")
MONEY_UNITS: Mapping[str, int] = MappingProxyType({"元": 1, "万元": 10_000})
ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
LOCAL_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# PyYAML reads ``1e6`` (no dot) as text, which a bank editor would not expect.
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
CONDITION_KEYS = {"kind": KINDS, "products": PRODUCTS, "check": CHECKS}
WHEN_KEYS = (*CONDITION_KEYS, "finding")


class AnswerType(enum.StrEnum):
    NUMBER = "number"
    MONEY = "money"
    YES_NO = "yes_no"
    CHOICE = "choice"
    DATE = "date"
    TEXT = "text"


NUMERIC = (AnswerType.NUMBER, AnswerType.MONEY)
FOLLOW_UP_PARENTS = (*NUMERIC, AnswerType.YES_NO, AnswerType.CHOICE)
# What OCR can read (assistant.evidence.model.DocumentType); kept here as plain names so the
# checklist does not depend on the OCR package.
READABLE = ("licence", "statement", "invoice", "utility_bill", "signboard")
ITEM_FIELDS = ("id", "prompt", "type", "required", "hint", "when", "follow_ups")
TYPE_FIELDS: Mapping[AnswerType, tuple[str, ...]] = MappingProxyType(
    {
        AnswerType.NUMBER: ("unit", "min", "max", "integer", "quick"),
        AnswerType.MONEY: ("unit", "min", "max", "quick"),
        AnswerType.CHOICE: ("options",),
        AnswerType.YES_NO: (),
        AnswerType.DATE: (),
        AnswerType.TEXT: (),
    }
)
TYPE_REQUIRED: Mapping[AnswerType, tuple[str, ...]] = MappingProxyType(
    {AnswerType.NUMBER: ("unit",), AnswerType.MONEY: ("unit",), AnswerType.CHOICE: ("options",)}
)
BOUNDS = ("gte", "gt", "lte", "lt")


class ChecklistError(DataFileError):
    """The checklist file is broken; ``str()`` names the file, the place and the problem."""

    key = "visit.checklist_broken"


@dataclass(frozen=True)
class Option:
    """A choice option or a pre-visit check's result: a stable id and its label."""

    id: str
    label: Bilingual


@dataclass(frozen=True)
class QuickReply:
    """A button that answers a number or money question with ``value`` (in the stored unit)."""

    value: float
    label: Bilingual


@dataclass(frozen=True)
class Condition:
    """When something applies. Keys are ANDed; the values under one key are alternatives.

    An empty set means "any", so ``Condition()`` applies everywhere.
    """

    kinds: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    checks: frozenset[str] = frozenset()
    findings: frozenset[tuple[str, str]] = frozenset()

    def matches(
        self,
        kind: str,
        products: Collection[str],
        check: str | None = None,
        findings: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether a client of ``kind`` with loans of ``products`` is concerned.

        Args:
            kind: the borrower kind, ``corporate`` or ``individual``.
            products: the products of the client's loans; one listed product is enough.
            check: the check being made; a condition on the check fails without one.
            findings: pre-visit check id → result id; one listed finding is enough.
        """
        if self.kinds and kind not in self.kinds:
            return False
        if self.products and self.products.isdisjoint(products):
            return False
        if self.checks and check not in self.checks:
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
class Item:
    """One question. ``minimum``, ``maximum`` and quick-reply values are in the stored unit."""

    id: str
    group: str
    step: str
    prompt: Bilingual
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

    def is_required(self, kind: str, products: Collection[str]) -> bool:
        """Whether a visit to this client is incomplete without it."""
        return self.required_when is not None and self.required_when.matches(kind, products)


class Document(Evidence):
    """A document to collect (bank statements, invoices, bills, licence …)."""


class PhotoCategory(Evidence):
    """A category of photos to take (signboard, staff, stock, collateral …)."""


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
    _items: Mapping[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {item.id: item for group in self.groups for item in _walk(group.items)}
        object.__setattr__(self, "_items", MappingProxyType(index))

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
    ) -> list[Group]:
        """The groups with at least one applicable question, in step order (the sections a
        visit can jump to).

        Raises:
            ValueError: an unknown kind, product or check.
        """
        return [
            group
            for group in self.groups
            if self._applicable(group, kind, products, check, findings)
        ]

    def items_for(
        self,
        kind: str,
        products: Collection[str],
        check: str,
        findings: Mapping[str, str] | None = None,
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

        Raises:
            ValueError: an unknown kind, product or check.
        """
        items: list[Item] = []
        for group in self.groups:
            items.extend(self._applicable(group, kind, products, check, findings))
        return items

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
    ) -> list[Item]:
        _check_client(kind, products, check)
        if not group.when.matches(kind, products, check, findings):
            return []
        return [i for i in group.items if i.when.matches(kind, products, check, findings)]


def load_checklist(path: Path | str = DEFAULT_PATH) -> Checklist:
    """Read and validate the checklist file.

    Raises:
        ChecklistError: naming the file, the place (``interview/flow.interview.staff/
            headcount_total``, or a line and column for bad YAML) and the problem.
    """
    path = Path(path)
    return _Reader(path).checklist(read_data_file(path, ChecklistError))


def _walk(items: tuple[Item, ...]) -> Iterator[Item]:
    for item in items:
        yield item
        for follow_up in item.follow_ups:
            yield from _walk(follow_up.items)


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
    if check is not None and check not in CHECKS:
        raise ValueError(f"unknown check {check!r}; expected one of {list(CHECKS)}")


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


def _describe(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


class _Reader:
    """Turns the parsed YAML into dataclasses, failing on the first problem with its place.

    Places are written ``step/group/question[/follow-up]``, the way an editor finds them in the
    file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.places: dict[str, str] = {}  # id → where it was defined, for duplicate messages
        self.prechecks: dict[str, PreCheck] = {}

    def fail(self, where: str, problem: str) -> NoReturn:
        raise ChecklistError(self.path, where, problem)

    # ── the file and its steps ──────────────────────────────────────────────────────────────

    def checklist(self, raw: Any) -> Checklist:
        raw = self.fields(raw, "", required=("version", "steps"))
        if type(raw["version"]) is not int or raw["version"] != 1:
            self.fail("version", f"unsupported version {raw['version']!r}; this code reads 1")
        entries = self.sequence(raw["steps"], "steps", "steps")
        order = self.step_order(entries)
        groups: list[Group] = []
        documents: list[Document] = []
        photos: list[PhotoCategory] = []
        steps = []
        # prepare comes first (step_order checks it), so every 'finding' below can be resolved.
        for step_id, entry in zip(order, entries, strict=True):
            steps.append(self.step(entry, step_id))
            if "checks" in entry:
                for check_raw in self.sequence(entry["checks"], step_id, "checks"):
                    check = self.precheck(check_raw, step_id)
                    self.prechecks[check.id] = check
            if "groups" in entry:
                groups.extend(
                    self.group(g, step_id)
                    for g in self.sequence(entry["groups"], step_id, "groups")
                )
            if "documents" in entry:
                documents.extend(
                    Document(**self.evidence(d, step_id))
                    for d in self.sequence(entry["documents"], step_id, "documents")
                )
            if "photos" in entry:
                photos.extend(
                    PhotoCategory(**self.evidence(p, step_id))
                    for p in self.sequence(entry["photos"], step_id, "photos")
                )
        return Checklist(
            path=str(self.path),
            version=1,
            steps=tuple(steps),
            prechecks=self.with_additions(groups),
            groups=tuple(groups),
            documents=tuple(documents),
            photo_categories=tuple(photos),
        )

    def step_order(self, entries: list[Any]) -> list[str]:
        order = []
        for index, entry in enumerate(entries, start=1):
            where = f"steps[{index}]"
            step_id = self.fields(entry, where, required=("id",), open_ended=True)["id"]
            if step_id not in STEPS:
                self.fail(where, f"unknown step {step_id!r} (allowed: {', '.join(STEPS)})")
            self.claim(step_id, step_id)
            order.append(step_id)
        missing = [s for s in STEPS if s not in order]
        if missing:
            self.fail("steps", f"missing step {missing[0]!r}")
        if order[0] != "prepare" or order[-1] != "finish":
            self.fail("steps", "the first step must be 'prepare' and the last 'finish'")
        return order

    def step(self, raw: dict[str, Any], step_id: str) -> Step:
        for section, steps in SECTIONS.items():
            if section in raw and step_id not in steps:
                self.fail(step_id, f"'{section}' belongs only in step {' or '.join(steps)}")
        sections = [s for s, steps in SECTIONS.items() if step_id in steps]
        raw = self.fields(
            raw, step_id, required=("id", "title"), optional=("hint", "kb", *sections)
        )
        kb = raw.get("kb")
        if kb is not None:
            kb = self.identifier(kb, step_id, ID, "'kb' must be a knowledge-base id like")
        return Step(
            id=step_id,
            title=self.bilingual(raw["title"], step_id, "title"),
            hint=self.optional_bilingual(raw, step_id, "hint"),
            kb=kb,
        )

    # ── pre-visit checks, documents and photos ──────────────────────────────────────────────

    def precheck(self, raw: Any, step_id: str) -> PreCheck:
        check_id = self.new_id(raw, step_id, ID, "a pre-visit check id must look like")
        where = f"{step_id}/{check_id}"
        raw = self.fields(
            raw,
            where,
            required=("id", "title", "site", "results"),
            optional=("url", "hint", "note", "when"),
        )
        url = raw.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
            self.fail(where, f"'url' must be a web address starting with http, got {url!r}")
        return PreCheck(
            id=check_id,
            title=self.bilingual(raw["title"], where, "title"),
            site=self.bilingual(raw["site"], where, "site"),
            results=self.options(raw["results"], where, "results"),
            url=url,
            hint=self.optional_bilingual(raw, where, "hint"),
            note=self.optional_bilingual(raw, where, "note"),
            when=self.condition(raw.get("when"), where, "when", ("kind", "products", "check")),
        )

    def with_additions(self, groups: list[Group]) -> tuple[PreCheck, ...]:
        adds: dict[str, list[str]] = {check_id: [] for check_id in self.prechecks}
        for group in groups:
            for item in group.items:
                for check_id in {c for c, _ in group.when.findings | item.when.findings}:
                    adds[check_id].append(item.id)
        return tuple(replace(c, adds=tuple(adds[c.id])) for c in self.prechecks.values())

    def evidence(self, raw: Any, step_id: str) -> dict[str, Any]:
        evidence_id = self.new_id(raw, step_id, ID, "an id must look like")
        where = f"{step_id}/{evidence_id}"
        raw = self.fields(
            raw, where, required=("id", "title"), optional=("hint", "when", "required", "reads")
        )
        reads = raw.get("reads")
        if reads is not None and reads not in READABLE:
            self.fail(where, f"'reads' must be one of {', '.join(READABLE)}, got {reads!r}")
        required = raw.get("required", True)
        if isinstance(required, bool):
            required_when = Condition() if required else None
        elif isinstance(required, dict):
            required_when = self.condition(required, where, "required", ("kind", "products"))
        else:
            self.fail(where, f"'required' must be true, false or a condition, got {required!r}")
        return {
            "id": evidence_id,
            "step": step_id,
            "title": self.bilingual(raw["title"], where, "title"),
            "hint": self.optional_bilingual(raw, where, "hint"),
            "when": self.condition(raw.get("when"), where, "when", ("kind", "products")),
            "required_when": required_when,
            "reads": reads,
        }

    # ── groups and questions ────────────────────────────────────────────────────────────────

    def group(self, raw: Any, step_id: str) -> Group:
        group_id = self.new_id(raw, step_id, ID, "a group id must look like")
        where = f"{step_id}/{group_id}"
        raw = self.fields(raw, where, required=("id", "title", "items"), optional=("hint", "when"))
        return Group(
            id=group_id,
            step=step_id,
            title=self.bilingual(raw["title"], where, "title"),
            items=tuple(
                self.item(i, where, group_id, step_id, None)
                for i in self.sequence(raw["items"], where, "items")
            ),
            hint=self.optional_bilingual(raw, where, "hint"),
            when=self.condition(raw.get("when"), where, "when", WHEN_KEYS),
        )

    def item(self, raw: Any, outer: str, group_id: str, step_id: str, parent: str | None) -> Item:
        if not isinstance(raw, dict):
            self.fail(outer, f"each question must be a mapping of fields, got {_describe(raw)}")
        local = raw.get("id")
        if not isinstance(local, str) or not LOCAL_ID.match(local):
            self.fail(
                outer, f"a question id must be a lower_case word like 'headcount', got {local!r}"
            )
        where = f"{outer}/{local}"
        item_id = f"{group_id}.{local}"
        self.claim(item_id, where)
        if raw.get("type") not in [t.value for t in AnswerType]:
            allowed = ", ".join(AnswerType)
            self.fail(where, f"unknown answer type {raw.get('type')!r} (allowed: {allowed})")
        answer_type = AnswerType(raw["type"])
        own = TYPE_FIELDS[answer_type]
        for key in raw:
            if key not in own and any(key in fields for fields in TYPE_FIELDS.values()):
                self.fail(where, f"'{key}' does not apply to a {answer_type} question")
        if parent is not None and "when" in raw:
            self.fail(where, "a follow-up cannot have 'when': its parent's condition decides")
        raw = self.fields(
            raw,
            where,
            required=("id", "prompt", "type", *TYPE_REQUIRED.get(answer_type, ())),
            optional=ITEM_FIELDS + own,
        )
        required = raw.get("required", True)
        if not isinstance(required, bool):
            self.fail(where, f"'required' must be true or false, got {required!r}")
        item = Item(
            id=item_id,
            group=group_id,
            step=step_id,
            prompt=self.bilingual(raw["prompt"], where, "prompt"),
            type=answer_type,
            required=required,
            hint=self.optional_bilingual(raw, where, "hint"),
            when=self.condition(raw.get("when"), where, "when", WHEN_KEYS),
            parent=parent,
        )
        if answer_type in NUMERIC:
            item = self.numeric(raw, where, item)
        elif answer_type is AnswerType.CHOICE:
            item = replace(item, options=self.options(raw["options"], where, "options"))
        if "follow_ups" in raw:
            item = replace(item, follow_ups=self.follow_ups(raw["follow_ups"], where, item))
        return item

    def numeric(self, raw: dict[str, Any], where: str, item: Item) -> Item:
        unit = raw["unit"]
        if not isinstance(unit, str):
            self.fail(where, f"'unit' must be text, got {_describe(unit)}")
        if item.type is AnswerType.NUMBER and unit not in NUMBER_UNITS:
            hint = "; amounts are 'type: money'" if unit in MONEY_UNITS else ""
            allowed = ", ".join(NUMBER_UNITS)
            self.fail(where, f"unknown unit {unit!r} (allowed: {allowed}){hint}")
        if item.type is AnswerType.MONEY and unit not in MONEY_UNITS:
            self.fail(where, f"unknown unit {unit!r} for money (allowed: {', '.join(MONEY_UNITS)})")
        integer = raw.get("integer", False)
        if not isinstance(integer, bool):
            self.fail(where, f"'integer' must be true or false, got {integer!r}")
        minimum = self.number(raw.get("min", 0), where, "min")
        maximum = raw.get("max", 100 if unit == "%" else None)
        maximum = None if maximum is None else self.number(maximum, where, "max")
        if maximum is not None and minimum > maximum:
            self.fail(where, f"min {minimum:g} is greater than max {maximum:g}")
        scale = MONEY_UNITS[unit] if item.type is AnswerType.MONEY else 1
        quick = []
        for index, entry in enumerate(self.sequence(raw.get("quick", []), where, "quick", 0), 1):
            at = f"{where}/quick[{index}]"
            entry = self.fields(entry, at, required=("value",), optional=("zh", "en"))
            value = self.number(entry["value"], at, "value")
            if value < minimum or (maximum is not None and value > maximum):
                self.fail(at, f"value {value:g} is outside min..max")
            if integer and not value.is_integer():
                self.fail(at, f"value {value:g} is not a whole number")
            quick.append(
                QuickReply(value * scale, self.bilingual(entry, at, "quick reply", alone=False))
            )
        return replace(
            item,
            unit=unit,
            integer=integer,
            minimum=minimum * scale,
            maximum=None if maximum is None else maximum * scale,
            quick=tuple(quick),
        )

    def follow_ups(self, raw: Any, where: str, parent: Item) -> tuple[FollowUp, ...]:
        if parent.type not in FOLLOW_UP_PARENTS:
            self.fail(where, f"a {parent.type} question cannot have follow-ups")
        result = []
        for index, entry in enumerate(self.sequence(raw, where, "follow_ups"), start=1):
            at = f"{where}/follow_ups[{index}]"
            entry = self.fields(entry, at, required=("if", "ask"))
            condition = self.answer_condition(entry["if"], at, parent)
            items = tuple(
                self.item(i, where, parent.group, parent.step, parent.id)
                for i in self.sequence(entry["ask"], at, "ask")
            )
            result.append(FollowUp(condition, items))
        return tuple(result)

    def answer_condition(self, raw: Any, where: str, parent: Item) -> AnswerCondition:
        if parent.type in NUMERIC:
            raw = self.fields(raw, where, optional=BOUNDS, what="'if'")
            if not raw:
                self.fail(where, f"'if' needs one of {', '.join(BOUNDS)} for a number")
            bounds = {k: self.number(v, where, f"if.{k}") * parent.scale for k, v in raw.items()}
            lower = max((bounds[k] for k in ("gte", "gt") if k in bounds), default=None)
            upper = min((bounds[k] for k in ("lte", "lt") if k in bounds), default=None)
            impossible = (
                (lower is not None and upper is not None and lower > upper)
                or (lower is not None and parent.maximum is not None and lower > parent.maximum)
                or (upper is not None and parent.minimum is not None and upper < parent.minimum)
            )
            if impossible:
                self.fail(where, "'if' can never hold within the question's range")
            return AnswerCondition(**bounds)
        raw = self.fields(raw, where, required=("answer",), what="'if'")
        values = raw["answer"] if isinstance(raw["answer"], list) else [raw["answer"]]
        if not values:
            self.fail(where, "'if.answer' needs at least one value")
        if parent.type is AnswerType.YES_NO:
            words = {"yes": True, "no": False}
            answers = [words.get(v, v) if isinstance(v, str) else v for v in values]
            if not all(isinstance(a, bool) for a in answers):
                self.fail(where, f"'if.answer' of a yes_no question is yes or no, got {values!r}")
            return AnswerCondition(answers=frozenset(answers))
        known = [o.id for o in parent.options]
        for value in values:
            if value not in known:
                self.fail(where, f"unknown option {value!r} in 'if' (options: {', '.join(known)})")
        return AnswerCondition(answers=frozenset(values))

    # ── conditions ──────────────────────────────────────────────────────────────────────────

    def condition(self, raw: Any, where: str, name: str, allowed: tuple[str, ...]) -> Condition:
        if raw is None:
            return Condition()
        raw = self.fields(raw, where, optional=allowed, what=f"'{name}'")
        values: dict[str, frozenset[str]] = {}
        for key, value in raw.items():
            listed = value if isinstance(value, list) else [value]
            if not listed or not all(isinstance(v, str) for v in listed):
                self.fail(where, f"'{name}.{key}' must be a list of names, got {value!r}")
            if key != "finding":
                for entry in listed:
                    if entry not in CONDITION_KEYS[key]:
                        options = ", ".join(CONDITION_KEYS[key])
                        self.fail(
                            where, f"unknown {key} {entry!r} in '{name}' (allowed: {options})"
                        )
            values[key] = frozenset(listed)
        return Condition(
            kinds=values.get("kind", frozenset()),
            products=values.get("products", frozenset()),
            checks=values.get("check", frozenset()),
            findings=frozenset(self.finding(f, where, name) for f in values.get("finding", ())),
        )

    def finding(self, text: str, where: str, name: str) -> tuple[str, str]:
        check_id, sep, result = (part.strip() for part in text.partition("="))
        if not sep or not check_id or not result:
            self.fail(
                where,
                f"'{name}.finding' entries look like 'records.enforcement=adverse', got {text!r}",
            )
        check = self.prechecks.get(check_id)
        if check is None:
            known = ", ".join(self.prechecks) or "none"
            self.fail(where, f"unknown pre-visit check {check_id!r} in '{name}' (known: {known})")
        results = [r.id for r in check.results]
        if result not in results:
            self.fail(
                where,
                f"unknown result {result!r} of {check_id!r} in '{name}' "
                f"(results: {', '.join(results)})",
            )
        return check_id, result

    # ── small readers ───────────────────────────────────────────────────────────────────────

    def fields(
        self,
        raw: Any,
        where: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        what: str = "this entry",
        open_ended: bool = False,
    ) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.fail(where, f"{what} must be a mapping of fields, got {_describe(raw)}")
        allowed = (*required, *optional)
        unknown = [key for key in raw if key not in allowed]
        if unknown and not open_ended:
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

    def bilingual(self, raw: Any, where: str, name: str, *, alone: bool = True) -> Bilingual:
        """``alone``: the mapping holds only zh and en (an option's label shares it with 'id')."""
        if not isinstance(raw, dict):
            self.fail(where, f"'{name}' needs 'zh' and 'en' texts, got {_describe(raw)}")
        if alone:
            self.fields(raw, where, optional=("zh", "en"), what=f"'{name}'")
        for lang in ("zh", "en"):
            text = raw.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.fail(where, f"'{name}' is missing its '{lang}' text")
        return Bilingual(raw["zh"].strip(), raw["en"].strip())

    def optional_bilingual(self, raw: dict[str, Any], where: str, name: str) -> Bilingual | None:
        if raw.get(name) is None:
            return None
        return self.bilingual(raw[name], where, name)

    def options(self, raw: Any, where: str, name: str) -> tuple[Option, ...]:
        options: list[Option] = []
        for index, entry in enumerate(self.sequence(raw, where, name, 2), start=1):
            at = f"{where}/{name}[{index}]"
            entry = self.fields(entry, at, required=("id",), optional=("zh", "en"))
            option_id = entry["id"]
            if isinstance(option_id, bool):
                self.fail(at, "an option id must be text: YAML reads yes/no/on/off as true/false")
            option_id = self.identifier(option_id, at, LOCAL_ID, "an option id must look like")
            if any(o.id == option_id for o in options):
                self.fail(at, f"duplicate option {option_id!r}")
            options.append(Option(option_id, self.bilingual(entry, at, "label", alone=False)))
        return tuple(options)

    def number(self, raw: Any, where: str, name: str) -> float:
        if isinstance(raw, str) and NUMBER_TEXT.match(raw.strip()):
            raw = float(raw)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            self.fail(where, f"'{name}' must be a number, got {_describe(raw)}")
        return float(raw)

    def identifier(self, raw: Any, where: str, pattern: re.Pattern[str], problem: str) -> str:
        if not isinstance(raw, str) or not pattern.match(raw):
            example = "'flow.interview.staff'" if pattern is ID else "'as_agreed'"
            self.fail(where, f"{problem} {example}, got {raw!r}")
        return raw

    def new_id(self, raw: Any, outer: str, pattern: re.Pattern[str], problem: str) -> str:
        new = raw.get("id") if isinstance(raw, dict) else None
        new = self.identifier(new, outer, pattern, problem)
        self.claim(new, f"{outer}/{new}")
        return new

    def claim(self, new_id: str, where: str) -> None:
        if new_id in self.places:
            self.fail(where, f"duplicate id {new_id!r} (also at {self.places[new_id]})")
        self.places[new_id] = where


def main(argv: list[str]) -> int:
    """Check a checklist file and print what it holds; exit status 1 when it is broken."""
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    items = list(checklist.all_items())
    follow_ups = sum(1 for i in items if i.parent is not None)
    sys.stdout.write(
        f"{path}: OK: {len(checklist.steps)} steps, {len(checklist.prechecks)} pre-visit checks, "
        f"{len(checklist.groups)} groups, {len(items) - follow_ups} questions "
        f"+ {follow_ups} follow-ups, {len(checklist.documents)} documents, "
        f"{len(checklist.photo_categories)} photo categories\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
