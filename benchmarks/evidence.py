"""Evidence benchmark: how well photographed documents are read, how long a photo takes, memory.

    .venv/bin/python benchmarks/evidence.py [--count 60] [--seed 7] [--show-misses] [--save DIR]

It builds the synthetic photo set of ``samples/make_documents.py`` (licences, statements,
invoices, utility bills, signboards, each with the values printed on it), reads every photo with
``RapidOcrEngine(threads=1)``, classifies it and extracts the fields of its true type, and
prints per document type: how many were classified right, and per field the precision (correct
/ extracted) and recall (correct / printed). Text is compared without whitespace and with
full-width and half-width forms folded together; money within max(1 yuan, 0.5 %); dates
exactly; a statement's large items as the multiset of their amounts; invoice goods with or
without the category printed before the item (*五金制品*水暖配件 or 水暖配件).

Then the OCR latency per photo (p50, p95, max), with the load average, since other work on the
machine slows the reads, and memory: the process RSS high-water before
the engine is loaded, after loading it and after all the reads, and the tracemalloc peak of one
read (Python and numpy allocations only; onnxruntime's own arena is not traced).

Last, responsiveness (skip with ``--no-bot``): the real Application on the stand-in, with one
officer filing licence photos for OCR one after another while ``--officers`` others walk their
visits with a short think time between taps. It prints the others' latency per update (from
sending to the bot's reply) with no OCR running and with OCR running, side by side.

Targets: licence fields recall ≥ 0.95, statement totals recall ≥ 0.9, OCR p95 ≤ 2.5 s, other
officers' steps p95 ≤ 50 ms while photos are read.
``--show-misses`` lists every wrong or missed field (expected, got, and the OCR text it was read
from); ``--save DIR`` writes the photos with a ``readings.jsonl`` of truth, OCR lines and
extracted values, to look at the misses without reading the photos again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# The generator is a script, not a package module; from its folder the generating processes
# can import it by name too.
sys.path.insert(0, str(REPO / "samples"))

import make_documents

from assistant.evidence.model import FIELDS, DocumentType, Extraction, OcrResult
from assistant.evidence.ocr import MAX_SIDE, RapidOcrEngine

MONEY = {"registered_capital", "credits_total", "debits_total", "amount"}
DATES = {"established_on", "period_start", "period_end", "issued_on"}
QUANTITIES = {"consumption"}
TARGETS = {"licence fields": 0.95, "statement totals": 0.9}
P95_TARGET_S = 2.5


# --- Comparing ------------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def fold(text: Any) -> str:
    """Whitespace out, full-width forms (（）：，０-９Ａ-Ｚ) as half-width, letters in one case."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).upper()


def as_float(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "").replace("¥", "").replace("￥", ""))
    except (TypeError, ValueError):
        return None


def money_matches(got: Any, want: float) -> bool:
    value = as_float(got)
    return value is not None and abs(value - want) <= max(1.0, 0.005 * abs(want))


def item_amount(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("amount")
    return getattr(item, "amount", item)


def items_match(got: Any, want: list[dict[str, Any]]) -> bool:
    """The same multiset of amounts: each expected amount paired with its own extracted one."""
    if not isinstance(got, list | tuple) or len(got) != len(want):
        return False
    left = [as_float(item_amount(item)) for item in got]
    for amount in sorted((w["amount"] for w in want), reverse=True):
        match = next(
            (k for k, v in enumerate(left) if v is not None and money_matches(v, amount)), None
        )
        if match is None:
            return False
        left.pop(match)
    return True


def matches(name: str, got: Any, want: Any) -> bool:
    if name == "goods":
        # The category between asterisks (*五金制品*水暖配件) is printed but optional to read.
        got, want = fold(got).replace("*", ""), fold(want)
        return got in (want.replace("*", ""), want.rsplit("*", 1)[-1])
    if name == "large_items":
        return items_match(got, want)
    if name in MONEY:
        return money_matches(got, float(want))
    if name in QUANTITIES:
        value = as_float(got)
        return value is not None and abs(value - float(want)) <= max(0.01, 0.005 * float(want))
    if name in DATES:
        return (got.isoformat() if isinstance(got, date) else str(got)) == want
    return fold(got) == fold(want)


# --- Counting -------------------------------------------------------------------------------


@dataclass
class Tally:
    present: int = 0  # printed on the document (non-empty in the truth)
    extracted: int = 0  # non-empty in the extraction
    correct: int = 0

    def add(self, other: Tally) -> None:
        self.present += other.present
        self.extracted += other.extracted
        self.correct += other.correct

    @property
    def precision(self) -> float | None:
        return self.correct / self.extracted if self.extracted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.present if self.present else None


@dataclass
class Reading:
    sample: Any  # make_documents.DocumentSample
    result: OcrResult
    seconds: float
    classified: DocumentType | None = None
    confidence: float = 0.0
    extraction: Extraction | None = None
    error: str | None = None
    tallies: dict[str, Tally] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)


def score(reading: Reading) -> None:
    doc_type = DocumentType(reading.sample.doc_type)
    truth = reading.sample.truth
    for name in FIELDS[doc_type]:
        want = truth.get(name)
        found = reading.extraction.fields.get(name) if reading.extraction else None
        got = None if found is None else found.value
        tally = Tally(present=int(not is_empty(want)), extracted=int(not is_empty(got)))
        tally.correct = int(bool(tally.present and tally.extracted and matches(name, got, want)))
        reading.tallies[name] = tally
        if tally.present != tally.correct or tally.extracted != tally.correct:
            shown_want = [i["amount"] for i in want] if name == "large_items" and want else want
            shown_got = [item_amount(i) for i in got] if name == "large_items" and got else got
            source = f"   ← {found.source!r}" if found is not None and found.source else ""
            reading.misses.append(f"{name}: expected {shown_want!r}, got {shown_got!r}{source}")


def fmt(value: float | None) -> str:
    return "   —" if value is None else f"{value:4.2f}"


def table_row(label: str, tally: Tally, width: int = 22) -> str:
    return (
        f"  {label:<{width}} {tally.present:>7} {tally.extracted:>9} {tally.correct:>7}"
        f"   {fmt(tally.precision):>9} {fmt(tally.recall):>6}"
    )


def header(width: int = 22) -> str:
    return f"  {'field':<{width}} {'printed':>7} {'extracted':>9} {'correct':>7}   precision recall"


def total(readings: Iterable[Reading], names: Iterable[str]) -> Tally:
    out = Tally()
    names = tuple(names)
    for reading in readings:
        for name in names:
            if name in reading.tallies:
                out.add(reading.tallies[name])
    return out


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value that ``share`` of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_now_mb() -> float | None:
    """The resident set now (Linux): what the reads leave behind, next to their high-water."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- Running --------------------------------------------------------------------------------


def build_set(count: int, seed: int) -> list[Any]:
    """The photos, drawn in two worker processes: quicker on two cores, and the drawing's own
    memory stays out of this process's RSS high-water, which should be the OCR's."""
    indexes = list(range(count))
    with ProcessPoolExecutor(max_workers=2) as pool:
        return list(pool.map(make_documents.generate_sample, indexes, [seed] * count))


def load_extractors() -> tuple[Any, Any] | None:
    try:
        from assistant.evidence.extract import classify, extract
    except ImportError as exc:
        print(f"(extractors not available yet: {exc}; OCR figures only)")
        return None
    return classify, extract


def save(readings: list[Reading], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "readings.jsonl").open("w", encoding="utf-8") as fh:
        for r in readings:
            (out / f"{r.sample.name}.jpg").write_bytes(r.sample.image)
            record = {
                "name": r.sample.name,
                "doc_type": r.sample.doc_type,
                "truth": r.sample.truth,
                "upside_down": r.sample.upside_down,
                "classified": None if r.classified is None else r.classified.value,
                "extracted": {
                    name: {"value": f.value, "confidence": f.confidence, "source": f.source}
                    for name, f in (r.extraction.fields.items() if r.extraction else ())
                },
                "misses": r.misses,
                "ocr": [line.to_json() for line in r.result.lines],
                "ocr_seconds": round(r.seconds, 3),
            }
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    print(f"wrote {len(readings)} photos and readings.jsonl to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=60, help="photos (at least 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-misses", action="store_true", help="list wrong/missed fields")
    parser.add_argument("--save", type=Path, help="write photos and readings.jsonl here")
    parser.add_argument("--no-bot", action="store_true", help="skip the responsiveness run")
    parser.add_argument("--officers", type=int, default=6, help="officers stepping during OCR")
    args = parser.parse_args()
    if args.count < 50:
        parser.error("--count must be at least 50 (ten photos of each type)")

    started = time.perf_counter()
    samples = build_set(args.count, args.seed)
    built_s = time.perf_counter() - started
    print(
        f"{len(samples)} photos (seed {args.seed}) drawn in {built_s:.1f} s, "
        f"{sum(s.upside_down for s in samples)} upside down, "
        f"{sum(len(s.image) for s in samples) / len(samples) / 1024:.0f} KiB a photo"
    )
    extractors = load_extractors()

    load_before = os.getloadavg()[0]
    rss_start = rss_mb()
    engine = RapidOcrEngine(threads=1)
    loading = time.perf_counter()
    engine.warm_up()
    load_s = time.perf_counter() - loading
    rss_loaded = rss_mb()

    readings: list[Reading] = []
    for sample in samples:
        begun = time.perf_counter()
        result = engine.read(sample.image)
        readings.append(Reading(sample, result, time.perf_counter() - begun))
    rss_end, rss_left = rss_mb(), rss_now_mb()

    # One more read under tracemalloc, after the timed ones so that tracing slows none of them.
    biggest = max(samples, key=lambda s: len(s.image))
    tracemalloc.start()
    engine.read(biggest.image)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    if extractors is not None:
        classify, extract = extractors
        for reading in readings:
            expected = DocumentType(reading.sample.doc_type)
            try:
                reading.classified, reading.confidence = classify(reading.result)
                reading.extraction = extract(expected, reading.result)
            except Exception as exc:  # noqa: BLE001 - one failing photo is a figure, not the end
                reading.error = f"{type(exc).__name__}: {exc}"
            score(reading)
        print_accuracy(readings)

    seconds = [r.seconds for r in readings]
    p95 = percentile(seconds, 0.95)
    print()
    print(
        f"OCR (RapidOCR, 1 thread, photos cut to {MAX_SIDE} px): engine load {load_s:.2f} s; "
        f"load average {load_before:.1f} before the reads, {os.getloadavg()[0]:.1f} after "
        f"({os.cpu_count()} CPUs)"
    )
    print(
        f"  per photo: p50 {percentile(seconds, 0.5):.2f} s   p95 {p95:.2f} s   "
        f"max {max(seconds):.2f} s   mean {statistics.fmean(seconds):.2f} s   "
        f"(target p95 ≤ {P95_TARGET_S} s: {'met' if p95 <= P95_TARGET_S else 'NOT met'})"
    )
    by_type: dict[str, list[float]] = {}
    for r in readings:
        by_type.setdefault(r.sample.doc_type, []).append(r.seconds)
    print(
        "  p50 by type: " + ", ".join(f"{t} {percentile(v, 0.5):.2f} s" for t, v in by_type.items())
    )
    flagged = sum(1 for r in readings if r.result.quality)
    turned = sum(1 for r in readings if r.result.upside_down == r.sample.upside_down)
    print(
        f"  upside-down told right {turned}/{len(readings)}; "
        f"flagged blank/blurred {flagged}/{len(readings)}"
    )
    left = "" if rss_left is None else f" ({rss_left:.0f} MB resident at the end)"
    print(
        f"memory: RSS high-water {rss_start:.0f} MB before the engine, {rss_loaded:.0f} MB "
        f"loaded, {rss_end:.0f} MB after {len(readings)} reads{left}; "
        f"tracemalloc peak of one read {traced_peak / 2**20:.0f} MB"
    )

    if args.show_misses and extractors is not None:
        print_misses(readings)
    if args.save:
        save(readings, args.save)
    if not args.no_bot:
        licences = [s for s in samples if s.doc_type == "licence"]
        asyncio.run(print_responsiveness(licences, args.officers))


# --- Responsiveness -------------------------------------------------------------------------

THINK_S = 0.3  # an officer reads the question and taps; without a pause this measures a queue


async def _stepping(chat: Any, code: str, stop: asyncio.Event, latencies: list[float]) -> None:
    """An officer walking their visit until ``stop``, timing each update's round trip."""
    import benchmarks.visits as visits

    await chat.send(f"/visit {code}")
    while not stop.is_set():
        if "回访已完成" in chat.last_text:
            await chat.send(f"/visit {code}")
        begun = time.perf_counter()
        if "请拍照留存" in chat.message_with_buttons().text:
            # A photo is filed under its category, as an officer does, before moving on.
            await chat.send_photo(visits.photo(chat.user.id + len(latencies)))
            await chat.press(1)
            await chat.press("继续 ▶")
            sent = 3
        else:
            sent = await visits.step(chat)
        latencies.append((time.perf_counter() - begun) / sent)
        await asyncio.sleep(THINK_S)


async def _filing_photos(chat: Any, code: str, photos: list[bytes], application: Any) -> int:
    """An officer at the documents step filing licence photos, each read in the background."""
    from botapi.chat import BACKGROUND_TASKS

    await chat.send(f"/visit {code}")
    while "请收集以下资料" not in chat.message_with_buttons().text:
        labels = chat.message_with_buttons().button_labels
        await chat.press(next((b for b in ("⏭ 跳过", "继续 ▶") if b in labels), 1))
    for image in photos:
        await chat.send_photo(image)
        await chat.press("营业执照")
    running = list(application.bot_data.get(BACKGROUND_TASKS, ()))
    await asyncio.gather(*running, return_exceptions=True)
    return len(photos)


async def print_responsiveness(licences: list[Any], officers: int) -> None:
    import tempfile

    import benchmarks.visits as visits
    from assistant.config import Settings
    from assistant.db.database import Database
    from assistant.services import build_knowledge, build_services
    from bot import build_application
    from botapi.chat import Chat, polling, settle_in_process
    from botapi.console import standin_builder
    from botapi.standin import FakeBotApi, FakeUser

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            database_url=None,
            telegram_overall_rate=0,
            ocr_workers=1,
            ocr_threads=1,
        )
        knowledge = build_knowledge(Settings(_env_file=None, data_dir=REPO / "data" / "benchmark"))
        await knowledge.load()
        database = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        # As in production: the engine named by the settings, in a worker process.
        services = build_services(settings, database=database, knowledge=knowledge)
        await services.start()
        await visits.seed(database, officers + 1)
        api = FakeBotApi()
        application = build_application(settings, standin_builder(api), services=services)
        async with polling(application):
            chats = [
                Chat(api, FakeUser(5_000_000 + n, f"官{n}"), settle_in_process(api, application))
                for n in range(officers + 1)
            ]
            photographer, others = chats[0], chats[1:]
            figures: dict[str, list[float]] = {}
            for phase in ("no OCR running", "OCR running"):
                latencies: list[float] = []
                stop = asyncio.Event()
                walkers = [
                    asyncio.create_task(_stepping(chat, f"B{n + 1:04d}", stop, latencies))
                    for n, chat in enumerate(others)
                ]
                if phase == "OCR running":
                    begun = time.perf_counter()
                    filed = await _filing_photos(
                        photographer, "B0000", [s.image for s in licences], application
                    )
                    busy_s = time.perf_counter() - begun
                else:
                    await asyncio.sleep(15)
                stop.set()
                await asyncio.gather(*walkers)
                figures[phase] = [v * 1000 for v in latencies]
        await services.close()
    print()
    print(
        f"responsiveness: {officers} officers stepping (think time {THINK_S} s) while one "
        f"officer files {filed} licence photos ({busy_s:.1f} s of OCR: 1 worker process, 1 thread)"
    )
    for phase, values in figures.items():
        p95 = percentile(values, 0.95)
        verdict = ""
        if phase == "OCR running":
            verdict = f"   (target p95 ≤ 50 ms: {'met' if p95 <= 50 else 'NOT met'})"
        print(
            f"  {phase:<15} {len(values):>4} updates: p50 {percentile(values, 0.5):.1f} ms  "
            f"p95 {p95:.1f} ms  max {max(values):.1f} ms{verdict}"
        )


def print_accuracy(readings: list[Reading]) -> None:
    for doc_type in DocumentType:
        rows = [r for r in readings if r.sample.doc_type == doc_type.value]
        if not rows:
            continue
        right = sum(r.classified is doc_type for r in rows)
        errors = sum(r.error is not None for r in rows)
        print()
        print(
            f"{doc_type.value}: {len(rows)} documents, type classified right {right}/{len(rows)}"
            + (f", {errors} extraction errors" if errors else "")
        )
        print(header())
        for name in FIELDS[doc_type]:
            print(table_row(name, total(rows, (name,))))
        print(table_row("all fields", total(rows, FIELDS[doc_type])))

    licence = [r for r in readings if r.sample.doc_type == DocumentType.LICENCE.value]
    statements = [r for r in readings if r.sample.doc_type == DocumentType.STATEMENT.value]
    summary = {
        "licence fields": total(licence, FIELDS[DocumentType.LICENCE]),
        "statement totals": total(statements, ("credits_total", "debits_total")),
    }
    everything = Tally()
    for doc_type in DocumentType:
        everything.add(
            total([r for r in readings if r.sample.doc_type == doc_type.value], FIELDS[doc_type])
        )
    right = sum(r.classified is DocumentType(r.sample.doc_type) for r in readings)
    print()
    print(f"summary: type classified right {right}/{len(readings)}")
    print(header())
    for label, tally in summary.items():
        recall = tally.recall or 0.0
        verdict = "met" if recall >= TARGETS[label] else "NOT met"
        print(f"{table_row(label, tally)}   target recall ≥ {TARGETS[label]}: {verdict}")
    print(table_row("all fields", everything))


def print_misses(readings: list[Reading]) -> None:
    print()
    print("misses (expected vs got):")
    for r in readings:
        expected = DocumentType(r.sample.doc_type)
        notes = []
        if r.classified is not expected:
            shown = None if r.classified is None else r.classified.value
            notes.append(f"classified as {shown} ({r.confidence:.2f})")
        if r.error:
            notes.append(r.error)
        if not notes and not r.misses:
            continue
        flags = " upside down" if r.sample.upside_down else ""
        print(f"  {r.sample.name}{flags}" + (f": {'; '.join(notes)}" if notes else ""))
        for miss in r.misses:
            print(f"      {miss}")


if __name__ == "__main__":
    main()
