"""Command line: ``python -m snippet_engine check|record [SNIPPET ...]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from .batch import check_many
from .config import ConfigError, discover, label, settings
from .fence import problems as said_once
from .record import record_many


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snippet_engine", description=__doc__)
    parser.add_argument("command", choices=["check", "record"], help="check against the .out files, or (re)write them")
    parser.add_argument("snippets", nargs="*", type=Path, help="snippet files or folders (default: all of snippets/)")
    parser.add_argument(
        "--python", action="append", dest="pythons", metavar="3.X", help="only this version (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        settings()  # the project, found from the working directory up, and its settings
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    snippets = _expand(args.snippets) if args.snippets else discover()
    minors = tuple(args.pythons) if args.pythons else settings().pythons
    started = time.monotonic()
    if args.command == "record":
        results = asyncio.run(record_many(snippets, minors))
        failed = {snippet: problems for snippet, problems in results.items() if problems}
        for snippet in results:
            if snippet not in failed:
                print(f"recorded {label(snippet)}")
        problems = list(dict.fromkeys(problem for problems in failed.values() for problem in problems))
    else:
        outcomes = asyncio.run(check_many(snippets, minors, use_cache=False))
        problems = said_once(outcomes)  # alike on several versions (or for every snippet): said once
        print(f"checked {len(outcomes)} runs of {len(snippets)} snippets")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problems in {time.monotonic() - started:.1f} s")
    return 1 if problems else 0


def _expand(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        found.extend(discover(path) if path.is_dir() else [path])
    return found


if __name__ == "__main__":
    sys.exit(main())
