"""The lock files are what a fresh machine installs: they must pin everything pyproject.toml asks
for, inside its ranges, with hashes, and the README's commands and CI must install from them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
RUN_LOCK = REPO / "requirements" / "run.txt"
TEST_LOCK = REPO / "requirements" / "test.txt"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)\s*(?:;\s*(.*?))?\s*\\?$")


def pins(lock: Path) -> dict[str, list[tuple[str, str | None, int]]]:
    """name → [(version, marker, number of hashes)]; a package may be pinned per platform."""
    found: dict[str, list[tuple[str, str | None, int]]] = {}
    current: list[object] | None = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            current = [version, marker, 0]
            found.setdefault(canonicalize_name(name), []).append(current)  # type: ignore[arg-type]
        elif current is not None and line.strip().startswith("--hash=sha256:"):
            current[2] += 1  # type: ignore[operator]
    return {name: [tuple(p) for p in entries] for name, entries in found.items()}  # type: ignore[misc]


def wanted(*extras: str) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = list(project["dependencies"])
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    return [Requirement(spec) for spec in listed]


def installed_here(entries: list[tuple[str, str | None, int]]) -> str:
    """The version pip would take from the lock on this machine."""
    environment = default_environment()
    chosen = [
        version
        for version, marker, _ in entries
        if marker is None or Requirement(f"x; {marker}").marker.evaluate(environment)  # type: ignore[union-attr]
    ]
    assert len(chosen) == 1, entries
    return chosen[0]


@pytest.mark.parametrize(("lock", "extras"), [(RUN_LOCK, ("llm",)), (TEST_LOCK, ("llm", "test"))])
def test_every_dependency_is_pinned_inside_its_range_with_hashes(lock: Path, extras):
    locked = pins(lock)
    for requirement in wanted(*extras):
        entries = locked.get(canonicalize_name(requirement.name))
        assert entries, f"{requirement.name} is not in {lock.name}: run requirements/refresh"
        assert requirement.specifier.contains(installed_here(entries), prereleases=True), (
            f"{lock.name} pins {requirement.name} outside {requirement.specifier}"
        )
    assert all(hashes for entries in locked.values() for _, _, hashes in entries)


def test_the_application_runs_with_the_versions_the_tests_pass_with():
    run, test = pins(RUN_LOCK), pins(TEST_LOCK)
    assert set(run) < set(test)
    assert {name: run[name] for name in run} == {name: test[name] for name in run}


def test_the_readme_commands_and_ci_install_from_the_lock():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv \.venv && .*$", readme, flags=re.MULTILINE)
    assert commands[:2] == [
        "python3 -m venv .venv && .venv/bin/pip install -q -r requirements/run.txt "
        "&& .venv/bin/python bot.py",
        "python3 -m venv .venv && .venv/bin/pip install -q -r requirements/test.txt "
        "&& .venv/bin/python -m pytest",
    ]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines(), "CI runs the README's test command verbatim"
    assert "requirements/refresh" in readme and (REPO / "requirements" / "refresh").is_file()
