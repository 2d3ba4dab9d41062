"""The questions of the checklist file, as pydantic models: one model per answer type, with the
fields that type takes, and the conditions and follow-ups a question may have.

A question's model turns it into the run-time :class:`~assistant.data.checklist_types.Item`;
:mod:`assistant.data.checklist_file` declares the rest of the file around them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import BeforeValidator, Field, field_validator, model_validator

from assistant.data.checklist_types import (
    FILE_FACTS,
    MONEY_UNITS,
    NUMBER_UNITS,
    AllOf,
    AnswerCondition,
    AnswerType,
    Condition,
    Cues,
    FollowUp,
    Implied,
    Item,
    Option,
    QuickReply,
    Usual,
)
from assistant.data.schema import DataModel, Text, problem
from assistant.data.vocabulary import CHECKS, KINDS, PRODUCTS, Bilingual

LOCAL_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# PyYAML reads ``1e6`` (no dot) as text, which a bank editor would not expect.
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
YES_NO = {"yes": True, "no": False}


# ── values ───────────────────────────────────────────────────────────────────────────────────


def listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, str) and NUMBER_TEXT.match(value.strip()) else value


def _yes_no(value: Any) -> list[Any]:
    return [YES_NO.get(v, v) if isinstance(v, str) else v for v in listed(value)]


def names(kind: Any) -> Any:
    """One name or a non-empty list of them, read as the list."""
    return Annotated[
        list[kind],
        BeforeValidator(listed, json_schema_input_type=kind | list[kind]),
        Field(min_length=1),
    ]


Number = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]
Kinds = names(Literal[KINDS])
Products = names(Literal[PRODUCTS])
Checks = names(Literal[CHECKS])
FileFacts = names(Literal[FILE_FACTS])
Findings = names(
    Annotated[
        str,
        Field(
            pattern=r"^[^=]*[^=\s][^=]*=.*\S",
            description="a pre-visit check id and one of its results: records.enforcement=adverse",
        ),
    ]
)


class CueWords(DataModel):
    """The words a free-form paragraph uses for a question, in each language."""

    zh: Annotated[
        list[Text], Field(description="月租, 在岗; '去年…营业额': both, in this order, in one clause")
    ] = Field(default_factory=list)
    en: Annotated[
        list[Text], Field(description="rent, on site; 'last year…turnover' as in zh")
    ] = Field(default_factory=list)

    def cues(self) -> Cues:
        return Cues(tuple(self.zh), tuple(self.en))


class Label(DataModel):
    """A text the officer sees, in both languages."""

    zh: Text
    en: Text

    def text(self) -> Bilingual:
        return Bilingual(self.zh, self.en)


class OptionEntry(DataModel):
    """A choice option or a pre-visit check's result: a button."""

    id: Annotated[
        str,
        Field(
            pattern=LOCAL_ID.pattern,
            description="lower_case; not yes/no/on/off, which YAML reads as true/false",
        ),
    ]
    zh: Text
    en: Text
    also: Annotated[
        list[Text],
        Field(
            description="other words officers use for it (一般, 还行, so-so): typed, they pick it"
        ),
    ] = Field(default_factory=list)
    also_for: Annotated[
        dict[Literal["individual", "corporate"], list[Text]],
        Field(
            description="words that name it for one kind of borrower only: 老板 is the borrower "
            "at a shop (individual) and the actual controller at a company (corporate)"
        ),
    ] = Field(default_factory=dict)

    def option(self) -> Option:
        return Option(
            self.id,
            Bilingual(self.zh, self.en),
            tuple(self.also),
            tuple((kind, tuple(words)) for kind, words in sorted(self.also_for.items())),
        )


Options = Annotated[list[OptionEntry], Field(min_length=2)]


def unique_options(options: list[OptionEntry], name: str) -> list[OptionEntry]:
    for index, option in enumerate(options, start=1):
        if any(o.id == option.id for o in options[: index - 1]):
            raise problem(f"duplicate option {option.id!r}", f"{name}[{index}]")
    return options


# ── conditions ───────────────────────────────────────────────────────────────────────────────


class Applies(DataModel):
    """When it applies: keys are ANDed, the values under one key are alternatives."""

    kind: Kinds | None = None
    products: Annotated[
        Products | None, Field(description="the client has a loan of any listed product")
    ] = None

    def condition(self) -> Condition:
        return Condition(kinds=frozenset(self.kind or ()), products=frozenset(self.products or ()))


class CheckApplies(Applies):
    check: Annotated[
        Checks | None, Field(description="first purpose check, scheduled check, focused check")
    ] = None
    file: Annotated[
        FileFacts | None,
        Field(
            description="the loan file shows any of these: a question the file makes moot "
            "(the collateral's state with no collateral on file) is not asked"
        ),
    ] = None

    def condition(self) -> Condition:
        return replace(
            super().condition(),
            checks=frozenset(self.check or ()),
            on_file=frozenset(self.file or ()),
        )


class QuestionApplies(CheckApplies):
    finding: Annotated[
        Findings | None,
        Field(description="the pre-visit check had that result: an adverse finding's questions"),
    ] = None

    def condition(self) -> Condition:
        found = frozenset(finding_parts(f) for f in self.finding or ())
        return replace(super().condition(), findings=found)


def finding_parts(text: str) -> tuple[str, str]:
    check_id, _, result = text.partition("=")
    return check_id.strip(), result.strip()


class Bounds(DataModel):
    """A number or money question's follow-up condition, in the question's unit; all must hold."""

    gte: Number | None = None
    gt: Number | None = None
    lte: Number | None = None
    lt: Number | None = None

    @model_validator(mode="after")
    def _some(self) -> Bounds:
        if not self.bounds():
            raise problem("'if' needs one of gte, gt, lte, lt for a number")
        return self

    def bounds(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def condition(self, parent: Item) -> AnswerCondition:
        return AnswerCondition(**{k: v * parent.scale for k, v in self.bounds().items()})


YesNo = bool | Literal["yes", "no"]


class YesNoAnswer(DataModel):
    answer: Annotated[
        list[bool],
        BeforeValidator(_yes_no, json_schema_input_type=YesNo | list[YesNo]),
        Field(min_length=1),
    ]

    def condition(self, parent: Item) -> AnswerCondition:
        return AnswerCondition(answers=frozenset(self.answer))


class ChoiceAnswer(DataModel):
    answer: Annotated[names(str), Field(description="any of these option ids")]

    def condition(self, parent: Item) -> AnswerCondition:
        return AnswerCondition(answers=frozenset(self.answer))


If = TypeVar("If", Bounds, YesNoAnswer, ChoiceAnswer)


class FollowUpEntry(DataModel, Generic[If]):
    """Questions asked right after the answer when ``if`` holds."""

    if_: Annotated[If, Field(alias="if")]
    ask: Questions

    def follow_up(self, parent: Item) -> FollowUp:
        items = tuple(q.item(parent.group, parent.step, parent.id, parent.topic) for q in self.ask)
        return FollowUp(self.if_.condition(parent), items)


class RangeFollowUp(FollowUpEntry[Bounds]):
    pass


class YesNoFollowUp(FollowUpEntry[YesNoAnswer]):
    pass


class ChoiceFollowUp(FollowUpEntry[ChoiceAnswer]):
    pass


# ── what other answers say ──────────────────────────────────────────────────────────────────

Answer = Annotated[
    bool | str,
    Field(description="yes/no as yes or no, a choice as its option id"),
]


class UsualEntry(DataModel):
    """The answer most visits record, offered with its neighbours' as one tap."""

    answer: Answer
    says: Annotated[
        Label,
        Field(description="how it reads in a list of usual answers: 地址未变, no other loans"),
    ]


class ImpliedAnswer(DataModel):
    if_: Annotated[Answer, Field(alias="if", description="the other question's answer")]
    then: Annotated[Answer, Field(description="this question's answer")]


class ImpliedEntry(DataModel):
    """Another question whose answer gives this one's through a table of answers."""

    question: Annotated[str, Field(description="the full id of a yes/no or choice question")]
    answers: Annotated[list[ImpliedAnswer], Field(min_length=1)]

    def implied(self) -> Implied:
        return Implied(self.question, tuple((a.if_, a.then) for a in self.answers))


class AllOfEntry(DataModel):
    """The count a number question is a part of, and the words that say all of it is here."""

    question: Annotated[
        str, Field(description="the full id of a number question in the same unit (员工 for 在岗)")
    ]
    cues: Annotated[
        CueWords, Field(description="都在岗, all present: a paragraph saying so gives its answer")
    ]

    def all_of(self) -> AllOf:
        return AllOf(self.question, self.cues.cues())


def answers_of(question: QuestionEntry) -> set[bool | str] | None:
    """Every answer a yes/no or choice question takes; ``None`` for other types."""
    if question.type is AnswerType.YES_NO:
        return {True, False}
    if question.type is AnswerType.CHOICE:
        return {option.id for option in getattr(question, "options", ())}
    return None


def takes(question: QuestionEntry, value: bool | str) -> bool:
    """Whether ``value`` answers a yes/no (a bool) or choice (an option id) question."""
    known = answers_of(question) or set()
    return isinstance(value, bool) == (question.type is AnswerType.YES_NO) and value in known


# ── questions ────────────────────────────────────────────────────────────────────────────────


class QuestionEntry(DataModel):
    """What every question has; its answer ``type`` decides the rest."""

    id: Annotated[
        str,
        Field(
            pattern=LOCAL_ID.pattern,
            description="lower_case; stored as '<group id>.<id>' (flow.interview.staff.headcount)",
        ),
    ]
    prompt: Label
    label: Annotated[
        Label,
        Field(
            description="what the report and lists call it: a noun as on the bank's form "
            "(接待人, 在岗人数, 未决诉讼), never the question"
        ),
    ]
    type: AnswerType
    required: Annotated[
        bool, Field(description="false: may be left empty without being listed as a gap")
    ] = True
    hint: Label | None = None
    when: Annotated[
        QuestionApplies | None, Field(description="not on a follow-up: its parent decides")
    ] = None
    same_as: Annotated[
        str | None,
        Field(
            description="the full id of another question of the same type and options that asks "
            "the same fact: its answer is reused and this question is not asked again"
        ),
    ] = None
    shows: Annotated[
        Literal["collateral", "guarantors"] | None,
        Field(
            description="what the loan file records to show under the question, so that a "
            "fact on file is confirmed with one tap"
        ),
    ] = None
    ratio_of: Annotated[
        list[str] | None,
        Field(
            min_length=2,
            max_length=2,
            description="on a % question: the full ids of two number or money questions; once "
            "both are answered, this one is 100 × the first ÷ the second and is not asked",
        ),
    ] = None

    usual: Annotated[
        UsualEntry | None,
        Field(
            description="on a yes/no or choice question: the answer most visits record; a run "
            "of such questions is offered as one tap, each listed as its 'says'"
        ),
    ] = None
    implied_by: Annotated[
        ImpliedEntry | None,
        Field(
            description="another question whose answer gives this one's, by a table of "
            "answers; when its answer is in the table, this question is not asked"
        ),
    ] = None

    cues: Annotated[
        CueWords | None,
        Field(
            description="the words that show a free-form paragraph speaks of this question, so "
            "that it fills it; not on text questions, which are never filled from a paragraph"
        ),
    ] = None
    topic: Annotated[
        CueWords | None,
        Field(
            description="the words that name what this question is about when that is not the "
            "client's own business (抵押物, 保证人): a paragraph's clause that names it fills only "
            "its questions, and there '抵押…面积' needs only '面积'; follow-ups share their parent's"
        ),
    ] = None

    def follow_up_entries(self) -> Sequence[FollowUpEntry[Any]]:
        """The follow-ups, for the questions that may have them."""
        return ()

    @model_validator(mode="after")
    def _cues_fill_typed_answers(self) -> QuestionEntry:
        if self.cues is not None and self.type is AnswerType.TEXT:
            raise problem("'cues' belongs only on questions with a typed answer, not on text")
        return self

    @field_validator("label")
    @classmethod
    def _label_is_no_question(cls, label: Label) -> Label:
        if any(mark in label.zh + label.en for mark in "?？"):
            raise problem("a label names the fact (接待人, Person received): no question mark")
        return label

    @model_validator(mode="after")
    def _usual_is_an_answer(self) -> QuestionEntry:
        if self.usual is None:
            return self
        if answers_of(self) is None:
            raise problem("'usual' belongs only on yes/no and choice questions")
        if not takes(self, self.usual.answer):
            raise problem(f"'usual' answer {self.usual.answer!r} is not an answer of {self.id!r}")
        for entry in self.follow_up_entries():
            if self.usual.answer in getattr(entry.if_, "answer", ()):
                raise problem("the 'usual' answer must not ask follow-ups: it is recorded unasked")
        return self

    @model_validator(mode="after")
    def _follow_ups_have_no_when(self) -> QuestionEntry:
        for entry in self.follow_up_entries():
            for child in entry.ask:
                if "when" in child.model_fields_set:
                    raise problem(
                        "a follow-up cannot have 'when': its parent's condition decides", child.id
                    )
        return self

    def item(self, group: str, step: str, parent: str | None, topic: Cues = Cues()) -> Item:
        item = Item(
            id=f"{group}.{self.id}",
            group=group,
            step=step,
            prompt=self.prompt.text(),
            label=self.label.text(),
            type=self.type,
            required=self.required,
            hint=self.hint.text() if self.hint else None,
            when=self.when.condition() if self.when else Condition(),
            parent=parent,
            same_as=self.same_as,
            ratio_of=tuple(self.ratio_of) if self.ratio_of else None,
            shows=self.shows,
            cues=self.cues.cues() if self.cues else Cues(),
            usual=Usual(self.usual.answer, self.usual.says.text()) if self.usual else None,
            implied_by=self.implied_by.implied() if self.implied_by else None,
            topic=self.topic.cues() if self.topic else topic,
        )
        item = self.typed(item)
        return replace(item, follow_ups=tuple(f.follow_up(item) for f in self.follow_up_entries()))

    def typed(self, item: Item) -> Item:
        """``item`` with what this type of question adds."""
        return item


class QuickEntry(DataModel):
    """A button that answers with ``value``, in the question's unit."""

    value: Number
    zh: Text
    en: Text
    also: Annotated[
        list[Text],
        Field(
            description="other words officers use for it (一般, 还行, so-so): typed, they pick it"
        ),
    ] = Field(default_factory=list)


class RangeQuestion(QuestionEntry):
    """Min, max and quick values are written in the question's unit."""

    unit: str
    min: Annotated[Number, Field(description="0 unless given")] = 0.0
    max: Annotated[Number | None, Field(description="100 for % unless given")] = None
    quick: Annotated[
        list[QuickEntry], Field(description="buttons that answer with a value within min..max")
    ] = Field(default_factory=list)
    follow_ups: Annotated[list[RangeFollowUp], Field(min_length=1)] = Field(default_factory=list)

    def follow_up_entries(self) -> Sequence[FollowUpEntry[Any]]:
        return self.follow_ups

    def upper(self) -> float | None:
        if "max" in self.model_fields_set:
            return self.max
        return 100.0 if self.unit == "%" else None

    def whole(self) -> bool:
        """Whether only whole numbers are answers."""
        return False

    @model_validator(mode="after")
    def _within_range(self) -> RangeQuestion:
        low, high = self.min, self.upper()
        if high is not None and low > high:
            raise problem(f"min {low:g} is greater than max {high:g}")
        for index, quick in enumerate(self.quick, start=1):
            if quick.value < low or (high is not None and quick.value > high):
                raise problem(f"value {quick.value:g} is outside min..max", f"quick[{index}]")
            if self.whole() and not quick.value.is_integer():
                raise problem(f"value {quick.value:g} is not a whole number", f"quick[{index}]")
        for index, entry in enumerate(self.follow_ups, start=1):
            bounds = entry.if_.bounds()
            lower = max((bounds[k] for k in ("gte", "gt") if k in bounds), default=None)
            upper = min((bounds[k] for k in ("lte", "lt") if k in bounds), default=None)
            if (
                (lower is not None and upper is not None and lower > upper)
                or (lower is not None and high is not None and lower > high)
                or (upper is not None and upper < low)
            ):
                raise problem(
                    "'if' can never hold within the question's range", f"follow_ups[{index}]"
                )
        return self

    def typed(self, item: Item) -> Item:
        item = replace(item, unit=self.unit, integer=self.whole())
        high = self.upper()
        return replace(
            item,
            minimum=self.min * item.scale,
            maximum=None if high is None else high * item.scale,
            quick=tuple(
                QuickReply(q.value * item.scale, Bilingual(q.zh, q.en), tuple(q.also))
                for q in self.quick
            ),
        )


class NumberQuestion(RangeQuestion):
    type: Literal[AnswerType.NUMBER]
    unit: Literal[NUMBER_UNITS]
    integer: Annotated[bool, Field(description="true for counts")] = False
    all_of: Annotated[
        AllOfEntry | None,
        Field(
            description="a count that is part of another (在岗 of 员工): the other question, "
            "and the words that say all of it is here"
        ),
    ] = None

    def whole(self) -> bool:
        return self.integer

    def typed(self, item: Item) -> Item:
        item = super().typed(item)
        return replace(item, all_of=self.all_of.all_of() if self.all_of else None)


class MoneyQuestion(RangeQuestion):
    """Answers are stored in 元 (yuan), whatever unit the officer types in."""

    type: Literal[AnswerType.MONEY]
    unit: Annotated[Literal[tuple(MONEY_UNITS)], Field(description="the unit typed in")]


class YesNoQuestion(QuestionEntry):
    type: Literal[AnswerType.YES_NO]
    follow_ups: Annotated[list[YesNoFollowUp], Field(min_length=1)] = Field(default_factory=list)

    def follow_up_entries(self) -> Sequence[FollowUpEntry[Any]]:
        return self.follow_ups


class ChoiceQuestion(QuestionEntry):
    type: Literal[AnswerType.CHOICE]
    options: Options
    follow_ups: Annotated[list[ChoiceFollowUp], Field(min_length=1)] = Field(default_factory=list)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: list[OptionEntry]) -> list[OptionEntry]:
        return unique_options(options, "options")

    def follow_up_entries(self) -> Sequence[FollowUpEntry[Any]]:
        return self.follow_ups

    @model_validator(mode="after")
    def _names_options(self) -> ChoiceQuestion:
        known = [o.id for o in self.options]
        for index, entry in enumerate(self.follow_ups, start=1):
            for value in entry.if_.answer:
                if value not in known:
                    raise problem(
                        f"unknown option {value!r} in 'if' (options: {', '.join(known)})",
                        f"follow_ups[{index}]",
                    )
        return self

    def typed(self, item: Item) -> Item:
        return replace(item, options=tuple(o.option() for o in self.options))


class DateQuestion(QuestionEntry):
    type: Literal[AnswerType.DATE]


class TextQuestion(QuestionEntry):
    type: Literal[AnswerType.TEXT]


Question = Annotated[
    NumberQuestion | MoneyQuestion | YesNoQuestion | ChoiceQuestion | DateQuestion | TextQuestion,
    Field(discriminator="type"),
]
Questions = Annotated[list[Question], Field(min_length=1)]
# A follow-up asks questions and a question has follow-ups, so these wait for Question.
for _model in (RangeFollowUp, YesNoFollowUp, ChoiceFollowUp, *get_args(get_args(Question)[0])):
    _model.model_rebuild()
