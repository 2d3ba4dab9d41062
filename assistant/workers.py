"""What each of the bot's worker processes (OCR, report files) does first."""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import threading


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
