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
from typing import Any, NoReturn

from assistant.data.checklist import Checklist, Item
from assistant.data.files import DataFileError, read_data_file
from assistant.data.vocabulary import KINDS, Bilingual

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "knowledge" / "report_sections.yaml"
SECTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
SECTION_FIELDS = ("id", "title", "prechecks", "groups", "items", "rest")


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
    return _Reader(path, checklist).read(read_data_file(path, ReportSectionsError))


class _Reader:
    def __init__(self, path: Path, checklist: Checklist) -> None:
        self.path = path
        self.checklist = checklist

    def fail(self, where: str, problem: str) -> NoReturn:
        raise ReportSectionsError(self.path, where, problem)

    def read(self, raw: Any) -> ReportSections:
        if not isinstance(raw, dict):
            self.fail("", "the file must be a mapping with 'version' and one list per kind")
        unknown = [k for k in raw if k not in ("version", *KINDS)]
        if unknown:
            self.fail("", f"unknown key {unknown[0]!r} (allowed: version, {', '.join(KINDS)})")
        if raw.get("version") != 1:
            self.fail("", f"'version' must be 1, got {raw.get('version')!r}")
        kinds: dict[str, tuple[SectionSpec, ...]] = {}
        items: dict[str, Mapping[str, str]] = {}
        prechecks: dict[str, Mapping[str, str]] = {}
        for kind in KINDS:
            if kind not in raw:
                self.fail("", f"the sections of {kind!r} borrowers are missing")
            specs = self.sections(kind, raw[kind])
            kinds[kind] = specs
            items[kind], prechecks[kind] = self.assign(kind, specs)
        return ReportSections(
            str(self.path), MappingProxyType(kinds), MappingProxyType(items),
            MappingProxyType(prechecks),
        )  # fmt: skip

    def sections(self, kind: str, raw: Any) -> tuple[SectionSpec, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(kind, "must be a non-empty list of sections")
        specs: list[SectionSpec] = []
        named: dict[str, str] = {}  # "group x" → the section that named it first
        for index, entry in enumerate(raw, start=1):
            spec = self.section(kind, index, entry)
            if any(s.id == spec.id for s in specs):
                self.fail(f"{kind}/{spec.id}", f"duplicate section id {spec.id!r}")
            for what, ids in (
                ("pre-visit check", spec.prechecks),
                ("group", spec.groups),
                ("question", spec.items),
            ):
                for name in ids:
                    first = named.setdefault(f"{what} {name!r}", spec.id)
                    if first != spec.id or ids.count(name) > 1:
                        self.fail(
                            f"{kind}/{spec.id}", f"{what} {name!r} is already shown in {first!r}"
                        )
            specs.append(spec)
        rests = [s.id for s in specs if s.rest]
        if len(rests) != 1:
            self.fail(
                kind,
                f"exactly one section needs 'rest: true' (it shows whatever no other section "
                f"names), found {len(rests)}",
            )
        return tuple(specs)

    def section(self, kind: str, index: int, raw: Any) -> SectionSpec:
        where = f"{kind}[{index}]"
        if not isinstance(raw, dict):
            self.fail(where, "a section must be a mapping with at least 'id' and 'title'")
        unknown = [k for k in raw if k not in SECTION_FIELDS]
        if unknown:
            self.fail(where, f"unknown field {unknown[0]!r} (allowed: {', '.join(SECTION_FIELDS)})")
        section_id = raw.get("id")
        if not isinstance(section_id, str) or not SECTION_ID.match(section_id):
            self.fail(
                where, f"'id' must be a lower_case name such as 'finances', got {section_id!r}"
            )
        where = f"{kind}/{section_id}"
        title = raw.get("title")
        if not isinstance(title, dict) or set(title) != {"zh", "en"}:
            self.fail(where, "'title' needs exactly a 'zh' and an 'en' text")
        for lang in ("zh", "en"):
            if not isinstance(title[lang], str) or not title[lang].strip():
                self.fail(where, f"'title' is missing its {lang!r} text")
        rest = raw.get("rest", False)
        if not isinstance(rest, bool):
            self.fail(where, f"'rest' is true or false, got {rest!r}")
        return SectionSpec(
            id=section_id,
            title=Bilingual(title["zh"].strip(), title["en"].strip()),
            prechecks=self.prechecks(where, raw.get("prechecks")),
            groups=self.groups(kind, where, raw.get("groups")),
            items=self.items(kind, where, raw.get("items")),
            rest=rest,
        )

    def names(self, where: str, raw: Any, field: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(n, str) for n in raw):
            self.fail(where, f"'{field}' must be a list of ids, got {raw!r}")
        return tuple(raw)

    def prechecks(self, where: str, raw: Any) -> tuple[str, ...]:
        ids = self.names(where, raw, "prechecks")
        known = [c.id for c in self.checklist.prechecks]
        for check_id in ids:
            if check_id not in known:
                self.fail(
                    where,
                    f"unknown pre-visit check {check_id!r} in 'prechecks' "
                    f"(the checklist has: {', '.join(known)})",
                )
        return ids

    def groups(self, kind: str, where: str, raw: Any) -> tuple[str, ...]:
        ids = self.names(where, raw, "groups")
        for group_id in ids:
            try:
                group = self.checklist.group(group_id)
            except KeyError:
                self.fail(where, f"unknown checklist group {group_id!r} in 'groups'")
            if group.when.kinds and kind not in group.when.kinds:
                self.fail(where, f"checklist group {group_id!r} never applies to {kind} borrowers")
        return ids

    def items(self, kind: str, where: str, raw: Any) -> tuple[str, ...]:
        ids = self.names(where, raw, "items")
        for item_id in ids:
            try:
                item = self.checklist.item(item_id)
            except KeyError:
                self.fail(where, f"unknown checklist question {item_id!r} in 'items'")
            group = self.checklist.group(item.group)
            if group.when.kinds and kind not in group.when.kinds:
                self.fail(
                    where, f"checklist question {item_id!r} never applies to {kind} borrowers"
                )
        return ids

    def assign(
        self, kind: str, specs: tuple[SectionSpec, ...]
    ) -> tuple[Mapping[str, str], Mapping[str, str]]:
        rest = next(s.id for s in specs if s.rest)
        by_item = {i: s.id for s in specs for i in s.items}
        by_group = {g: s.id for s in specs for g in s.groups}
        items = {
            item.id: self.home(item, by_item, by_group, rest) for item in self.checklist.all_items()
        }
        by_check = {c: s.id for s in specs for c in s.prechecks}
        checks = {c.id: by_check.get(c.id, rest) for c in self.checklist.prechecks}
        return MappingProxyType(items), MappingProxyType(checks)

    def home(self, item: Item, by_item: dict[str, str], by_group: dict[str, str], rest: str) -> str:
        # A follow-up details its parent's answer, so it goes where the nearest named ancestor goes.
        current: Item | None = item
        while current is not None:
            if current.id in by_item:
                return by_item[current.id]
            current = self.checklist.item(current.parent) if current.parent else None
        return by_group.get(item.group, rest)
