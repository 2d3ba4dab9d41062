"""Offline OCR of a photographed document, and the pool that keeps it off the event loop.

The engine is RapidOCR (PP-OCRv4 Chinese detection and recognition, bundled in the wheel) on
onnxruntime, which chromadb already brings. It runs on one thread by default: on a two-core
server the other core stays free for the officers whose steps must not wait behind a photo.
"""

from __future__ import annotations

import asyncio
import functools
import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool as BrokenExecutor
from typing import Any, Protocol

from assistant.errors import AssistantError
from assistant.evidence.model import OcrLine, OcrResult
from assistant.workers import process_pool, start_worker

# Photos are cut down to this longest side before reading: phone cameras give 4000 px and more,
# which costs seconds and reads no better than 1600 px for A4 pages and signboards.
MAX_SIDE = 1600
DETECT_SIDE = 1280
# Below this grey-level spread a picture has nothing on it (a lens cap, a white wall).
BLANK_STDDEV = 6.0
# Lines read with less average confidence than this are not worth proposing as fields.
LOW_CONFIDENCE = 0.75


def _trimmer() -> Callable[[], object] | None:
    """glibc's malloc_trim, where there is one. A read allocates a few hundred MB of short-lived
    arrays; glibc keeps the freed pages, so a server's RSS would sit near 1 GB after a few
    photos. Handing them back after each read keeps it near what the models need."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return lambda: trim(0)


class OcrFailed(AssistantError):
    key = "ocr.failed"


class OcrBusy(AssistantError):
    key = "ocr.busy"


class OcrEngine(Protocol):
    name: str

    def read(self, content: bytes) -> OcrResult:
        """Read one image (any format Pillow opens). Raises :class:`OcrFailed`."""
        ...


def _prepare(content: bytes) -> tuple[Any, float]:
    """The image upright by its EXIF, cut down to MAX_SIDE, as an RGB array; and its grey spread."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise OcrFailed("ocr.not_an_image") from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    spread = float(np.asarray(image.convert("L"), dtype=np.float32).std())
    # RapidOCR, like OpenCV, takes BGR.
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1]), spread


def _rows(lines: list[OcrLine]) -> list[OcrLine]:
    """Reading order: lines whose vertical middles fall within each other's height are one row,
    read left to right; rows top to bottom."""
    ordered: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda x: (x.top + x.bottom) / 2):
        middle = (line.top + line.bottom) / 2
        if ordered:
            row = ordered[-1]
            anchor = row[0]
            if abs(middle - (anchor.top + anchor.bottom) / 2) <= 0.5 * max(
                min(line.height, anchor.height), 1.0
            ):
                row.append(line)
                continue
        ordered.append([line])
    return [line for row in ordered for line in sorted(row, key=lambda x: x.left)]


def _turned(lines: list[OcrLine], width: int, height: int) -> list[OcrLine]:
    """The same lines in the coordinates of the page turned the right way up."""
    return [
        OcrLine(
            line.text,
            tuple((width - x, height - y) for x, y in (line.box[2], line.box[3], *line.box[:2])),  # type: ignore[arg-type]
            line.score,
        )
        for line in lines
    ]


class RapidOcrEngine:
    """RapidOCR loaded once, on first use; its sessions are safe to call from pool threads."""

    name = "rapidocr-onnxruntime"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()
        self._orientation = threading.local()
        self._trim = _trimmer()

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                engine = RapidOCR(
                    intra_op_num_threads=self.threads,
                    inter_op_num_threads=1,
                    print_verbose=False,
                    # Text is found on a copy at most DETECT_SIDE px long and read from the full
                    # photo: on the generated set this halves the time and reads every field.
                    det_limit_type="max",
                    det_limit_side_len=DETECT_SIDE,
                )
                classify = engine.text_cls

                # The angle classifier turns each upside-down line before reading it but does
                # not say so; its verdicts tell a page photographed upside down.
                def remembering(images: Any) -> Any:
                    turned, verdicts, elapsed = classify(images)
                    self._orientation.verdicts = [label for label, _score in verdicts]
                    return turned, verdicts, elapsed

                engine.text_cls = remembering
                self._engine = engine
        return self._engine

    def warm_up(self) -> None:
        self._load()

    def read(self, content: bytes) -> OcrResult:
        engine = self._load()
        started = time.perf_counter()
        image, spread = _prepare(content)
        height, width = image.shape[:2]
        if spread < BLANK_STDDEV:
            return OcrResult((), width, height, time.perf_counter() - started, quality="blank")
        self._orientation.verdicts = []
        try:
            found, _timings = engine(image)
        except Exception as exc:
            raise OcrFailed() from exc
        lines = [
            OcrLine(
                str(text).strip(),
                tuple((float(x), float(y)) for x, y in box),  # type: ignore[arg-type]
                float(score),
            )
            for box, text, score in (found or [])
            if str(text).strip()
        ]
        verdicts = self._orientation.verdicts
        upside_down = len(verdicts) >= 3 and verdicts.count("180") > len(verdicts) / 2
        if upside_down:
            lines = _turned(lines, width, height)
        elapsed = time.perf_counter() - started
        quality = None
        if not lines:
            quality = "blank"
        elif sum(line.score for line in lines) / len(lines) < LOW_CONFIDENCE:
            quality = "blurred"
        return OcrResult(tuple(_rows(lines)), width, height, elapsed, upside_down, quality)


_worker_engine: RapidOcrEngine | None = None
WORKER_NICENESS = 10


def _start_worker(threads: int) -> None:
    """In an OCR worker process: step back for the chat, and load the models once.

    Reading a photo may take a second longer; an officer's tap must not. So the worker runs at
    a lower priority than the bot, and OpenCV is kept to one thread as onnxruntime is.
    """
    global _worker_engine
    start_worker(WORKER_NICENESS)
    import cv2

    cv2.setNumThreads(1)
    _worker_engine = RapidOcrEngine(threads=threads)
    _worker_engine.warm_up()


def _read_in_worker(content: bytes) -> OcrResult | str:
    """In an OCR worker process: the result, or the message key of the failure (exceptions
    that carry message parameters do not cross the process boundary intact)."""
    assert _worker_engine is not None
    try:
        return _worker_engine.read(content)
    except OcrFailed as exc:
        return exc.key


class OcrPool:
    """A bounded number of readings at a time, each with a deadline, off the event loop.

    More photos than ``queue_limit`` waiting is refused at once (:class:`OcrBusy`) rather than
    queued for minutes: the officer can send the photo again, and nothing is lost.
    """

    def __init__(
        self,
        engine: OcrEngine,
        *,
        workers: int = 1,
        timeout_s: float = 30.0,
        queue_limit: int = 32,
        on_done: Callable[[float, str], None] | None = None,
        processes: bool = False,
    ) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.queue_limit = queue_limit
        self.workers = workers
        # In worker processes, RapidOCR's own Python (image preparation, box post-processing)
        # never holds the bot's GIL, and its memory peaks stay out of the bot's process.
        self.processes = processes and isinstance(engine, RapidOcrEngine)
        self._executor: Executor | None = None
        self._waiting = 0
        self._on_done = on_done

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.processes:
                assert isinstance(self.engine, RapidOcrEngine)
                self._executor = process_pool(self.workers, _start_worker, (self.engine.threads,))
            else:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="ocr")
        return self._executor

    def _job(self, content: bytes) -> Callable[[], Any]:
        if self.processes:
            return functools.partial(_read_in_worker, content)
        return functools.partial(self.engine.read, content)

    async def read(self, content: bytes) -> OcrResult:
        """Raises :class:`OcrBusy`, or :class:`OcrFailed` (also on a timeout)."""
        if self._waiting >= self.queue_limit:
            raise OcrBusy()
        self._waiting += 1
        loop = asyncio.get_running_loop()
        try:
            job = loop.run_in_executor(self._pool(), self._job(content))
            try:
                result = await asyncio.wait_for(job, self.timeout_s)
                if isinstance(result, str):
                    # A worker process reports a failed reading by its message key.
                    raise OcrFailed(result)
            except BrokenExecutor as exc:
                # A worker died (killed, out of memory): the next reading starts a new one.
                self._executor = None
                self._report(0.0, "failed")
                raise OcrFailed() from exc
            except TimeoutError as exc:
                # The thread cannot be stopped; its result is dropped when it ends.
                self._report(self.timeout_s, "timeout")
                raise OcrFailed("ocr.timeout", seconds=round(self.timeout_s)) from exc
            except OcrFailed:
                self._report(0.0, "failed")
                raise
        finally:
            self._waiting -= 1
        self._report(result.elapsed_s, result.quality or "read")
        return result

    def _report(self, seconds: float, outcome: str) -> None:
        if self._on_done is not None:
            self._on_done(seconds, outcome)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
