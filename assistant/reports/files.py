"""A report's Word and HTML files, built in a worker process beside the chat.

Building them is Python work: docxtpl fills the Word template, Jinja renders the HTML, Pillow
shrinks the photos. On a thread of the bot's process that work holds the interpreter lock while
officers wait for their next step, and when a round of visits ends, every officer submits at
once: in the soak the files were a quarter of the busiest seconds. A worker process builds them
on the other core instead. ``workers=0`` builds them on threads, as before (the tests, and a
host that cannot start processes).
"""

from __future__ import annotations

import asyncio
import logging
import zipfile
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from datetime import tzinfo
from pathlib import Path

from jinja2 import TemplateError

from assistant.reports.model import ReportData
from assistant.reports.render import generated_file_name, render_docx, render_html
from assistant.reports.views import Format, ReportBuildFailed
from assistant.workers import process_pool, start_worker

log = logging.getLogger(__name__)

# What a bad template or an unreadable file raises while building; anything else is a bug.
BUILD_FAILURES = (TemplateError, OSError, ValueError, KeyError, zipfile.BadZipFile)
# Below the chat, above OCR (assistant.evidence.ocr): a supervisor waits for this file.
WORKER_NICENESS = 5


class ReportFiles:
    """Builds a report as a Word or HTML file, off the event loop.

    Args:
        template_path: the Word template (docxtpl).
        tz: the time zone the files show times in.
        workers: worker processes (started on the first build); 0 builds on threads.
        timeout_s: how long a build may take before the officer is told it failed.
    """

    def __init__(
        self, template_path: Path, tz: tzinfo, *, workers: int = 1, timeout_s: float = 120.0
    ) -> None:
        self.template_path = template_path
        self.tz = tz
        self.workers = workers
        self.timeout_s = timeout_s
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = process_pool(self.workers, _start_worker)
        return self._executor

    async def build(self, data: ReportData, fmt: Format) -> tuple[bytes, str]:
        """The file's content and name.

        Raises:
            ReportBuildFailed: the template or a file could not be used, or the build took
                longer than ``timeout_s``; nothing about the report changed.
        """
        try:
            async with asyncio.timeout(self.timeout_s):
                content = await self._content(data, fmt)
        except BUILD_FAILURES as exc:
            # The log names the failure without the report's content.
            log.warning("report %s build failed: %s", fmt, type(exc).__name__)
            raise ReportBuildFailed() from exc
        except _WorkerFailure as exc:
            log.warning("report %s build failed: %s", fmt, exc.kind)
            raise ReportBuildFailed() from exc
        return content, generated_file_name(data, fmt, self.tz)

    async def _content(self, data: ReportData, fmt: Format) -> bytes:
        if self.workers <= 0:
            return await asyncio.to_thread(build_file, data, fmt, self.template_path, self.tz)
        loop = asyncio.get_running_loop()
        try:
            done = await loop.run_in_executor(
                self._pool(), _build_in_worker, data, fmt, self.template_path, self.tz
            )
        except (BrokenProcessPool, OSError) as exc:
            # The worker died (killed, out of memory) or could not start (failures inside the
            # worker come back as names, not raised): this file is built here, so the officer
            # still gets it, and the next build starts a new worker.
            log.warning(
                "report worker lost (%s); building the %s file in the bot's process",
                type(exc).__name__,
                fmt,
            )
            self._drop_pool()
            return await asyncio.to_thread(build_file, data, fmt, self.template_path, self.tz)
        if isinstance(done, str):
            raise _WorkerFailure(done)
        return done

    def _drop_pool(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """Stop the worker processes; a later build starts new ones."""
        self._drop_pool()


class _WorkerFailure(Exception):
    """A build failed in the worker; ``kind`` names the exception (exceptions with arguments do
    not all cross a process boundary intact)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def build_file(data: ReportData, fmt: Format, template_path: Path, tz: tzinfo) -> bytes:
    """The file's content, built here and now (CPU work: not on the event loop)."""
    if fmt == "docx":
        return render_docx(data, template_path, tz=tz)
    return render_html(data, tz=tz).encode("utf-8")


def _build_in_worker(data: ReportData, fmt: Format, template_path: Path, tz: tzinfo) -> bytes | str:
    """In a worker process: the file, or the name of the failure."""
    try:
        return build_file(data, fmt, template_path, tz)
    except BUILD_FAILURES as exc:
        return type(exc).__name__


def _start_worker() -> None:
    """In a worker process: step back for the chat, end with the bot, and load the writers
    before the first report needs them."""
    start_worker(WORKER_NICENESS)
    import docxtpl  # noqa: F401
    import PIL.Image  # noqa: F401
