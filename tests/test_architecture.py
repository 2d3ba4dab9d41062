"""The dependency direction is bot.py → handlers → assistant, and the domain never sees telegram."""

import ast
import re
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


# ----------------------------------------------------------------------------- layers and homes
def module_imports(package: str) -> dict[str, set[str]]:
    """Module → the modules of this repository it imports (``assistant.risk.rules`` …)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = {n for n in names if n.split(".")[0] in {"assistant", "handlers"}}
    return found


def test_the_risk_rules_sit_below_the_alerts():
    """A critical finding reaches a supervisor through ``AlertService.alert_critical``, which
    reads the rules; the rules know nothing of alerts."""
    offenders = {
        module: sorted(n for n in names if n.startswith("assistant.alerts"))
        for module, names in module_imports("assistant").items()
        if module.startswith("assistant.risk")
    }
    assert {m: n for m, n in offenders.items() if n} == {}


@pytest.mark.parametrize("package", ["assistant", "handlers"])
def test_no_modules_import_each_other_in_a_loop(package: str):
    imports = module_imports(package)
    modules = set(imports)
    graph = {
        module: {n for n in names if n in modules and n != module}
        for module, names in imports.items()
    }
    loops = []
    for start in sorted(graph):
        seen, stack = set(), [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    loops.append(" → ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert loops == []


def test_only_the_session_type_touches_user_data_by_key():
    """What a user is doing lives in ``handlers.session.Session``, typed; nobody reads or
    writes ``user_data`` by string key."""
    pattern = re.compile(r"context\.user_data(\[|\.get\(|\.pop\(|\.setdefault\(|\.update\()")
    offenders = {
        str(path.relative_to(REPO)): [
            n
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)
        ]
        for path in python_files("handlers", "botapi", "bot.py", "benchmarks")
    }
    assert {p: lines for p, lines in offenders.items() if lines} == {}


def test_jinja_environments_are_built_in_the_template_module_only():
    offenders = [
        str(path.relative_to(REPO))
        for path in python_files("assistant", "handlers", "botapi", "bot.py")
        if "Environment(" in path.read_text(encoding="utf-8")
        and path.relative_to(REPO) != Path("assistant/templates.py")
    ]
    assert offenders == []


def test_callback_data_is_read_in_one_module():
    """Buttons are built and parsed by ``handlers.callbacks``; no handler splits their data."""
    offenders = [
        str(path.relative_to(REPO))
        for path in python_files("handlers")
        if path.name != "callbacks.py"
        and re.search(r"\.data\.(split|removeprefix|partition)\(", path.read_text("utf-8"))
    ]
    assert offenders == []
