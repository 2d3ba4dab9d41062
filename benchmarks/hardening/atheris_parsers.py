"""Coverage-guided fuzzing of the pure parsers with atheris (libFuzzer), for a fixed time.

    pip install atheris
    python -m benchmarks.hardening.atheris_parsers [--seconds 60] [--target all] [libFuzzer flags]

Targets (``--target``, default ``all``: each input picks one):

* ``quantity``: ``assistant.visits.parsing.parse_quantity`` in every unit, with ranges;
* ``date``: ``assistant.visits.parsing.parse_date`` and ``parse_yes_no``;
* ``extract``: the OCR text helpers of ``assistant.evidence.extract`` (money, amounts in words,
  Chinese integers, dates, periods, credit codes) and ``assistant.reading_fields.parse_field``
  (what an officer types to correct a reading);
* ``csv`` / ``xlsx``: the importer's file parser (``assistant.importer.rows._parse``) on the bytes.

``--target csv`` and ``--target xlsx`` start from the sample portfolio (``samples/``), copied to
a scratch corpus directory, unless a corpus directory is given. An exception other than the
parsers' own "cannot read this" errors is a finding: libFuzzer stops,
prints the traceback and writes the input to ``crash-*``. Not part of the test suite (atheris is
not a project dependency); ``tests/test_hostile_input.py`` covers the same parsers through the
chat with hypothesis.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

with atheris.instrument_imports(
    include=["assistant.visits.parsing", "assistant.evidence.extract", "assistant.importer"]
):
    from assistant.errors import AssistantError
    from assistant.evidence import extract
    from assistant.evidence.model import FIELDS
    from assistant.importer import rows as importer
    from assistant.reading_fields import parse_field
    from assistant.visits import parsing

UNITS = tuple(parsing.UNITS)
CORRECTABLE = tuple(sorted({name for names in FIELDS.values() for name in names}))
TODAY = date(2026, 11, 29)
TARGETS = ("quantity", "date", "extract", "csv", "xlsx")
SCRATCH = Path(tempfile.mkdtemp(prefix="atheris-import-"))
SEEDS = {
    "csv": sorted((REPO / "samples" / "csv").glob("*.csv")),
    "xlsx": [REPO / "samples" / "portfolio_sample.xlsx"],
}


def fuzz_quantity(fdp: atheris.FuzzedDataProvider) -> None:
    unit = UNITS[fdp.ConsumeIntInRange(0, len(UNITS) - 1)]
    low = fdp.ConsumeIntInRange(-10, 1000) if fdp.ConsumeBool() else None
    high = fdp.ConsumeIntInRange(0, 10**9) if fdp.ConsumeBool() else None
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        quantity = parsing.parse_quantity(
            text,
            unit,
            minimum=None if low is None else Decimal(low),
            maximum=None if high is None else Decimal(high),
        )
    except AssistantError:
        return
    value = quantity.value
    assert value.is_finite(), (text, value)
    assert low is None or value >= low, (text, value, low)
    assert high is None or value <= high, (text, value, high)


def fuzz_date(fdp: atheris.FuzzedDataProvider) -> None:
    today = TODAY + timedelta(days=fdp.ConsumeIntInRange(-36500, 36500))
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    with contextlib.suppress(AssistantError):
        parsing.parse_date(text, today=today)
    with contextlib.suppress(AssistantError):
        parsing.parse_yes_no(text)


def fuzz_extract(fdp: atheris.FuzzedDataProvider) -> None:
    field = CORRECTABLE[fdp.ConsumeIntInRange(0, len(CORRECTABLE) - 1)]
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    extract.normalize(text)
    extract.parse_chinese_integer(text)
    extract.parse_capital_amount(text)
    extract.parse_number(text)
    extract.find_money(text)
    extract.parse_money(text)
    extract.find_dates(text)
    extract.find_dates(text, compact=False)
    extract.parse_date(text)
    extract.parse_period(text)
    extract.fix_credit_code(text)
    with contextlib.suppress(AssistantError):
        parse_field(field, text, today=TODAY)


def fuzz_import(fdp: atheris.FuzzedDataProvider, suffix: str) -> None:
    path = SCRATCH / f"upload{suffix}"
    path.write_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()))
    # Small limits so that a run is not spent on one big input; the parser checks them itself.
    parsed = importer._parse(path, f"file{suffix}", max_bytes=256 * 1024, max_rows=500)
    assert parsed.readable or parsed.issues, "a file that cannot be read names its problem"


def make_target(only: str):
    def one_input(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        target = only if only != "all" else TARGETS[fdp.ConsumeIntInRange(0, len(TARGETS) - 1)]
        match target:
            case "quantity":
                fuzz_quantity(fdp)
            case "date":
                fuzz_date(fdp)
            case "extract":
                fuzz_extract(fdp)
            case "csv":
                fuzz_import(fdp, ".csv")
            case _:
                fuzz_import(fdp, ".xlsx")

    return one_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    parser.add_argument("--target", choices=("all", *TARGETS), default="all")
    args, libfuzzer = parser.parse_known_args()
    argv = [sys.argv[0], f"-max_total_time={args.seconds}", "-rss_limit_mb=2048", *libfuzzer]
    if args.target in SEEDS and not any(not a.startswith("-") for a in libfuzzer):
        # Start the file parsers from the sample portfolio, in a scratch corpus (libFuzzer
        # writes what it finds into the first corpus directory).
        corpus = Path(tempfile.mkdtemp(prefix=f"atheris-{args.target}-"))
        for sample in SEEDS[args.target]:
            shutil.copy(sample, corpus)
        argv.append(str(corpus))
    atheris.Setup(argv, make_target(args.target))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
