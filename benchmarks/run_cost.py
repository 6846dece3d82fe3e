"""What one snippet run costs: wall time and CPU of a cold check of many trivial snippets.

    python benchmarks/run_cost.py [--snippets 60] [--rounds 3] [--fresh]

Makes a project of ``--snippets`` copies of a snippet that sleeps 0.1 s and prints a line, and
checks it cold (an empty cache) on every configured Python, ``--rounds`` times. A snippet that
mostly waits costs what its start and end cost, so this is the engine's own cost per run: it
sets how a batch grows with the number of samples (``benchmarks/growth.py`` measures that on the
real content). ``--fresh`` starts every run as a new ``python name.py`` instead of forking.

CPU is read from ``/proc/stat`` (Linux): the whole machine's busy time over the round, so run it
on an idle machine; elsewhere only wall time is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = """import asyncio


async def main() -> None:
    await asyncio.sleep(0.1)
    print("done")


if __name__ == "__main__":
    asyncio.run(main())
"""
EXPECTED = " 0.10 | done\ntasks:\n0.00 - 0.10 | done | Task-1 | main()\n"


def busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot, or None without /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def project(into: Path, count: int) -> Path:
    (into / "snippets" / "cost").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", into / "pyproject.toml")
    for index in range(count):
        (into / "snippets" / "cost" / f"run_{index}.py").write_text(SNIPPET)
        (into / "snippets" / "cost" / f"run_{index}.out").write_text(EXPECTED)
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snippets", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="fresh `python name.py` processes, not forked")
    args = parser.parse_args()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SNIPPET_")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's engine, whichever the interpreter has installed
    if args.fresh:
        env["SNIPPET_FRESH_PROCESSES"] = "1"
    walls, cpus, runs = [], [], 0
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="run-cost-") as folder:
            where = project(Path(folder), args.snippets)
            env["SNIPPET_PROJECT_ROOT"] = str(where)
            busy, started = busy_seconds(), time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "snippet_engine", "check"], cwd=where, env=env, capture_output=True, text=True
            )
            walls.append(time.monotonic() - started)
            if busy is not None:
                cpus.append(busy_seconds() - busy)
            if done.returncode:
                print(done.stdout + done.stderr, file=sys.stderr)
                return 1
            runs = int(done.stdout.split("checked ")[1].split()[0])
    mode = "fresh processes" if args.fresh else "forked"
    print(f"{runs} runs of a 0.1 s snippet, {mode}, {args.rounds} cold rounds, {os.cpu_count()} CPUs")
    print(f"wall: {' '.join(f'{w:.2f}' for w in walls)} s (median {statistics.median(walls):.2f})")
    if cpus:
        per_run = statistics.median(cpus) / runs * 1000
        print(f"machine CPU: {' '.join(f'{c:.2f}' for c in cpus)} s; median {per_run:.1f} ms per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
