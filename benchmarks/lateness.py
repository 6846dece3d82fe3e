"""How late each line and task of every snippet comes, as measured and after CPU queue waits.

    python benchmarks/lateness.py [--rounds N] [--stress CPUS] [--no-cache]

Runs every snippet on every Python (one cold batch per round, as a build does, into a
temporary cache), and compares each stamped time with its ``.out``. Prints the spread of
lateness, raw and with the run's CPU queue wait taken off, and the worst lines. With
``--stress N`` the rounds run beside ``stress-ng --cpu N``. This is how the tolerances in
``pyproject.toml`` were chosen: ``late`` must sit above the adjusted lateness seen here, and
well below 0.2 s, the slowdown the checks must always catch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snippet_engine import batch
from snippet_engine.config import discover, settings


def samples(outcomes: list[batch.Outcome]) -> list[tuple[float, float, str]]:
    """(raw lateness, lateness after CPU waits, where) for every stamped time whose text matched."""
    found = []
    for outcome in outcomes:
        if outcome.run is None or outcome.expected is None or outcome.run.problem:
            continue
        variant = outcome.expected.variant_for(outcome.minor)
        if variant is None or [(x.stream, x.text) for x in variant.lines] != [
            (x.stream, x.text) for x in outcome.run.lines
        ]:
            continue
        where = f"{outcome.label} {outcome.minor}"
        for want, got in zip(variant.lines, outcome.run.lines, strict=True):
            found.append((got.time - want.time, got.time - got.delay - want.time, f"{where}: {want.text[:40]!r}"))
        if variant.tasks is not None and len(variant.tasks) == len(outcome.run.tasks):
            for want, got in zip(variant.tasks, outcome.run.tasks, strict=True):
                found.append((got.created - want.created, got.created - got.created_delay - want.created,
                              f"{where}: task {want.name} created"))  # fmt: skip
                if want.finished is not None and got.finished is not None:
                    found.append((got.finished - want.finished, got.finished - got.finished_delay - want.finished,
                                  f"{where}: task {want.name} finished"))  # fmt: skip
    return found


def describe(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(ordered):+.3f}  p99 {p99:+.3f}  max {ordered[-1]:+.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stress", type=int, default=0, help="run beside `stress-ng --cpu N`")
    parser.add_argument("--worst", type=int, default=8)
    args = parser.parse_args()
    stress = None
    if args.stress:
        stress = subprocess.Popen(["stress-ng", "--cpu", str(args.stress), "--quiet"])
    try:
        everything = []
        for round_ in range(args.rounds):
            with tempfile.TemporaryDirectory() as cache:
                os.environ["SNIPPET_CACHE_DIR"] = cache
                settings.cache_clear()
                batch._memo.clear()
                started = time.monotonic()
                outcomes = asyncio.run(batch.check_many(discover(), use_cache=False))
                took = time.monotonic() - started
            found = samples(outcomes)
            everything += found
            load = os.getloadavg()[0]
            print(f"round {round_ + 1}: {len(outcomes)} runs in {took:.1f} s, load {load:.1f}; {len(found)} times")
            print(f"  late as measured:     {describe([f[0] for f in found])}")
            print(f"  less the CPU waits:   {describe([f[1] for f in found])}")
        print(f"\nworst {args.worst} after CPU waits (raw, adjusted):")
        for raw, adjusted, where in sorted(everything, key=lambda f: -f[1])[: args.worst]:
            print(f"  {raw:+.3f} {adjusted:+.3f}  {where}")
    finally:
        if stress:
            stress.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                stress.wait(5)


if __name__ == "__main__":
    main()
