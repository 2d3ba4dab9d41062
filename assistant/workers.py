"""The bot's worker processes (OCR, report files): how they start, and what they do first."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def start_worker(niceness: int) -> None:
    """In a worker process: step back for the chat, and end with the bot.

    A pool's worker waits for its next job on a queue whose writing end it holds itself, so a
    bot killed outright (SIGKILL, the OOM killer) would leave it waiting for ever, with its
    memory; a restarted bot starts new ones beside it. So it watches its parent and leaves when
    the parent is gone.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(niceness)
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def leave_with_parent(sentinel: int) -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(0)

    threading.Thread(
        target=leave_with_parent, args=(parent.sentinel,), name="parent-watch", daemon=True
    ).start()


def process_pool(
    workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, each a fresh interpreter: forking a process that runs
    an event loop and threads is not safe. ``initializer`` should call :func:`start_worker`."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )
