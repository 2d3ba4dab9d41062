"""Report files built in a worker process: the same files, built beside the chat."""

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import assistant.reports.files as files_module
from assistant.reports.files import ReportFiles
from assistant.reports.labels import DEFAULT_TEMPLATES
from assistant.reports.model import ReportData
from assistant.reports.render import generated_file_name, render_docx, render_html
from assistant.reports.views import ReportBuildFailed
from tests.assistant.reports.conftest import docx_text

TEMPLATE = DEFAULT_TEMPLATES / "report_template.docx"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def worker() -> Iterator[ReportFiles]:
    files = ReportFiles(TEMPLATE, SHANGHAI, workers=1)
    yield files
    files.close()


@pytest.fixture
def not_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Renderers of this process that record being called; a worker process has its own."""
    calls: list[str] = []

    def recorded(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(files_module, "render_docx", recorded("docx", render_docx))
    monkeypatch.setattr(files_module, "render_html", recorded("html", render_html))
    return calls


async def test_the_worker_builds_the_same_files_outside_the_bots_process(
    worker: ReportFiles, not_here: list[str], make_report: Callable[..., ReportData]
) -> None:
    data = make_report("zh", photos=3)

    word, word_name = await worker.build(data, "docx")
    html, html_name = await worker.build(data, "html")

    assert not_here == []
    assert docx_text(word) == docx_text(render_docx(data, TEMPLATE, tz=SHANGHAI))
    assert docx_text(word)[1] == 3
    assert html.decode("utf-8") == render_html(data, tz=SHANGHAI)
    assert (word_name, html_name) == (
        generated_file_name(data, "docx", SHANGHAI),
        generated_file_name(data, "html", SHANGHAI),
    )


async def test_without_workers_the_files_are_built_on_a_thread_of_this_process(
    not_here: list[str], make_report: Callable[..., ReportData]
) -> None:
    files = ReportFiles(TEMPLATE, SHANGHAI, workers=0)
    data = make_report("en", photos=1)

    word, _ = await files.build(data, "docx")
    html, _ = await files.build(data, "html")

    assert not_here == ["docx", "html"]
    assert "Suggested class: Special mention" in docx_text(word)[0]
    assert '<html lang="en">' in html.decode("utf-8")


async def test_a_broken_template_fails_the_build_and_the_worker_builds_the_next_one(
    worker: ReportFiles, make_report: Callable[..., ReportData], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip file")
    worker.template_path = broken
    data = make_report("zh", photos=0)

    with pytest.raises(ReportBuildFailed):
        await worker.build(data, "docx")

    worker.template_path = TEMPLATE
    word, _ = await worker.build(data, "docx")
    assert "建议分类：关注" in docx_text(word)[0]


async def test_a_killed_worker_loses_no_file_and_the_next_build_has_a_new_one(
    worker: ReportFiles, make_report: Callable[..., ReportData]
) -> None:
    data = make_report("zh", photos=1)
    await worker.build(data, "html")
    started = multiprocessing.active_children()
    assert started, "the build ran in a worker process"

    for process in started:
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)

    word, _ = await worker.build(data, "docx")  # built after the loss is noticed
    assert docx_text(word)[1] == 1
    html, _ = await worker.build(data, "html")
    assert html.decode("utf-8") == render_html(data, tz=SHANGHAI)
    assert {p.pid for p in multiprocessing.active_children()}.isdisjoint({p.pid for p in started})


class _NoProcesses(Executor):
    """A host that refuses to start processes."""

    def submit(self, *_args: Any, **_kwargs: Any) -> Any:
        raise OSError("Resource temporarily unavailable")


async def test_a_worker_that_cannot_start_still_gives_the_officer_the_file(
    worker: ReportFiles, make_report: Callable[..., ReportData], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "_pool", _NoProcesses)
    data = make_report("zh", photos=1)

    html, _ = await worker.build(data, "html")

    assert html.decode("utf-8") == render_html(data, tz=SHANGHAI)
