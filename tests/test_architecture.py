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
