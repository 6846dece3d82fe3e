"""Every sample on Python 3.14 in WebAssembly (Pyodide, in Node), round after round: what it costs, and whether
the samples that run there as on CPython are the same ones every round (issue 15).

    python benchmarks/pyodide.py --rounds 5 [--load idle|stress|build] [--workers 6]

Prints, per round, the wall time of the batch, the busy CPU-seconds of the whole machine (`/proc/stat`, so the
sandboxed Node process is counted), and how many samples run as on CPython; then every sample whose verdict
changed between rounds. Needs README's set-up (`npm ci` included). `--load` is `benchmarks/timing.py`'s:
`stress-ng --cpu 4`, or another clone's cold builds, beside it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from run_cost import busy_seconds
from timing import ROOT, load

from snippet_engine import pyodide_runs
from snippet_engine.config import discover, settings
from snippet_engine.expected import parse, path_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load", choices=["idle", "stress", "build"], default="idle")
    parser.add_argument("--workers", type=int, default=6)
    options = parser.parse_args()
    if reason := pyodide_runs.missing():
        sys.exit(reason)
    snippets = discover()
    limits = {snippet: pyodide_runs.limit_for(parse(path_for(snippet)), settings()) for snippet in snippets}
    verdicts: dict[Path, list[str | None]] = {snippet: [] for snippet in snippets}
    with load(options.load):
        for round_number in range(1, options.rounds + 1):
            started, busy = time.monotonic(), busy_seconds()
            runs = pyodide_runs.run_all(limits, max_lines=2000, max_bytes=200_000, workers=options.workers)
            wall, cpu = time.monotonic() - started, busy_seconds() - busy
            same = 0
            for snippet, result in runs.items():
                why = pyodide_runs.why_it_differs(result, parse(path_for(snippet)), settings())
                verdicts[snippet].append(None if why is None else why.splitlines()[0])
                same += why is None
            print(
                f"round {round_number}: {wall:.1f} s, {cpu:.1f} busy CPU-s, {same} of {len(snippets)} samples run "
                f"as on CPython ({options.load}, {options.workers} workers)",
                flush=True,
            )
    differ = {snippet: found[-1] for snippet, found in verdicts.items() if found[-1] is not None}
    print(f"samples that differ in the last round: {len(differ)}")
    for why in sorted(differ.values()):
        print(f"  {why}")
    changed = {snippet: found for snippet, found in verdicts.items() if len({why is None for why in found}) > 1}
    print(f"verdicts that changed between rounds: {len(changed)}")
    for snippet, found in sorted(changed.items()):
        print(f"  {snippet.relative_to(ROOT)}: " + " | ".join("same" if why is None else why for why in found))


if __name__ == "__main__":
    main()
