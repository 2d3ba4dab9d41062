"""Hardening: the load, fault, fuzz and access tables in one run.

    .venv/bin/python -m benchmarks.hardening [--soak-minutes 10] [--soak-officers 200]
                                             [--fuzz-examples 50] [--flood 10000]
                                             [--skip soak,fuzz,…] [--postgres URL]

Each part runs in its own process (the fault scenarios kill bots of their own; the soak must
measure a process that did nothing else) and prints its markdown table:

* access — every command and forged button for a stranger, the owner officer, a teammate, an
  officer of another team, a supervisor and an admin (benchmarks/hardening/access.py);
* faults — Bot API 5xx, timeouts, dropped connections, 429, kills mid-upload, mid-report and
  mid-reminder, a full disk (benchmarks/hardening/faults.py);
* fuzz — hostile and generated input at every entry point, and a 10,000-message flood
  (benchmarks/hardening/fuzz.py);
* soak — simulated officers doing visits, questions and reports for minutes on end: latency,
  errors, memory over time and the database size (benchmarks/hardening/soak.py).

The exit status is 0 only when every part passed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PARTS = ("access", "faults", "fuzz", "soak")


def commands(args: argparse.Namespace) -> dict[str, list[str]]:
    soak = ["--minutes", str(args.soak_minutes), "--officers", str(args.soak_officers)]
    if args.postgres:
        soak += ["--postgres", args.postgres]
    return {
        "access": [],
        "faults": [],
        "fuzz": ["--examples", str(args.fuzz_examples), "--flood", str(args.flood)],
        "soak": soak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    parser.add_argument("--soak-officers", type=int, default=200)
    parser.add_argument("--fuzz-examples", type=int, default=50)
    parser.add_argument("--flood", type=int, default=10_000)
    parser.add_argument("--postgres", help="run the soak on PostgreSQL (an admin URL)")
    parser.add_argument("--skip", default="", help=f"comma-separated parts of {', '.join(PARTS)}")
    args = parser.parse_args()
    skipped = {p.strip() for p in args.skip.split(",") if p.strip()}
    unknown = skipped - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    outcomes: dict[str, str] = {}
    for part, extra in commands(args).items():
        if part in skipped:
            outcomes[part] = "skipped"
            continue
        print(f"\n# {part}\n", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", f"benchmarks.hardening.{part}", *extra], cwd=REPO, check=False
        )
        seconds = time.perf_counter() - started
        outcomes[part] = f"{'passed' if done.returncode == 0 else 'FAILED'} in {seconds:.0f} s"
    print("\n# summary\n")
    print("| part | outcome |\n| --- | --- |")
    for part, outcome in outcomes.items():
        print(f"| {part} | {outcome} |")
    return 0 if all(not o.startswith("FAILED") for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
