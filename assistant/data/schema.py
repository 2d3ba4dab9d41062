"""The data files as frozen pydantic models: each file's shape is declared once, validated by
pydantic, and published as JSON Schema for the bank's editors.

A file is declared with :class:`DataModel` subclasses. A rule pydantic cannot state by itself (a
pattern that must catch its own examples, a reference to another file) is a validator that raises
:func:`problem`; what a validator needs from outside the file (the checklist, for the risk rules)
arrives as validation context. :func:`validate` reads a file's YAML into its model and turns the
first error into the file's :class:`~assistant.data.files.DataFileError`, with the place written
the way an editor finds it in the file (``interview/flow.interview.staff/headcount_total``): each
file says how through its :data:`Place` function, and may word pydantic's own errors its way
through a :data:`Wording` function.

``python -m assistant.schemas`` writes ``knowledge/schemas/<file>.schema.json`` from
:func:`schema_text`. Each file's header comment names its schema, so that an editor with a YAML
language server checks the file while the bank types; a test keeps the schemas in step with the
models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from assistant.data.files import DataFileError, read_data_file

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]
# Where an error is, for the bank's editor: from pydantic's location and the raw data.
Place = Callable[[Loc, Any], str]
# How a file words one of pydantic's own errors; None: the common wording.
Wording = Callable[[Mapping[str, Any]], str | None]

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "schemas"
# Non-empty text, with surrounding spaces dropped.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# The error type of problem(): a file may word pydantic's own errors, never these.
PROBLEM = "data_file"


class DataModel(BaseModel):
    """A part of a data file: frozen, and every key it may hold declared (a typo is an error).

    Strict: YAML's ``yes`` is a bool and ``1`` an int, and neither is quietly taken for text.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def problem(text: str, at: str = "") -> PydanticCustomError:
    """An error in a bank's file, worded for the person who edits it.

    Args:
        text: what is wrong.
        at: where inside the entry being validated, appended to its place (``"examples/zh"``).
    """
    return PydanticCustomError(PROBLEM, "{text}", {"text": text, "at": at})


def validate(
    model: type[M],
    path: Path,
    error: type[DataFileError],
    place: Place,
    *,
    wording: Wording | None = None,
    context: Mapping[str, Any] | None = None,
    raw: Any = None,
) -> M:
    """The file at ``path`` (or its already read ``raw`` data) as ``model``.

    Raises:
        error: the file cannot be read, is not valid YAML, or breaks a rule of the model; the
            message names the file, the place and the problem.
    """
    data = read_data_file(path, error) if raw is None else raw
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        at = str((first.get("ctx") or {}).get("at", ""))
        where = place(tuple(first["loc"]), data)
        where = f"{where}/{at}" if where and at else where or at
        said = wording(first) if wording is not None else None
        raise error(path, where, said or describe(first)) from None


def describe(detail: Mapping[str, Any]) -> str:
    """One of pydantic's errors in the words the bank's files use."""
    loc = detail["loc"]
    name = str(loc[-1]) if loc else "the file"
    kind = detail["type"]
    if kind == PROBLEM:
        return str(detail["ctx"]["text"])
    if kind == "extra_forbidden":
        return f"unknown field {name!r}"
    if kind == "missing":
        return f"missing the field {name!r}"
    if kind == "literal_error":
        return f"unknown {name} {detail['input']!r} (allowed: {detail['ctx']['expected']})"
    return f"{name!r}: {detail['msg'][:1].lower()}{detail['msg'][1:]}, got {shown(detail['input'])}"


def shown(value: object) -> str:
    """A value as an error message quotes it."""
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def schema_text(model: type[BaseModel]) -> str:
    """The JSON Schema of ``model``, as written to ``knowledge/schemas``."""
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
