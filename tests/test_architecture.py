"""The dependency direction is bot.py → handlers → assistant, and the domain never sees telegram."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("assistant", {"telegram", "handlers", "botapi", "bot"}),
        ("handlers", {"bot", "botapi"}),
        ("botapi", {"bot", "handlers"}),
    ],
)
def test_no_module_imports_against_the_direction(package: str, forbidden: set[str]):
    offenders = {
        path: sorted(names & forbidden)
        for path, names in imported_modules(package).items()
        if names & forbidden
    }
    assert offenders == {}


def test_the_architecture_check_sees_real_imports():
    assert "telegram" in imported_modules("handlers")["handlers/common.py"]
    assert "sqlalchemy" in imported_modules("assistant")["assistant/db/models.py"]


def test_importing_the_packages_does_no_work(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.chdir(tmp_path)
    code = "import bot, handlers, assistant.services, botapi.console; print('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
        check=False,
    )
    assert result.stdout.strip() == "ok", result.stderr
    assert list(tmp_path.iterdir()) == [], "no data directory or database appears on import"


# ----------------------------------------------------------------------------- time
CLOCK = "assistant/clock.py"
# Where the code may read or convert the time: the clock itself, and the column type that keeps
# stored moments in UTC.
ZONE_CONVERSION_ALLOWED = {CLOCK, "assistant/db/models.py"}


def python_files(*roots: str) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        path = REPO / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def clock_reads(source: str) -> list[str]:
    """Calls that read the host's clock: ``datetime.now()``, ``date.today()``, ``utcnow()``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if getattr(func, "id", None) == "utcnow" or getattr(func, "attr", None) == "utcnow":
            found.append(f"utcnow() on line {node.lineno}")
        elif isinstance(func, ast.Attribute) and func.attr in {"now", "today"}:
            owner = func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in {"datetime", "date"}:
                found.append(f"{name}.{func.attr}() on line {node.lineno}")
    return found


def test_only_the_clock_reads_the_time():
    """Services, handlers, tests and benchmarks get the time from an injected clock; a test that
    moves its clock then moves everything, and none depends on the day it is run."""
    offenders = {}
    for path in python_files(
        "assistant", "handlers", "botapi", "bot.py", "tests", "benchmarks", "samples"
    ):
        relative = str(path.relative_to(REPO))
        if relative == CLOCK:
            continue
        reads = clock_reads(path.read_text(encoding="utf-8"))
        if reads:
            offenders[relative] = reads
    assert offenders == {}


def test_the_clock_check_sees_real_reads():
    source = (
        "import datetime as dt\nfrom datetime import date, datetime\n"
        "a = datetime.now()\nb = date.today()\nc = dt.datetime.now(UTC)\nd = models.utcnow()\n"
        "e = clock.now()\n"
    )
    assert len(clock_reads(source)) == 4
    assert clock_reads((REPO / CLOCK).read_text(encoding="utf-8")), "the clock itself reads it"


def test_moments_change_zone_only_in_the_clock():
    """One rule for showing a stored moment: ``assistant.clock.local`` and what is built on it."""
    offenders = {}
    for path in python_files("assistant", "handlers", "botapi", "bot.py"):
        relative = str(path.relative_to(REPO))
        if relative in ZONE_CONVERSION_ALLOWED:
            continue
        lines = [
            n
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if ".astimezone(" in line
        ]
        if lines:
            offenders[relative] = lines
    assert offenders == {}


def test_templates_show_dates_and_times_through_the_local_filter():
    """``strftime`` in a template would show a stored UTC moment as UTC; ``| local(...)`` shows
    it in TIMEZONE (and a plain date as it is)."""
    templates = [
        *sorted((REPO / "prompts" / "messages").rglob("*.toml")),
        *sorted((REPO / "prompts" / "reports").rglob("*.j2")),
        *sorted((REPO / "prompts" / "reports").rglob("*.toml")),
    ]
    assert len(templates) > 10
    offenders = [
        str(path.relative_to(REPO))
        for path in templates
        if "strftime" in (text := path.read_text(encoding="utf-8")) or ".isoformat(" in text
    ]
    assert offenders == []
