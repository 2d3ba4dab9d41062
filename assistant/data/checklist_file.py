"""The checklist file, ``knowledge/checklist.yaml``, as frozen pydantic models.

The models declare what the bank may write: the steps, each with the one list it may hold, the
pre-visit checks, documents, photo categories and question groups, and (in
:mod:`assistant.data.checklist_questions`) the questions. Validators over the whole file check what
no entry can alone: every step once, prepare first and finish last; every id unique; every
``finding`` naming a pre-visit check and one of its results. :meth:`ChecklistFile.checklist` builds
the run-time :class:`~assistant.data.checklist_types.Checklist` from a valid file.

:func:`load_checklist` names an error the way the file's editors (and its tests) know it:
``interview/flow.interview.staff/headcount_total: unknown unit 'people'``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BeforeValidator, Field, field_validator, model_validator

from assistant.data.checklist_questions import (
    LOCAL_ID,
    Applies,
    Bounds,
    CheckApplies,
    Label,
    OptionEntry,
    Options,
    Question,
    QuestionApplies,
    QuestionEntry,
    Questions,
    answers_of,
    finding_parts,
    takes,
    unique_options,
)
from assistant.data.checklist_types import (
    MONEY_UNITS,
    NUMBER_UNITS,
    STEPS,
    AnswerType,
    Checklist,
    Condition,
    Contradiction,
    Document,
    Group,
    PhotoCategory,
    PreCheck,
    Step,
)
from assistant.data.files import DataFileError
from assistant.data.schema import PROBLEM, DataModel, Loc, Text, problem, shown, validate
from assistant.data.vocabulary import CHECKS, KINDS, PRODUCTS

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "checklist.yaml"
ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# What OCR can read (assistant.evidence.model.DocumentType); kept here as plain names so the
# checklist does not depend on the OCR package.
READABLE = ("licence", "statement", "invoice", "utility_bill", "signboard")
# The lists whose entries a union tells apart by a key: pydantic puts that key's value in the
# error's place, right after the entry's index.
TAGGED = ("steps", "items", "ask")


class ChecklistError(DataFileError):
    """The checklist file is broken; ``str()`` names the file, the place and the problem."""

    key = "visit.checklist_broken"


def load_checklist(path: Path | str = DEFAULT_PATH) -> Checklist:
    """Read and validate the checklist file.

    Raises:
        ChecklistError: naming the file, the place (``interview/flow.interview.staff/
            headcount_total``, or a line and column for bad YAML) and the problem.
    """
    path = Path(path)
    return validate(ChecklistFile, path, ChecklistError, _place, wording=_wording).checklist(
        str(path)
    )


# ── entries and steps ────────────────────────────────────────────────────────────────────────


def _required(value: Any) -> Any:
    # true and false are the conditions that always and never hold, as Evidence.required_when.
    if value is None:
        raise problem("'required' must be true, false or a condition, got nothing")
    return ({} if value else None) if isinstance(value, bool) else value


Required = Annotated[
    Applies | None, BeforeValidator(_required, json_schema_input_type=bool | Applies)
]


Id = Annotated[str, Field(pattern=ID.pattern, description="dotted lower_case, unique in the file")]


class GroupEntry(DataModel):
    """A question group; its questions' ids are '<group id>.<question id>'."""

    id: Annotated[Id, Field(description="the knowledge-base id (flow.interview.staff)")]
    title: Label
    items: Questions
    hint: Label | None = None
    when: QuestionApplies | None = None

    def group(self, step: str) -> Group:
        return Group(
            id=self.id,
            step=step,
            title=self.title.text(),
            items=tuple(q.item(self.id, step, None) for q in self.items),
            hint=self.hint.text() if self.hint else None,
            when=self.when.condition() if self.when else Condition(),
        )


class PreCheckEntry(DataModel):
    """A public-record look-up made before the visit."""

    id: Annotated[Id, Field(description="the knowledge-base id of the same topic")]
    title: Label
    site: Annotated[Label, Field(description="where to look")]
    results: Annotated[Options, Field(description="the buttons the result is recorded with")]
    url: Annotated[
        Annotated[str, Field(pattern=r"^https?://\S+$")] | None,
        Field(description="the site's address"),
    ] = None
    hint: Label | None = None
    note: Annotated[Label | None, Field(description="what to write down when found")] = None
    when: CheckApplies | None = None
    details: Annotated[
        list[Annotated[str, Field(pattern=ID.pattern)]],
        Field(
            default_factory=list,
            description=(
                "questions (full ids) asked right after the result that brings them in is "
                "recorded, instead of in the interview: the case number and amount are at hand "
                "while the site is open. Each must have a 'when: {finding: …}' naming this check"
            ),
        ),
    ]

    @field_validator("results")
    @classmethod
    def _unique(cls, results: list[OptionEntry]) -> list[OptionEntry]:
        return unique_options(results, "results")

    def precheck(self) -> PreCheck:
        return PreCheck(
            id=self.id,
            title=self.title.text(),
            site=self.site.text(),
            results=tuple(r.option() for r in self.results),
            url=self.url,
            hint=self.hint.text() if self.hint else None,
            note=self.note.text() if self.note else None,
            when=self.when.condition() if self.when else Condition(),
            details=tuple(self.details),
        )


class EvidenceEntry(DataModel):
    """A document to collect or a category of photos to take."""

    id: Id
    title: Label
    hint: Label | None = None
    when: Applies | None = None
    required: Annotated[
        Required,
        Field(
            default=True,
            validate_default=True,
            description="true, false, or the condition (kind, products) under which it is",
        ),
    ]
    reads: Annotated[
        Literal[READABLE] | None,
        Field(description="the bot reads each photo filed here (offline OCR) and checks it"),
    ] = None
    also: Annotated[
        list[Text],
        Field(
            description="other words officers caption it with (门头, 执照, licence): a photo "
            "captioned so is filed here without asking"
        ),
    ] = Field(default_factory=list)

    def evidence(self, step: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "step": step,
            "title": self.title.text(),
            "hint": self.hint.text() if self.hint else None,
            "when": self.when.condition() if self.when else Condition(),
            "required_when": self.required.condition() if self.required else None,
            "reads": self.reads,
            "also": tuple(self.also),
        }


class StepEntry(DataModel):
    """A step of the visit; which list it may hold depends on the step."""

    id: str
    title: Label
    hint: Label | None = None
    kb: Annotated[
        Annotated[str, Field(pattern=ID.pattern)] | None,
        Field(description="the knowledge-base entry behind this step"),
    ] = None

    def entries(self) -> Sequence[GroupEntry | PreCheckEntry | EvidenceEntry]:
        return ()

    def step(self) -> Step:
        hint = self.hint.text() if self.hint else None
        return Step(id=self.id, title=self.title.text(), hint=hint, kb=self.kb)


class PlainStep(StepEntry):
    """Check-in and finish, driven by code alone."""

    id: Literal["checkin", "finish"]


class PrepareStep(StepEntry):
    id: Literal["prepare"]
    checks: Annotated[list[PreCheckEntry], Field(min_length=1)] = Field(default_factory=list)

    def entries(self) -> Sequence[PreCheckEntry]:
        return self.checks


class DocumentsStep(StepEntry):
    id: Literal["documents"]
    documents: Annotated[list[EvidenceEntry], Field(min_length=1)] = Field(default_factory=list)

    def entries(self) -> Sequence[EvidenceEntry]:
        return self.documents


class QuestionsStep(StepEntry):
    id: Literal["interview", "checkpoints"]
    groups: Annotated[list[GroupEntry], Field(min_length=1)] = Field(default_factory=list)

    def entries(self) -> Sequence[GroupEntry]:
        return self.groups


class PhotosStep(StepEntry):
    id: Literal["photos"]
    photos: Annotated[list[EvidenceEntry], Field(min_length=1)] = Field(default_factory=list)

    def entries(self) -> Sequence[EvidenceEntry]:
        return self.photos


StepModels = PlainStep | PrepareStep | DocumentsStep | QuestionsStep | PhotosStep


class ContradictionEntry(DataModel):
    """Answers that cannot all be true, and what to tell the officer when they are given."""

    answers: Annotated[
        dict[Annotated[str, Field(pattern=ID.pattern)], list[bool | str]],
        Field(
            min_length=2,
            description="question id → the answers (option ids, or true/false) that, given "
            "together with the others listed, contradict each other",
        ),
    ]
    says: Label

    def contradiction(self) -> Contradiction:
        return Contradiction(
            tuple((item_id, frozenset(values)) for item_id, values in self.answers.items()),
            self.says.text(),
        )


class ChecklistFile(DataModel):
    """``knowledge/checklist.yaml``: the visit, step by step."""

    version: Annotated[int, Field(ge=1, le=1, description="1: the layout this code reads")]
    steps: Annotated[
        list[Annotated[StepModels, Field(discriminator="id")]],
        Field(
            min_length=1,
            description="every step once, prepare first and finish last: " + ", ".join(STEPS),
        ),
    ]
    contradictions: Annotated[
        list[ContradictionEntry],
        Field(
            default_factory=list,
            description="answers that cannot all be true: put to the officer to resolve before "
            "the visit is submitted",
        ),
    ]
    short_visit: Annotated[
        list[Annotated[str, Field(pattern=ID.pattern)]],
        Field(
            default_factory=list,
            description=(
                "the questions a short visit asks, by full id (group id.question id); their "
                "follow-ups come with them. Empty: every visit is a full one"
            ),
        ),
    ]

    @model_validator(mode="after")
    def _whole_file(self) -> ChecklistFile:
        places: dict[str, str] = {}  # id → where it was first defined
        for step in self.steps:
            _claim(places, step.id, step.id)
        order = [step.id for step in self.steps]
        missing = [s for s in STEPS if s not in order]
        if missing:
            raise problem(f"missing step {missing[0]!r}", "steps")
        if order[0] != "prepare" or order[-1] != "finish":
            raise problem("the first step must be 'prepare' and the last 'finish'", "steps")
        checks = {
            c.id: c for step in self.steps for c in step.entries() if isinstance(c, PreCheckEntry)
        }
        brought: dict[str, set[str]] = {}  # question id → the checks whose results add it
        for entry_id, place, findings in self._entries():
            _claim(places, entry_id, place)
            for finding in findings:
                _check_finding(finding, checks, place)
                brought.setdefault(entry_id, set()).add(finding_parts(finding)[0])
        for check in checks.values():
            for question_id in check.details:
                if check.id not in brought.get(question_id, set()):
                    raise problem(
                        f"'details' names {question_id!r}, which no result of {check.id!r} "
                        "brings in (its 'when: {finding: …}' must name this check)",
                        f"prepare/{check.id}",
                    )
        self._check_same_as(places)
        self._check_implied_by(places)
        self._check_ratio_of(places)
        self._check_all_of(places)
        self._check_short_visit()
        self._check_contradictions()
        return self

    def _check_ratio_of(self, places: Mapping[str, str]) -> None:
        """A worked-out share needs a % question and two figures to work it out from."""
        questions = self._top_questions()
        for question_id, question in questions.items():
            if question.ratio_of is None:
                continue
            place = places[question_id]
            if question.type != AnswerType.NUMBER or getattr(question, "unit", None) != "%":
                raise problem("'ratio_of' belongs only on a number question in %", place)
            for source in question.ratio_of:
                given = questions.get(source)
                if given is None or given.type not in (AnswerType.NUMBER, AnswerType.MONEY):
                    raise problem(
                        f"'ratio_of' must name number or money questions, got {source!r}", place
                    )

    def _check_all_of(self, places: Mapping[str, str]) -> None:
        """A part of a count is counted like it: the question named is a number in the same
        unit."""
        questions = self._top_questions()
        for question_id, question in questions.items():
            all_of = getattr(question, "all_of", None)
            if all_of is None:
                continue
            whole = questions.get(all_of.question)
            if (
                whole is None
                or whole is question
                or whole.type != AnswerType.NUMBER
                or whole.unit != question.unit
            ):
                raise problem(
                    f"'all_of' must name another number question in {question.unit}, "
                    f"got {all_of.question!r}",
                    places[question_id],
                )

    def _check_contradictions(self) -> None:
        """Each answer named must be one the question can be given."""
        questions = {
            question_id: question
            for question_id, question in self._all_questions()
        }
        for index, entry in enumerate(self.contradictions):
            place = f"contradictions[{index + 1}]"
            for question_id, values in entry.answers.items():
                question = questions.get(question_id)
                if question is None:
                    raise problem(f"no question {question_id!r}", place)
                if question.type == AnswerType.YES_NO:
                    wrong = [v for v in values if not isinstance(v, bool)]
                elif question.type == AnswerType.CHOICE:
                    wrong = [v for v in values if v not in _option_ids(question)]
                else:
                    raise problem(f"{question_id!r} is not a yes/no or choice question", place)
                if wrong or not values:
                    raise problem(f"{question_id!r} cannot be answered {wrong or values!r}", place)

    def _all_questions(self) -> Iterator[tuple[str, Any]]:
        """Every question with its full id, follow-ups included."""

        def walk(group: str, questions: Sequence[Any]) -> Iterator[tuple[str, Any]]:
            for question in questions:
                yield f"{group}.{question.id}", question
                for follow_up in question.follow_up_entries():
                    yield from walk(group, follow_up.ask)

        for step in self.steps:
            if isinstance(step, QuestionsStep):
                for group in step.groups:
                    yield from walk(group.id, group.items)

    def _check_short_visit(self) -> None:
        """The short visit names questions that can stand on their own: not follow-ups (they
        come with their parent), not free text alone, each once."""
        top = self._top_questions()
        seen: set[str] = set()
        for index, question_id in enumerate(self.short_visit):
            place = f"short_visit[{index + 1}]"
            if question_id not in top:
                raise problem(
                    f"{question_id!r} is not a question of the interview or the checkpoints "
                    "(follow-ups come with their parent)",
                    place,
                )
            if question_id in seen:
                raise problem(f"{question_id!r} is listed twice", place)
            seen.add(question_id)

    def _top_questions(self) -> dict[str, Any]:
        """The interview's and checkpoints' questions (follow-ups aside) by full id."""
        return {
            f"{group.id}.{question.id}": question
            for step in self.steps
            if isinstance(step, QuestionsStep)
            for group in step.groups
            for question in group.items
        }

    def _check_same_as(self, places: Mapping[str, str]) -> None:
        """A reused answer must fit: the question named exists, with the same type and options."""
        questions = self._top_questions()
        for question_id, question in questions.items():
            if question.same_as is None:
                continue
            place = places[question_id]
            source = questions.get(question.same_as)
            if source is None or source.same_as is not None:
                raise problem(
                    f"'same_as' must name another question without a 'same_as' of its own, "
                    f"got {question.same_as!r}",
                    place,
                )
            if source.type != question.type or _option_ids(source) != _option_ids(question):
                raise problem(f"'same_as' names {question.same_as!r} of another type", place)

    def _check_implied_by(self, places: Mapping[str, str]) -> None:
        """A table of answers must read: the question named exists and is answered by itself,
        and each row pairs one of its answers with one of this question's."""
        questions = self._top_questions()
        for question_id, question in questions.items():
            implied = question.implied_by
            if implied is None:
                continue
            place = places[question_id]
            source = questions.get(implied.question)
            if (
                source is None
                or source.same_as is not None
                or source.implied_by is not None
                or answers_of(source) is None
            ):
                raise problem(
                    "'implied_by' must name a yes/no or choice question answered by itself, "
                    f"got {implied.question!r}",
                    place,
                )
            if question.same_as is not None or answers_of(question) is None:
                raise problem(
                    "'implied_by' belongs on a yes/no or choice question without 'same_as'", place
                )
            for row, answer in enumerate(implied.answers, start=1):
                for value, asked in ((answer.if_, source), (answer.then, question)):
                    if not takes(asked, value):
                        raise problem(
                            f"{value!r} is not an answer of {asked.id!r}",
                            f"{place}/implied_by/answers[{row}]",
                        )

    def _entries(self) -> Iterator[tuple[str, str, Sequence[str]]]:
        """Every id below the steps, in file order, with its place and the findings it names."""
        for step in self.steps:
            for entry in step.entries():
                place = f"{step.id}/{entry.id}"
                when = entry.when if isinstance(entry, GroupEntry) else None
                yield entry.id, place, (when.finding or []) if when else []
                if isinstance(entry, GroupEntry):
                    yield from _questions(entry.items, entry.id, place)

    def checklist(self, path: str) -> Checklist:
        """The run-time checklist, read from ``path``."""
        groups: list[Group] = []
        documents: list[Document] = []
        photos: list[PhotoCategory] = []
        prechecks: list[PreCheck] = []
        for step in self.steps:
            if isinstance(step, PrepareStep):
                prechecks.extend(c.precheck() for c in step.checks)
            elif isinstance(step, DocumentsStep):
                documents.extend(Document(**d.evidence(step.id)) for d in step.documents)
            elif isinstance(step, QuestionsStep):
                groups.extend(g.group(step.id) for g in step.groups)
            elif isinstance(step, PhotosStep):
                photos.extend(PhotoCategory(**p.evidence(step.id)) for p in step.photos)
        return Checklist(
            path=path,
            version=self.version,
            steps=tuple(step.step() for step in self.steps),
            prechecks=_with_additions(prechecks, groups),
            groups=tuple(groups),
            documents=tuple(documents),
            photo_categories=tuple(photos),
            short_visit=frozenset(self.short_visit),
            contradictions=tuple(c.contradiction() for c in self.contradictions),
        )


def _questions(
    questions: Sequence[QuestionEntry], group: str, outer: str
) -> Iterator[tuple[str, str, Sequence[str]]]:
    # A follow-up is placed below its parent question, not below the follow-up entry.
    for question in questions:
        place = f"{outer}/{question.id}"
        yield (
            f"{group}.{question.id}",
            place,
            (question.when.finding or []) if question.when else [],
        )
        for entry in question.follow_up_entries():
            yield from _questions(entry.ask, group, place)


def _option_ids(question: QuestionEntry) -> list[str]:
    return [option.id for option in getattr(question, "options", ())]


def _claim(places: dict[str, str], new_id: str, place: str) -> None:
    if new_id in places:
        raise problem(f"duplicate id {new_id!r} (also at {places[new_id]})", place)
    places[new_id] = place


def _check_finding(finding: str, checks: Mapping[str, PreCheckEntry], place: str) -> None:
    check_id, result = finding_parts(finding)
    check = checks.get(check_id)
    if check is None:
        known = ", ".join(checks) or "none"
        raise problem(f"unknown pre-visit check {check_id!r} in 'when' (known: {known})", place)
    results = [r.id for r in check.results]
    if result not in results:
        raise problem(
            f"unknown result {result!r} of {check_id!r} in 'when' (results: {', '.join(results)})",
            place,
        )


def _with_additions(prechecks: list[PreCheck], groups: list[Group]) -> tuple[PreCheck, ...]:
    adds: dict[str, list[str]] = {check.id: [] for check in prechecks}
    for group in groups:
        for item in group.items:
            for check_id in {c for c, _ in group.when.findings | item.when.findings}:
                adds[check_id].append(item.id)
    return tuple(replace(c, adds=tuple(adds[c.id])) for c in prechecks)


# ── places and wording ───────────────────────────────────────────────────────────────────────


def _place(loc: Loc, raw: Any) -> str:
    """``step/entry id/question id[/follow-up id]``, then ``options[2]``, ``quick[1]`` or
    ``follow_ups[1]`` when the error is in one of those; an entry whose id is wrong is placed at
    what holds it, a step whose id is wrong at ``steps[n]``."""
    if loc[:1] == ("contradictions",):
        return f"contradictions[{int(loc[1]) + 1}]" if len(loc) > 1 else "contradictions"
    if loc[:1] == ("short_visit",):
        return f"short_visit[{int(loc[1]) + 1}]" if len(loc) > 1 else "short_visit"
    if not loc or loc[0] != "steps":
        return "version" if loc == ("version",) and isinstance(raw, dict) and loc[0] in raw else ""
    if len(loc) == 1:
        return "steps"
    node = _get(_get(raw, "steps"), loc[1])
    if _get(node, "id") not in STEPS:
        return f"steps[{int(loc[1]) + 1}]"
    where, rest = str(_get(node, "id")), loc[3:]
    while len(rest) >= 2 and isinstance(rest[1], int):
        name, child = rest[0], _get(_get(node, rest[0]), rest[1])
        if name == "follow_ups" and rest[2:3] == ("ask",) and len(rest) > 3:
            node, rest = child, rest[2:]
            continue
        if name not in ("checks", "documents", "photos", "groups", "items", "ask"):
            return f"{where}/{name}[{rest[1] + 1}]"
        ident = _get(child, "id")
        pattern = LOCAL_ID if name in ("items", "ask") else ID
        if not (isinstance(ident, str) and pattern.match(ident)):
            return where
        # A question's loc goes on with its answer type, the tag of the union.
        where, node, rest = f"{where}/{ident}", child, rest[3 if name in TAGGED else 2 :]
    return where


def _get(node: Any, key: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return None


def _wording(detail: Mapping[str, Any]) -> str | None:
    """Pydantic's errors in the words this file's editors (and its tests) know from before."""
    loc, error, given = tuple(detail["loc"]), detail["type"], detail["input"]
    if error == PROBLEM:
        return None
    if error == "extra_forbidden":
        return _unknown_field(loc)
    if error in ("missing", "model_type", "model_attributes_type") or error.startswith("union_"):
        return _shape(loc, error, given)
    if loc == ("version",):
        return f"unsupported version {given!r}; this code reads 1"
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if field in ("zh", "en"):
        return f"'{_label_name(loc[:-1])}' is missing its '{field}' text"
    if field in ("kind", "products", "check", "finding", "answer"):
        return _listed_value(loc, error, given)
    if error in ("list_type", "too_short"):
        return f"'{field}' must be a list of at least {_min_items(loc)}, got {shown(given)}"
    return _field_value(loc, given)


def _tag_at(loc: Loc, index: int) -> bool:
    """Whether ``loc[index]`` is the tag that chose an entry's model, not a field."""
    return index >= 2 and isinstance(loc[index - 1], int) and loc[index - 2] in TAGGED


def _what(loc: Loc) -> str:
    """How a message names the mapping at ``loc``: an entry, or a field such as 'when'."""
    if not loc or isinstance(loc[-1], int) or _tag_at(loc, len(loc) - 1):
        return "this entry"
    return f"'{loc[-1]}'"


def _label_name(container: Loc) -> str:
    if container and isinstance(container[-1], int):
        return "quick reply" if container[-2] == "quick" else "label"
    return str(container[-1])


def _shape(loc: Loc, error: str, given: Any) -> str:
    """A mapping that is none, lacks a field, or has no known ``type`` (``id`` for a step)."""
    if error == "union_tag_invalid" and loc[:1] == ("steps",) and len(loc) == 2:
        return f"unknown step {given.get('id')!r} (allowed: {', '.join(STEPS)})"
    if error == "union_tag_not_found" and loc[:1] == ("steps",) and len(loc) == 2:
        return "this entry is missing the field 'id'"
    if error.startswith("union_"):
        found = given.get("type") if isinstance(given, dict) else None
        return f"unknown answer type {found!r} (allowed: {', '.join(AnswerType)})"
    if error == "missing":
        key, container = loc[-1], loc[:-1]
        if key in ("zh", "en"):
            return f"'{_label_name(container)}' is missing its '{key}' text"
        return f"{_what(container)} is missing the field {key!r}"
    if _model_at(loc) is Label:
        return f"'{loc[-1]}' needs 'zh' and 'en' texts, got {shown(given)}"
    if loc[-1:] == ("required",):
        return f"'required' must be true, false or a condition, got {shown(given)}"
    if len(loc) >= 2 and isinstance(loc[-1], int) and loc[-2] in ("items", "ask"):
        return f"each question must be a mapping of fields, got {shown(given)}"
    return f"{_what(loc)} must be a mapping of fields, got {shown(given)}"


def _unknown_field(loc: Loc) -> str:
    key, container = loc[-1], loc[:-1]
    if container and _tag_at(container, len(container) - 1):
        kind = container[-1]
        if kind in STEPS and key in ("checks", "documents", "groups", "photos"):
            holders = [t for m in get_args(StepModels) if key in m.model_fields for t in _tags(m)]
            return f"'{key}' belongs only in step {' or '.join(holders)}"
        if key == "follow_ups":
            return f"a {kind} question cannot have follow-ups"
        if any(key in model.model_fields for model in get_args(get_args(Question)[0])):
            return f"'{key}' does not apply to a {kind} question"
    model = _model_at(container)
    allowed = [f.alias or name for name, f in model.model_fields.items()] if model else []
    return f"unknown field {key!r} in {_what(container)} (allowed: {', '.join(allowed)})"


def _listed_value(loc: Loc, error: str, given: Any) -> str:
    """A value of a condition: ``when``, ``required`` or a follow-up's ``if``."""
    at = -2 if isinstance(loc[-1], int) else -1
    key, condition = loc[at], loc[at - 1]
    if key == "answer":
        if error == "too_short":
            return "'if.answer' needs at least one value"
        if error == "bool_type":
            return f"'if.answer' of a yes_no question is yes or no, got {given!r}"
        return f"unknown option {given!r} in 'if'"
    if at == -2 and error == "literal_error":
        allowed = ", ".join({"kind": KINDS, "products": PRODUCTS, "check": CHECKS}[str(key)])
        return f"unknown {key} {given!r} in '{condition}' (allowed: {allowed})"
    if at == -2 and error == "string_pattern_mismatch":
        return (
            f"'{condition}.finding' entries look like 'records.enforcement=adverse', got {given!r}"
        )
    return f"'{condition}.{key}' must be a list of names, got {shown(given)}"


def _field_value(loc: Loc, given: Any) -> str | None:
    """A single value of the wrong kind: an id, a unit, a number, a flag."""
    field, holder = loc[-1], loc[:-1]
    example = "'flow.interview.staff', got"
    if field == "id" and isinstance(holder[-1], int) and holder[-2] in ("options", "results"):
        if isinstance(given, bool):
            return "an option id must be text: YAML reads yes/no/on/off as true/false"
        return f"an option id must look like 'as_agreed', got {given!r}"
    if field == "id" and _tag_at(holder, len(holder) - 1):
        return f"a question id must be a lower_case word like 'headcount', got {given!r}"
    if field == "id":
        what = {"checks": "a pre-visit check id", "groups": "a group id"}.get(str(holder[-2]))
        return f"{what or 'an id'} must look like {example} {given!r}"
    if field == "kb":
        return f"'kb' must be a knowledge-base id like {example} {given!r}"
    if field == "url":
        return f"'url' must be a web address starting with http, got {given!r}"
    if field == "reads":
        return f"'reads' must be one of {', '.join(READABLE)}, got {given!r}"
    if field == "unit" and holder[-1] == AnswerType.MONEY:
        return f"unknown unit {given!r} for money (allowed: {', '.join(MONEY_UNITS)})"
    if field == "unit":
        money = (
            "; amounts are 'type: money'" if isinstance(given, str) and given in MONEY_UNITS else ""
        )
        return f"unknown unit {given!r} (allowed: {', '.join(NUMBER_UNITS)}){money}"
    if field in ("required", "integer"):
        return f"'{field}' must be true or false, got {given!r}"
    if field in ("min", "max", "value", *Bounds.model_fields):
        name = f"if.{field}" if holder[-1:] == ("if",) else field
        return f"'{name}' must be a number, got {shown(given)}"
    return None


def _min_items(loc: Loc) -> int:
    model = _model_at(loc[:-1])
    field = model.model_fields.get(str(loc[-1])) if model else None
    lengths = [m.min_length for m in (field.metadata if field else []) if hasattr(m, "min_length")]
    return lengths[0] if lengths else 0


def _model_at(loc: Loc) -> type[DataModel] | None:
    """The model that validates the mapping at ``loc``, if one does."""
    kind: Any = ChecklistFile
    for part in loc:
        kind = _inside(kind, part)
    members = _members(kind)
    model = members[0] if len(members) == 1 else None
    return model if isinstance(model, type) and issubclass(model, DataModel) else None


def _inside(kind: Any, part: str | int) -> Any:
    """The type of what ``part`` selects in a value of type ``kind``."""
    members = _members(kind)
    if isinstance(part, int):
        return next((get_args(m)[0] for m in members if get_origin(m) is list), None)
    if len(members) > 1:
        return next((m for m in members if part in _tags(m)), None)
    fields = getattr(members[0], "model_fields", {}) if members else {}
    return next((f.annotation for name, f in fields.items() if (f.alias or name) == part), None)


def _members(kind: Any) -> list[Any]:
    """The types a value of type ``kind`` may have, its annotations and ``None`` left out."""
    while get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    if get_origin(kind) in (Union, UnionType):
        return [m for m in get_args(kind) if m is not type(None)]
    return [] if kind is None else [kind]


def _tags(model: Any) -> tuple[Any, ...]:
    """The values of the key that picks ``model`` out of its union."""
    for key in ("type", "id"):
        field = getattr(model, "model_fields", {}).get(key)
        if field is not None and get_origin(field.annotation) is Literal:
            return get_args(field.annotation)
    return ()
