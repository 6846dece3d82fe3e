"""Benchmarks for the closing notes (not tests): snippet count, serial sum, batch, cold and warm build.

python benchmarks/measure.py            # uses a fresh temporary cache, leaves yours alone
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    from snippet_engine.batch import applicable
    from snippet_engine.config import discover, settings
    from snippet_engine.expected import parse, path_for

    snippets = discover()
    runs = [(s, minor) for s in snippets for minor in applicable(s, settings().pythons)]
    serial = sum(parse(path_for(s)).duration for s, _ in runs)
    longest = max(parse(path_for(s)).duration for s in snippets)
    print(f"snippets: {len(snippets)}, runs (snippet x Python): {len(runs)}")
    print(f"serial sum of expected durations: {serial:.1f} s; longest snippet: {longest:.2f} s")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as site:
        env = {**os.environ, "SNIPPET_CACHE_DIR": cache}
        build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site]
        print(f"engine check, all runs at once: {timed([sys.executable, '-m', 'snippet_engine', 'check'], env):.1f} s")
        for entry in Path(cache).iterdir():
            entry.unlink()
        print(f"cold build (empty cache): {timed(build, env):.1f} s")
        print(f"warm build (nothing changed): {timed(build, env):.1f} s")
        print(f"warm build again: {timed(build, env):.1f} s")


if __name__ == "__main__":
    main()
