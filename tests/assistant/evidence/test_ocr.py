"""The OCR pool keeps readings off the event loop, within a deadline and a queue limit; the real
engine tells a blank page, refuses what is not an image and turns an upside-down page round."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from importlib.util import find_spec
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from assistant.evidence.model import OcrLine, OcrResult
from assistant.evidence.ocr import OcrBusy, OcrFailed, OcrPool, RapidOcrEngine
from tests.conftest import LoopTicks

PAGE = OcrResult(
    (OcrLine("营业执照", ((0, 0), (100, 0), (100, 30), (0, 30)), 0.98),), 800, 600, 0.25
)


class FakeEngine:
    """Returns ``result`` after ``delay`` seconds, or when ``gate`` opens; or raises ``error``."""

    name = "fake"

    def __init__(
        self,
        result: OcrResult = PAGE,
        *,
        delay: float = 0.0,
        gate: threading.Event | None = None,
        error: Exception | None = None,
    ) -> None:
        self.result = result
        self.delay = delay
        self.gate = gate
        self.error = error
        self.calls = 0

    def read(self, content: bytes) -> OcrResult:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(5)
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def outcomes() -> list[tuple[float, str]]:
    return []


def make_pool(engine: FakeEngine, outcomes: list[tuple[float, str]], **options) -> OcrPool:
    return OcrPool(
        engine, on_done=lambda seconds, outcome: outcomes.append((seconds, outcome)), **options
    )


# --- The pool -------------------------------------------------------------------------------


async def test_a_reading_returns_the_engines_result_and_reports_it(outcomes):
    pool = make_pool(FakeEngine(), outcomes)
    try:
        assert await pool.read(b"photo") is PAGE
    finally:
        pool.close()
    assert outcomes == [(0.25, "read")]


async def test_a_slow_engine_times_out_with_its_own_message(outcomes):
    gate = threading.Event()
    pool = make_pool(FakeEngine(gate=gate), outcomes, timeout_s=0.2)
    started = time.perf_counter()
    try:
        with pytest.raises(OcrFailed) as caught:
            await pool.read(b"photo")
    finally:
        gate.set()
        pool.close()
    assert caught.value.key == "ocr.timeout"
    assert time.perf_counter() - started < 2, "the caller is not held until the engine ends"
    assert outcomes == [(0.2, "timeout")]


async def test_an_engine_failure_is_raised_and_reported(outcomes):
    pool = make_pool(FakeEngine(error=OcrFailed("ocr.not_an_image")), outcomes)
    try:
        with pytest.raises(OcrFailed) as caught:
            await pool.read(b"not an image")
    finally:
        pool.close()
    assert caught.value.key == "ocr.not_an_image"
    assert outcomes == [(0.0, "failed")]


async def test_a_blank_or_blurred_page_is_reported_as_such(outcomes):
    blank = OcrResult((), 800, 600, 0.1, quality="blank")
    pool = make_pool(FakeEngine(blank), outcomes)
    try:
        assert (await pool.read(b"photo")).quality == "blank"
    finally:
        pool.close()
    assert outcomes == [(0.1, "blank")]


async def test_more_readings_waiting_than_the_queue_limit_are_refused_at_once(outcomes):
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    pool = make_pool(engine, outcomes, workers=1, queue_limit=2)
    try:
        waiting = [asyncio.create_task(pool.read(b"photo")) for _ in range(2)]
        await asyncio.sleep(0.05)

        started = time.perf_counter()
        with pytest.raises(OcrBusy):
            await pool.read(b"one too many")
        assert time.perf_counter() - started < 0.1

        gate.set()
        assert await asyncio.gather(*waiting) == [PAGE, PAGE]
        # Room again once the queue has emptied.
        assert await pool.read(b"photo") is PAGE
    finally:
        gate.set()
        pool.close()
    assert engine.calls == 3
    assert [outcome for _, outcome in outcomes] == ["read", "read", "read"]


async def test_the_event_loop_keeps_running_while_a_page_is_read(outcomes):
    pool = make_pool(FakeEngine(delay=0.5), outcomes)
    try:
        async with LoopTicks() as ticks:
            await pool.read(b"photo")
    finally:
        pool.close()
    # Half a second of 10 ms sleeps: about 50 ticks when nothing blocks the loop, 0 when it does.
    assert ticks.count >= 20


# --- The real engine ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    pytest.importorskip("rapidocr_onnxruntime")
    return RapidOcrEngine(threads=1)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    spec = find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("mplfonts is not installed")
    font_file = Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSansCJKsc-Regular.otf"
    return ImageFont.truetype(str(font_file), size)


LINES = ["杭州鑫源五金制品有限公司", "法定代表人张建华", "浙江省杭州市西湖区文三路"]


def rendered_page() -> Image.Image:
    image = Image.new("RGB", (900, 500), "white")
    draw = ImageDraw.Draw(image)
    font = cjk_font(40)
    for row, text in enumerate(LINES):
        draw.text((60, 60 + 130 * row), text, fill="black", font=font)
    return image


def test_a_blank_white_photo_is_blank(engine):
    result = engine.read(png(Image.new("RGB", (1200, 900), "white")))
    assert result.quality == "blank"
    assert result.lines == ()
    assert (result.width, result.height) == (1200, 900)


def test_a_large_photo_is_cut_down_before_reading(engine):
    result = engine.read(png(Image.new("RGB", (4000, 3000), (250, 250, 250))))
    assert max(result.width, result.height) == 1600


@pytest.mark.parametrize("content", [b"", b"not an image", b"\x89PNG\r\n\x1a\n broken"])
def test_bytes_that_are_not_an_image_are_refused(engine, content):
    with pytest.raises(OcrFailed) as caught:
        engine.read(content)
    assert caught.value.key == "ocr.not_an_image"


def test_an_upright_page_is_read_in_order(engine):
    result = engine.read(png(rendered_page()))
    assert [line.text for line in result.lines] == LINES
    assert result.upside_down is False
    assert result.quality is None


def test_a_page_photographed_upside_down_is_read_the_right_way_up(engine):
    result = engine.read(png(rendered_page().rotate(180)))

    assert result.upside_down is True
    assert [line.text for line in result.lines] == LINES
    # The boxes are in the upright page's coordinates: the first line is at the top left.
    first = result.lines[0]
    assert first.top < 120 and first.left < 120
    assert all(a.top < b.top for a, b in zip(result.lines, result.lines[1:], strict=False))


async def test_a_pool_of_worker_processes_reads_a_page_and_reports_failures_by_key():
    pool = OcrPool(RapidOcrEngine(threads=1), workers=1, timeout_s=120, processes=True)
    try:
        assert pool.processes
        image = Image.new("RGB", (900, 300), "white")
        ImageDraw.Draw(image).text(
            (40, 100), "营业执照 法定代表人 张建国", font=cjk_font(48), fill="black"
        )
        buffer = io.BytesIO()
        image.save(buffer, "JPEG")
        result = await pool.read(buffer.getvalue())
        assert "张建国" in result.text
        with pytest.raises(OcrFailed) as failure:
            await pool.read(b"not an image at all")
        assert failure.value.key == "ocr.not_an_image"
    finally:
        pool.close()
