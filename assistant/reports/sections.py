"""The report's sections as data: ``knowledge/report_sections.yaml``.

Each borrower kind has its own sections (domain facts §4: a corporate report and an individual
report are laid out differently). The file says which checklist groups, questions and pre-visit
checks feed each section; :func:`load_sections` checks every name against the checklist, so a typo
stops the start-up with the file and the section named, instead of silently dropping facts from
reports. One section per kind collects whatever no other section names: a fact the officer recorded
is never left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from assistant.data.checklist import Checklist, Item
from assistant.data.files import DataFileError
from assistant.data.schema import PROBLEM, DataModel, Loc, Text, problem, shown, validate
from assistant.data.vocabulary import KINDS, Bilingual

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "report_sections.yaml"
SECTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class ReportSectionsError(DataFileError):
    """The sections file is broken; ``str()`` names the file, the section and the problem."""

    key = "report.sections_broken"


@dataclass(frozen=True)
class SectionSpec:
    """One report section: its title and what feeds its facts."""

    id: str
    title: Bilingual
    prechecks: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    rest: bool = False


@dataclass(frozen=True)
class ReportSections:
    """The sections of every borrower kind, with each fact's section worked out in advance."""

    path: str
    kinds: Mapping[str, tuple[SectionSpec, ...]]
    # kind → checklist item id / pre-visit check id → section id
    item_section: Mapping[str, Mapping[str, str]]
    precheck_section: Mapping[str, Mapping[str, str]]

    def for_kind(self, kind: str) -> tuple[SectionSpec, ...]:
        """The sections of a report on a ``kind`` borrower, in order.

        Raises:
            ValueError: an unknown borrower kind.
        """
        if kind not in self.kinds:
            raise ValueError(f"unknown borrower kind {kind!r}; expected one of {list(KINDS)}")
        return self.kinds[kind]

    def section_of_item(self, kind: str, item_id: str) -> str:
        """The section that shows the answer to ``item_id`` (the kind's rest section for a
        question the checklist gained after this file was written)."""
        found = self.item_section[kind].get(item_id)
        return found if found is not None else self._rest(kind)

    def section_of_precheck(self, kind: str, check_id: str) -> str:
        """The section that shows the result of the pre-visit check ``check_id``."""
        found = self.precheck_section[kind].get(check_id)
        return found if found is not None else self._rest(kind)

    def _rest(self, kind: str) -> str:
        return next(s.id for s in self.for_kind(kind) if s.rest)


def load_sections(checklist: Checklist, path: Path | str = DEFAULT_PATH) -> ReportSections:
    """Read the sections file and check it against ``checklist``.

    Raises:
        ReportSectionsError: naming the file, the place (``corporate/finances``) and the problem.
    """
    path = Path(path)
    spec = validate(
        SectionsFile,
        path,
        ReportSectionsError,
        _place,
        wording=_wording,
        context={"checklist": checklist},
    )
    return spec.sections(str(path), checklist)


# ── the file (knowledge/schemas/report_sections.schema.json) ───────────────────────────────────

# Checklist ids. Null too: YAML reads a key whose every line below is commented out as null.
Names = list[str] | None


class Title(DataModel):
    """The section's heading in the report, in both languages."""

    zh: Text
    en: Text


class SectionEntry(DataModel):
    """One section of a report: its heading and the recorded facts it shows."""

    id: Annotated[
        str,
        Field(
            pattern=SECTION_ID.pattern,
            description="lower_case, unique within the kind; the default paragraph is written by "
            "prompts/reports/<lang>/narrative/<id>.j2 (or _default.j2)",
        ),
    ]
    title: Title
    prechecks: Annotated[Names, Field(description="pre-visit look-ups whose result it shows")] = (
        None
    )
    groups: Annotated[
        Names, Field(description="checklist groups: every answered question in them")
    ] = None
    items: Annotated[
        Names, Field(description="single questions (full ids); each brings its follow-ups along")
    ] = None
    rest: Annotated[
        bool,
        Field(description="exactly one section per kind: it shows what no other section names"),
    ] = False

    def spec(self) -> SectionSpec:
        return SectionSpec(
            id=self.id,
            title=Bilingual(self.title.zh, self.title.en),
            prechecks=tuple(self.prechecks or ()),
            groups=tuple(self.groups or ()),
            items=tuple(self.items or ()),
            rest=self.rest,
        )

    def check_names(self, kind: str, checklist: Checklist) -> None:
        """Raise :func:`problem` (placed at this section) for a name the checklist lacks, or
        one whose facts a ``kind`` borrower never has."""
        known = [c.id for c in checklist.prechecks]
        for check_id in self.prechecks or ():
            if check_id not in known:
                raise problem(
                    f"unknown pre-visit check {check_id!r} in 'prechecks' "
                    f"(the checklist has: {', '.join(known)})",
                    self.id,
                )
        for group_id in self.groups or ():
            try:
                group = checklist.group(group_id)
            except KeyError:
                raise problem(
                    f"unknown checklist group {group_id!r} in 'groups'", self.id
                ) from None
            if group.when.kinds and kind not in group.when.kinds:
                raise problem(
                    f"checklist group {group_id!r} never applies to {kind} borrowers", self.id
                )
        for item_id in self.items or ():
            try:
                item = checklist.item(item_id)
            except KeyError:
                raise problem(
                    f"unknown checklist question {item_id!r} in 'items'", self.id
                ) from None
            group = checklist.group(item.group)
            if group.when.kinds and kind not in group.when.kinds:
                raise problem(
                    f"checklist question {item_id!r} never applies to {kind} borrowers", self.id
                )


Sections = Annotated[list[SectionEntry], Field(min_length=1)]


class SectionsFile(DataModel):
    """``knowledge/report_sections.yaml``: the sections of each borrower kind, in report order."""

    version: Literal[1]
    corporate: Annotated[Sections, Field(description="corporate borrowers (法人客户)")]
    individual: Annotated[
        Sections, Field(description="individuals and sole traders (个人客户、个体工商户)")
    ]

    # Naming every kind here makes pydantic refuse, on import, a kind added to the database's enum
    # without its list of sections above.
    @field_validator(*KINDS)
    @classmethod
    def _fit_the_checklist(
        cls, sections: list[SectionEntry], info: ValidationInfo
    ) -> list[SectionEntry]:
        kind = str(info.field_name)
        checklist: Checklist = (info.context or {})["checklist"]
        ids: set[str] = set()
        named: dict[str, str] = {}  # "group x" → the section that named it first
        for section in sections:
            if section.id in ids:
                raise problem(f"duplicate section id {section.id!r}", section.id)
            ids.add(section.id)
            section.check_names(kind, checklist)
            for what, names in (
                ("pre-visit check", section.prechecks or []),
                ("group", section.groups or []),
                ("question", section.items or []),
            ):
                for name in names:
                    first = named.setdefault(f"{what} {name!r}", section.id)
                    if first != section.id or names.count(name) > 1:
                        raise problem(f"{what} {name!r} is already shown in {first!r}", section.id)
        rests = [s.id for s in sections if s.rest]
        if len(rests) != 1:
            raise problem(
                f"exactly one section needs 'rest: true' (it shows whatever no other section "
                f"names), found {len(rests)}"
            )
        return sections

    def sections(self, path: str, checklist: Checklist) -> ReportSections:
        """The runtime sections, with each of ``checklist``'s facts placed in a section."""
        kinds: dict[str, tuple[SectionSpec, ...]] = {}
        items: dict[str, Mapping[str, str]] = {}
        prechecks: dict[str, Mapping[str, str]] = {}
        for kind in KINDS:
            specs = tuple(entry.spec() for entry in getattr(self, kind))
            kinds[kind] = specs
            items[kind], prechecks[kind] = _assign(specs, checklist)
        return ReportSections(
            path, MappingProxyType(kinds), MappingProxyType(items), MappingProxyType(prechecks)
        )


def _assign(
    specs: tuple[SectionSpec, ...], checklist: Checklist
) -> tuple[Mapping[str, str], Mapping[str, str]]:
    rest = next(s.id for s in specs if s.rest)
    by_item = {i: s.id for s in specs for i in s.items}
    by_group = {g: s.id for s in specs for g in s.groups}
    items = {
        item.id: _home(item, checklist, by_item, by_group, rest) for item in checklist.all_items()
    }
    by_check = {c: s.id for s in specs for c in s.prechecks}
    checks = {c.id: by_check.get(c.id, rest) for c in checklist.prechecks}
    return MappingProxyType(items), MappingProxyType(checks)


def _home(
    item: Item, checklist: Checklist, by_item: dict[str, str], by_group: dict[str, str], rest: str
) -> str:
    # A follow-up details its parent's answer, so it goes where the nearest named ancestor goes.
    current: Item | None = item
    while current is not None:
        if current.id in by_item:
            return by_item[current.id]
        current = checklist.item(current.parent) if current.parent else None
    return by_group.get(item.group, rest)


def _place(loc: Loc, raw: Any) -> str:
    """``corporate/finances`` (``corporate[2]`` while the section's id is wrong), ``corporate`` for
    a kind's list as a whole, nothing for the file's top level."""
    if not loc or loc[0] not in KINDS or not isinstance(raw, dict) or loc[0] not in raw:
        return ""
    kind = str(loc[0])
    if len(loc) < 2 or not isinstance(loc[1], int):
        return kind
    entries = raw[kind]
    entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
    ident = entry.get("id") if isinstance(entry, dict) else None
    if (len(loc) > 2 and loc[2] == "id") or not (
        isinstance(ident, str) and SECTION_ID.match(ident)
    ):
        return f"{kind}[{loc[1] + 1}]"
    return f"{kind}/{ident}"


def _wording(detail: Mapping[str, Any]) -> str | None:
    """Pydantic's errors in the words this file's editors (and its tests) know from before."""
    loc, error, given = detail["loc"], detail["type"], detail["input"]
    if error == PROBLEM:
        return None
    if not loc:
        return (
            f"the file must be a mapping with 'version' and one list per kind, got {shown(given)}"
        )
    if len(loc) == 1:
        if error == "extra_forbidden":
            allowed = ", ".join(SectionsFile.model_fields)
            return f"unknown key {loc[0]!r} (allowed: {allowed})"
        if loc[0] == "version":
            if error == "missing":
                return "missing the field 'version' (it must be 1)"
            return f"'version' must be 1, got {given!r}"
        if error == "missing":
            return f"the sections of {loc[0]!r} borrowers are missing"
        return f"must be a non-empty list of sections, got {shown(given)}"
    if len(loc) == 2:
        return f"a section must be a mapping with at least 'id' and 'title', got {shown(given)}"
    field = loc[2]
    if error == "extra_forbidden" and len(loc) == 3:
        allowed = ", ".join(SectionEntry.model_fields)
        return f"unknown field {field!r} (allowed: {allowed})"
    if error == "missing" and len(loc) == 3:
        return None
    if field == "id":
        return f"'id' must be a lower_case name such as 'finances', got {given!r}"
    if field == "title":
        if len(loc) == 3:
            return f"'title' needs a 'zh' and an 'en' text, got {shown(given)}"
        if error == "missing":
            return f"'title' is missing its {loc[3]!r} text"
        if error == "extra_forbidden":
            return f"'title' has the unknown language {loc[3]!r} (it needs exactly 'zh' and 'en')"
        return f"'title/{loc[3]}' must be non-empty text, got {shown(given)}"
    if field in ("prechecks", "groups", "items"):
        if len(loc) == 3:
            return f"'{field}' must be a list of ids, got {shown(given)}"
        return f"'{field}' must be a list of ids; entry {int(loc[3]) + 1} is {shown(given)}"
    if field == "rest":
        return f"'rest' is true or false, got {shown(given)}"
    return None
