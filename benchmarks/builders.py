"""MkDocs or Zensical: how long each takes to build this site, cold and again with nothing changed.

    python benchmarks/builders.py [--rounds 3]

Each round clones this checkout's HEAD afresh for each builder (an empty cache, as a new user or
CI has), the two builders in turn, the first alternating from round to round. In each clone it
times a cold build (every snippet runs), then the same command again with nothing changed. The
commands are README's and CONTRIBUTING's: ``mkdocs build --strict`` and ``zensical build``
(strict through ``strict: true`` in ``mkdocs.yml``; it writes ``site/`` in the clone). Both must
succeed. It prints each time, and the medians; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "mkdocs": ["-m", "mkdocs", "build", "--strict", "--site-dir", "{clone}/../site"],
    "zensical": ["-m", "zensical", "build"],
}


def timed(builder: str, clone: Path) -> float:
    args = [arg.format(clone=clone) for arg in COMMANDS[builder]]
    env = {key: value for key, value in os.environ.items() if not key.startswith("SNIPPET_")}
    env.update(SNIPPET_PROJECT_ROOT=str(clone), PYTHONDONTWRITEBYTECODE="1", NO_MKDOCS_2_WARNING="1")
    started = time.monotonic()
    done = subprocess.run([sys.executable, *args], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    if done.returncode:
        sys.exit(f"{builder} build failed in {clone}:\n{(done.stdout + done.stderr)[-3000:]}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        order = list(COMMANDS) if round_ % 2 == 0 else list(reversed(COMMANDS))
        for builder in order:
            with tempfile.TemporaryDirectory(prefix=f"builders-{builder}-") as folder:
                clone = Path(folder) / "clone"
                subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
                cold, again = timed(builder, clone), timed(builder, clone)
            times.setdefault((builder, "cold"), []).append(cold)
            times.setdefault((builder, "again"), []).append(again)
            print(f"round {round_ + 1}, {builder}: cold {cold:.1f} s, unchanged {again:.1f} s", flush=True)
    print(f"\n{args.rounds} rounds, {os.cpu_count()} CPUs, medians:")
    for builder in COMMANDS:
        cold, again = statistics.median(times[builder, "cold"]), statistics.median(times[builder, "again"])
        print(f"  {builder:9} cold {cold:5.1f} s   unchanged {again:5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
