"""The knowledge files: required entries exist in both languages; broken files are named."""

from pathlib import Path

import pytest

from assistant.knowledge.entries import KnowledgeError, load_entries, parse_entry

KB = Path(__file__).resolve().parents[3] / "knowledge" / "kb"
REQUIRED = [
    "flow.prepare",
    "flow.documents",
    "flow.interview",
    "flow.photos",
    "flow.report",
    "flow.alert",
    "flow.interview.business",
    "flow.interview.staff",
    "flow.interview.liquidity",
    "flow.interview.supply_chain",
    "flow.interview.revenue",
    "flow.interview.loan_use",
    "flow.interview.debt",
    "flow.interview.collateral",
    "flow.interview.repayment",
    "practice.routine",
    "practice.segmentation",
    "practice.channels",
    "practice.network",
    "practice.preparation",
    "practice.phrasing",
    "check.corporate.purpose",
    "check.corporate.periodic",
    "check.individual.purpose",
    "check.individual.periodic",
    "classification.five_tier",
]
GOOD = KB / "flow.prepare.md"


@pytest.fixture(scope="module")
def entries():
    return {entry.id: entry for entry in load_entries(KB)}


def test_every_required_entry_exists(entries):
    assert [entry_id for entry_id in REQUIRED if entry_id not in entries] == []
    prefixes = {entry_id.split(".")[0] for entry_id in entries}
    assert {"reg", "records", "signals"} <= prefixes


def test_every_entry_is_complete_in_both_languages(entries):
    for entry in entries.values():
        assert entry.points("zh") and entry.points("en"), entry.id
        assert entry.questions_zh and entry.questions_en, entry.id
        assert entry.source.zh and entry.source.en, entry.id


def test_the_annual_inspection_is_corrected_to_annual_report_publication(entries):
    prepare = entries["flow.prepare"].body_zh
    assert "年度报告公示" in prepare
    for entry in entries.values():
        if "年检" in entry.body_zh:
            assert "取消" in entry.body_zh or "年度报告" in entry.body_zh, entry.id


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutation", "problem"),
    [
        (lambda t: t.replace("---\n", "", 1), "front-matter"),
        (lambda t: t.replace("step: prepare", "step: [unclosed"), "not valid YAML"),
        (lambda t: t.replace("# en\n", "# english\n"), "'# en'"),
        (
            lambda t: t.replace("applies_to: [corporate, individual]", "applies_to: [martians]"),
            "applies_to",
        ),
        (lambda t: t.replace("id: flow.prepare", "id: Flow Prepare!"), "'id'"),
    ],
)
def test_a_broken_file_is_named_with_its_problem(tmp_path, mutation, problem):
    path = write(tmp_path, "broken.md", mutation(GOOD.read_text(encoding="utf-8")))
    with pytest.raises(KnowledgeError) as error:
        parse_entry(path)
    assert str(path) in str(error.value)
    assert problem in str(error.value)


def test_a_duplicate_id_names_both_files(tmp_path):
    write(tmp_path, "a.md", GOOD.read_text(encoding="utf-8"))
    write(tmp_path, "b.md", GOOD.read_text(encoding="utf-8"))
    with pytest.raises(KnowledgeError) as error:
        load_entries(tmp_path)
    assert "duplicate id 'flow.prepare'" in str(error.value)
    assert "a.md" in str(error.value) and "b.md" in str(error.value)
