"""Reading a data file the bank edits: strict YAML, and an error that names the place.

A repeated key is refused (plain YAML keeps the last one silently, so a duplicated ``en:`` would
hide a translation), and every error names the file, the place in it and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.errors import AssistantError

# The C loader when PyYAML was built with libyaml: parsing every file at start is ~5x faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(AssistantError):
    """A data file the bank edits (checklist, risk rules, report sections) is broken.

    ``str()`` names the file, the place in it and the problem, so the log line is enough to fix it.
    """

    def __init__(self, path: object, where: str, problem: str) -> None:
        super().__init__(file=str(path), where=where, problem=problem)
        self.path = str(path)
        self.where = where
        self.problem = problem

    def __str__(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"{self.path}: {place}{self.problem}"


def read_data_file(path: Path, error: type[DataFileError]) -> Any:
    """The YAML of a data file the bank edits, with duplicate keys refused.

    Raises:
        error: the file cannot be read, or is not valid YAML (with its line and column).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(path, "", f"cannot be read as UTF-8 text ({exc})") from exc
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(path, where, f"not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise error(path, "", f"not valid YAML: {exc}") from exc


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            repeated = key in seen
        except TypeError:  # an unhashable key: construct_mapping reports it properly
            continue
        if repeated:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"the key {key!r} is written twice",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


class UniqueKeyLoader(SAFE_LOADER):  # type: ignore[misc, valid-type]
    """A safe loader that rejects a repeated key. Plain YAML keeps the last one silently, so a
    duplicated ``en:`` would hide a translation without anyone noticing."""

    yaml_constructors = {  # noqa: RUF012 (PyYAML's own class-level registry)
        **SAFE_LOADER.yaml_constructors,
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG: _construct_unique_mapping,
    }
