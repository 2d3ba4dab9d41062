"""A mini soak: a handful of officers and their supervisors working through the real Application
for a few seconds, every update answered, nothing going wrong, every submitted report approved.

The full run is ``python -m benchmarks.hardening.soak``; no timings are asserted here.
"""

from pathlib import Path

from assistant.knowledge.base import KnowledgeBase
from benchmarks.hardening.soak import render_tables, run_soak


async def test_a_mini_soak_ends_with_no_errors_and_every_report_approved(
    knowledge: KnowledgeBase, tmp_path: Path
):
    result = await run_soak(
        officers=5,
        # Long enough for every officer to finish a visit even on a loaded machine: a cycle now
        # includes writing the overall assessment before the report is sent.
        minutes=0.2,
        seed=7,
        knowledge=knowledge,
        data_dir=tmp_path / "soak",
        # Quick, but below the per-user flood limit (FLOOD_RATE): an officer, not a script.
        think=(0.15, 0.35),
        sample_seconds=3,
        reply_timeout=30,
        finish_cycles=True,
        # The warm-up cycle (for steady-state memory figures) would double the test's time.
        warm_up=False,
    )
    tables = render_tables(result)

    assert result.error_total == 0, tables
    assert not result.errors and not result.refusals, tables
    # Every kind of operation happened, and each was handled (a reply within the timeout).
    for kind in (
        "visit.start",
        "visit.typed",
        "visit.photo",
        "visit.complete",
        "kb.question",
        "report.draft",
        "report.submit",
        "report.approve",
    ):
        assert kind in result.latencies and result.latencies[kind].count > 0, tables
    assert result.activities["visits completed"] >= 5, tables
    # Every report submitted in the run was approved by the officer's supervisor.
    assert result.submitted >= 5, tables
    assert result.approved == result.submitted, tables
    assert result.reports_by_status.get("approved") == result.submitted, tables
    assert result.reports_by_status.get("submitted", 0) == 0, tables
    # Memory was sampled throughout and the storage was measured at both ends.
    assert len(result.samples) >= 3
    assert result.storage_start is not None and result.storage_end is not None
    assert result.storage_end.rows["reports"] >= result.submitted
    assert result.storage_end.evidence_files >= 5
    assert "### Memory over time" in tables and "**Result: PASS**" in tables
